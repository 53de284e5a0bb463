// Owns the collector lock: `<pin>/collector/lock` holds the owning process id, created with
// O_EXCL so two collectors cannot share a pin. A lock whose process is gone (the collector was
// killed) is taken over; a lock held by a live process is a clear E_LOCKED error.

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

export class LockError extends Error {
  readonly code = 'E_LOCKED';
  readonly holderPid: number;
  constructor(path: string, holderPid: number) {
    super(`another collector (pid ${holderPid}) holds ${path}; stop it first or use another --pin`);
    this.name = 'LockError';
    this.holderPid = holderPid;
  }
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Lock paths this process holds (a lock naming our own pid is stale unless it is one of these). */
const heldHere = new Set<string>();

export interface PinLock {
  path: string;
  /** Removes the lock file if this process still owns it. */
  release(): void;
}

/** Takes the lock for this process; throws LockError when a live process holds it. */
export function acquireLock(path: string, pid = process.pid): PinLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(path);
      const live = holder === pid ? heldHere.has(path) : holder !== undefined && processAlive(holder);
      if (live) throw new LockError(path, holder!);
      // Stale (its process is gone) or unreadable half-written lock: remove it and try again.
      try {
        unlinkSync(path);
      } catch {
        /* another starter removed it first */
      }
      continue;
    }
    writeSync(fd, `${pid}\n`);
    closeSync(fd);
    heldHere.add(path);
    return {
      path,
      release() {
        heldHere.delete(path);
        if (readHolder(path) === pid) {
          try {
            unlinkSync(path);
          } catch {
            /* already gone */
          }
        }
      },
    };
  }
  const holder = readHolder(path) ?? 0;
  throw new LockError(path, holder);
}

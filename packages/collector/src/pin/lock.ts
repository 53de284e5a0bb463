// Owns the collector lock `<pin>/collector/lock`, so two collectors cannot share a pin. The lock
// appears atomically and complete: a temp file holding {pid, startTicks, bootId, nonce} is
// written first and then hard-linked to the lock name (link(2) fails when the name exists), so
// no starter ever sees a lock without its owner. The owner is live when its pid exists and is not
// a zombie (a collector killed while its parent does not reap it: /proc/<pid>/stat state Z or X;
// where /proc is missing, existing is enough) AND the process's start time (/proc/<pid>/stat
// field 22) and the boot id match: a pid reused by an unrelated process after a crash does not
// block start-up; for a lock without a start time (older collectors wrote a bare pid) a process
// that started after the lock was written is not its owner either. A stale lock is taken over by
// one starter only: it must first create `lock.takeover-<nonce>` (O_EXCL) for that exact lock,
// then checks the lock still carries the nonce before removing it. Clients (stats, top, metric)
// ask liveLockOwner whether a collector runs, also one without HTTP.

import { constants, fstatSync, linkSync, openSync, closeSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { removeQuietly, writeExclusiveTemp } from './safe-write.js';

export class LockError extends Error {
  readonly code = 'E_LOCKED';
  readonly holderPid: number;
  constructor(path: string, holderPid: number) {
    super(`another collector (pid ${holderPid}) holds ${path}; stop it first or use another --pin`);
    this.name = 'LockError';
    this.holderPid = holderPid;
  }
}

/** What a lock file records about its owner. */
export interface LockOwner {
  pid: number;
  /** /proc/<pid>/stat field 22 (clock ticks after boot), as text; '' where /proc is missing. */
  startTicks: string;
  /** /proc/sys/kernel/random/boot_id; '' where missing. */
  bootId: string;
  /** Random: names this one lock file for a takeover. */
  nonce: string;
}

/**
 * Whether a process with this pid runs: it exists (EPERM: it exists but belongs to someone else)
 * and is not a zombie (processExited). Where /proc is missing, existing is enough.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !processExited(pid);
}

/** Fields 3 on of /proc/<pid>/stat (index 0: the state); undefined when unreadable (no /proc, or no such process). */
function procStatFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (the command name) is in parentheses and may hold spaces: count after the last ')'.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** Whether /proc says the process has ended and only waits to be reaped (state Z, zombie, or X, dead); false when unknown. */
export function processExited(pid: number): boolean {
  const state = procStatFields(pid)?.[0];
  return state === 'Z' || state === 'X';
}

/** The start time of a process (field 22 of /proc/<pid>/stat); '' when unknown. */
export function processStartTicks(pid: number): string {
  return procStatFields(pid)?.[19] ?? ''; // fields[0] is field 3
}

/** Clock ticks per second of /proc/<pid>/stat start times (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/** When a process started (epoch ms), from its start ticks and the boot time; undefined when unknown. */
export function processStartedAtMs(pid: number): number | undefined {
  const ticks = Number(processStartTicks(pid));
  let btime: number;
  try {
    btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
  if (!Number.isFinite(ticks) || ticks <= 0 || !Number.isFinite(btime) || btime <= 0) return undefined;
  return btime * 1000 + (ticks * 1000) / USER_HZ;
}

export function currentBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Parses a lock file; a bare pid (older collectors) gives empty start/boot/nonce. */
export function parseLockOwner(text: string): LockOwner | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const pid = Number(trimmed);
    return Number.isSafeInteger(pid) && pid > 0 ? { pid, startTicks: '', bootId: '', nonce: '' } : undefined;
  }
  try {
    const v = JSON.parse(trimmed) as Partial<LockOwner>;
    if (typeof v.pid !== 'number' || !Number.isSafeInteger(v.pid) || v.pid <= 0) return undefined;
    return { pid: v.pid, startTicks: String(v.startTicks ?? ''), bootId: String(v.bootId ?? ''), nonce: String(v.nonce ?? '') };
  } catch {
    return undefined;
  }
}

/** Slack between a process's start and its lock's mtime (boot time is whole seconds). */
const START_SLACK_MS = 2000;

/** Whether the recorded owner is still the same running process (lockWrittenAtMs: the lock's mtime). */
export function ownerAlive(owner: LockOwner, lockWrittenAtMs?: number): boolean {
  if (!processAlive(owner.pid)) return false;
  const boot = currentBootId();
  if (owner.bootId !== '' && boot !== '' && owner.bootId !== boot) return false;
  const start = processStartTicks(owner.pid);
  if (owner.startTicks !== '' && start !== '' && owner.startTicks !== start) return false;
  if (owner.startTicks === '' && lockWrittenAtMs !== undefined) {
    // A bare-pid lock: a process that started after the lock was written cannot own it.
    const startedAtMs = processStartedAtMs(owner.pid);
    if (startedAtMs !== undefined && startedAtMs > lockWrittenAtMs + START_SLACK_MS) return false;
  }
  return true;
}

/** Reads the lock without following a link; undefined when missing or unparsable. */
function readOwner(path: string): { owner: LockOwner | undefined; text: string; writtenAtMs: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8');
    return { owner: parseLockOwner(text), text, writtenAtMs: fstatSync(fd).mtimeMs };
  } finally {
    closeSync(fd);
  }
}

/**
 * The live process holding the lock at `path` (read without following a link), or undefined: no
 * lock, an unreadable or unparsable one, or an owner that no longer runs (ownerAlive).
 */
export function liveLockOwner(path: string): LockOwner | undefined {
  let seen: ReturnType<typeof readOwner>;
  try {
    seen = readOwner(path);
  } catch {
    return undefined; // a link, or not readable by this user: cannot tell
  }
  if (seen?.owner === undefined) return undefined;
  return ownerAlive(seen.owner, seen.writtenAtMs) ? seen.owner : undefined;
}

/** Lock paths this process holds (a lock naming our own pid is stale unless it is one of these). */
const heldHere = new Set<string>();

export interface PinLock {
  path: string;
  /** Removes the lock file if this process still owns it. */
  release(): void;
}

/** Removes a stale lock (the exact file whose text is staleText) if this starter wins its takeover. */
function takeOver(path: string, staleText: string, stale: LockOwner | undefined): void {
  // Each lock file has its own nonce; a bare-pid or unreadable lock is named by its text.
  const key = stale !== undefined && stale.nonce !== '' ? stale.nonce : Buffer.from(staleText).toString('hex').slice(0, 64) || 'empty';
  const marker = `${path}.takeover-${key}`;
  let fd: number;
  try {
    fd = openSync(marker, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Another starter is taking this lock over; if it died doing so, its marker is stale too.
    const other = readOwner(marker)?.owner;
    if (other !== undefined && !ownerAlive(other)) removeQuietly(marker);
    return;
  }
  try {
    writeSync(fd, JSON.stringify(self(process.pid)));
  } finally {
    closeSync(fd);
  }
  try {
    // Only the marker's creator removes this very lock: check it is still the stale one.
    const now = readOwner(path);
    if (now !== undefined && now.text === staleText) unlinkSync(path);
  } finally {
    removeQuietly(marker);
  }
}

function self(pid: number): LockOwner {
  return { pid, startTicks: processStartTicks(pid), bootId: currentBootId(), nonce: randomBytes(12).toString('hex') };
}

/** Takes the lock for this process; throws LockError when a live process holds it. */
export function acquireLock(path: string, pid = process.pid): PinLock {
  const me = self(pid);
  const myText = `${JSON.stringify(me)}\n`;
  const tmp = writeExclusiveTemp(path, myText);
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        linkSync(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const seen = readOwner(path);
        if (seen === undefined) continue; // released meanwhile: try again
        const holder = seen.owner;
        const live = holder !== undefined && (holder.pid === pid && holder.startTicks === me.startTicks ? heldHere.has(path) : ownerAlive(holder, seen.writtenAtMs));
        if (live) throw new LockError(path, holder.pid);
        takeOver(path, seen.text, holder);
        continue;
      }
      heldHere.add(path);
      return {
        path,
        release() {
          heldHere.delete(path);
          if (readOwner(path)?.text === myText) removeQuietly(path);
        },
      };
    }
  } finally {
    removeQuietly(tmp);
  }
  throw new LockError(path, readOwner(path)?.owner?.pid ?? 0);
}

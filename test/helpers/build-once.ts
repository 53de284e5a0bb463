// Owns building a test artefact at most once, even when test files run in parallel: a lock
// directory beside the output (a lock older than STALE_LOCK_MS is taken over), the build written
// to a temporary path and renamed into place only when it succeeded. Also the sorted file listing
// the callers hash their inputs with.

import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const STALE_LOCK_MS = 180_000;

/** Every file under `path` (or `path` itself), sorted; [] when nothing is there. */
export function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((e) => listFiles(join(path, e.name)))
    .sort();
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * `out`, after `build()` has written it to `tmp` (then renamed to `out`) unless `out` exists
 * already. One process builds; the others wait for it. `tmp` is removed whatever happens.
 */
export function buildOnce(out: string, tmp: string, build: () => void): string {
  const lock = `${out}.lock`;
  for (;;) {
    if (existsSync(out)) return out;
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      else sleepMs(250);
    }
  }
  try {
    if (existsSync(out)) return out;
    build();
    renameSync(tmp, out);
    return out;
  } finally {
    rmSync(tmp, { force: true });
    rmSync(lock, { recursive: true, force: true });
  }
}

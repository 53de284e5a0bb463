// Owns building a test artefact at most once, even when test files run in parallel: a lock
// directory beside the output (a lock older than STALE_LOCK_MS is taken over), the build written
// to a temporary path and renamed into place only when it succeeded. Also the sorted file listing
// the callers hash their inputs with, and that hashing.

import type { Hash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const STALE_LOCK_MS = 180_000;

/** Every file under `path` (or `path` itself), sorted; [] when nothing is there. */
export function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((e) => listFiles(join(path, e.name)))
    .sort();
}

/**
 * Feeds every file under `paths` (relative to `root`; source maps and build-info files skipped)
 * into `hash`: its path relative to `root`, then its bytes. Returns `hash`.
 */
export function hashFiles(hash: Hash, root: string, paths: readonly string[]): Hash {
  for (const file of paths.flatMap((p) => listFiles(join(root, p)))) {
    if (file.endsWith('.map') || file.endsWith('.tsbuildinfo')) continue;
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash;
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

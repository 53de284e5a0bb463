// Owns removing the temp files a collector killed mid-write leaves behind. The collector writes
// its own files under `<name>.tmp-<16 hex>` and renames them into place (safe-write.ts); a SIGKILL
// between the two leaves the temp file for good. Once a collector holds the pin's lock no other
// collector writes these, so at start it removes them: in `collector/` (checkpoint, map ids,
// address, token: every name but the lock's, whose temp files belong to starters racing for it),
// in `rules/` (a pushed rules file) and the map's at the pin's root.

import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PinLayout } from '@sentinel-wasi/protocol';
import type { PinPaths } from './pin.js';

const TEMP_NAME = /^(.+)\.tmp-[0-9a-f]{16}$/;

/** Removes the leftover temp files (holding the lock); returns their paths. A name that cannot be listed or removed is left. */
export function removeLeftoverTemps(paths: PinPaths): string[] {
  const removed: string[] = [];
  const sweep = (dir: string, owned: (target: string) => boolean): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const m = TEMP_NAME.exec(name);
      if (m === null || !owned(m[1]!)) continue;
      try {
        unlinkSync(join(dir, name));
        removed.push(join(dir, name));
      } catch {
        // gone meanwhile, or not ours to remove: left
      }
    }
  };
  sweep(paths.collectorDir, (target) => target !== 'lock');
  sweep(paths.rulesDir, (target) => target.endsWith('.json'));
  sweep(paths.pinDir, (target) => target === PinLayout.map);
  return removed;
}

// Test helpers for the resource-map writer's tests: a pin directory with its collector/ (removed
// when the test ends), and the verdict a filter reads for a key from the file at <pin>/map now.

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMapHeader, epochTagOf, lookupInWindow, MAP_WINDOW_BYTES, nameHash, windowOffset } from '@sentinel-wasi/protocol/encode';

export function mapPinDir(t: { teardown(fn: () => void): void }, prefix = 'sw-map-'): { pinDir: string; collectorDir: string } {
  const pinDir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(pinDir, { recursive: true, force: true }));
  const collectorDir = join(pinDir, 'collector');
  mkdirSync(collectorDir, { mode: 0o700 });
  return { pinDir, collectorDir };
}

/** lookupInWindow's answer for `key` in <pin>/map at nowMs, with the map's epoch. */
export function readVerdict(pin: string, key: string, nowMs: number) {
  const bytes = readFileSync(join(pin, 'map'));
  const header = decodeMapHeader(bytes)!;
  const h = nameHash(key);
  const off = windowOffset(h, header.slotCount);
  return { epoch: header.epoch, ...lookupInWindow(bytes.subarray(off, off + MAP_WINDOW_BYTES), h, nowMs, { epochTag: epochTagOf(header.epoch) }) };
}

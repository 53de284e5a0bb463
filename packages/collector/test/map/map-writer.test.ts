// The daemon's resource-map writer on real files: a new map (header, epoch, size), verdicts as a
// filter reads them, ids persisted before their slots are written and reused after a restart
// (same epoch, same ids, no id given twice), cleared keys zeroed, collisions and full windows
// counted, a map that does not match its id file recreated with a new epoch.

import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMapHeader, epochTagOf, lookupInWindow, MAP_WINDOW_BYTES, mapFileBytes, mapKeyOf, nameHash, VerdictKind, windowOffset } from '@sentinel-wasi/protocol/encode';
import { MapWriter } from '../../src/map/map-writer.js';

const T0 = 1_764_120_000_000;

function pinDir(t: { teardown(fn: () => void): void }): { pinDir: string; collectorDir: string } {
  const pinDir = mkdtempSync(join(tmpdir(), 'sw-mapw-'));
  t.teardown(() => rmSync(pinDir, { recursive: true, force: true }));
  const collectorDir = join(pinDir, 'collector');
  mkdirSync(collectorDir, { mode: 0o700 });
  return { pinDir, collectorDir };
}

function read(pin: string, key: string, nowMs: number) {
  const bytes = readFileSync(join(pin, 'map'));
  const header = decodeMapHeader(bytes)!;
  const h = nameHash(key);
  const off = windowOffset(h, header.slotCount);
  return lookupInWindow(bytes.subarray(off, off + MAP_WINDOW_BYTES), h, nowMs, { epochTag: epochTagOf(header.epoch) });
}

t.test('creates the map, publishes verdicts a filter reads, persists ids first, reuses them after a restart', async (t) => {
  const dirs = pinDir(t);
  const w = new MapWriter({ ...dirs, slotCount: 64, random: () => 0.5 });
  w.open(T0);
  t.equal(statSync(join(dirs.pinDir, 'map')).size, mapFileBytes(64));
  t.equal(w.epoch, T0 * 1024 + 512);
  w.publish(T0, [
    { key: 'GET /a', verdict: { kind: 'admit', ratio: 0.25 } },
    { key: 'GET /b', verdict: { kind: 'block', untilMs: T0 + 5000 } },
    { key: mapKeyOf('GET /a', 'app-x'), verdict: { kind: 'block' } },
    { key: 'GET /c', verdict: { kind: 'pass' } },
  ]);
  t.same([read(dirs.pinDir, 'GET /a', T0).kind, read(dirs.pinDir, 'GET /a', T0).param], [VerdictKind.ADMIT, 0.25]);
  t.same([read(dirs.pinDir, 'GET /b', T0).kind, read(dirs.pinDir, 'GET /b', T0).param], [VerdictKind.BLOCK, T0 + 5000]);
  t.same([read(dirs.pinDir, mapKeyOf('GET /a', 'app-x'), T0).kind, read(dirs.pinDir, mapKeyOf('GET /a', 'app-x'), T0).param], [VerdictKind.BLOCK, T0], 'a block without a time holds until rewritten');
  t.same([read(dirs.pinDir, 'GET /c', T0).kind, read(dirs.pinDir, 'GET /c', T0).outcome], [VerdictKind.PASS, 'hit']);
  const ids = JSON.parse(readFileSync(join(dirs.collectorDir, 'map-ids.json'), 'utf8')) as { epoch: number; nextId: number; entries: Array<{ name: string; resourceId: number }> };
  t.same([ids.epoch, ids.nextId, ids.entries.length], [w.epoch, 5, 4], 'ids durable');
  const idOfA = read(dirs.pinDir, 'GET /a', T0).resourceId;
  t.equal(w.counters.mapSlotWrites, 4);

  // GET /b loses its verdict: its slot is zeroed, its id never comes back.
  w.publish(T0 + 100, [{ key: 'GET /a', verdict: { kind: 'admit', ratio: 0.5 } }, { key: 'GET /c', verdict: { kind: 'pass' } }, { key: mapKeyOf('GET /a', 'app-x'), verdict: { kind: 'block' } }]);
  t.equal(read(dirs.pinDir, 'GET /b', T0 + 100).outcome, 'miss');
  w.close();

  const again = new MapWriter({ ...dirs, slotCount: 64, random: () => 0.9 });
  again.open(T0 + 1000);
  t.equal(again.reused, true);
  t.equal(again.epoch, w.epoch, 'same epoch');
  again.publish(T0 + 1000, [{ key: 'GET /a', verdict: { kind: 'admit', ratio: 0.75 } }, { key: 'GET /b', verdict: { kind: 'pass' } }]);
  t.equal(read(dirs.pinDir, 'GET /a', T0 + 1000).resourceId, idOfA, 'same id after the restart');
  t.equal(read(dirs.pinDir, 'GET /b', T0 + 1000).resourceId, 5, 'a new name gets the next id, not a freed one');
  t.equal(read(dirs.pinDir, 'GET /c', T0 + 1000).outcome, 'miss', 'keys without a verdict after the restart are cleared');
  again.close();

  // A map that does not match its id file (here: replaced by another size) is recreated.
  writeFileSync(join(dirs.pinDir, 'map'), new Uint8Array(100));
  const fresh = new MapWriter({ ...dirs, slotCount: 64, random: () => 0.1 });
  fresh.open(T0 + 2000);
  t.equal(fresh.reused, false);
  t.not(fresh.epoch, w.epoch, 'a new epoch');
  fresh.close();
});

t.test('collisions and full windows are counted; a name without a slot reads PASS', async (t) => {
  const dirs = pinDir(t);
  const w = new MapWriter({ ...dirs, slotCount: 1 }); // every name has home slot 0: window of 4
  w.open(T0);
  const keys = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
  w.publish(T0, keys.map((key) => ({ key, verdict: { kind: 'admit', ratio: 0.5 } as const })));
  t.same([w.counters.mapCollisions, w.counters.mapWindowFull, w.size], [3, 2, 4]);
  t.equal(read(dirs.pinDir, 'r5', T0).outcome, 'miss');
  w.publish(T0 + 100, keys.map((key) => ({ key, verdict: { kind: 'admit', ratio: 0.5 } as const })));
  t.equal(w.counters.mapWindowFull, 2, 'each homeless key counted once');
  w.close();
});

// The filter's resource map reader against the in-memory host: one positioned read per lookup,
// verdicts as the collector wrote them, and PASS (counted) for a missing map, a bad header, failed
// or short reads, torn and stale slots (idle: a PASS slot left alone); a recreated map is picked up
// after its slots go stale or idle.

import t from 'tap';
import {
  encodeMapHeader,
  encodeSlot,
  epochTagOf,
  MAP_WINDOW_BYTES,
  mapEpochOf,
  mapFileBytes,
  MapSlotTable,
  slotOffset,
  VerdictKind,
  type VerdictKind as Kind,
} from '@sentinel-wasi/protocol/encode';
import { MapReader, toVerdict } from '../src/map-reader.js';
import { MemoryHost, T0 } from './fake-host.js';

/** A map as the collector would write it: each resource's slot with its verdict, refreshed at refreshMs. */
function writeMap(verdicts: Record<string, [Kind, number]>, refreshMs: number, epoch = mapEpochOf(T0, () => 0.25), slotCount = 64): { bytes: Uint8Array; table: MapSlotTable; epoch: number } {
  const table = new MapSlotTable(slotCount);
  const bytes = new Uint8Array(mapFileBytes(slotCount));
  bytes.set(encodeMapHeader({ slotCount, epoch }));
  for (const [name, [kind, param]] of Object.entries(verdicts)) {
    const p = table.place(name)!;
    bytes.set(encodeSlot({ hash: p.hash, resourceId: p.resourceId, kind, param, refreshMs, sequence: 1, epochTag: epochTagOf(epoch) }), slotOffset(p.slot));
  }
  return { bytes, table, epoch };
}

const VERDICTS: Record<string, [Kind, number]> = {
  'GET /orders': [VerdictKind.BLOCK, T0 + 10_000],
  'GET /users': [VerdictKind.ADMIT, 0.25],
  '资源-订单': [VerdictKind.PASS, 0],
};

t.test('lookups: the written verdicts, one positioned read each after one open and one header read', async (t) => {
  const host = new MemoryHost();
  const { bytes } = writeMap(VERDICTS, T0);
  host.files.set('map', bytes);
  const reader = new MapReader(host, { verdictCacheMs: 0 });
  const got = Object.keys(VERDICTS).map((name) => {
    const v = reader.lookup(name);
    return [v.kind, v.param, v.outcome];
  });
  t.same(got, [
    [VerdictKind.BLOCK, T0 + 10_000, 'hit'],
    [VerdictKind.ADMIT, 0.25, 'hit'],
    [VerdictKind.PASS, 0, 'hit'],
  ]);
  t.same(Object.keys(VERDICTS).map((name) => toVerdict(reader.lookup(name))), [{ kind: 'block', untilMs: T0 + 10_000 }, { kind: 'admit', ratio: 0.25 }, { kind: 'pass' }], 'as the SDK\'s Verdict');
  t.same(reader.lookup('GET /nobody').outcome, 'miss');
  t.same(host.opens, ['map']);
  t.equal(host.reads.length, 1 + 7, 'the header once, then one read per lookup');
  t.same(host.reads.slice(1).map(([, , length]) => length), new Array(7).fill(MAP_WINDOW_BYTES));
  t.same(reader.counters, { lookups: 7, hits: 6, noMap: 0, readFailures: 0, misses: 1, stale: 0, idle: 0, tornSlots: 0, opens: 1, cached: 0, snapshots: 0 });
});

t.test('fails open and counts: missing map (retried after reopenAfterMs), bad header, failed reads, torn and stale slots; a fresh BLOCK past its time holds', async (t) => {
  const host = new MemoryHost();
  const reader = new MapReader(host, { reopenAfterMs: 1000, verdictCacheMs: 0 });
  t.equal(reader.lookup('GET /orders').kind, VerdictKind.PASS, 'no map');
  host.clockMs += 500;
  reader.lookup('GET /orders');
  t.same(host.opens.length, 1, 'not reopened within reopenAfterMs');
  t.equal(reader.counters.noMap, 2);

  const { bytes } = writeMap(VERDICTS, T0 + 1000);
  const badHeader = bytes.slice();
  badHeader[8]! ^= 1;
  host.files.set('map', badHeader);
  host.clockMs = T0 + 1000;
  t.equal(reader.lookup('GET /orders').kind, VerdictKind.PASS, 'a damaged header');
  t.equal(reader.counters.noMap, 3);

  host.files.set('map', bytes);
  host.clockMs = T0 + 2000;
  t.equal(reader.lookup('GET /orders').kind, VerdictKind.BLOCK, 'the map appears: picked up on the next open');
  host.failingReads = true;
  t.equal(reader.lookup('GET /orders').kind, VerdictKind.PASS, 'a failed read');
  t.equal(reader.counters.readFailures, 1);
  host.failingReads = false;
  host.clockMs = T0 + 3100;
  t.equal(reader.lookup('GET /orders').kind, VerdictKind.BLOCK, 'reopened after the failure');

  // Tear the slot of GET /users (a positioned write of the collector cut short).
  const { table } = writeMap(VERDICTS, T0 + 1000); // the same placement as `bytes`
  const users = table.place('GET /users')!;
  bytes[slotOffset(users.slot) + 20]! ^= 0xff;
  const torn = reader.lookup('GET /users');
  t.same([torn.kind, torn.outcome, torn.tornSlots], [VerdictKind.PASS, 'miss', 1]);

  host.clockMs = T0 + 1000 + 3001;
  const stale = reader.lookup('GET /orders');
  t.same([stale.kind, stale.outcome], [VerdictKind.PASS, 'stale']);
  t.same(reader.counters, { lookups: 8, hits: 2, noMap: 3, readFailures: 1, misses: 1, stale: 1, idle: 0, tornSlots: 1, opens: 2, cached: 0, snapshots: 0 }, 'a torn slot counts in its own name\'s lookups only');

  const expiring = writeMap({ 'GET /orders': [VerdictKind.BLOCK, T0 + 20_500] }, T0 + 20_000);
  host.files.set('map', expiring.bytes);
  host.clockMs = T0 + 20_500;
  reader.close();
  const held = reader.lookup('GET /orders');
  t.same([held.kind, held.outcome], [VerdictKind.BLOCK, 'hit'], 'the BLOCK time has come, but the slot is fresh: it holds until the collector rewrites it');
});

t.test('a recreated map (a new file, a new epoch) is read once the old one has gone stale', async (t) => {
  const host = new MemoryHost();
  const first = writeMap({ 'GET /orders': [VerdictKind.BLOCK, T0 + 60_000] }, T0, mapEpochOf(T0, () => 0.1));
  host.files.set('map', first.bytes);
  const reader = new MapReader(host);
  t.equal(reader.lookup('GET /orders').kind, VerdictKind.BLOCK);
  // The collector restarts and writes a new map under the same path; the open handle still sees the old file.
  const second = writeMap({ 'GET /orders': [VerdictKind.ADMIT, 0.5] }, T0 + 5000, mapEpochOf(T0 + 5000, () => 0.9));
  host.files.set('map', second.bytes);
  host.clockMs = T0 + 5000;
  t.equal(reader.lookup('GET /orders').outcome, 'stale', 'the old file is stale: PASS, and the reader lets it go');
  const v = reader.lookup('GET /orders');
  t.same([v.kind, v.param, v.outcome], [VerdictKind.ADMIT, 0.5, 'hit'], 'the new map');
  t.equal(reader.counters.opens, 2);
  // A slot of the old epoch copied into the new file is not trusted.
  const mixed = second.bytes.slice();
  const p = second.table.place('GET /orders')!;
  mixed.set(encodeSlot({ hash: p.hash, resourceId: p.resourceId, kind: VerdictKind.BLOCK, param: T0 + 60_000, refreshMs: T0 + 5000, sequence: 9, epochTag: epochTagOf(first.epoch) }), slotOffset(p.slot));
  host.files.set('map', mixed);
  reader.close();
  t.equal(reader.lookup('GET /orders').outcome, 'miss', 'a slot of another epoch reads as no slot');
});

t.test('a host that throws despite its promise still gets PASS', async (t) => {
  const host = new MemoryHost();
  host.throwingOpen = true;
  const reader = new MapReader(host);
  const v = reader.lookup('GET /orders');
  t.same([v.kind, v.outcome], [VerdictKind.PASS, 'miss']);
  t.equal(reader.counters.readFailures, 1);
});

t.test('a PASS slot the collector left alone reads as idle, not stale: counted apart, and a recreated map is still picked up', async (t) => {
  const host = new MemoryHost();
  const first = writeMap({ 'GET /catalog': [VerdictKind.PASS, 0], 'GET /orders': [VerdictKind.BLOCK, T0 + 60_000] }, T0, mapEpochOf(T0, () => 0.1));
  host.files.set('map', first.bytes);
  const reader = new MapReader(host, { verdictCacheMs: 0, reopenAfterMs: 1000 });
  host.clockMs = T0 + 3001;
  const v = reader.lookup('GET /catalog');
  t.same([v.kind, v.outcome, v.resourceId > 0], [VerdictKind.PASS, 'idle', true], 'PASS with its id');
  t.equal(reader.lookup('GET /orders').outcome, 'stale', 'a BLOCK slot not refreshed: stale (fail open)');
  t.same([reader.counters.idle, reader.counters.stale], [1, 1]);
  // The collector recreates the map with a rule for GET /catalog; idle reads let the old file go, at most once per reopenAfterMs.
  const second = writeMap({ 'GET /catalog': [VerdictKind.ADMIT, 0.5] }, T0 + 3500, mapEpochOf(T0 + 3500, () => 0.9));
  host.files.set('map', second.bytes);
  host.clockMs = T0 + 3600;
  t.equal(reader.lookup('GET /catalog').outcome, 'idle', 'within reopenAfterMs of the open: the old file is kept');
  host.clockMs = T0 + 4001;
  t.equal(reader.lookup('GET /catalog').outcome, 'idle', 'reopenAfterMs after the open: idle, and the reader lets the old file go');
  const w = reader.lookup('GET /catalog');
  t.same([w.kind, w.param, w.outcome], [VerdictKind.ADMIT, 0.5, 'hit'], 'the new map');
  t.same([reader.counters.opens, reader.counters.idle, reader.counters.stale, reader.counters.hits], [2, 3, 1, 1]);
});

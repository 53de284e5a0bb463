// The map reader's adaptive snapshot with an injected clock (in-memory host, every read recorded):
// a filter that reads snapshotAfterReads() windows within one verdictCacheMs reads the whole slot
// array once and answers the period's further lookups from it; answers never come from bytes read
// verdictCacheMs ago or longer (a slot rewritten meanwhile is seen after that); torn, stale, short
// and missing maps still fail open; a filter that looks up rarely never reads the whole map; the
// snapshot is bounded by snapshotMaxBytes; the SDK's Verdict object is made once per read.

import t from 'tap';
import { encodeSlot, epochTagOf, mapEpochOf, mapFileBytes, MapSlotTable, MAP_HEADER_BYTES, slotOffset, VerdictKind, type VerdictKind as Kind } from '@sentinel-wasi/protocol/encode';
import { MapReader, SNAPSHOT_AFTER_READS, snapshotAfterReads } from '../src/map-reader.js';
import { Sentinel } from '../src/sentinel.js';
import { MemoryHost, T0, writeMap } from './fake-host.js';

const SLOTS = 256;
const SLOT_ARRAY_BYTES = mapFileBytes(SLOTS) - MAP_HEADER_BYTES;
let epochs = 0;
const nextEpoch = (): number => mapEpochOf(T0, () => 0.5) + ++epochs;

/** Window reads and whole-slot-array reads performed so far. */
const windowReads = (host: MemoryHost): number => host.reads.filter(([p, , len]) => p === 'map' && len === 192).length;
const snapshotReads = (host: MemoryHost): number => host.reads.filter(([p, at, len]) => p === 'map' && at === MAP_HEADER_BYTES && len === SLOT_ARRAY_BYTES).length;

/** `count` names, each with an ADMIT slot (ratio i / 100), plus the map that holds them. */
function namedMap(count: number, refreshMs = T0, slotCount = SLOTS): { names: string[]; verdicts: Record<string, [Kind, number]>; epoch: number; bytes: Uint8Array } {
  const names = Array.from({ length: count }, (_, i) => `svc-${i}`);
  const verdicts: Record<string, [Kind, number]> = {};
  names.forEach((n, i) => (verdicts[n] = [VerdictKind.ADMIT, i / 100]));
  const epoch = nextEpoch();
  return { names, verdicts, epoch, bytes: writeMap(verdicts, refreshMs, epoch, slotCount) };
}

/** Rewrites one name's slot in place (a positioned write of the collector), with a new verdict. */
function rewrite(bytes: Uint8Array, name: string, epoch: number, kind: Kind, param: number, refreshMs: number, names: string[]): void {
  const table = new MapSlotTable(SLOTS);
  for (const n of names) table.place(n); // the same placement the map was written with
  const p = table.get(name)!;
  bytes.set(encodeSlot({ hash: p.hash, resourceId: p.resourceId, kind, param, refreshMs, sequence: 2, epochTag: epochTagOf(epoch) }), slotOffset(p.slot));
}

t.test('the adaptive switch: SNAPSHOT_AFTER_READS window reads in one period, then one snapshot answers the rest of it', async (t) => {
  const host = new MemoryHost();
  const m = namedMap(40);
  host.files.set('map', m.bytes);
  const reader = new MapReader(host, { verdictCacheMs: 20 });
  t.equal(SNAPSHOT_AFTER_READS, 16);
  for (let i = 0; i < 16; i++) reader.lookup(m.names[i]!);
  t.equal(windowReads(host), 16);
  t.equal(snapshotReads(host), 0, 'not before the threshold');
  host.clockMs = T0 + 5;
  t.same([reader.lookup(m.names[16]!).param, reader.lookup(m.names[16]!).param], [0.16, 0.16]);
  t.equal(snapshotReads(host), 1, 'the 17th read in the period reads the whole slot array');
  t.equal(reader.snapshotBytes, SLOT_ARRAY_BYTES);
  host.clockMs = T0 + 19;
  const answers = m.names.slice(17).map((n) => reader.lookup(n).param);
  t.same(answers, m.names.slice(17).map((_, i) => (i + 17) / 100), 'every other name answered from the snapshot, each its own verdict');
  t.same([windowReads(host), snapshotReads(host)], [16, 1], 'no further read');
  t.equal(reader.lookup('nobody').outcome, 'miss', 'a name without a slot: a clean miss from the snapshot');
  t.same(reader.counters, { lookups: 42, hits: 41, noMap: 0, readFailures: 0, misses: 1, stale: 0, idle: 0, tornSlots: 0, opens: 1, cached: 1, snapshots: 1 });
});

t.test('a larger map takes more window reads before it is read whole (one more per 16 KiB of slots)', async (t) => {
  const host = new MemoryHost();
  const slotCount = 16_384;
  const slotBytes = mapFileBytes(slotCount) - MAP_HEADER_BYTES;
  const m = namedMap(60, T0, slotCount);
  host.files.set('map', m.bytes);
  t.same([snapshotAfterReads(SLOT_ARRAY_BYTES), snapshotAfterReads(slotBytes), snapshotAfterReads(1 << 20)], [16, 49, 64]);
  const reader = new MapReader(host, { verdictCacheMs: 20 });
  for (let i = 0; i < 49; i++) reader.lookup(m.names[i]!);
  t.same([windowReads(host), reader.counters.snapshots], [49, 0]);
  t.equal(reader.lookup(m.names[49]!).param, 0.49);
  t.same([windowReads(host), reader.counters.snapshots, reader.snapshotBytes], [49, 1, slotBytes], 'the 50th read in the period is the snapshot');
  const big = new MemoryHost();
  big.files.set('map', namedMap(10, T0, 22_000).bytes);
  const capped = new MapReader(big, { verdictCacheMs: 20 });
  for (let i = 0; i < 200; i++) capped.lookup(`other-${i}`);
  t.same([capped.counters.snapshots, capped.snapshotBytes], [0, 0], 'a map of more than 1 MiB of slots (22 000 slots) is never read whole by default');
});

t.test('expiry at exactly verdictCacheMs after the snapshot: a slot rewritten meanwhile is seen after it, not before', async (t) => {
  const host = new MemoryHost();
  const m = namedMap(40);
  host.files.set('map', m.bytes);
  const reader = new MapReader(host, { verdictCacheMs: 20 });
  for (let i = 0; i < 17; i++) reader.lookup(m.names[i]!); // 16 window reads, then the snapshot at T0
  t.equal(snapshotReads(host), 1);
  rewrite(m.bytes, 'svc-30', m.epoch, VerdictKind.BLOCK, T0 + 60_000, T0 + 1, m.names);
  host.clockMs = T0 + 19;
  const v19 = reader.lookup('svc-30');
  t.same([v19.kind, v19.param], [VerdictKind.ADMIT, 0.3], 'first looked up at T0+19: the snapshot read at T0 (its bytes from before the write)');
  host.clockMs = T0 + 20;
  const v20 = reader.lookup('svc-30');
  t.same([v20.kind, v20.param], [VerdictKind.BLOCK, T0 + 60_000], 'at T0+20 the verdict kept at T0+19 is not answered (bytes read 20 ms ago): read again, the rewrite seen');
  t.equal(reader.counters.cached, 0, 'nothing answered from the kept verdict past the snapshot period');
  t.equal(windowReads(host) + snapshotReads(host), 16 + 1 + 1, 'one more read at T0+20');
});

t.test('a snapshot that keeps answering is refreshed; a burst that ends falls back to window reads', async (t) => {
  const host = new MemoryHost();
  const m = namedMap(40);
  host.files.set('map', m.bytes);
  const reader = new MapReader(host, { verdictCacheMs: 20 });
  // Period 1 (T0): 17 names, 16 window reads then the snapshot; 23 more from it (24 answers).
  m.names.forEach((n) => reader.lookup(n));
  t.same([windowReads(host), snapshotReads(host)], [16, 1]);
  // Period 2 (T0+20): the snapshot answered ≥ 16: the first lookup refreshes it right away.
  host.clockMs = T0 + 20;
  m.names.forEach((n) => reader.lookup(n));
  t.same([windowReads(host), snapshotReads(host)], [16, 2], 'refreshed once, every name answered from it');
  // Period 3 (T0+40): only 3 names: answered from the refreshed snapshot (3 answers, under the threshold).
  host.clockMs = T0 + 40;
  m.names.slice(0, 3).forEach((n) => reader.lookup(n));
  t.same([windowReads(host), snapshotReads(host)], [16, 3]);
  // Period 4 (T0+60): the last snapshot answered 3: window reads again.
  host.clockMs = T0 + 60;
  m.names.slice(0, 3).forEach((n) => reader.lookup(n));
  t.same([windowReads(host), snapshotReads(host)], [19, 3], 'back to one window per name');
  // A burst's snapshot that expired long ago does not make a later lone lookup read the whole map.
  host.clockMs = T0 + 80;
  m.names.forEach((n) => reader.lookup(n));
  t.same([windowReads(host), snapshotReads(host)], [35, 4]);
  host.clockMs = T0 + 5_000;
  reader.lookup('svc-1');
  t.same([windowReads(host), snapshotReads(host)], [36, 4], 'one window read');
});

t.test('a filter that looks up rarely never reads the whole map', async (t) => {
  const host = new MemoryHost();
  const m = namedMap(40);
  host.files.set('map', m.bytes);
  const reader = new MapReader(host, { verdictCacheMs: 20 });
  // 15 names every period (just under the threshold), for 50 periods; then one name every 2 ms (10 a period).
  for (let p = 0; p < 50; p++) {
    host.clockMs = T0 + 20 * p;
    m.names.slice(0, 15).forEach((n) => reader.lookup(n));
  }
  for (let i = 0; i < 400; i++) {
    host.clockMs = T0 + 1000 + 2 * i;
    reader.lookup(m.names[i % 40]!);
  }
  t.equal(snapshotReads(host), 0);
  t.equal(reader.counters.snapshots, 0);
  t.equal(windowReads(host), 50 * 15 + 400);
});

t.test('bounded: a slot array larger than snapshotMaxBytes is never read whole', async (t) => {
  const host = new MemoryHost();
  const m = namedMap(40);
  host.files.set('map', m.bytes);
  const reader = new MapReader(host, { verdictCacheMs: 20, snapshotMaxBytes: SLOT_ARRAY_BYTES - 1 });
  m.names.forEach((n) => reader.lookup(n));
  t.same([windowReads(host), snapshotReads(host), reader.snapshotBytes], [40, 0, 0]);
  const fits = new MapReader(host, { verdictCacheMs: 20, snapshotMaxBytes: SLOT_ARRAY_BYTES });
  m.names.forEach((n) => fits.lookup(n));
  t.same([snapshotReads(host), fits.snapshotBytes], [1, SLOT_ARRAY_BYTES], 'exactly at the bound: read');
  const none = new MapReader(host, { verdictCacheMs: 0 });
  m.names.forEach((n) => none.lookup(n));
  t.equal(snapshotReads(host), 1, 'verdictCacheMs 0: every lookup reads its window');
  fits.close();
  t.equal(fits.snapshotBytes, 0, 'closing lets the snapshot go');
});

t.test('from a snapshot, torn, stale and missing slots still fail open; a torn slot is not kept', async (t) => {
  const host = new MemoryHost();
  const m = namedMap(40);
  host.files.set('map', m.bytes);
  const reader = new MapReader(host, { verdictCacheMs: 20, staleAfterMs: 3000, reopenAfterMs: 60_000 });
  // svc-20 torn (a flipped byte), svc-21 refreshed long ago.
  const table = new MapSlotTable(SLOTS);
  m.names.forEach((n) => table.place(n));
  m.bytes[slotOffset(table.get('svc-20')!.slot) + 30] ^= 0xff;
  rewrite(m.bytes, 'svc-21', m.epoch, VerdictKind.BLOCK, T0 + 60_000, T0 - 10_000, m.names);
  m.names.slice(0, 17).forEach((n) => reader.lookup(n));
  t.equal(snapshotReads(host), 1);
  const torn = reader.lookup('svc-20');
  t.same([torn.kind, torn.outcome, torn.tornSlots], [VerdictKind.PASS, 'miss', 1]);
  reader.lookup('svc-20');
  t.equal(reader.counters.tornSlots, 2, 'not kept: decoded (and counted) again');
  const stale = reader.lookup('svc-21');
  t.same([stale.kind, stale.outcome], [VerdictKind.PASS, 'stale']);
  t.equal(reader.lookup('ghost').outcome, 'miss');
  t.equal(reader.counters.cached, 0);
  t.equal(snapshotReads(host) + windowReads(host), 1 + 16, 'all from the snapshot');
});

t.test('a host that caps one read: the snapshot is read in as many reads as it takes', async (t) => {
  const host = new MemoryHost();
  const m = namedMap(40);
  host.files.set('map', m.bytes);
  host.maxReadBytes = 5000;
  const reader = new MapReader(host, { verdictCacheMs: 20 });
  const params = m.names.map((n) => reader.lookup(n).param);
  t.same(params, m.names.map((_, i) => i / 100), 'every verdict right');
  const chunks = host.reads.filter(([p, at, len]) => p === 'map' && len !== 192 && at !== 0);
  t.same(chunks.map(([, at, len]) => [at, len]), [
    [MAP_HEADER_BYTES, SLOT_ARRAY_BYTES],
    [MAP_HEADER_BYTES + 5000, SLOT_ARRAY_BYTES - 5000],
    [MAP_HEADER_BYTES + 10_000, SLOT_ARRAY_BYTES - 10_000],
  ], 'three reads for a 12 432-byte slot array');
  t.same([reader.counters.snapshots, reader.counters.readFailures, reader.counters.hits], [1, 0, 40]);
});

t.test('a snapshot read that fails or finds the map short: counted, and windows are read instead', async (t) => {
  const host = new MemoryHost();
  const m = namedMap(40);
  // The header says 256 slots, the file holds fewer bytes (a truncated map).
  host.files.set('map', m.bytes.slice(0, m.bytes.length - 48));
  const reader = new MapReader(host, { verdictCacheMs: 20, reopenAfterMs: 1000 });
  const outcomes = m.names.map((n) => reader.lookup(n).outcome);
  t.same(outcomes, m.names.map(() => 'hit'), 'every name answered from its window');
  t.same([reader.counters.readFailures, reader.counters.snapshots, reader.snapshotBytes, windowReads(host)], [1, 0, 0, 40], 'one failed snapshot read, not tried again on this file');
  host.clockMs = T0 + 20;
  m.names.forEach((n) => reader.lookup(n));
  t.same([reader.counters.readFailures, windowReads(host)], [1, 80]);
  // Reads that fail: PASS, and the file is let go.
  host.failingReads = true;
  host.clockMs = T0 + 40;
  const failed = reader.lookup('svc-1');
  t.same([failed.kind, failed.resourceId], [VerdictKind.PASS, 0]);
  t.equal(reader.counters.readFailures, 2);
  t.equal(reader.lookup('svc-2').kind, VerdictKind.PASS);
  t.equal(reader.counters.noMap, 1, 'let go: not reopened before reopenAfterMs');
  // Reopened, the snapshot is tried again.
  host.failingReads = false;
  host.files.set('map', m.bytes);
  host.clockMs = T0 + 1040;
  m.names.forEach((n) => reader.lookup(n));
  t.same([reader.counters.opens, reader.counters.snapshots], [2, 1]);
});

t.test('through the SDK: one Verdict object per read, the same object answered from the cache and the snapshot', async (t) => {
  const host = new MemoryHost();
  const m = namedMap(40);
  host.files.set('map', m.bytes);
  const s = new Sentinel(host, { verdictCacheMs: 20 });
  const a = s.verdict('svc-25');
  const b = s.verdict('svc-25');
  t.same(a, { kind: 'admit', ratio: 0.25 });
  t.equal(a, b, 'the cached answer is the same object (no allocation per lookup)');
  t.ok(Object.isFrozen(a), 'frozen: a caller cannot change what later lookups answer');
  m.names.forEach((n) => s.verdict(n));
  t.equal(s.stats().map!.snapshots, 1);
  const c = s.verdict('svc-30');
  t.equal(c, s.verdict('svc-30'));
  t.same(c, { kind: 'admit', ratio: 0.3 });
  t.equal(s.verdict('ghost').kind, 'pass');
});

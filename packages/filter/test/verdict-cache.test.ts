// The map reader's verdict cache with an injected clock (in-memory host, host reads counted): a
// name's verdict (a hit, no slot, a stale slot) is answered from memory for verdictCacheMs after
// its read, a hit never past its slot's staleness bound, all dropped when the map is opened again;
// failures, torn slots and an ADMIT of ratio 0 are not kept;
// verdictCacheMs 0 reads every time; through the SDK a cached PASS, BLOCK and ADMIT each decide entries.

import t from 'tap';
import { bucketSecOf, mapEpochOf, MapSlotTable, RecordKind, segmentName, slotOffset, VerdictKind, type VerdictKind as Kind } from '@sentinel-wasi/protocol/encode';
import { DEFAULT_VERDICT_CACHE_MS, MapReader } from '../src/map-reader.js';
import { Sentinel } from '../src/sentinel.js';
import { decodeSegment, MemoryHost, T0, writeMap } from './fake-host.js';

let epochs = 0;
function mapOf(verdicts: Record<string, [Kind, number]>, refreshMs: number): Uint8Array {
  return writeMap(verdicts, refreshMs, mapEpochOf(T0, () => 0.5) + ++epochs);
}
/** Positioned window reads (not header reads) performed so far. */
const windowReads = (host: MemoryHost): number => host.reads.filter(([p, , len]) => p === 'map' && len === 192).length;

const VERDICTS: Record<string, [Kind, number]> = {
  open: [VerdictKind.PASS, 0],
  closed: [VerdictKind.BLOCK, T0 + 60_000],
  half: [VerdictKind.ADMIT, 0.5],
};

t.test('answered from memory within verdictCacheMs (no read), read again after it; hits and misses kept', async (t) => {
  const host = new MemoryHost();
  const epoch = mapEpochOf(T0, () => 0.5) + ++epochs;
  host.files.set('map', writeMap(VERDICTS, T0, epoch));
  const reader = new MapReader(host, { verdictCacheMs: 20 });
  const names = ['open', 'closed', 'half', 'nobody'];
  const first = names.map((n) => reader.lookup(n));
  t.equal(windowReads(host), 4, 'one read per name the first time');
  host.clockMs = T0 + 19;
  const again = names.map((n) => reader.lookup(n));
  t.equal(windowReads(host), 4, 'within the period: no read');
  t.same(again, first, 'the same verdicts (PASS, BLOCK with its untilMs, ADMIT with its ratio, no slot)');
  t.same(again.map((v) => [v.kind, v.param, v.outcome]), [
    [VerdictKind.PASS, 0, 'hit'],
    [VerdictKind.BLOCK, T0 + 60_000, 'hit'],
    [VerdictKind.ADMIT, 0.5, 'hit'],
    [VerdictKind.PASS, 0, 'miss'],
  ]);
  t.same(reader.counters, { lookups: 8, hits: 6, noMap: 0, readFailures: 0, misses: 2, stale: 0, idle: 0, tornSlots: 0, opens: 1, cached: 4, snapshots: 0 });
  host.clockMs = T0 + 20;
  names.forEach((n) => reader.lookup(n));
  t.equal(windowReads(host), 8, 'at verdictCacheMs after the read: read again');
  // The collector rewrites a verdict: seen at the next read, not before.
  host.files.get('map')!.set(writeMap({ ...VERDICTS, half: [VerdictKind.ADMIT, 0.1] }, T0 + 30, epoch));
  host.clockMs = T0 + 39;
  t.equal(reader.lookup('half').param, 0.5, 'the kept verdict until its period ends');
  host.clockMs = T0 + 40;
  t.equal(reader.lookup('half').param, 0.1, 'then the rewritten one');
  t.equal(DEFAULT_VERDICT_CACHE_MS, 20);
});

t.test('an ADMIT of ratio 0 (a concurrency rule at its count) is read again at every lookup: the slot opened again is seen at once', async (t) => {
  const host = new MemoryHost();
  const epoch = mapEpochOf(T0, () => 0.5) + ++epochs;
  host.files.set('map', writeMap({ ...VERDICTS, full: [VerdictKind.ADMIT, 0] }, T0, epoch));
  const reader = new MapReader(host, { verdictCacheMs: 20 });
  t.equal(reader.lookup('full').param, 0);
  host.clockMs = T0 + 1;
  t.equal(reader.lookup('full').param, 0);
  t.equal(windowReads(host), 2, 'read each time');
  host.files.get('map')!.set(writeMap({ ...VERDICTS, full: [VerdictKind.PASS, 0] }, T0 + 2, epoch));
  host.clockMs = T0 + 3;
  t.equal(reader.lookup('full').kind, VerdictKind.PASS, 'the exit\'s reopening seen by the next lookup, not 20 ms later');
  host.clockMs = T0 + 4;
  reader.lookup('full');
  t.equal(windowReads(host), 3, 'and that PASS kept as usual');
  t.equal(reader.counters.cached, 1);
});

t.test('never past the slot staleness bound', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf(VERDICTS, T0));
  const reader = new MapReader(host, { verdictCacheMs: 20, staleAfterMs: 3000 });
  host.clockMs = T0 + 2990;
  t.equal(reader.lookup('closed').outcome, 'hit');
  host.clockMs = T0 + 2999;
  t.equal(reader.lookup('closed').kind, VerdictKind.BLOCK);
  t.equal(windowReads(host), 1, 'kept: the slot is still fresh');
  host.clockMs = T0 + 3000;
  t.equal(reader.lookup('closed').outcome, 'hit', 'at the bound the slot is read again (still fresh exactly at the bound)');
  t.equal(windowReads(host), 2);
  host.clockMs = T0 + 3001;
  const v = reader.lookup('closed');
  t.same([v.kind, v.outcome], [VerdictKind.PASS, 'stale'], 'past the bound: read, stale, fail open (not the kept BLOCK)');
  t.equal(windowReads(host), 3);
  t.equal(reader.counters.cached, 1);
});

t.test('a stale slot (PASS) is kept too, unless the reader let the file go to reopen it', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf(VERDICTS, T0));
  const reader = new MapReader(host, { verdictCacheMs: 20, staleAfterMs: 3000, reopenAfterMs: 5000 });
  host.clockMs = T0 + 3001;
  t.same([reader.lookup('closed').outcome, reader.lookup('closed').outcome], ['stale', 'stale']);
  t.equal(windowReads(host), 1, 'the second from memory: the map was opened less than reopenAfterMs ago');
  t.same([reader.counters.cached, reader.counters.stale], [1, 2]);
  host.clockMs = T0 + 8001;
  t.equal(reader.lookup('closed').outcome, 'stale');
  t.equal(reader.lookup('closed').outcome, 'stale');
  t.equal(windowReads(host), 3, 'reopenAfterMs after the open, a stale read lets the file go: not kept, the next lookup reopens');
  t.same(host.opens, ['map', 'map']);
});

t.test('a clock stepping back reads again', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf(VERDICTS, T0));
  host.clockMs = T0 + 100;
  const reader = new MapReader(host, { verdictCacheMs: 20 });
  reader.lookup('half');
  host.clockMs = T0 + 95;
  reader.lookup('half');
  t.equal(windowReads(host), 2);
  t.equal(reader.counters.cached, 0);
});

t.test('reopening the map (close, or a new file after the old went stale) drops every kept verdict', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf(VERDICTS, T0));
  const reader = new MapReader(host, { verdictCacheMs: 1000 });
  reader.lookup('closed');
  reader.close();
  host.files.set('map', mapOf({ closed: [VerdictKind.ADMIT, 0.25] }, T0));
  host.clockMs = T0 + 1;
  const v = reader.lookup('closed');
  t.same([v.kind, v.param], [VerdictKind.ADMIT, 0.25], 'the new map, not the kept BLOCK');
  t.equal(windowReads(host), 2);
  t.same(host.opens, ['map', 'map']);

  // The reader drops a map whose slots go stale and opens the new file: a new epoch, nothing kept.
  reader.close();
  host.clockMs = T0 + 10;
  t.equal(reader.lookup('closed').param, 0.25);
  const readsBefore = windowReads(host);
  host.files.set('map', mapOf({ closed: [VerdictKind.BLOCK, T0 + 9000] }, T0 + 4000));
  host.clockMs = T0 + 4000;
  t.equal(reader.lookup('closed').outcome, 'stale', 'the old file, stale: dropped');
  t.equal(reader.lookup('closed').kind, VerdictKind.BLOCK, 'the new file');
  t.equal(windowReads(host), readsBefore + 2);
});

t.test('failures, no map and torn slots are never kept', async (t) => {
  const host = new MemoryHost();
  const reader = new MapReader(host, { verdictCacheMs: 1000, reopenAfterMs: 100 });
  t.equal(reader.lookup('closed').outcome, 'miss', 'no map');
  host.files.set('map', mapOf(VERDICTS, T0));
  host.clockMs = T0 + 100;
  t.equal(reader.lookup('closed').kind, VerdictKind.BLOCK, 'the map that appeared, not a kept PASS');
  reader.close();
  host.failingReads = true;
  host.clockMs = T0 + 200;
  t.equal(reader.lookup('half').kind, VerdictKind.PASS, 'a failed read (the header): PASS');
  host.failingReads = false;
  host.clockMs = T0 + 300;
  t.equal(reader.lookup('half').kind, VerdictKind.ADMIT, 'read again once the map opens');
  // A torn slot of the name (its parameter damaged, as a write caught halfway): PASS, read again next time.
  const bytes = mapOf(VERDICTS, T0);
  const table = new MapSlotTable(64);
  for (const name of Object.keys(VERDICTS)) table.place(name);
  bytes[slotOffset(table.place('half')!.slot) + 24] ^= 0xff;
  host.files.set('map', bytes);
  reader.close();
  host.clockMs = T0 + 400;
  const before = windowReads(host);
  const torn = reader.lookup('half');
  t.same([torn.kind, torn.outcome, torn.tornSlots], [VerdictKind.PASS, 'miss', 1]);
  reader.lookup('half');
  t.equal(windowReads(host), before + 2, 'a torn slot is read again');
  t.equal(reader.counters.cached, 0);
});

t.test('verdictCacheMs 0 reads the map at every lookup', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf(VERDICTS, T0));
  const reader = new MapReader(host, { verdictCacheMs: 0 });
  for (let i = 0; i < 5; i++) reader.lookup('half');
  t.equal(windowReads(host), 5);
  t.equal(reader.counters.cached, 0);
});

t.test('the cache is bounded: full, it starts over', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf(VERDICTS, T0));
  // (No snapshot: every verdict from its window read, so that reads count what the cache kept.)
  const reader = new MapReader(host, { verdictCacheMs: 1000, snapshotMaxBytes: 0 });
  for (let i = 0; i < 4096; i++) reader.lookup(`n${i}`);
  reader.lookup('n0');
  t.equal(reader.counters.cached, 1, '4096 names kept');
  reader.lookup('one-more');
  reader.lookup('n1');
  t.equal(reader.counters.cached, 1, 'the 4097th cleared the cache');
  t.equal(windowReads(host), 4096 + 2);
});

t.test('through the SDK: a kept PASS, BLOCK and ADMIT each decide entries without a read; verdictCacheMs is checked', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf(VERDICTS, T0));
  const s = new Sentinel(host, { random: () => 0.75, verdictCacheMs: 50 });
  const round = (): boolean[] => [s.entry('open'), s.entry('closed'), s.entry('half'), s.entry('half')].map((e) => {
    e.exit();
    return e.blocked;
  });
  t.same(round(), [false, true, false, true], 'PASS admits, BLOCK rejects, ADMIT 0.5 admits one of two');
  t.equal(windowReads(host), 3);
  host.clockMs = T0 + 49;
  t.same(round(), [false, true, false, true], 'the same decisions from the kept verdicts');
  t.equal(windowReads(host), 3, 'no read');
  t.equal(s.stats().map!.cached, 5);
  t.equal(s.stats().entriesBlocked, 4);
  const d = decodeSegment(host.bytesOf(segmentName(bucketSecOf(T0), 'shared')));
  t.same(d.versions.filter((v) => v !== 3), [], 'entries decided from kept verdicts still name their resource by its slot id');
  t.same(d.events.map((e) => `${e.kind === RecordKind.PASS ? 'PASS' : e.kind === RecordKind.BLOCK ? 'BLOCK' : 'EXIT'} ${e.name}`), [
    'PASS open', 'BLOCK closed', 'PASS half', 'BLOCK half', 'EXIT open', 'EXIT half',
    'PASS open', 'BLOCK closed', 'PASS half', 'BLOCK half', 'EXIT open', 'EXIT half',
  ]);
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '20' as unknown as number]) {
    t.throws(() => new Sentinel(host, { verdictCacheMs: bad }), { code: 'E_BAD_OPTION' }, String(bad));
  }
});

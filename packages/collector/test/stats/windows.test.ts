// Window semantics against hand-computed Sentinel values (explicit times, no clock).
import t from 'tap';
import { RecordKind, emptyFlowRecord, type FlowRecord } from '@sentinel-wasi/protocol';
import { LeapWindow, STATISTIC_MAX_RT_MS } from '../../src/stats/leap-window.js';
import { NodeStats } from '../../src/stats/node-stats.js';
import { StatsStore, TOTAL_RESOURCE } from '../../src/stats/store.js';

const { PASS, BLOCK, EXIT, CALL, WRITER } = RecordKind;

t.test('LeapWindow rejects a shape whose interval is not a multiple of the sample count', async (t) => {
  t.throws(() => new LeapWindow(3, 1000), { code: 'E_WINDOW_SHAPE' });
  t.throws(() => new LeapWindow(0, 1000), { code: 'E_WINDOW_SHAPE' });
  const w = new LeapWindow(2, 1000);
  t.equal(w.bucketMs, 500);
});

t.test('second window (2 x 500 ms) and minute window (60 x 1 s) of one node', async (t) => {
  const n = new NodeStats('r', '');
  n.record(PASS, 1000, 2, 0, false);
  n.record(PASS, 1400, 1, 0, false);
  n.record(BLOCK, 1600, 1, 0, false);
  n.record(EXIT, 1700, 1, 30, true);
  n.record(EXIT, 1800, 2, 10, false);
  n.record(CALL, 1900, 1, 20, false);

  // At 1900 both buckets (starts 1000 and 1500) are in the window.
  let s = n.snapshotAt(1900);
  t.same(s.second, { passQps: 4, blockQps: 1, successQps: 4, exceptionQps: 1, totalQps: 5, occupiedPassQps: 0, avgRtMs: 15, minRtMs: 10 });
  t.equal(s.concurrency, 0, 'PASS +3, EXIT -3, CALL leaves it');

  // At 2000 the slot of bucket 1000 is the current one again: Sentinel recycles it, so it no longer counts.
  s = n.snapshotAt(2000);
  t.same(s.second, { passQps: 1, blockQps: 1, successQps: 4, exceptionQps: 1, totalQps: 2, occupiedPassQps: 0, avgRtMs: 15, minRtMs: 10 });
  s = n.snapshotAt(2499);
  t.equal(s.second.passQps, 1);
  s = n.snapshotAt(2500);
  t.same(s.second, { passQps: 0, blockQps: 0, successQps: 0, exceptionQps: 0, totalQps: 0, occupiedPassQps: 0, avgRtMs: 0, minRtMs: STATISTIC_MAX_RT_MS }, 'empty window: avgRt 0, minRt = statisticMaxRt');

  // The minute window still holds second 1 until it is a full minute old.
  s = n.snapshotAt(60_999);
  t.same(s.minute, { pass: 4, block: 1, success: 4, exception: 1, totalRequest: 5, rtSumMs: 60, occupiedPass: 0 });
  s = n.snapshotAt(61_000);
  t.same(s.minute, { pass: 0, block: 0, success: 0, exception: 0, totalRequest: 0, rtSumMs: 0, occupiedPass: 0 });
});

t.test('records are placed by their own time; a slot already holding newer time cannot place older records', async (t) => {
  const n = new NodeStats('r', '');
  n.record(PASS, 61_000, 1, 0, false);
  n.record(PASS, 1_200, 5, 0, false); // minute slot 1 holds 61 000: too old for the minute window
  n.record(PASS, 60_700, 7, 0, false); // second slot 1 (60 500) and minute slot 0 (60 000)
  const s = n.snapshotAt(61_100);
  t.equal(s.minute.pass, 8, 'the record from second 1 is not in the minute window');
  t.equal(s.second.passQps, 8, 'buckets 60 500 and 61 000');
  t.equal(s.concurrency, 13, 'concurrency is a running count, placed or not');
  // A later lap resets the slot: second 121 reuses slot 1.
  n.record(BLOCK, 121_000, 2, 0, false);
  t.same(n.snapshotAt(121_000).minute, { pass: 0, block: 2, success: 0, exception: 0, totalRequest: 2, rtSumMs: 0, occupiedPass: 0 });
});

t.test('minRt floors at 1 and ignores RT above statisticMaxRt', async (t) => {
  const n = new NodeStats('r', '');
  n.record(CALL, 1000, 1, 0, false);
  t.equal(n.snapshotAt(1000).second.minRtMs, 1);
  const m = new NodeStats('r', '');
  m.record(CALL, 1000, 1, 9000, false); // exit half at 10 000
  t.equal(m.snapshotAt(10_000).second.minRtMs, STATISTIC_MAX_RT_MS);
  t.equal(m.snapshotAt(10_000).second.avgRtMs, 9000, 'RT is recorded raw (Sentinel >= 1.8.0)');
});

function rec(kind: number, tsMs: number, name: string, extra: Partial<FlowRecord> = {}): FlowRecord {
  return Object.assign(emptyFlowRecord(), { kind, tsMs, name, count: 1 }, extra);
}

t.test('store: per-resource, per-origin and total nodes; the resource cap counts overflow', async (t) => {
  const store = new StatsStore({ maxResources: 2 });
  const now = 9_900; // second window: buckets 9 000 and 9 500
  store.add(rec(PASS, 9_100, 'a', { origin: 'app1', count: 3 }), now);
  store.add(rec(PASS, 9_200, 'a', { origin: 'app2' }), now);
  store.add(rec(EXIT, 9_300, 'a', { origin: 'app1', rtMs: 40, error: true, count: 2 }), now);
  store.add(rec(BLOCK, 9_400, 'b'), now);
  store.add(rec(CALL, 9_500, 'c', { rtMs: 8 }), now); // beyond the cap of 2 resources
  store.add(rec(WRITER, 9_600, 'w1', { droppedRecords: 7, droppedFrames: 2 }), now);

  const a = store.resourceAt('a', now)!;
  t.same(a.node.second, { passQps: 4, blockQps: 0, successQps: 2, exceptionQps: 2, totalQps: 4, occupiedPassQps: 0, avgRtMs: 20, minRtMs: 40 });
  t.equal(a.node.concurrency, 2);
  t.same(a.origins.map((o) => [o.origin, o.second.passQps, o.second.successQps, o.concurrency]), [['app1', 3, 2, 1], ['app2', 1, 0, 1]]);
  t.same(store.resourcesAt(now).map((n) => n.resource), ['a', 'b'], 'the total node is not a resource');
  t.equal(store.resourceAt('c', now), undefined);
  const total = store.resourceAt(TOTAL_RESOURCE, now)!.node;
  t.same([total.second.passQps, total.second.blockQps, total.second.successQps], [5, 1, 3], 'overflowed resource counted in the total');
  const c = store.counters;
  t.same([c.recordsCounted, c.resourcesOverflow, c.writerDroppedRecords, c.writerDroppedFrames], [6, 1, 7, 2]);
});

t.test('store: sealing writes one line per active resource; late records become extra lines or are dropped', async (t) => {
  const store = new StatsStore({ lateLimitSec: 60 });
  const now = 200_000;
  store.add(rec(CALL, 100_100, 'a', { rtMs: 10 }), now);
  store.add(rec(CALL, 100_900, 'a', { rtMs: 21, error: true }), now);
  store.add(rec(PASS, 101_000, 'b', { count: 4 }), now);
  const sealed = store.sealThrough(100);
  t.same(sealed.map((s) => [s.sec, s.late, s.lines.map((l) => [l.resource, l.pass, l.success, l.exception, l.rtMs])]), [
    [100, false, [[TOTAL_RESOURCE, 2, 2, 1, 15], ['a', 2, 2, 1, 15]]],
  ]);
  t.same(store.pendingSeconds(), [101]);
  store.add(rec(BLOCK, 100_500, 'a'), now); // second 100 is sealed: late, extra line
  store.add(rec(BLOCK, 39_999, 'a'), now); // second 39 < 100 - 60: dropped
  store.add(rec(BLOCK, 40_000, 'a'), now); // second 40 = 100 - 60: still placed
  t.same([store.counters.recordsLate, store.counters.recordsLateDropped, store.counters.recordsCounted], [3, 1, 5]);
  const next = store.sealThrough(101);
  t.same(next.map((s) => [s.sec, s.late, s.lines.map((l) => [l.resource, l.pass, l.block])]), [
    [40, true, [[TOTAL_RESOURCE, 0, 1], ['a', 0, 1]]],
    [100, true, [[TOTAL_RESOURCE, 0, 1], ['a', 0, 1]]],
    [101, false, [[TOTAL_RESOURCE, 4, 0], ['b', 4, 0]]],
  ]);
  t.equal(store.lastSealedSec, 101);
});

t.test('store: records too far in the future are dropped and counted', async (t) => {
  const store = new StatsStore({ maxFutureMs: 1000 });
  store.add(rec(PASS, 11_001, 'a'), 10_000);
  store.add(rec(PASS, 11_000, 'a'), 10_000);
  t.same([store.counters.recordsFuture, store.counters.recordsCounted], [1, 1]);
});

t.test('store: state survives export and import (pending rows replayed into the windows)', async (t) => {
  const store = new StatsStore();
  store.add(rec(PASS, 5_100, 'a', { count: 2, origin: 'o' }), 6_000);
  store.add(rec(EXIT, 5_200, 'a', { rtMs: 7 }), 6_000);
  store.sealThrough(4);
  const state = JSON.parse(JSON.stringify(store.exportState()));
  const again = new StatsStore();
  again.importState(state);
  t.same(again.exportState(), store.exportState());
  const before = store.resourceAt('a', 5_300)!.node;
  const after = again.resourceAt('a', 5_300)!.node;
  t.same(after.minute, before.minute);
  t.same({ ...after.second, minRtMs: 0 }, { ...before.second, minRtMs: 0 }, 'all but minRt, which the checkpoint does not keep');
  t.equal(after.concurrency, 1);
  t.same(again.sealThrough(5).map((s) => s.lines), store.sealThrough(5).map((s) => s.lines));
});

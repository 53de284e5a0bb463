// A CALL record is one PASS at dt plus one EXIT at dt + rtMs: its pass goes where dt falls, its
// success, exception and RT where dt + rtMs falls, in the windows and in the per-second lines, and
// the two halves are sealed, checkpointed and restored each with its own second.
import t from 'tap';
import { RecordKind, emptyFlowRecord, type FlowRecord } from '@sentinel-wasi/protocol';
import { NodeStats } from '../../src/stats/node-stats.js';
import { StatsStore, TOTAL_RESOURCE, type SealedSecond } from '../../src/stats/store.js';

const { CALL } = RecordKind;

function call(tsMs: number, rtMs: number, error = false): FlowRecord {
  return Object.assign(emptyFlowRecord(), { kind: CALL, tsMs, name: 'a', count: 1, rtMs, error });
}

/** sec:resource → [pass, block, success, exception, rt] of each sealed line, with `late` marked. */
function lines(sealed: SealedSecond[]): string[] {
  return sealed.flatMap((s) => s.lines.map((l) => `${s.late ? 'late ' : ''}${s.sec}:${l.resource}=${[l.pass, l.block, l.success, l.exception, l.rtMs].join(',')}`));
}

t.test('a CALL crossing a 500 ms bucket boundary: pass in the entry bucket, success and RT in the exit bucket', async (t) => {
  const n = new NodeStats('a', '');
  n.record(CALL, 1_400, 1, 200, true); // entry bucket 1 000, exit at 1 600: bucket 1 500
  t.same(n.snapshotAt(1_499).second, { passQps: 1, blockQps: 0, successQps: 0, exceptionQps: 0, totalQps: 1, occupiedPassQps: 0, avgRtMs: 0, minRtMs: 5000 }, 'before the exit bucket starts: the pass only');
  t.same(n.snapshotAt(1_999).second, { passQps: 1, blockQps: 0, successQps: 1, exceptionQps: 1, totalQps: 1, occupiedPassQps: 0, avgRtMs: 200, minRtMs: 200 }, 'both buckets in the window');
  t.same(n.snapshotAt(2_000).second, { passQps: 0, blockQps: 0, successQps: 1, exceptionQps: 1, totalQps: 0, occupiedPassQps: 0, avgRtMs: 200, minRtMs: 200 }, 'the entry bucket recycled: the exit half only');
  t.same(n.snapshotAt(1_999).minute, { pass: 1, block: 0, success: 1, exception: 1, totalRequest: 1, rtSumMs: 200, occupiedPass: 0 }, 'one second of the minute window holds both');
  t.equal(n.concurrency, 0);
});

t.test('a CALL crossing a second boundary: one line per second, each with its half', async (t) => {
  const store = new StatsStore();
  const now = 12_000;
  store.add(call(9_800, 300, true), now); // entry second 9, exit at 10 100: second 10
  store.add(call(9_900, 50), now); // entry and exit in second 9
  t.same(store.pendingSeconds(), [9, 10]);
  const a = store.resourceAt('a', 10_100)!.node;
  t.same([a.second.passQps, a.second.successQps, a.second.exceptionQps, a.second.avgRtMs], [2, 2, 1, 175], 'second window at 10 100: buckets 9 500 and 10 000');
  t.same([a.minute.pass, a.minute.success, a.minute.rtSumMs], [2, 2, 350]);
  t.same(lines(store.sealThrough(10)), [`9:${TOTAL_RESOURCE}=2,0,1,0,50`, `9:a=2,0,1,0,50`, `10:${TOTAL_RESOURCE}=0,0,1,1,300`, `10:a=0,0,1,1,300`]);
  t.equal(store.counters.recordsCounted, 2);
  t.equal(store.counters.recordsLate, 0);
});

t.test('the exit half of a CALL stays pending when its entry second is sealed, across a checkpoint', async (t) => {
  let store = new StatsStore();
  store.add(call(20_900, 1_500), 21_000); // entry second 20, exit at 22 400: second 22
  t.same(lines(store.sealThrough(21)), [`20:${TOTAL_RESOURCE}=1,0,0,0,0`, `20:a=1,0,0,0,0`], 'the entry second sealed: the pass only');
  t.same(store.pendingSeconds(), [22]);
  const restored = new StatsStore();
  restored.importState(JSON.parse(JSON.stringify(store.exportState())));
  store = restored;
  t.same(lines(store.sealThrough(22)), [`22:${TOTAL_RESOURCE}=0,0,1,0,1500`, `22:a=0,0,1,0,1500`], 'the exit half once, in its own second');
  t.same(lines(store.sealThrough(30)), [], 'and never again');
});

t.test('a CALL whose entry second is already sealed: the entry half is a late extra, the exit half on time', async (t) => {
  const store = new StatsStore();
  store.sealThrough(40);
  store.add(call(40_700, 800), 41_600); // entry second 40 (sealed), exit at 41 500: second 41
  t.equal(store.counters.recordsLate, 1, 'counted late once, by its entry half');
  t.equal(store.counters.recordsLateDropped, 0);
  t.same(lines(store.sealThrough(41)), [`late 40:${TOTAL_RESOURCE}=1,0,0,0,0`, `late 40:a=1,0,0,0,0`, `41:${TOTAL_RESOURCE}=0,0,1,0,800`, `41:a=0,0,1,0,800`]);
});

t.test('a CALL whose exit half lies too far ahead is dropped whole as future', async (t) => {
  const store = new StatsStore();
  store.add(call(50_000, 60_001), 50_000); // exit at 110 001 > now + 60 000
  store.add(call(50_000, 60_000), 50_000); // exit at 110 000: accepted
  t.equal(store.counters.recordsFuture, 1);
  t.equal(store.counters.recordsCounted, 1);
  t.same(store.pendingSeconds(), [50, 110]);
});

t.test('a record dropped as too far ahead while its bucket is being counted creates no resource', async (t) => {
  const store = new StatsStore();
  store.add(call(50_000, 10), 50_000); // resource a: the store counts bucket 50 000 now
  store.add(Object.assign(call(50_100, 60_001), { name: 'b' }), 50_000); // exit at 110 101 > now + 60 000
  store.add(Object.assign(call(50_200, 10), { name: 'a', origin: 'o' }), 50_000);
  t.equal(store.counters.recordsFuture, 1);
  t.equal(store.counters.recordsCounted, 2);
  t.equal(store.resourceAt('b', 50_300), undefined, 'no entry for the dropped record');
  const a = store.resourceAt('a', 50_300)!;
  t.same([a.node.second.passQps, a.node.second.successQps, a.origins.map((o) => o.origin)], [2, 2, ['o']]);
});

// The store's stage of the bucket being counted (bucket-stage.ts) against what could empty it under
// a record: a lookup that reads the store (a subclass's) between the check and the count, and the
// sealed front moved to a second whose bucket is staged (a start over a metric log). Both must
// count as record by record would.
import t from 'tap';
import { RecordKind, emptyFlowRecord, type FlowRecord } from '@sentinel-wasi/protocol';
import { StatsStore, type SealedSecond } from '../../src/stats/store.js';

const { PASS, CALL } = RecordKind;
const rec = (kind: number, name: string, tsMs: number, rtMs = 0): FlowRecord => Object.assign(emptyFlowRecord(), { kind, name, tsMs, rtMs, count: 1 });
const lines = (sealed: SealedSecond[]): string[] => sealed.flatMap((s) => s.lines.map((l) => `${s.late ? 'late ' : ''}${s.sec}:${l.resource}=${[l.pass, l.block, l.success, l.exception, l.rtSumMs].join(',')}`));

t.test('a lookup that reads the store while the record\'s bucket is staged: the record is counted in its own bucket', async (t) => {
  const s = new StatsStore();
  s.add(rec(CALL, 'a', 10_100, 10), 11_000); // the stage holds bucket 10 000
  let lookups = 0;
  const readingLookup = (r: FlowRecord) => {
    lookups++;
    s.pendingSeconds(); // any read flushes the stage
    return s.entryFor(r.name);
  };
  s.addResolved(rec(CALL, 'a', 10_200, 10), readingLookup, 11_000);
  t.equal(lookups, 1, 'looked up once');
  const a = s.resourceAt('a', 10_400)!.node;
  t.same([a.second.passQps, a.second.successQps], [2, 2], 'both in the windows at once');
  s.add(rec(PASS, 'b', 12_700), 13_000); // another bucket, of second 12
  t.same(lines(s.sealThrough(13)), ['10:__total_inbound_traffic__=2,0,2,0,20', '10:a=2,0,2,0,20', '12:__total_inbound_traffic__=1,0,0,0,0', '12:b=1,0,0,0,0']);
});

t.test('the sealed front moved to a staged bucket\'s second (skipAlreadyLogged): its later records are skipped as already logged', async (t) => {
  const s = new StatsStore();
  const now = 11_000;
  s.add(rec(CALL, 'a', 10_100, 10), now); // the stage holds bucket 10 000 (second 10)
  s.skipAlreadyLogged(10); // seconds up to 10 are in the metric log
  s.add(rec(CALL, 'a', 10_200, 10), now);
  s.add(rec(PASS, 'a', 10_300), now);
  const c = s.counters;
  t.same({ counted: c.recordsCounted, alreadyLogged: c.recordsAlreadyLogged, late: c.recordsLate, overflow: c.resourcesOverflow }, { counted: 1, alreadyLogged: 2, late: 0, overflow: 0 });
  const a = s.resourceAt('a', 10_400)!.node;
  t.same([a.second.passQps, a.concurrency], [1, 0]);
  t.same(lines(s.sealThrough(11)), ['10:__total_inbound_traffic__=1,0,1,0,10', '10:a=1,0,1,0,10'], 'the first record, counted before the front moved');
});

t.test('CALLs whose exit half falls in the bucket after the staged one (and the next second): counted there, with or without a read before the stage moves on', async (t) => {
  for (const readBetween of [false, true]) {
    const s = new StatsStore();
    const now = 12_000;
    s.add(rec(CALL, 'a', 10_900, 200), now); // entry in bucket 10 500 (second 10), exit 11 100: bucket 11 000, second 11
    s.add(Object.assign(rec(CALL, 'a', 10_950, 100), { origin: 'o' }), now); // exit 11 050
    if (readBetween) {
      const a = s.resourceAt('a', 11_600)!;
      // The second window at 11 600: buckets 11 000 and 11 500 (the entries are in 10 500).
      t.same([a.node.second.passQps, a.node.second.successQps], [0, 2], 'a read before the stage moves on sees the exits');
      t.same(a.origins.map((o) => [o.origin, o.second.passQps, o.second.successQps]), [['o', 0, 1]]);
    }
    s.add(rec(CALL, 'a', 11_200, 10), now); // the stage moves to bucket 11 000
    const a = s.resourceAt('a', 11_600)!;
    t.same([a.node.second.passQps, a.node.second.successQps], [1, 3], `read between: ${readBetween}`);
    t.same(a.origins.map((o) => [o.origin, o.second.passQps, o.second.successQps]), [['o', 0, 1]]);
    t.same(lines(s.sealThrough(11)), [
      '10:__total_inbound_traffic__=2,0,0,0,0',
      '10:a=2,0,0,0,0',
      '11:__total_inbound_traffic__=1,0,3,0,310',
      '11:a=1,0,3,0,310',
    ]);
    t.equal(s.counters.recordsCounted, 3);
  }
});

// The per-tick traffic the rules engine gets: exact counts per resource and origin for watched
// resources only, CALL as a pass and a completion, slow completions per threshold by each record's
// own RT, and a fresh start after each take.

import t from 'tap';
import { emptyFlowRecord, RecordKind, type FlowRecord } from '@sentinel-wasi/protocol';
import { TrafficTap } from '../../src/map/traffic-tap.js';

function rec(kind: RecordKind, name: string, fields: Partial<FlowRecord> = {}): FlowRecord {
  return { ...emptyFlowRecord(), kind, name, ...fields };
}

t.test('counts since the last take, per resource and origin, with slow completions per threshold', async (t) => {
  const tap = new TrafficTap();
  tap.watch(new Map([['a', [50, 100]]]));
  tap.record(rec(RecordKind.PASS, 'a', { count: 3, origin: 'o1' }));
  tap.record(rec(RecordKind.BLOCK, 'a', { count: 2 }));
  tap.record(rec(RecordKind.EXIT, 'a', { rtMs: 60, error: true, origin: 'o1' }));
  tap.record(rec(RecordKind.CALL, 'a', { rtMs: 150 }));
  tap.record(rec(RecordKind.CALL, 'a', { rtMs: 50 }));
  tap.record(rec(RecordKind.PASS, 'unwatched', { count: 9 }));
  const got = tap.take((r, o) => (o === '' ? 7 : 1));
  t.same([...got.keys()], ['a']);
  const a = got.get('a')!;
  t.same({ ...a.node, slowOverMs: Object.fromEntries(a.node.slowOverMs!) }, { passed: 5, blocked: 2, completed: 3, errors: 1, rtSumMs: 260, concurrency: 7, slowOverMs: { 50: 2, 100: 1 } });
  const o1 = a.origins!.get('o1')!;
  t.same([o1.passed, o1.completed, o1.errors, o1.concurrency], [3, 1, 1, 1]);
  const next = tap.take(() => 0).get('a')!;
  t.same([next.node.passed, next.node.completed, next.origins!.size], [0, 0, 0], 'the next tick starts from zero');
});

// A record whose resource is Sentinel's total node name, `__total_inbound_traffic__`: it counts
// on the total node alone (no resource of that name), so the metric log has one line of that name
// a second, the total's, and a checkpoint round trip cannot mistake one for the other (it did:
// the resource's pending row was loaded into the total, which then counted it twice).

import t from 'tap';
import { RecordKind, emptyFlowRecord } from '@sentinel-wasi/protocol';
import { StatsStore, TOTAL_RESOURCE } from '../../src/stats/store.js';

const T = 1_764_120_000_000;

t.test('records naming the total node count on it alone, once, through a checkpoint round trip', async (t) => {
  const store = new StatsStore();
  const add = (s: StatsStore, name: string, tsMs: number): void => s.add(Object.assign(emptyFlowRecord(), { kind: RecordKind.CALL, tsMs, name, count: 1, rtMs: 3000, error: false }), T + 10_000);
  add(store, TOTAL_RESOURCE, T + 100);
  add(store, TOTAL_RESOURCE, T + 200);
  add(store, 'x', T + 300);
  add(store, 'x', T + 400);
  t.same(store.counters.resourcesOverflow, 0, 'not an overflow');
  t.same(store.resourcesAt(T + 500).map((n) => n.resource), ['x'], 'no resource of that name');
  const again = new StatsStore();
  again.importState(JSON.parse(JSON.stringify(store.exportState())));
  const lines = again.sealThrough(Math.floor(T / 1000) + 5).flatMap((s) => s.lines.map((l) => [s.sec - Math.floor(T / 1000), l.resource, l.pass, l.success, l.rtMs]));
  t.same(lines, [
    [0, TOTAL_RESOURCE, 4, 0, 0],
    [0, 'x', 2, 0, 0],
    [3, TOTAL_RESOURCE, 0, 4, 3000],
    [3, 'x', 0, 2, 3000],
  ], 'the total 4 calls (its own 2 and x\'s), x 2; entry halves in the second of dt, exit halves 3 s later');
});

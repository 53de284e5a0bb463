// RunningTotals: the per-resource sums since start that Prometheus exposes as counters, over sealed
// lines (late extras add up); ΣRT exact when the sealed line carries it, else average × success.
import t from 'tap';
import { RunningTotals } from '../../src/stats/running-totals.js';
import type { SecondLine } from '../../src/stats/types.js';

const line = (resource: string, fields: Partial<SecondLine>): SecondLine => ({
  timestampMs: 1_764_120_000_000,
  resource,
  pass: 0,
  block: 0,
  success: 0,
  exception: 0,
  rtMs: 0,
  occupiedPass: 0,
  concurrency: 0,
  classification: 0,
  ...fields,
});

t.test('sums every field over lines, late extras included; ΣRT exact from sealed lines', async (t) => {
  const totals = new RunningTotals();
  t.equal(totals.of('a'), undefined, 'nothing before a second is sealed');
  // 4 completions of 10+10+10+7 ms: the line's integer average is 9, its exact sum 37.
  totals.addLines([line('a', { pass: 4, success: 4, exception: 1, rtMs: 9, rtSumMs: 37 }), line('b', { block: 2 })]);
  totals.addLines([line('a', { pass: 1, block: 3, success: 1, rtMs: 5, rtSumMs: 5 })]);
  t.same(totals.of('a'), { pass: 5, block: 3, success: 5, exception: 1, rtSumMs: 42 });
  t.same(totals.of('b'), { pass: 0, block: 2, success: 0, exception: 0, rtSumMs: 0 });
});

t.test('a line without its exact sum (read back from the metric log) adds average × success', async (t) => {
  const totals = new RunningTotals();
  totals.addLines([line('a', { success: 4, rtMs: 9 }), line('a', { success: 0, rtMs: 12 })]);
  t.equal(totals.of('a')!.rtSumMs, 36 + 12, 'with no success the line holds the raw sum');
});

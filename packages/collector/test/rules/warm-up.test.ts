// Sentinel's WarmUpController token bucket, values computed by hand from its formulas (integer
// truncations included), with an injected clock.

import t from 'tap';
import { WarmUpThreshold } from '../../src/rules/warm-up.js';

const T0 = 1_764_000_000_000;

t.test('count 10, warm-up 10 s: warningToken 50, maxToken 100, slope 0.004', async (t) => {
  const w = new WarmUpThreshold(10, 10);
  t.equal(w.warningToken, 50);
  t.equal(w.maxToken, 100);
  t.equal(w.slope, 0.004);
});

t.test('no warm-up band (maxToken = warningToken) or a slope that underflows: the threshold is count, never NaN', async (t) => {
  for (const [count, sec] of [[0.5, 1], [1.5, 1], [0.5, 3]] as const) {
    const w = new WarmUpThreshold(count, sec);
    t.equal(w.maxToken, w.warningToken, `count ${count}, warm-up ${sec} s: no band`);
    t.equal(w.slope, 0, 'slope 0, not Infinity');
    t.equal(w.allowedQpsAt(T0, 0), count, 'first reading (full bucket): count');
    t.equal(w.allowedQpsAt(T0 + 1000, 2), count, 'a second later: count');
  }
  const huge = new WarmUpThreshold(1.7e308, 1);
  for (const [ms, pass] of [[0, 0], [1000, 5], [2000, 0]] as const) {
    const qps = huge.allowedQpsAt(T0 + ms, pass);
    t.ok(Number.isFinite(qps) && qps > 0, `count 1.7e308 at +${ms} ms: a finite threshold (${qps})`);
  }
});

t.test('integer truncations: count 2.5, warm-up 3 s', async (t) => {
  const w = new WarmUpThreshold(2.5, 3);
  t.equal(w.warningToken, 3, '⌊7.5⌋ / 2 = 3 (integer division)');
  t.equal(w.maxToken, 6, '3 + ⌊15 / 4⌋');
  t.equal(w.slope, 2 / 2.5 / 3);
});

t.test('cold start, refills, consumption, the threshold each second', async (t) => {
  const w = new WarmUpThreshold(10, 10);
  t.equal(w.allowedQpsAt(T0, 0), 1 / (50 * 0.004 + 0.1), 'first reading fills to maxToken: count / coldFactor');
  t.equal(w.tokens, 100);
  t.equal(w.allowedQpsAt(T0 + 500, 3), 1 / (50 * 0.004 + 0.1), 'same second: no refill, no consumption');
  t.equal(w.allowedQpsAt(T0 + 1000, 3), 1 / (47 * 0.004 + 0.1), 'above warning and last second 3 ≥ ⌊10⌋/3: no refill, 3 consumed');
  t.equal(w.tokens, 97);
  t.equal(w.allowedQpsAt(T0 + 2000, 0), 1 / (50 * 0.004 + 0.1), 'quiet second: refilled (+10), capped at 100');
  t.equal(w.allowedQpsAt(T0 + 3000, 60), 10, '60 consumed: 40 < warningToken → count');
  t.equal(w.tokens, 40);
  t.equal(w.allowedQpsAt(T0 + 4000, 10), 10, 'below warning: +10 refill, −10 consumed');
  t.equal(w.tokens, 40);
  t.equal(w.allowedQpsAt(T0 + 6999, 0), 1 / (10 * 0.004 + 0.1), 'in second T0+6 s (two seconds after the last refill): 40 + 20 = 60 ≥ warningToken → 1 / (10 · slope + 1/count)');
  t.equal(w.tokens, 60);
  t.equal(w.allowedQpsAt(T0 + 7000, 2), 1 / (18 * 0.004 + 0.1), 'above warning and 2 < ⌊10⌋/3: refilled to 70, 2 consumed → 68');
});

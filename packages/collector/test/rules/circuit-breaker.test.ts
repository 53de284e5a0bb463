// The circuit breaker with an injected clock: every transition (trip, retry, probe ok, probe
// slow, probe error, probe timeout), minRequestAmount, Sentinel's threshold equality cases, the
// stat-interval bucket, and the probe's admission ratio.

import t from 'tap';
import { BreakerState, CircuitBreaker, type BreakerSample } from '../../src/rules/circuit-breaker.js';
import { parseRules } from '../../src/rules/rule-set.js';

const T0 = 1_764_000_000_000; // a whole second (and a multiple of 1000 and 500)

function breaker(rule: Record<string, unknown>, opts = {}): CircuitBreaker {
  const { rules, rejected } = parseRules('degrade', [{ resource: 'r', timeWindow: 10, ...rule }]);
  if (rejected.length > 0) throw new Error(rejected[0]!.reason);
  return new CircuitBreaker(rules[0]!, opts);
}

function sample(nowMs: number, s: Partial<BreakerSample>): BreakerSample {
  return { nowMs, passed: 0, completed: 0, errors: 0, slow: 0, rtSumMs: 0, ...s };
}

t.test('slow ratio: trips over the threshold once minRequestAmount completions are in the bucket', async (t) => {
  const b = breaker({ grade: 0, count: 100, slowRatioThreshold: 0.5, minRequestAmount: 5 });
  b.observe(sample(T0 + 100, { completed: 4, slow: 4, rtSumMs: 800 }));
  t.equal(b.state, BreakerState.CLOSED, '4 of 4 slow, but under minRequestAmount 5');
  t.same(b.verdictAt(T0 + 100, 50), { kind: 'pass' });
  b.observe(sample(T0 + 200, { completed: 1, slow: 0, rtSumMs: 10 }));
  t.equal(b.state, BreakerState.OPEN, '4 of 5 slow = 0.8 > 0.5');
  t.equal(b.retryAtMs, T0 + 200 + 10_000);
  t.same(b.verdictAt(T0 + 300, 50), { kind: 'block', untilMs: T0 + 10_200 });
  t.same(b.drainTransitions(), [{ atMs: T0 + 200, resource: 'r', from: 'CLOSED', to: 'OPEN', cause: 'threshold', value: 0.8, avgRtMs: 162 }]);
  t.same(b.drainTransitions(), [], 'drained');
});

t.test('slow ratio equality: == 0.5 does not trip, == 1.0 does (as Sentinel)', async (t) => {
  const half = breaker({ grade: 0, count: 100, slowRatioThreshold: 0.5 });
  half.observe(sample(T0, { completed: 10, slow: 5 }));
  t.equal(half.state, BreakerState.CLOSED);
  const one = breaker({ grade: 0, count: 100 });
  one.observe(sample(T0, { completed: 5, slow: 4 }));
  t.equal(one.state, BreakerState.CLOSED, '0.8 < 1.0');
  one.observe(sample(T0 + 100, { completed: 1, slow: 1 }));
  t.equal(one.state, BreakerState.CLOSED, '5 of 6 < 1.0');
  const all = breaker({ grade: 0, count: 100 });
  all.observe(sample(T0, { completed: 5, slow: 5 }));
  t.equal(all.state, BreakerState.OPEN, '5 of 5 slow trips at threshold 1.0');
});

t.test('exception ratio: > count trips, == count does not', async (t) => {
  const b = breaker({ grade: 1, count: 0.5 });
  b.observe(sample(T0, { completed: 10, errors: 5 }));
  t.equal(b.state, BreakerState.CLOSED, '0.5 == 0.5');
  b.observe(sample(T0 + 10, { completed: 0, errors: 0 }));
  b.observe(sample(T0 + 20, { completed: 2, errors: 2 }));
  t.equal(b.state, BreakerState.OPEN, '7 of 12 > 0.5');
  const never = breaker({ grade: 1, count: 1 });
  never.observe(sample(T0, { completed: 100, errors: 100 }));
  t.equal(never.state, BreakerState.CLOSED, 'a ratio cannot exceed 1.0 (no equality case for exceptions)');
});

t.test('exception count: > count trips, == does not; minRequestAmount applies', async (t) => {
  const b = breaker({ grade: 2, count: 3, minRequestAmount: 10 });
  b.observe(sample(T0, { completed: 9, errors: 9 }));
  t.equal(b.state, BreakerState.CLOSED, '9 errors but only 9 completions < 10');
  const c = breaker({ grade: 2, count: 3 });
  c.observe(sample(T0, { completed: 6, errors: 3 }));
  t.equal(c.state, BreakerState.CLOSED, '3 == 3');
  c.observe(sample(T0 + 1, { completed: 1, errors: 1 }));
  t.equal(c.state, BreakerState.OPEN, '4 > 3');
});

t.test('the stat bucket is statIntervalMs long and aligned: counts of an earlier bucket do not add up', async (t) => {
  const b = breaker({ grade: 2, count: 3, statIntervalMs: 1000 });
  b.observe(sample(T0 + 900, { completed: 5, errors: 3 }));
  b.observe(sample(T0 + 1000, { completed: 5, errors: 3 }));
  t.equal(b.state, BreakerState.CLOSED, '3 + 3 errors, but in two buckets');
  b.observe(sample(T0 + 1999, { completed: 1, errors: 1 }));
  t.equal(b.state, BreakerState.OPEN, '4 in the bucket [T0+1000, T0+2000)');
  const wide = breaker({ grade: 2, count: 3, statIntervalMs: 60_000 });
  wide.observe(sample(T0 + 900, { completed: 5, errors: 3 }));
  wide.observe(sample(T0 + 30_000, { completed: 5, errors: 1 }));
  t.equal(wide.state, BreakerState.OPEN, 'a 60 s bucket adds them');
});

function openBreaker(rule: Record<string, unknown>, opts = {}): CircuitBreaker {
  const b = breaker(rule, opts);
  b.observe(sample(T0, { completed: 10, errors: 10, slow: 10 }));
  if (b.state !== BreakerState.OPEN) throw new Error('setup: not open');
  b.drainTransitions();
  return b;
}

t.test('open → half-open at the retry time; the probe is an admission ratio sized by the offered rate', async (t) => {
  const b = openBreaker({ grade: 1, count: 0.1, timeWindow: 5 }, { probeWindowMs: 1000 });
  t.same(b.verdictAt(T0 + 4999, 200), { kind: 'block', untilMs: T0 + 5000 });
  t.equal(b.state, BreakerState.OPEN);
  t.same(b.verdictAt(T0 + 5000, 200), { kind: 'admit', ratio: 1 / 200 }, 'about one of 200/s in a 1 s window');
  t.equal(b.state, BreakerState.HALF_OPEN);
  t.same(b.verdictAt(T0 + 5100, 0.5), { kind: 'pass' }, 'under one request a window: the first one is the probe');
  t.same(b.drainTransitions(), [{ atMs: T0 + 5000, resource: 'r', from: 'OPEN', to: 'HALF_OPEN', cause: 'retry', value: 0, avgRtMs: 0 }]);
  b.observe(sample(T0 + 9000, {}));
  t.equal(b.state, BreakerState.HALF_OPEN, 'no request offered: still offering, no timeout');
  t.same(b.verdictAt(T0 + 9000, 10), { kind: 'admit', ratio: 0.1 });
});

t.test('half-open: the probe seen passing → block while waiting; its completion ok → closed, bucket reset', async (t) => {
  const b = openBreaker({ grade: 1, count: 0.1, timeWindow: 5 });
  b.verdictAt(T0 + 5000, 100);
  b.observe(sample(T0 + 5100, { passed: 1 }));
  t.same(b.verdictAt(T0 + 5100, 100), { kind: 'block', untilMs: T0 + 5100 + 5000 }, 'no second probe while one is in flight');
  b.observe(sample(T0 + 5200, { completed: 1, errors: 0, rtSumMs: 12 }));
  t.equal(b.state, BreakerState.CLOSED);
  t.same(b.verdictAt(T0 + 5200, 100), { kind: 'pass' });
  t.same(b.drainTransitions().map((x) => [x.from, x.to, x.cause, x.avgRtMs]), [
    ['OPEN', 'HALF_OPEN', 'retry', 0],
    ['HALF_OPEN', 'CLOSED', 'probe-ok', 12],
  ]);
  b.observe(sample(T0 + 5300, { completed: 4, errors: 1 }));
  t.equal(b.state, BreakerState.CLOSED, 'the reset bucket holds only what came after: 1 of 4 < minRequestAmount');
});

t.test('half-open: a probe that errors reopens with a new retry time (exception grades)', async (t) => {
  const b = openBreaker({ grade: 2, count: 1, timeWindow: 5 });
  b.verdictAt(T0 + 5000, 100);
  b.observe(sample(T0 + 5050, { passed: 1, completed: 1, errors: 1, rtSumMs: 3 }));
  t.equal(b.state, BreakerState.OPEN, 'pass and completion in one tick');
  t.equal(b.retryAtMs, T0 + 5050 + 5000);
  t.same(b.drainTransitions().at(-1), { atMs: T0 + 5050, resource: 'r', from: 'HALF_OPEN', to: 'OPEN', cause: 'probe-failed', value: 1, avgRtMs: 3 });
});

t.test('half-open: a slow probe reopens (slow ratio); an error without slowness does not', async (t) => {
  const slow = openBreaker({ grade: 0, count: 50, timeWindow: 2 });
  slow.verdictAt(T0 + 2000, 10);
  slow.observe(sample(T0 + 2100, { passed: 1, completed: 1, slow: 1, rtSumMs: 80 }));
  t.equal(slow.state, BreakerState.OPEN);
  t.equal(slow.retryAtMs, T0 + 4100);
  const err = openBreaker({ grade: 0, count: 50, timeWindow: 2 });
  err.verdictAt(T0 + 2000, 10);
  err.observe(sample(T0 + 2100, { passed: 1, completed: 1, errors: 1, slow: 0, rtSumMs: 20 }));
  t.equal(err.state, BreakerState.CLOSED, 'a slow-ratio breaker judges RT only');
  const several = openBreaker({ grade: 1, count: 0.5, timeWindow: 2 });
  several.verdictAt(T0 + 2000, 10);
  several.observe(sample(T0 + 2100, { passed: 3, completed: 3, errors: 1 }));
  t.equal(several.state, BreakerState.OPEN, 'several probes: any bad one reopens');
});

t.test('half-open: no completion within probeTimeoutMs → open again, with a new retry time', async (t) => {
  const b = openBreaker({ grade: 1, count: 0.1, timeWindow: 5 }, { probeTimeoutMs: 3000 });
  b.verdictAt(T0 + 5000, 10);
  b.observe(sample(T0 + 5100, { passed: 1 }));
  b.observe(sample(T0 + 8099, {}));
  t.equal(b.state, BreakerState.HALF_OPEN, 'still waiting 1 ms before the timeout');
  t.same(b.verdictAt(T0 + 8100, 10), { kind: 'block', untilMs: T0 + 8100 + 5000 });
  t.equal(b.state, BreakerState.OPEN);
  t.same(b.drainTransitions().at(-1), { atMs: T0 + 8100, resource: 'r', from: 'HALF_OPEN', to: 'OPEN', cause: 'probe-timeout', value: 0, avgRtMs: 0 });
  t.same(b.verdictAt(T0 + 13_100, 10), { kind: 'admit', ratio: 0.1 }, 'the next retry offers a probe again');
});

t.test('half-open: a probe still in flight at probeTimeoutMs is waited for and judged when it completes (as Sentinel)', async (t) => {
  const b = openBreaker({ grade: 0, count: 8000, timeWindow: 2, minRequestAmount: 1 }, { probeTimeoutMs: 5000 });
  b.verdictAt(T0 + 2000, 10);
  b.observe(sample(T0 + 2100, { passed: 1, concurrency: 1 }));
  b.observe(sample(T0 + 7200, { concurrency: 1 }));
  t.equal(b.state, BreakerState.HALF_OPEN, 'past the timeout, the probe still in flight: waiting');
  t.equal(b.verdictAt(T0 + 7200, 10).kind, 'block', 'and nothing else admitted meanwhile');
  b.observe(sample(T0 + 8100, { completed: 1, rtSumMs: 6000 }));
  t.equal(b.state, BreakerState.CLOSED, 'a 6 s probe within the rule\'s 8 s closes it');
  t.same(b.drainTransitions().map((x) => x.cause), ['retry', 'probe-ok']);

  const lost = openBreaker({ grade: 1, count: 0.1, timeWindow: 2 }, { probeTimeoutMs: 5000 });
  lost.verdictAt(T0 + 2000, 10);
  lost.observe(sample(T0 + 2100, { passed: 1, concurrency: 1 }));
  lost.observe(sample(T0 + 60_000, { concurrency: 0 })); // its entry expired (a filter that died)
  t.equal(lost.state, BreakerState.OPEN, 'nothing in flight any more and no completion: the probe timed out');
  t.same(lost.drainTransitions().map((x) => x.cause), ['retry', 'probe-timeout']);
});

t.test('completions seen while open do not close it or count later', async (t) => {
  const b = openBreaker({ grade: 2, count: 2, timeWindow: 1 });
  b.observe(sample(T0 + 500, { completed: 20, errors: 0 }));
  t.equal(b.state, BreakerState.OPEN);
  t.same(b.verdictAt(T0 + 999, 1), { kind: 'block', untilMs: T0 + 1000 });
});

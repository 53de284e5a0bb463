// The rule engine: limitApp routing (default, a named origin, other), verdicts combined per key
// (most restrictive), breakers beside flow rules, reload keeping state, slow thresholds asked of
// the ingest, idle `other` origins forgotten, the changes between ticks (betweenTicks, qpsSteps).
// Every tick is driven by hand with an injected clock.

import t from 'tap';
import { RuleEngine, ZERO_TRAFFIC, type NodeTraffic, type ResourceTraffic } from '../../src/rules/engine.js';
import { FlowLimiter } from '../../src/rules/flow-limiter.js';
import { parseRules } from '../../src/rules/rule-set.js';
import { PASS, admit, mostRestrictive } from '../../src/rules/verdict.js';
import { encodeVerdict } from '../../src/map/map-writer.js';
import { encodeSlot, VerdictKind } from '@sentinel-wasi/protocol';

const T0 = 1_764_000_000_000;

function flow(...rules: Array<Record<string, unknown>>) {
  const p = parseRules('flow', rules);
  if (p.rejected.length > 0) throw new Error(p.rejected[0]!.reason);
  return p.rules;
}
function degrade(...rules: Array<Record<string, unknown>>) {
  const p = parseRules('degrade', rules);
  if (p.rejected.length > 0) throw new Error(p.rejected[0]!.reason);
  return p.rules;
}
function node(n: Partial<NodeTraffic>): NodeTraffic {
  return { ...ZERO_TRAFFIC, ...n };
}
function traffic(entries: Record<string, ResourceTraffic>): Map<string, ResourceTraffic> {
  return new Map(Object.entries(entries));
}

t.test('mostRestrictive: block > admit (lower ratio) > pass; a later or open-ended block wins', async (t) => {
  t.same(mostRestrictive(PASS, admit(0.5)), { kind: 'admit', ratio: 0.5 });
  t.same(mostRestrictive(admit(0.2), admit(0.5)), { kind: 'admit', ratio: 0.2 });
  t.same(mostRestrictive(admit(0.5), admit(0.2)), { kind: 'admit', ratio: 0.2 });
  t.same(mostRestrictive(admit(0), { kind: 'block', untilMs: 5 }), { kind: 'block', untilMs: 5 });
  t.same(mostRestrictive({ kind: 'block', untilMs: 5 }, { kind: 'block', untilMs: 9 }), { kind: 'block', untilMs: 9 });
  t.same(mostRestrictive({ kind: 'block', untilMs: 9 }, { kind: 'block' }), { kind: 'block' });
  t.same(mostRestrictive({ kind: 'block' }, { kind: 'block', untilMs: 9 }), { kind: 'block' });
  t.same(mostRestrictive(PASS, PASS), PASS);
  t.same(admit(1.2), PASS);
  t.same(admit(-0.1), { kind: 'admit', ratio: 0 });
});

t.test('limitApp: default → the resource key; a named origin → its key; other → each unnamed origin on its own', async (t) => {
  const e = new RuleEngine();
  e.setFlowRules(flow({ resource: 'R', count: 100 }, { resource: 'R', limitApp: 'app-a', count: 10 }, { resource: 'R', limitApp: 'other', count: 5 }));
  t.same(e.tick(T0, new Map()).verdicts, [
    { resource: 'R', origin: '', verdict: PASS },
    { resource: 'R', origin: 'app-a', verdict: PASS },
  ], 'first tick: nothing seen yet');
  const tr = traffic({
    R: {
      node: node({ passed: 132, concurrency: 3 }),
      origins: new Map([
        ['app-a', node({ passed: 100 })], // 1000/s against 10/s
        ['app-b', node({ passed: 30 })], // 300/s against 5/s
        ['app-c', node({ passed: 1 })], // 10/s against 5/s, below the step threshold
        ['', node({ passed: 1 })], // no origin: never `other`
      ]),
    },
  });
  const v = e.tick(T0 + 100, tr).verdicts;
  t.same(v.map((x) => x.origin), ['', 'app-a', 'app-b', 'app-c'], 'one key per origin the rules cover');
  t.same(v[1]!.verdict, { kind: 'admit', ratio: 0 }, 'app-a: 100 in 100 ms against 10/s → error clamped at 10 → ratio 0');
  t.same(v[2]!.verdict, { kind: 'admit', ratio: 0 }, 'app-b: its own limit of 5/s');
  t.same(v[3]!.verdict, PASS, 'app-c: 1 request, estimate still low → pass');
  t.equal(v[0]!.verdict.kind, 'admit', 'default: 1320/s against 100/s');
});

t.test('other: an origin later named by its own rule leaves other; an idle other origin is forgotten', async (t) => {
  const e = new RuleEngine({ otherIdleMs: 1000 });
  e.setFlowRules(flow({ resource: 'R', limitApp: 'other', count: 5 }));
  e.tick(T0, new Map());
  const busy = traffic({ R: { node: node({ passed: 20 }), origins: new Map([['x', node({ passed: 10 })], ['y', node({ passed: 10 })]]) } });
  t.same(e.tick(T0 + 100, busy).verdicts.map((x) => x.origin), ['', 'x', 'y']);
  const onlyX = traffic({ R: { node: node({ passed: 10 }), origins: new Map([['x', node({ passed: 10 })]]) } });
  t.same(e.tick(T0 + 600, onlyX).verdicts.map((x) => x.origin), ['', 'x', 'y'], 'y idle 500 ms: kept');
  t.same(e.tick(T0 + 1200, onlyX).verdicts.map((x) => x.origin), ['', 'x'], 'y idle 1100 ms > 1000: forgotten');
  e.setFlowRules(flow({ resource: 'R', limitApp: 'other', count: 5 }, { resource: 'R', limitApp: 'x', count: 50 }));
  const slowX = traffic({ R: { node: node({ passed: 2 }), origins: new Map([['x', node({ passed: 2 })]]) } });
  const v = e.tick(T0 + 1300, slowX).verdicts;
  t.same(v.map((x) => x.origin), ['', 'x']);
  t.same(v[1]!.verdict, PASS, 'x (20/s) now has its own rule (50/s): the other limiter (5/s) no longer applies to it');
});

t.test('every verdict makes a valid map slot: warm-up rules with no band or a huge count, the longest timeWindow', async (t) => {
  const e = new RuleEngine();
  e.setFlowRules(
    flow(
      { resource: 'W1', count: 0.5, controlBehavior: 1, warmUpPeriodSec: 1 },
      { resource: 'W2', count: 1.5, controlBehavior: 3, warmUpPeriodSec: 1 },
      { resource: 'W3', count: 1.7e308, controlBehavior: 1, warmUpPeriodSec: 1 },
    ),
  );
  e.setDegradeRules(degrade({ resource: 'Z', grade: 2, count: 1, timeWindow: 2_147_483_647, minRequestAmount: 1 }));
  const busy = (passed: number, blocked: number) => ({ node: node({ passed, blocked, completed: passed, rtSumMs: passed }) });
  let last: ReturnType<RuleEngine['tick']> | undefined;
  for (let i = 0; i <= 30; i++) {
    const z = i === 1 ? { node: node({ passed: 3, completed: 3, errors: 3, rtSumMs: 3 }) } : { node: node({}) };
    last = e.tick(T0 + i * 100, traffic({ W1: busy(3, 2), W2: busy(3, 2), W3: busy(3, 0), Z: z }));
    for (const v of last.verdicts) {
      const { kind, param } = encodeVerdict(v.verdict, T0 + i * 100);
      t.doesNotThrow(() => encodeSlot({ hash: { lo: 1, hi: 2 }, resourceId: 1, kind, param, refreshMs: T0, sequence: 1, epochTag: 1 }), `tick ${i}: ${v.resource} ${JSON.stringify(v.verdict)} encodes`);
      if (v.verdict.kind === 'admit') t.ok(v.verdict.ratio >= 0 && v.verdict.ratio <= 1, `tick ${i}: ${v.resource} ratio ${v.verdict.ratio} in [0, 1]`);
    }
  }
  const byName = new Map(last!.verdicts.map((v) => [v.resource, v.verdict]));
  t.same(byName.get('Z'), { kind: 'block', untilMs: T0 + 100 + 2_147_483_647_000 }, 'the open breaker blocks until timeWindow ends (a safe integer)');
  t.equal(byName.get('W1')!.kind, 'admit', 'W1 (count 0.5, 5 offered a tick) is limited');
});

t.test('encodeVerdict: valid slot fields for any verdict', async (t) => {
  t.same(encodeVerdict(admit(Number.NaN), T0), { kind: VerdictKind.ADMIT, param: 1 }, 'a ratio that is not a number admits (as no verdict would)');
  t.same(encodeVerdict(admit(-0.5), T0), { kind: VerdictKind.ADMIT, param: 0 });
  t.same(encodeVerdict({ kind: 'admit', ratio: 7 }, T0), { kind: VerdictKind.ADMIT, param: 1 });
  t.same(encodeVerdict({ kind: 'block', untilMs: 1e300 }, T0), { kind: VerdictKind.BLOCK, param: Number.MAX_SAFE_INTEGER });
  t.same(encodeVerdict({ kind: 'block', untilMs: Number.NaN }, T0 + 0.5), { kind: VerdictKind.BLOCK, param: T0 });
  t.same(encodeVerdict({ kind: 'block', untilMs: -3 }, T0), { kind: VerdictKind.BLOCK, param: 0 });
  t.same(encodeVerdict({ kind: 'block' }, T0 + 7.9), { kind: VerdictKind.BLOCK, param: T0 + 7 });
  t.same(encodeVerdict(PASS, T0), { kind: VerdictKind.PASS, param: 0 });
});

t.test('a breaker and a flow rule on one resource combine: open breaker blocks, closed leaves the flow verdict', async (t) => {
  const e = new RuleEngine();
  e.setFlowRules(flow({ resource: 'R', count: 10 }));
  e.setDegradeRules(degrade({ resource: 'R', grade: 2, count: 2, timeWindow: 3 }));
  e.tick(T0, new Map());
  t.same(e.breakers(), [{ resource: 'R', grade: 2, state: 'CLOSED', retryAtMs: null }]);
  const failing = traffic({ R: { node: node({ passed: 100, completed: 10, errors: 3, rtSumMs: 50 }) } });
  const r = e.tick(T0 + 100, failing);
  t.same(r.verdicts, [{ resource: 'R', origin: '', verdict: { kind: 'block', untilMs: T0 + 3100 } }]);
  t.same(r.transitions.map((x) => [x.resource, x.from, x.to, x.cause, x.value]), [['R', 'CLOSED', 'OPEN', 'threshold', 3]]);
  t.same(e.breakers(), [{ resource: 'R', grade: 2, state: 'OPEN', retryAtMs: T0 + 3100 }], 'health sees the open breaker and its retry time');
  const later = e.tick(T0 + 3100, traffic({ R: { node: node({ blocked: 50 }) } }));
  t.equal(later.verdicts[0]!.verdict.kind, 'admit', 'half-open: the probe ratio (or the flow ratio if lower)');
  t.same(later.transitions.map((x) => x.to), ['HALF_OPEN']);
  t.same(e.breakers(), [{ resource: 'R', grade: 2, state: 'HALF_OPEN', retryAtMs: null }]);
});

t.test('reloading identical rules keeps state; a changed rule starts afresh; changed says which', async (t) => {
  const e = new RuleEngine();
  const rules = degrade({ resource: 'R', grade: 2, count: 0, timeWindow: 10 });
  t.same(e.setDegradeRules(rules), { changed: true });
  e.tick(T0, new Map());
  e.tick(T0 + 100, traffic({ R: { node: node({ completed: 5, errors: 1 }) } }));
  t.same(e.setDegradeRules(degrade({ resource: 'R', grade: 2, count: 0, timeWindow: 10 })), { changed: false });
  t.same(e.tick(T0 + 200, new Map()).verdicts[0]!.verdict, { kind: 'block', untilMs: T0 + 10_100 }, 'still open after an identical reload');
  t.same(e.setDegradeRules(degrade({ resource: 'R', grade: 2, count: 1, timeWindow: 10 })), { changed: true });
  t.same(e.tick(T0 + 300, new Map()).verdicts[0]!.verdict, PASS, 'a changed rule: a fresh, closed breaker');
  t.same(e.setFlowRules([]), { changed: false });
  t.same(e.setDegradeRules([]), { changed: true });
  t.same(e.tick(T0 + 400, new Map()).verdicts, [], 'no rules, no verdicts');
});

t.test('a rule re-pushed with only its id or fields this project does not model changed keeps its state (Sentinel\'s rule equality)', async (t) => {
  const e = new RuleEngine();
  const base = { resource: 'R', grade: 2, count: 0, timeWindow: 10 };
  e.setDegradeRules(degrade(base));
  e.setFlowRules(flow({ resource: 'Q', count: 10, controlBehavior: 1, warmUpPeriodSec: 10 }));
  e.tick(T0, new Map());
  e.tick(T0 + 100, traffic({ R: { node: node({ completed: 5, errors: 1 }) } }));
  t.equal(e.breakers()[0]!.state, 'OPEN');
  t.same(e.setDegradeRules(degrade({ ...base, id: 3, gmtModified: 1_700_000_000_000 })), { changed: false });
  t.same(e.setFlowRules(flow({ resource: 'Q', count: 10, controlBehavior: 1, warmUpPeriodSec: 10, id: 9, refResource: null })), { changed: false });
  t.equal(e.breakers()[0]!.state, 'OPEN', 'the open breaker stays open');
  t.same(e.setDegradeRules(degrade({ ...base, minRequestAmount: 6 })), { changed: true });
  t.equal(e.breakers()[0]!.state, 'CLOSED', 'a field Sentinel compares changed: a new breaker');
});

t.test('slow-ratio breakers: the ingest is asked for rt > round(count) counts, and they drive the breaker', async (t) => {
  const e = new RuleEngine();
  e.setDegradeRules(degrade({ resource: 'R', grade: 0, count: 99.6, timeWindow: 1, slowRatioThreshold: 0.5 }, { resource: 'R', grade: 0, count: 20, timeWindow: 1 }, { resource: 'R', grade: 1, count: 0.5, timeWindow: 1 }, { resource: 'S', grade: 0, count: 7, timeWindow: 1 }));
  t.same(e.slowThresholdsMs('R'), [20, 100]);
  t.same(e.slowThresholdsMs('S'), [7]);
  t.same(e.slowThresholdsMs('nope'), []);
  t.same(e.resources(), ['R', 'S']);
  e.tick(T0, new Map());
  const r = e.tick(T0 + 100, traffic({ R: { node: node({ passed: 10, completed: 10, slowOverMs: new Map([[20, 9], [100, 6]]) }) } }));
  t.same(r.transitions.map((x) => [x.to, x.value]), [['OPEN', 0.6]], 'rt > 100: 6 of 10 > 0.5 trips; rt > 20: 9 of 10 < 1.0 does not');
  t.same(r.verdicts.map((x) => [x.resource, x.verdict.kind]), [['R', 'block'], ['S', 'pass']]);
});

t.test('betweenTicks: between ticks, a concurrency rule whose count is in flight stops its key at once and admits again once it is not; a QPS rule or a block stays as published', async (t) => {
  const e = new RuleEngine();
  t.equal(e.hasBetweenTickRules, false, 'no rule');
  e.setFlowRules(flow({ resource: 'C', grade: 0, count: 2 }));
  t.equal(e.hasQpsRules, false, 'a concurrency rule alone: nothing for the QPS steps');
  e.setFlowRules(flow({ resource: 'Q', count: 5 }));
  t.equal(e.hasBetweenTickRules, true, 'a QPS rule (its burst stop)');
  t.equal(e.hasQpsRules, true, 'a QPS rule: the steps have work');
  const noStop = new RuleEngine({ loop: { burstSec: 0 } });
  noStop.setFlowRules(flow({ resource: 'Q', count: 5 }));
  t.equal(noStop.hasBetweenTickRules, false, 'a QPS rule with the burst stop off (burstSec 0): nothing to do between ticks');
  e.setFlowRules(flow({ resource: 'C', grade: 0, count: 2 }, { resource: 'C', grade: 0, count: 1, limitApp: 'a' }, { resource: 'Q', count: 5 }, { resource: 'B', grade: 0, count: 1 }));
  t.equal(e.hasBetweenTickRules, true);
  e.setDegradeRules(degrade({ resource: 'B', grade: 2, count: 2, timeWindow: 3 }));
  const calm = traffic({
    C: { node: node({ passed: 1 }), origins: new Map([['a', node({ passed: 1 })]]) },
    Q: { node: node({ passed: 1 }) },
    B: { node: node({ passed: 100, completed: 10, errors: 3, rtSumMs: 50 }) },
  });
  const first = e.tick(T0, calm);
  t.same(first.verdicts.map((v) => [v.resource, v.origin, v.verdict.kind]), [['B', '', 'block'], ['C', '', 'pass'], ['C', 'a', 'pass'], ['Q', '', 'pass']], 'B\'s breaker opened; the rest pass');
  const inFlight = new Map<string, number>([['C\u0000', 1], ['C\u0000a', 0], ['Q\u0000', 50], ['B\u0000', 9]]);
  const concurrencyOf = (resource: string, origin: string): number => inFlight.get(`${resource}\u0000${origin}`) ?? 0;
  const between = () => e.betweenTicks(T0 + 50, concurrencyOf, () => 0);
  t.same(between(), [], 'C 1 of 2, C/a 0 of 1; Q has seen no PASS since the tick; B is blocked already');
  inFlight.set('C\u0000', 2);
  inFlight.set('C\u0000a', 1);
  t.same(between(), [
    { resource: 'C', origin: '', verdict: { kind: 'admit', ratio: 0 }, cause: 'concurrency' },
    { resource: 'C', origin: 'a', verdict: { kind: 'admit', ratio: 0 }, cause: 'concurrency' },
  ], 'both keys of C reach their count: ratio 0 now');
  t.same(between(), [], 'written once: not again while at the count');
  inFlight.set('C\u0000a', 0);
  t.same(between(), [{ resource: 'C', origin: 'a', verdict: PASS, cause: 'concurrency' }], 'C/a\'s entry exited: admits again at once');
  inFlight.set('C\u0000a', 1);
  t.same(between(), [{ resource: 'C', origin: 'a', verdict: { kind: 'admit', ratio: 0 }, cause: 'concurrency' }], 'and stops again');
  inFlight.set('B\u0000', 0);
  t.same(between(), [], 'B below its count: its open breaker\'s block stays (nothing to write)');
  const next = e.tick(T0 + 100, traffic({ C: { node: node({ passed: 1, concurrency: 2 }), origins: new Map([['a', node({ concurrency: 0 })]]) } }));
  t.same(next.verdicts.find((v) => v.resource === 'C' && v.origin === 'a')?.verdict, PASS, 'the tick recomputes (C/a free again)');
  inFlight.set('C\u0000a', 1);
  t.same(between().map((v) => [v.resource, v.origin]), [['C', 'a']], 'and the next saturation stops it again');
});

t.test('a flow rule set at a time: its limiter starts then, from the offered rate the statistics give (offeredOf)', async (t) => {
  const e = new RuleEngine();
  e.tick(T0, new Map());
  e.setFlowRules(flow({ resource: 'N', count: 10 }, { resource: 'N', count: 5, limitApp: 'a' }), T0 + 60);
  const offered = new Map([['N\u0000', 400], ['N\u0000a', 20]]);
  const offeredOf = (r: string, o: string) => offered.get(`${r}\u0000${o}`) ?? 0;
  const now = e.tick(T0 + 60, new Map(), offeredOf);
  t.same(now.verdicts.map((v) => [v.resource, v.origin, v.verdict]), [['N', '', { kind: 'admit', ratio: 10 / 400 }], ['N', 'a', { kind: 'admit', ratio: 5 / 20 }]], 'a tick at the instant the rules changed: each key at count ÷ offered at once');
  const next = e.tick(T0 + 160, traffic({ N: { node: node({ passed: 1, blocked: 39 }) } }), offeredOf);
  const ref = new FlowLimiter(parseRules('flow', [{ resource: 'N', count: 10 }]).rules[0]!, T0 + 60, 400);
  t.same(next.verdicts.find((v) => v.origin === '')?.verdict, ref.tick(T0 + 160, { passed: 1, blocked: 39, concurrency: 0 }), 'the next tick: 100 ms of traffic from the change, not 160 from the tick before');
  const later = new RuleEngine();
  later.tick(T0, new Map());
  later.setFlowRules(flow({ resource: 'N', count: 10 }));
  const untimed = later.tick(T0 + 100, traffic({ N: { node: node({ passed: 1, blocked: 39 }) } }));
  const fromTick = new FlowLimiter(parseRules('flow', [{ resource: 'N', count: 10 }]).rules[0]!, T0, 0);
  t.same(untimed.verdicts[0]!.verdict, fromTick.tick(T0 + 100, { passed: 1, blocked: 39, concurrency: 0 }), 'rules set without a time, no offered rate known: from the tick before, as the first tick counts it');
});

t.test('qpsSteps: every QPS key that limits steps its loop on the counts since the tick (cause step); a block on the key stays; concurrency and passing keys do not step', async (t) => {
  const e = new RuleEngine();
  e.setFlowRules(flow({ resource: 'L', count: 10 }, { resource: 'L', count: 10, limitApp: 'a' }, { resource: 'B', count: 10 }, { resource: 'C', grade: 0, count: 2 }, { resource: 'P', count: 10 }));
  e.setDegradeRules(degrade({ resource: 'B', grade: 2, count: 2, timeWindow: 3 }));
  e.tick(T0, new Map());
  const first = e.tick(T0 + 100, traffic({
    L: { node: node({ passed: 2, blocked: 8 }), origins: new Map([['a', node({ passed: 2, blocked: 8 })]]) },
    B: { node: node({ passed: 5, blocked: 5, completed: 5, errors: 3 }) },
    C: { node: node({ passed: 50, concurrency: 1 }) },
    P: { node: node({ passed: 0 }) },
  }));
  t.same(first.verdicts.map((v) => [v.resource, v.origin, v.verdict.kind]), [['B', '', 'block'], ['C', '', 'admit'], ['L', '', 'admit'], ['L', 'a', 'admit'], ['P', '', 'pass']], 'L and L/a limited (100/s offered), B\'s breaker open, C shares its headroom, P passes');
  const counts = new Map<string, [number, number]>([['L\u0000', [3, 0]], ['L\u0000a', [0, 0]], ['B\u0000', [3, 0]], ['C\u0000', [40, 0]]]);
  const passedOf = (r: string, o: string) => counts.get(`${r}\u0000${o}`)?.[0] ?? 0;
  const blockedOf = (r: string, o: string) => counts.get(`${r}\u0000${o}`)?.[1] ?? 0;
  t.same(e.qpsSteps(T0 + 110, passedOf, blockedOf), [], '10 ms after the tick: nothing steps yet');
  const steps = e.qpsSteps(T0 + 120, passedOf, blockedOf);
  t.same(steps.map((v) => [v.resource, v.origin, v.cause]), [['L', '', 'step'], ['L', 'a', 'step']], 'both L keys step (L/a on its own counts); B stays blocked; C and P do not step');
  const l = steps[0]!.verdict;
  const la = steps[1]!.verdict;
  t.ok(l.kind === 'admit' && la.kind === 'admit' && l.ratio < la.ratio, `3 PASS since the tick lower L's ratio below L/a's, which saw none (${JSON.stringify(l)} < ${JSON.stringify(la)})`);
  t.same(e.qpsSteps(T0 + 130, passedOf, blockedOf), [], 'the next step is 20 ms after this one');
  const again = e.qpsSteps(T0 + 140, passedOf, blockedOf);
  t.same(again.map((v) => [v.resource, v.origin, v.cause]), [['L', 'a', 'step']], 'nothing new since the step: L stays at ratio 0 (not written again), L/a\'s ratio moves with the loop\'s time');
  t.ok(again[0]!.verdict.kind === 'admit' && la.kind === 'admit' && again[0]!.verdict.ratio > la.ratio, 'up: 20 ms more allowed, nothing admitted');
});

t.test('betweenTicks: a QPS rule after a quiet spell stops a burst until the next tick (per key, by cause); a ratio below 1 or a block is left to the tick', async (t) => {
  const e = new RuleEngine();
  e.setFlowRules(flow({ resource: 'Q', count: 10 }, { resource: 'Q', count: 10, limitApp: 'a' }, { resource: 'L', count: 10 }, { resource: 'B', count: 10 }));
  e.setDegradeRules(degrade({ resource: 'B', grade: 2, count: 2, timeWindow: 3 }));
  // Over a second of ticks without traffic: Q's keys are in a quiet spell.
  for (let ms = 0; ms <= 1100; ms += 100) e.tick(T0 + ms, new Map());
  const first = e.tick(T0 + 1200, traffic({
    Q: { node: node({ passed: 1 }), origins: new Map([['a', node({ passed: 1 })]]) },
    L: { node: node({ passed: 10, blocked: 90 }) },
    B: { node: node({ passed: 100, completed: 10, errors: 3, rtSumMs: 50 }) },
  }));
  t.same(first.verdicts.map((v) => [v.resource, v.origin, v.verdict.kind]), [['B', '', 'block'], ['L', '', 'admit'], ['Q', '', 'pass'], ['Q', 'a', 'pass']], 'Q passes (1 a tick), L is limited (100/s offered), B\'s breaker opened');
  const passed = new Map<string, number>([['Q\u0000', 4], ['Q\u0000a', 0], ['L\u0000', 50], ['B\u0000', 50]]);
  const passedOf = (resource: string, origin: string): number => passed.get(`${resource}\u0000${origin}`) ?? 0;
  // The loop's error after the first tick is 1 − 10 · 0.1 = 0; the bound max(10 · 0.2, 4) = 4.
  t.same(e.betweenTicks(T0 + 1200, () => 0, passedOf), [], '4 PASS since the tick: at the bound, not past it; L admits a share (the tick sizes it); B is blocked');
  passed.set('Q\u0000', 5);
  t.same(e.betweenTicks(T0 + 1200, () => 0, passedOf), [{ resource: 'Q', origin: '', verdict: { kind: 'admit', ratio: 0 }, cause: 'burst' }], '5 PASS at once: Q stops now');
  t.same(e.betweenTicks(T0 + 1210, () => 0, passedOf), [], 'written once');
  passed.set('Q\u0000a', 5);
  t.same(e.betweenTicks(T0 + 1300, () => 0, passedOf), [], 'Q/a: 5 PASS 100 ms after the tick: 5 − 10 · 0.1 = 4, not past the bound');
  passed.set('Q\u0000a', 6);
  t.same(e.betweenTicks(T0 + 1250, () => 0, passedOf), [{ resource: 'Q', origin: 'a', verdict: { kind: 'admit', ratio: 0 }, cause: 'burst' }], 'Q/a: 6 PASS 50 ms after the tick, 6 − 0.5 past 4: the origin\'s key stops on its own');
  const next = e.tick(T0 + 1300, traffic({ Q: { node: node({ passed: 5, blocked: 20 }), origins: new Map([['a', node({ passed: 6 })]]) } }));
  const q = next.verdicts.find((v) => v.resource === 'Q' && v.origin === '');
  t.equal(q?.verdict.kind, 'admit', 'the next tick sizes a ratio from everything seen');
  t.ok(q?.verdict.kind === 'admit' && q.verdict.ratio < 0.5, `…below one half (${JSON.stringify(q?.verdict)})`);
});

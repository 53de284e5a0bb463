// One flow rule on one node: concurrency (grade 0) by hand; a QPS rule's steps between ticks by
// hand (against the same loop fed by hand) and, after a jump, in the seeded simulation with the
// daemon's timing; warm up tracked through its moving threshold and the rate limiter behaviours
// converging on count, in the seeded simulation.

import t from 'tap';
import { AdmissionLoop } from '../../src/rules/admission-loop.js';
import { FlowLimiter, QPS_STEP_MS } from '../../src/rules/flow-limiter.js';
import { parseRules } from '../../src/rules/rule-set.js';
import type { Verdict } from '../../src/rules/verdict.js';
import { meanOf, simulate, withinShare, type Decide, type SimOptions } from './traffic-sim.js';

const BASE_SEED = process.env.SW_SEED ? Number(process.env.SW_SEED) : 20261140;

function rule(r: Record<string, unknown>) {
  return parseRules('flow', [{ resource: 'r', ...r }]).rules[0]!;
}

function ratioOf(v: Verdict): number {
  return v.kind === 'pass' ? 1 : v.kind === 'admit' ? v.ratio : 0;
}

/**
 * The simulation's collector side for a QPS rule of `count`, as the daemon runs it: ticks, steps
 * between them (when the simulation has qpsStepMs) and, with `publishStart`, the limiter's starting
 * share in force from the rule's start (the daemon's tick when the rules change).
 */
function qpsStart(count: number, publishStart = true): SimOptions['start'] {
  return (nowMs, offered) => {
    const l = new FlowLimiter(rule({ count }), nowMs, offered);
    const decide: Decide = (tMs, passed, blocked) => ratioOf(l.tick(tMs, { passed, blocked, concurrency: 0 }));
    decide.step = (tMs, passed, blocked) => (l.step(tMs, passed, blocked) ? ratioOf(l.verdict) : undefined);
    if (publishStart) decide.initialRatio = ratioOf(l.verdict);
    return decide;
  };
}

t.test('concurrency: ratio 0 at or over count, the headroom shared over the next tick below it', async (t) => {
  const l = new FlowLimiter(rule({ grade: 0, count: 10 }), 0, 600);
  t.same(l.tick(100, { passed: 60, blocked: 0, concurrency: 10 }), { kind: 'admit', ratio: 0 }, '10 in flight of 10');
  t.same(l.tick(200, { passed: 0, blocked: 60, concurrency: 12 }), { kind: 'admit', ratio: 0 }, 'over count');
  t.same(l.tick(300, { passed: 6, blocked: 54, concurrency: 4 }), { kind: 'admit', ratio: 0.1 }, '6 free, 60 offered a tick → 0.1');
  t.same(l.tick(300, { passed: 6, blocked: 54, concurrency: 0 }), { kind: 'admit', ratio: 0.1 }, 'same time: unchanged');
  const calm = new FlowLimiter(rule({ grade: 0, count: 10 }), 0, 20);
  t.same(calm.tick(100, { passed: 2, blocked: 0, concurrency: 4 }), { kind: 'pass' }, '2 offered a tick fit in 6 free');
  t.same(calm.tick(200, { passed: 2, blocked: 0, concurrency: 9.5 }), { kind: 'admit', ratio: 0.25 }, '0.5 free of 2 a tick');
});

t.test('concurrency: react() stops admitting between ticks once count is in flight, and admits again once it no longer is; QPS rules never change there', async (t) => {
  const l = new FlowLimiter(rule({ grade: 0, count: 2 }), 0, 20);
  t.same(l.tick(100, { passed: 2, blocked: 0, concurrency: 0 }), { kind: 'pass' }, 'nothing in flight, 2 offered a tick: pass');
  t.equal(l.react(1), false, '1 of 2 in flight: unchanged');
  t.same(l.verdict, { kind: 'pass' });
  t.equal(l.react(2), true, '2 of 2: stops now');
  t.same(l.verdict, { kind: 'admit', ratio: 0 });
  t.equal(l.react(3), false, 'already stopped: no second write');
  t.equal(l.react(1), true, 'an exit leaves room: admits again now');
  t.same(l.verdict, { kind: 'admit', ratio: 0.5 }, 'the share of the headroom the tick would give (1 free, 2 offered a tick)');
  t.equal(l.react(0), false, 'admitting already: the next tick refines it');
  t.same(l.tick(200, { passed: 2, blocked: 0, concurrency: 1 }), { kind: 'admit', ratio: 0.5 }, 'the next tick decides as usual (1 free, 2 offered a tick → 0.5)');
  const qps = new FlowLimiter(rule({ grade: 1, count: 2 }), 0, 0);
  const before = qps.tick(100, { passed: 1, blocked: 0, concurrency: 0 });
  t.equal(qps.react(50), false);
  t.same(qps.verdict, before, 'a QPS rule keeps its verdict');
  t.equal(l.reactPassed(250, 1000), false, 'and a concurrency rule never stops on PASS counts (reactPassed)');
});

t.test('QPS: reactPassed() stops a burst between ticks after a quiet spell; the next tick sizes the ratio', async (t) => {
  const l = new FlowLimiter(rule({ grade: 1, count: 10 }), 0, 0);
  for (let ms = 100; ms <= 1200; ms += 100) t.same(l.tick(ms, { passed: 0, blocked: 0, concurrency: 0 }), { kind: 'pass' }, `${ms} ms: no traffic, pass`);
  t.equal(l.reactPassed(1210, 4), false, '4 PASS 10 ms after the tick: 4 − 0.1, within max(10 · 0.2, 4)');
  t.same(l.verdict, { kind: 'pass' });
  t.equal(l.reactPassed(1220, 5), true, '5 PASS 20 ms after it: 5 − 0.2 is past 4: stops now');
  t.same(l.verdict, { kind: 'admit', ratio: 0 });
  t.equal(l.reactPassed(1230, 9), false, 'stopped already: no second write');
  const next = l.tick(1300, { passed: 9, blocked: 11, concurrency: 0 });
  t.same(next, { kind: 'admit', ratio: 0 }, 'the tick: 9 admitted against 1 allowed, E 8 = 0.8 s of count to work off at 200 offered a second');
  t.equal(l.reactPassed(1310, 100), false, 'a ratio below 1 is left to the tick');
  const warm = new FlowLimiter(rule({ grade: 1, count: 30, controlBehavior: 1, warmUpPeriodSec: 10 }), 0, 0);
  for (let ms = 100; ms <= 1200; ms += 100) warm.tick(ms, { passed: 0, blocked: 0, concurrency: 0 });
  t.equal(warm.threshold, 10, 'warm up: count / 3 after no traffic');
  t.equal(warm.reactPassed(1200, 4), false, 'against the threshold in force: max(10 · 0.2, 4) = 4, not 30 · 0.2 = 6');
  t.equal(warm.reactPassed(1200, 5), true);
});

t.test('QPS: step() between ticks runs the loop on the counts since the tick less what earlier steps took; the tick takes the rest', async (t) => {
  t.equal(QPS_STEP_MS, 20);
  const l = new FlowLimiter(rule({ grade: 1, count: 10 }), 0, 20);
  // The same loop fed by hand with what the limiter must feed it.
  const ref = new AdmissionLoop(0, 20);
  t.same(l.tick(100, { passed: 1, blocked: 1, concurrency: 0 }), { kind: 'admit', ratio: ref.tick({ nowMs: 100, passed: 1, blocked: 1 }, 10) }, 'the tick: 20/s offered against 10');
  t.equal(l.stepDueAt(119), false, '19 ms after the tick: not yet');
  t.equal(l.step(119, 3, 0), false, 'and step() does nothing then');
  t.equal(l.stepDueAt(120), true, 'limiting, 20 ms after the tick');
  t.equal(l.step(120, 3, 0), true, 'a step that changes the ratio says so');
  t.same(l.verdict, { kind: 'admit', ratio: ref.tick({ nowMs: 120, passed: 3, blocked: 0 }, 10) }, '3 PASS since the tick');
  t.equal(l.stepDueAt(139), false, '19 ms after the step: not yet');
  l.step(140, 4, 2);
  t.same(l.verdict, { kind: 'admit', ratio: ref.tick({ nowMs: 140, passed: 1, blocked: 2 }, 10) }, 'counts since the tick 4 and 2: the step takes 1 and 2');
  t.same(l.tick(200, { passed: 5, blocked: 6, concurrency: 0 }), { kind: 'admit', ratio: ref.tick({ nowMs: 200, passed: 1, blocked: 4 }, 10) }, 'the tick takes what the steps did not: 1 PASS, 4 BLOCK');
  l.step(220, 2, 1);
  t.same(l.verdict, { kind: 'admit', ratio: ref.tick({ nowMs: 220, passed: 2, blocked: 1 }, 10) }, 'after the tick the steps count from its counts again');
  t.same(l.tick(220, { passed: 3, blocked: 1, concurrency: 0 }), l.verdict, 'a tick at the instant of the step changes nothing…');
  l.step(240, 0, 0);
  t.same(l.verdict, { kind: 'admit', ratio: ref.tick({ nowMs: 240, passed: 1, blocked: 0 }, 10) }, '…and its one PASS not yet fed goes to the next step, not lost');

  const quiet = new FlowLimiter(rule({ grade: 1, count: 10 }), 0, 0);
  for (let ms = 100; ms <= 500; ms += 100) quiet.tick(ms, { passed: 0, blocked: 0, concurrency: 0 });
  t.equal(quiet.stepDueAt(540), false, 'passing everything at an offered rate under count: no steps (the burst stop is for that)');
  const short = new FlowLimiter(rule({ grade: 1, count: 10 }), 0, 14);
  short.tick(100, { passed: 0, blocked: 0, concurrency: 0 });
  t.same(short.verdict, { kind: 'pass' }, 'a tick without traffic at 14/s offered: 1 request short, made up at p = 1');
  t.ok(short.stepDueAt(120), 'the offered rate (11.5/s) is over count: it steps though the verdict passes');
  const threads = new FlowLimiter(rule({ grade: 0, count: 2 }), 0, 100);
  threads.tick(100, { passed: 10, blocked: 0, concurrency: 2 });
  t.equal(threads.stepDueAt(200), false, 'a concurrency rule never steps');
  t.equal(threads.step(200, 5, 5), false);
});

t.test('QPS: a limiter made with an offered rate known starts at the feed-forward share (threshold ÷ offered, warm up from cold); concurrency does not', async (t) => {
  t.same(new FlowLimiter(rule({ count: 10 }), 0, 40).verdict, { kind: 'admit', ratio: 0.25 }, '10 of 40 a second');
  t.same(new FlowLimiter(rule({ count: 2.5 }), 0, 40).verdict, { kind: 'admit', ratio: 0.05 }, 'reject counts whole requests: 2 of 40');
  t.same(new FlowLimiter(rule({ count: 10 }), 0, 8).verdict, { kind: 'pass' }, 'offered under count: pass');
  t.same(new FlowLimiter(rule({ count: 10 }), 0, 0).verdict, { kind: 'pass' }, 'nothing known: pass until a tick counts its node');
  const warm = new FlowLimiter(rule({ count: 30, controlBehavior: 1, warmUpPeriodSec: 10 }), 0, 400);
  t.same([warm.threshold, warm.verdict], [10, { kind: 'admit', ratio: 10 / 400 }], 'warm up: cold, count / 3 = 10 of 400 a second');
  t.same(new FlowLimiter(rule({ count: 30, controlBehavior: 1, warmUpPeriodSec: 10 }), 0, 0).threshold, 30, 'nothing known: the threshold comes from the first tick');
  const warmAtTick = new FlowLimiter(rule({ count: 30, controlBehavior: 1, warmUpPeriodSec: 10 }), 0, 0);
  warmAtTick.tick(100, { passed: 0, blocked: 0, concurrency: 0 });
  t.equal(warmAtTick.threshold, warm.threshold, 'the same cold threshold the first tick gives');
  t.same(new FlowLimiter(rule({ grade: 0, count: 2 }), 0, 400).verdict, { kind: 'pass' }, 'concurrency: from the in-flight count at the tick');
  const l = new FlowLimiter(rule({ count: 10 }), 0, 40);
  const ref = new AdmissionLoop(0, 40);
  ref.ratio = 0.25;
  t.same(l.tick(100, { passed: 1, blocked: 3, concurrency: 0 }), { kind: 'admit', ratio: ref.tick({ nowMs: 100, passed: 1, blocked: 3 }, 10) }, 'the first tick goes on from there');
});

t.test('a rule that appears under traffic, in simulation: its starting share applies from the first 100 ms, not a pass until the first tick', async (t) => {
  const firstTick = (published: boolean) => {
    const r = simulate({
      seed: BASE_SEED + 400,
      phases: [{ untilMs: 12_000, offeredPerSec: 500 }],
      ruleAtMs: 10_000,
      filters: 4,
      start: qpsStart(100, published),
    });
    return r.admittedPerTick[100]!;
  };
  const started = firstTick(true);
  const passed = firstTick(false);
  // Same seed, same offered requests: with a pass every one offered in those 100 ms is admitted.
  t.ok(passed >= 25, `a pass until the first tick: all ${passed} offered in the rule's first 100 ms admitted`);
  t.ok(started >= 1 && started <= 0.35 * passed, `the share 100 ÷ ~500 from the start: ${started} of them admitted`);
});

t.test('QPS steps in simulation: after the offered rate jumps 10×, the first second admits close to count; without the steps it overshoots', async (t) => {
  // The daemon's timing (bench/flow-control.js): ticks every 100 ms, steps every 20 ms, each of 4
  // instances keeping a ratio 20 ms, records seen at the next 10 ms step. 100/s, offered 2× then
  // 20× at 20 s; the first second after the jump, averaged over 20 seeds. Over 20 000 seeds: one run
  // 0.90-1.12 × count with the steps (mean 1.00), 0.88-2.05 × without (mean 1.10); in groups of 20
  // the mean with the steps at most 1.014, and the mean without them over it by 0.036 to 0.221
  // (median 0.099).
  const firstSecond = (steps: boolean) => {
    const ratios: number[] = [];
    for (let k = 0; k < 20; k++) {
      const r = simulate({
        seed: BASE_SEED + 300 + k,
        phases: [{ untilMs: 20_000, offeredPerSec: 200 }, { untilMs: 23_000, offeredPerSec: 2000 }],
        filters: 4,
        qpsStepMs: steps ? QPS_STEP_MS : 0,
        verdictCacheMs: 20,
        recordDelayMs: 0,
        start: qpsStart(100),
      });
      ratios.push(r.admittedPerSecond[20]! / 100);
    }
    return ratios.reduce((a, b) => a + b, 0) / ratios.length;
  };
  const stepped = firstSecond(true);
  const ticked = firstSecond(false);
  t.ok(stepped <= 1.04, `with steps: ${stepped.toFixed(3)} × count in the first second`);
  t.ok(ticked - stepped >= 0.02, `ticks alone, same seeds: ${ticked.toFixed(3)} × count`);
});

t.test('concurrency: the headroom is shared over the time an admission stays in flight (the mean RT), not a whole tick', async (t) => {
  // One caller sending requests one after another: 90/s, each 10 ms, so never two at once. Count 1.
  const l = new FlowLimiter(rule({ grade: 0, count: 1 }), 0, 90);
  t.same(l.tick(100, { passed: 9, blocked: 0, concurrency: 0 }), { kind: 'admit', ratio: 1 / 9 }, 'before any completion: shared over the tick (9 offered a tick)');
  t.same(l.tick(200, { passed: 9, blocked: 0, concurrency: 0, completed: 9, rtSumMs: 90 }), { kind: 'pass' }, 'W = 10 ms: 0.9 in flight per admitted second-share, under the 1 free: every request admitted');
  t.same(l.tick(300, { passed: 9, blocked: 0, concurrency: 1, completed: 9, rtSumMs: 90 }), { kind: 'admit', ratio: 0 }, 'its one request in flight at the tick: 0 (until the exit is read)');
  t.equal(l.react(0), true, 'the exit read: admits again at once');
  t.same(l.verdict, { kind: 'pass' });
  // Long requests: W over the tick shares the headroom over the tick, as before.
  const slow = new FlowLimiter(rule({ grade: 0, count: 10 }), 0, 600);
  t.same(slow.tick(100, { passed: 6, blocked: 54, concurrency: 4, completed: 2, rtSumMs: 1000 }), { kind: 'admit', ratio: 0.1 }, 'W = 500 ms > the tick: 6 free over 60 offered a tick');
});

t.test('concurrency: a saturated spell without traffic does not lower the offered rate (no burst when the callers in flight come back)', async (t) => {
  // 100/s offered (10 a tick) while 1 of count 1 is in flight, then 1 s in which every caller is
  // in flight (nothing offered), then the entry ends. The estimate stays 100/s through the spell,
  // so the ratio at release shares the one free place over 100/s decayed by one 100 ms tick only.
  const l = new FlowLimiter(rule({ grade: 0, count: 1 }), 0, 100);
  let t0 = 0;
  for (let i = 0; i < 5; i++) l.tick((t0 += 100), { passed: 0, blocked: 10, concurrency: 1 });
  for (let i = 0; i < 10; i++) t.same(l.tick((t0 += 100), { passed: 0, blocked: 0, concurrency: 1 }), { kind: 'admit', ratio: 0 });
  const released = l.tick((t0 += 100), { passed: 0, blocked: 0, concurrency: 0 });
  const perSec = 100 * Math.exp(-100 / 500);
  t.same(released, { kind: 'admit', ratio: 1 / ((perSec * 100) / 1000) }, `ratio 1 / (${perSec.toFixed(2)}/s × 0.1 s); a rate decayed over the spell (${(100 * Math.exp(-1100 / 500)).toFixed(2)}/s) would give ${(1 / (100 * Math.exp(-1100 / 500) * 0.1)).toFixed(3)}`);
});

t.test('concurrency in simulation: in-flight stays around count, and recovers as calls finish', async (t) => {
  // Requests last 200 ms; 400/s offered would keep 80 in flight; count 20.
  const count = 20;
  const l = new FlowLimiter(rule({ grade: 0, count }), 0, 0);
  const ends: number[] = [];
  let ratio = 1;
  const inFlightAtTick: number[] = [];
  const seed = BASE_SEED + 7;
  t.comment(`seed ${seed}`);
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  let passed = 0;
  let blocked = 0;
  for (let ms = 0; ms < 20_000; ms++) {
    while (ends.length > 0 && ends[0]! <= ms) ends.shift();
    if (ms % 100 === 0 && ms > 0) {
      ratio = ratioOf(l.tick(ms, { passed, blocked, concurrency: ends.length }));
      inFlightAtTick.push(ends.length);
      passed = 0;
      blocked = 0;
    }
    if (rand() < 0.4) {
      if (rand() < ratio) {
        passed++;
        ends.push(ms + 200);
      } else blocked++;
    }
  }
  const steady = inFlightAtTick.slice(20);
  const avg = steady.reduce((a, b) => a + b, 0) / steady.length;
  t.ok(avg <= count * 1.1 && avg >= count * 0.6, `average in flight at ticks ${avg.toFixed(1)} (count ${count})`);
  // The ratio is decided per 100 ms tick from the in-flight count the collector saw, so a tick can
  // overshoot before the next one corrects it: over 300 seeds the peak was 28 (median) to 35 (worst)
  // for count 20; uncontrolled, 80 would be in flight.
  t.ok(Math.max(...steady) <= count * 2, `peak in flight ${Math.max(...steady)} (≤ 2 × count)`);
});

t.test('warm up: the threshold starts at count / 3 and climbs; the admitted rate tracks it', async (t) => {
  const count = 100;
  const seed = BASE_SEED + 8;
  t.comment(`seed ${seed}`);
  let limiter: FlowLimiter | undefined;
  const thresholds: number[] = [];
  const r = simulate({
    seed,
    phases: [{ untilMs: 40_000, offeredPerSec: 5 * count }],
    start: (nowMs) => {
      limiter = new FlowLimiter(rule({ count, controlBehavior: 1, warmUpPeriodSec: 10 }), nowMs, 0);
      return (tMs, passed, blocked) => {
        const v = limiter!.tick(tMs, { passed, blocked, concurrency: 0 });
        if (tMs % 1000 === 0) thresholds.push(limiter!.threshold);
        return ratioOf(v);
      };
    },
  });
  t.ok(Math.abs(thresholds[0]! / (count / 3) - 1) < 0.2, `threshold after the first second ${thresholds[0]!.toFixed(2)} ≈ count / 3`);
  // One second against the threshold: over 300 seeds 69 to 131 %.
  t.ok(Math.abs(r.admittedPerSecond[2]! / thresholds[2]! - 1) < 0.4, `second 2: ${r.admittedPerSecond[2]} admitted, threshold ${thresholds[2]!.toFixed(1)}`);
  // A second admitting under ⌊count⌋/3 refills the bucket, as in Sentinel, so the climb may step
  // back and start again: over 200 seeds count was first reached after 9 to 22 s.
  const first = thresholds.findIndex((x) => x === count);
  const shown = thresholds.slice(0, Math.max(first, 0) + 1).map((x) => x.toFixed(0)).join(' ');
  t.ok(first > 5 && first < 30, `reaches count after several seconds, within 30 s (second ${first}: ${shown})`);
  t.ok(thresholds.slice(0, first).some((x) => x > count / 2 && x < 0.9 * count), 'climbs through the values between: no jump from cold to count');
  t.ok(thresholds.every((x) => x <= count), 'never above count');
  const avg = meanOf(r.admittedPerSecond, 25, 35);
  t.ok(withinShare(avg, count, 0.05), `warmed: 10 s average ${avg.toFixed(1)}/s`);
});

t.test('rate limiter (2) and warm up + rate limiter (3) converge on count; maxQueueingTimeMs changes nothing', async (t) => {
  const count = 100;
  for (const [i, r] of [{ controlBehavior: 2, maxQueueingTimeMs: 500 }, { controlBehavior: 2, maxQueueingTimeMs: 20_000 }, { controlBehavior: 3, warmUpPeriodSec: 5 }].entries()) {
    const seed = BASE_SEED + 20 + i;
    const sim = simulate({
      seed,
      phases: [{ untilMs: 30_000, offeredPerSec: 5 * count }],
      start: (nowMs) => {
        const l = new FlowLimiter(rule({ count, ...r }), nowMs, 0);
        return (tMs, passed, blocked) => ratioOf(l.tick(tMs, { passed, blocked, concurrency: 0 }));
      },
    });
    const avg = meanOf(sim.admittedPerSecond, 15, 25);
    t.ok(withinShare(avg, count, 0.05), `${JSON.stringify(r)} (seed ${seed}): 10 s average ${avg.toFixed(1)}/s`);
  }
});

t.test('a count that is not a whole number: reject and warm up admit ⌊count⌋ a second (none below 1), the rate limiters its exact rate', async (t) => {
  // Admitted from second `fromSec` on (default 1: the simulation's filters admit everything until the first tick).
  const run = (r: Record<string, unknown>, seed: number, seconds: number, fromSec = 1): number => {
    const sim = simulate({
      seed,
      phases: [{ untilMs: seconds * 1000, offeredPerSec: 20 }],
      filters: 4,
      start: (nowMs) => {
        const l = new FlowLimiter(rule(r), nowMs, 0);
        return (tMs, passed, blocked) => ratioOf(l.tick(tMs, { passed, blocked, concurrency: 0 }));
      },
    });
    return sim.admittedPerSecond.slice(fromSec).reduce((a, b) => a + b, 0);
  };
  t.equal(new FlowLimiter(rule({ count: 2.5 }), 0).threshold, 2, 'reject: ⌊2.5⌋');
  t.equal(new FlowLimiter(rule({ count: 2.5, controlBehavior: 2 }), 0).threshold, 2.5, 'rate limiter: 2.5');
  const conc = new FlowLimiter(rule({ grade: 0, count: 2.5 }), 0, 10);
  t.same([conc.threshold, conc.react(1), conc.react(2)], [2, false, true], 'concurrency 2.5: 2 in flight is the count (Sentinel: in flight + 1 > count blocks)');
  t.equal(run({ count: 0.5 }, BASE_SEED + 40, 60), 0, 'reject, count 0.5: nothing admitted (Sentinel blocks every request)');
  t.equal(run({ count: 0.9, controlBehavior: 1, warmUpPeriodSec: 1 }, BASE_SEED + 41, 60), 0, 'warm up, count 0.9: nothing admitted');
  const twoAndAHalf = run({ count: 2.5 }, BASE_SEED + 42, 101);
  t.ok(withinShare(twoAndAHalf / 100, 2, 0.1), `reject, count 2.5: ${twoAndAHalf} in 100 s (2/s)`);
  // Below 1 a second, one admission over is more than the error's bound of a second of threshold:
  // it must still be worked off, or the loop forgets it and admits up to twice the rate. Counted
  // from 30 s on: the ~2 requests admitted before the first tick are worked off over the next
  // 20 s at 0.1/s, and a window that left them out but took in that pause read ~11 % low.
  for (const [i, count] of [0.1, 0.2, 0.5].entries()) {
    let total = 0;
    for (let k = 0; k < 5; k++) total += run({ count, controlBehavior: 2 }, BASE_SEED + 50 + 10 * i + k, 230, 30);
    const perSec = total / (5 * 200);
    t.ok(withinShare(perSec, count, 0.15), `rate limiter, count ${count}: ${perSec.toFixed(3)}/s over 5 × 200 s (from 30 s on)`);
  }
});

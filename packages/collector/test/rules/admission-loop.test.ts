// The admission control loop against a seeded simulation (traffic-sim.ts): Poisson offered
// traffic, each request admitted with the published ratio (a Bernoulli draw per request, or error
// diffusion in 4 long-lived filter instances as the SDK admits), records seen by the collector
// 50 ms later, a tick every 100 ms. Fixed seeds (SW_SEED=<n> runs every case with seed n + case
// index instead); each case prints its seed.
// - at 2×, 5×, 20× overload and limits 10, 100, 1000/s, after a 10 s warm-up the average admitted
//   rate is within ±5 % of count (over 10 s at 100 and 1000/s; over 30 s at 10/s, see below),
//   with either way of admitting;
// - no windup: a long spell below count (ratio → 1, nothing blocked) is not paid back as a burst;
//   a short lull (under a second) is made up;
// - records seen late: admissions while the ratio is 0 count, so the average is not biased over;
// - after the offered rate jumps the admitted rate converges on count again;
// - the simulation's verdict cache (as the bench uses it): an instance keeps a ratio it read for
//   verdictCacheMs, a ratio of 0 not at all.

import t from 'tap';
import { AdmissionLoop } from '../../src/rules/admission-loop.js';
import { burstFirstSecond, lullAdmitted, runLoop as run, SCENARIO_COUNT } from './loop-sim.js';
import { meanOf, simulate, withinShare, type SimResult } from './traffic-sim.js';

// The loop's integral action keeps the admitted total within a few requests of count × time, so
// an average's error shrinks as 1 / window. At 10/s a 10 s window holds about 100 admissions and
// ±5 % is ±5 requests, which the per-request binomial noise reaches in about one window in
// fifteen (measured over 200 seeds: worst 9 %); over 30 s (300 admissions) the worst of 200 seeds
// was 2.7 %. At 100 and 1000/s the 10 s window holds enough requests (worst seen 2.4 %).
const BASE_SEED = process.env.SW_SEED ? Number(process.env.SW_SEED) : 20261140;

t.test('steady overload: the average admitted rate is within ±5 % of count', async (t) => {
  for (const [filters, how] of [[0, 'a draw per request'], [4, '4 instances, error diffusion']] as const) {
    let i = 0;
    for (const count of [10, 100, 1000]) {
      for (const overload of [2, 5, 20]) {
        const seed = BASE_SEED + i++;
        const windowSec = count < 100 ? 30 : 10;
        const { r } = run(seed, count, [{ untilMs: (10 + windowSec) * 1000, offeredPerSec: count * overload }], filters);
        const avg = meanOf(r.admittedPerSecond, 10, 10 + windowSec);
        t.ok(withinShare(avg, count, 0.05), `${how}: count ${count}/s at ${overload}× (seed ${seed}; SW_SEED=${BASE_SEED} replays the set): ${windowSec} s average ${avg.toFixed(1)}/s`);
      }
    }
  }
});

t.test('no windup: below count the ratio goes to 1 and nothing is blocked; the deficit is not paid back as a burst', async (t) => {
  const seed = BASE_SEED + 100;
  t.comment(`seed ${seed}`);
  const count = 100;
  const { r, loop } = run(seed, count, [
    { untilMs: 10_000, offeredPerSec: 20 * count },
    { untilMs: 70_000, offeredPerSec: 0.5 * count },
    { untilMs: 90_000, offeredPerSec: 5 * count },
  ]);
  // 60 s at half the limit: (nearly) every request admitted once the loop has seen the drop. The
  // loop reads rates per 100 ms tick, so a Poisson burst in one tick can trim a few requests
  // (over 300 seeds the admitted share was 99.8 % at worst).
  let offeredQuiet = 0;
  let admittedQuiet = 0;
  for (let s = 12; s < 70; s++) {
    offeredQuiet += r.offeredPerSecond[s]!;
    admittedQuiet += r.admittedPerSecond[s]!;
  }
  t.ok(admittedQuiet >= 0.99 * offeredQuiet, `seconds 12-69: ${admittedQuiet} of ${offeredQuiet} admitted (≥ 99 %)`);
  t.equal(r.ratios[Math.floor(69_900 / 100) - 1], 1, 'ratio 1 at the end of the quiet spell');
  // Without anti-windup the 60 s deficit (about 3000 requests) would be admitted on top of count.
  const firstSecond = r.admittedPerSecond[70]!;
  t.ok(firstSecond <= 1.5 * count, `first second after the jump: ${firstSecond} admitted (≤ 1.5 × count)`);
  const avg = meanOf(r.admittedPerSecond, 75, 85);
  t.ok(withinShare(avg, count, 0.05), `10 s average from 5 s after the jump: ${avg.toFixed(1)}/s`);
  t.ok(Math.abs(loop().error) <= count, `cumulative error bounded: ${loop().error.toFixed(1)}`);
});

t.test('a short lull is made up within about a second; without catch-up it is lost', async (t) => {
  // lullAdmitted (loop-sim.ts): 2× offered at count 100/s, nothing offered from 20.0 to 20.5 s. Seconds 20-22 allow 300.
  // One run lands 281 to 317 with catch-up and 261 to 307 without (20 000 seeds), so the claims are
  // on 30 seeds' means: over 20 000 seeds in groups of 30, the mean with catch-up was 297.8 to 302.5,
  // without it at most 286.9, and what catch-up made up at least 13.0 a run (admission-bounds.ts).
  const count = SCENARIO_COUNT;
  const runs = 30;
  let withCatchUp = 0;
  let without = 0;
  const seen: number[] = [];
  for (let k = 0; k < runs; k++) {
    const seed = BASE_SEED + 300 + k;
    const a = lullAdmitted(seed);
    seen.push(a);
    withCatchUp += a / runs;
    without += lullAdmitted(seed, 0) / runs;
  }
  const seeds = `seeds ${BASE_SEED + 300} … ${BASE_SEED + 300 + runs - 1}: one run ${Math.min(...seen)} to ${Math.max(...seen)}`;
  t.ok(Math.abs(withCatchUp - 3 * count) <= 5, `${withCatchUp.toFixed(1)} admitted in seconds 20-22 on average (300 ± 5; ${seeds})`);
  t.ok(without <= 3 * count - 8, `catchUpSec 0 on the same seeds: ${without.toFixed(1)} on average (short by 8 or more)`);
  t.ok(withCatchUp - without >= 8, `made up ${(withCatchUp - without).toFixed(1)} a run on average`);
});

t.test('converges after the offered rate jumps (up and down) and when the rule appears mid-traffic', async (t) => {
  const count = 100;
  const seed = BASE_SEED + 200;
  t.comment(`seed ${seed}`);
  const { r } = run(seed, count, [
    { untilMs: 20_000, offeredPerSec: 2 * count },
    { untilMs: 40_000, offeredPerSec: 20 * count },
    { untilMs: 60_000, offeredPerSec: 3 * count },
  ]);
  for (const [from, label] of [[5, 'after the start'], [25, '5 s after 2× → 20×'], [45, '5 s after 20× → 3×']] as const) {
    const avg = meanOf(r.admittedPerSecond, from, from + 10);
    t.ok(withinShare(avg, count, 0.05), `${label}: 10 s average ${avg.toFixed(1)}/s`);
  }
  // One second is one noisy sample: over 300 seeds the worst of these six seconds was 29 % off.
  for (const s of [22, 23, 24, 42, 43, 44]) {
    t.ok(Math.abs(r.admittedPerSecond[s]! / count - 1) <= 0.35, `second ${s}: ${r.admittedPerSecond[s]} admitted (within 35 % two seconds after a jump)`);
  }
  const late = simulate({
    seed: seed + 1,
    ruleAtMs: 5000,
    phases: [{ untilMs: 25_000, offeredPerSec: 10 * count }],
    start: (nowMs, offered) => {
      const l = new AdmissionLoop(nowMs, offered);
      return (tMs, passed, blocked) => l.tick({ nowMs: tMs, passed, blocked }, count);
    },
  });
  t.ok(late.admittedPerSecond[3]! > 5 * count, 'before the rule everything passes');
  // (Over 300 seeds: 68 to 106 % of count.)
  t.ok(Math.abs(late.admittedPerSecond[6]! / count - 1) <= 0.35, `the second after the rule appears (primed with the last second's offered rate): ${late.admittedPerSecond[6]}`);
  const avg = meanOf(late.admittedPerSecond, 10, 20);
  t.ok(withinShare(avg, count, 0.05), `10 s average from 5 s after the rule appeared: ${avg.toFixed(1)}/s`);
});

t.test('records seen late: what filters admit while the ratio is 0 is counted, so the long-run average is count, not over it', async (t) => {
  // 10/s at 2× to 4 instances, records seen 50 ms late, a tick every 100 ms (run's timing): the loop
  // often sets ratio 0 while admissions made on the ratio before are still to be seen. Leaving those
  // out of the error (as the loop once did) put the average 0.82-0.89 % over count on three sets of
  // 100 seeds; counted, it was −0.08 to +0.02 %.
  const count = 10;
  const seeds = 100;
  let sum = 0;
  for (let k = 0; k < seeds; k++) {
    const { r } = run(BASE_SEED + 600 + k, count, [{ untilMs: 70_000, offeredPerSec: 2 * count }], 4);
    sum += meanOf(r.admittedPerSecond, 10, 70) / seeds;
  }
  const biasPct = 100 * (sum / count - 1);
  t.ok(Math.abs(biasPct) <= 0.3, `mean admitted over seconds 10-70 of seeds ${BASE_SEED + 600} … ${BASE_SEED + 600 + seeds - 1}: ${sum.toFixed(3)}/s (${biasPct.toFixed(2)} % from count)`);
});

t.test('one tick, by hand: feed-forward, integral and clamps', async (t) => {
  const l = new AdmissionLoop(0, 1000, { integralTimeMs: 500, offeredTimeConstantMs: 100, maxErrorSec: 1 });
  t.equal(l.ratio, 1, 'starts admitting everything');
  // 100 ms: 100 passed, 0 blocked at ratio 1 (offered 1000/s) against count 100/s.
  const alpha = 1 - Math.exp(-1);
  const offered = 1000 + alpha * (1000 - 1000);
  const error = 100 - 10; // admitted − count · 0.1 s
  t.equal(l.tick({ nowMs: 100, passed: 100, blocked: 0 }, 100), Math.max(0, (100 - (error * 1000) / 500) / offered));
  t.equal(l.error, 90);
  t.equal(l.ratio, 0, 'target 100 − 90/0.5 s < 0 → clamped at 0');
  t.equal(l.tick({ nowMs: 100, passed: 5, blocked: 5 }, 100), 0, 'a tick that does not advance the clock changes nothing');
  t.equal(l.error, 90);
  l.tick({ nowMs: 200, passed: 5, blocked: 0 }, 100);
  t.equal(l.error, 85, 'ratio 0 admitting anyway (filters still on an older ratio, records that came late): integrated, 90 + 5 − 10');
  l.tick({ nowMs: 300, passed: 50, blocked: 0 }, 100);
  t.equal(l.error, 100, '…up to the clamp: 85 + 50 − 10 → count × maxErrorSec');
  // A huge overshoot is clamped to one second of count.
  const burst = new AdmissionLoop(0, 1000, { maxErrorSec: 1 });
  burst.tick({ nowMs: 100, passed: 10_000, blocked: 0 }, 100);
  t.equal(burst.error, 100, 'anti-windup clamp: +count × maxErrorSec');
  const quiet = new AdmissionLoop(0, 1000, { maxErrorSec: 2 });
  quiet.tick({ nowMs: 100, passed: 0, blocked: 100 }, 100);
  t.equal(quiet.error, -10, 'ratio 1 but more offered than count (everything blocked by stale filters): integrated');
  t.equal(quiet.ratio, 0.15, '(count 100 + 10 / 0.2 s: the default integral time) / offered 1000');
  // Ratio 1 and less offered than count: a shortfall of at most catchUpSec (0.5 s) of count is
  // kept to be made up; once the offered rate has stayed at or below count for catchUpWithinMs
  // (1 s), it is forgiven (no windup).
  const low = new AdmissionLoop(0, 50);
  low.tick({ nowMs: 100, passed: 5, blocked: 0 }, 100);
  t.equal(low.error, -5, 'ratio 1, 5 of 10 allowed admitted: the shortfall of a short lull is kept');
  t.equal(low.ratio, 1);
  for (let ms = 200; ms <= 900; ms += 100) low.tick({ nowMs: ms, passed: 5, blocked: 0 }, 100);
  t.equal(low.error, -45, '0.9 s below count: −5 a tick');
  low.tick({ nowMs: 1000, passed: 0, blocked: 0 }, 100);
  t.equal(low.error, -50, 'kept down to count × catchUpSec (−50), not −55');
  low.tick({ nowMs: 1100, passed: 5, blocked: 0 }, 100);
  t.equal(low.error, 0, 'below count for more than 1 s: a quiet spell, not a lull; the shortfall is forgiven');
  low.tick({ nowMs: 1200, passed: 5, blocked: 0 }, 100);
  t.equal(low.error, 0, 'and not integrated while the spell lasts');
  const none = new AdmissionLoop(0, 50, { catchUpSec: 0 });
  none.tick({ nowMs: 100, passed: 5, blocked: 0 }, 100);
  t.equal(none.error, 0, 'catchUpSec 0: no shortfall is kept');
  const zero = new AdmissionLoop(0, 0);
  t.equal(zero.tick({ nowMs: 100, passed: 0, blocked: 0 }, 0), 0, 'count 0 with nothing offered: ratio 0');
  t.equal(zero.tick({ nowMs: 200, passed: 0, blocked: 10 }, 0), 0, 'count 0: admit nothing');
  const idle = new AdmissionLoop(0, 0);
  t.equal(idle.tick({ nowMs: 100, passed: 0, blocked: 0 }, 5), 1, 'nothing offered: admit everything');
});

t.test('burstPast, by hand: only in a quiet spell, past max(threshold · burstSec, 4 requests) counting the time since the tick', async (t) => {
  const l = new AdmissionLoop(0, 0);
  for (let ms = 100; ms <= 1000; ms += 100) l.tick({ nowMs: ms, passed: 0, blocked: 0 }, 100);
  t.equal(l.ratio, 1, 'nothing offered: ratio 1');
  t.equal(l.burstPast(1000, 0, 100), false, 'quiet for 1 s, not over it: not a quiet spell yet');
  l.tick({ nowMs: 1100, passed: 0, blocked: 0 }, 100);
  t.equal(l.error, 0, 'over a second without traffic: no shortfall kept');
  t.equal(l.burstPast(20, 0, 100), false, '20 PASS at once against 100 · 0.2 = 20: at the bound');
  t.equal(l.burstPast(21, 0, 100), true, '21: past it');
  t.equal(l.burstPast(25, 50, 100), false, '25 PASS 50 ms after the tick: 25 − 5 = 20');
  t.equal(l.burstPast(26, 50, 100), true);
  t.equal(l.burstPast(5, 0, 10), true, 'threshold 10: the bound is 4 requests (10 · 0.2 = 2 is less)');
  t.equal(l.burstPast(4, 0, 10), false);
  t.equal(new AdmissionLoop(0, 0, { burstSec: 0 }).burstPast(1000, 0, 10), false, 'burstSec 0: never');
  const limited = new AdmissionLoop(0, 1000);
  limited.tick({ nowMs: 100, passed: 10, blocked: 90 }, 100);
  t.ok(limited.ratio < 1, `a ratio below 1 (${limited.ratio.toFixed(3)})…`);
  t.equal(limited.burstPast(1000, 0, 100), false, '…is left to the tick');
  const lull = new AdmissionLoop(0, 1000);
  lull.tick({ nowMs: 100, passed: 10, blocked: 90 }, 100);
  for (let ms = 200; ms <= 500; ms += 100) lull.tick({ nowMs: ms, passed: 0, blocked: 0 }, 100);
  t.equal(lull.ratio, 1, 'a lull of 400 ms inside traffic: ratio 1…');
  t.equal(lull.burstPast(1000, 0, 100), false, '…but no quiet spell: the traffic coming back is the loop\'s to meter');
});

t.test('after no traffic, a burst of 20× count: the stop between ticks admits less of it in the first second', async (t) => {
  // burstFirstSecond (loop-sim.ts): the first second's admissions ÷ count, each seed with the stop (default) and
  // without it (burstSec 0). Over 20 000 seeds (admission-bounds.ts): with the stop 1.04 to 1.89
  // (median 1.39), without 1.49 to 2.60 (median 2.00), with the stop less on every seed; in groups
  // of 20 seeds the mean with it at most 1.488, without it at least 1.906.
  let withStop = 0;
  let without = 0;
  for (let k = 0; k < 20; k++) {
    const seed = BASE_SEED + 400 + k;
    const a = burstFirstSecond(seed);
    const b = burstFirstSecond(seed, 0);
    t.ok(a < b, `seed ${seed}: ${a.toFixed(2)} × count in the first second with the stop, ${b.toFixed(2)} without`);
    withStop += a / 20;
    without += b / 20;
  }
  t.ok(without > 1.8, `without the stop: ${without.toFixed(2)} × count on average`);
  t.ok(withStop < 1.6, `with it: ${withStop.toFixed(2)} × count on average`);
});

t.test('the simulation\'s verdict cache: an instance keeps the ratio it read for verdictCacheMs, a ratio of 0 not at all', async (t) => {
  // 10 000/s offered to 4 instances (each gets requests every 10 ms step: ~25, none with a chance of
  // e^-25), so each reads the ratio when its cache runs out: instances 0 and 2 at even multiples of
  // 10 ms, 1 and 3 at odd ones. The ratio is 1, then 0 from the tick at 1 s, then 1 from the tick at 2 s.
  const run = (verdictCacheMs: number) =>
    simulate({
      seed: BASE_SEED + 500,
      phases: [{ untilMs: 3000, offeredPerSec: 10_000 }],
      filters: 4,
      verdictCacheMs,
      start: () => (nowMs) => (nowMs < 1000 || nowMs >= 2000 ? 1 : 0),
    });
  const cached = run(20);
  const fresh = run(0);
  t.equal(fresh.admittedPerTick[10], 0, 'read per request: nothing admitted from the tick that publishes 0');
  const held = cached.admittedPerTick[10]!;
  // Instances 1 and 3 read 1 at 990 ms: they admit every request of the step at 1000 ms (half of
  // ~100: a count under 10 or over 120 has a chance under 10^-9), and nothing after 1010 ms.
  t.ok(held >= 10 && held <= 120, `kept 20 ms: ${held} admitted in the first 10 ms after the tick, by the two instances that read 1 at 990 ms`);
  t.equal(cached.admittedPerTick[11], 0, 'then nothing');
  t.equal(cached.admittedPerTick[20], fresh.admittedPerTick[20], 'a ratio of 0 is not kept: back at 1 from the tick at 2 s, as when read per request');
  t.ok(fresh.admittedPerTick[20]! > 800, `(${fresh.admittedPerTick[20]} admitted in that tick, of ~1 000 offered)`);
});

t.test('the simulation of serve\'s pool: requests that do not overlap all meet one instance; long ones spread over more', async (t) => {
  // A fixed ratio of 1/4 from the start: what each way of handing out instances admits of the same offered load.
  const run = (seed: number, serveRequestMs: number | undefined, offeredPerSec: number) =>
    simulate({
      seed,
      phases: [{ untilMs: 20_000, offeredPerSec }],
      filters: 4,
      serveRequestMs,
      start: () => Object.assign(() => 0.25, { initialRatio: 0.25 }),
    });
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  /** The largest gap in any one second between what was admitted and a quarter of what was offered. */
  const worstSecond = (r: SimResult) => Math.max(...r.admittedPerSecond.map((a, s) => Math.abs(a - 0.25 * r.offeredPerSecond[s]!)));
  let worstInstant = 0;
  for (let k = 0; k < 20; k++) {
    // 20 requests/s of no duration: each finds the instance the one before released, on top of the stack,
    // so one credit admits them all: every second within 1 of a quarter of its offered requests.
    worstInstant = Math.max(worstInstant, worstSecond(run(BASE_SEED + 600 + k, 0, 20)));
  }
  t.ok(worstInstant < 1, `one instance: every second within ${worstInstant.toFixed(2)} of offered / 4, over 20 runs`);
  // 200 requests/s of 100 ms each: about 20 at once, more than the 4 instances, so extra instances (a credit
  // of their own each, a draw) serve most: the average still follows the ratio, a second does not.
  const long = run(BASE_SEED + 700, 100, 200);
  const share = sum(long.admittedPerSecond) / sum(long.offeredPerSecond);
  t.ok(Math.abs(share - 0.25) < 0.03, `requests of 100 ms at 200/s: ${share.toFixed(4)} of the offered admitted`);
  t.ok(worstSecond(long) > 1, `more than one credit at work there (a second ${worstSecond(long).toFixed(1)} off a quarter)`);
});

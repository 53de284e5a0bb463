// Owns running the admission control loop (collector rules/admission-loop.ts) in the seeded
// traffic simulation (traffic-sim.ts) the way the daemon runs it: an AdmissionLoop ticked every
// 100 ms and, when asked, the burst stop checked after each read between ticks; and the two
// scenarios whose figures are random enough to need bounds set over many seeds. Shared by
// admission-loop.test.ts and admission-bounds.ts (the distributions behind the test's bounds).

import { AdmissionLoop, type AdmissionLoopOptions } from '../../src/rules/admission-loop.js';
import { simulate, type Phase, type SimResult } from './traffic-sim.js';

/**
 * The simulation with an AdmissionLoop ticked every 100 ms; with `betweenTicks`, also asked after
 * each read between ticks whether a burst should stop admission (burstPast), as the daemon asks.
 */
export function runLoop(seed: number, count: number, phases: Phase[], filters = 0, opts: AdmissionLoopOptions = {}, betweenTicks = false): { r: SimResult; loop: () => AdmissionLoop } {
  let loop: AdmissionLoop | undefined;
  const r = simulate({
    seed,
    phases,
    filters,
    start: (nowMs, offered) => {
      const l = new AdmissionLoop(nowMs, offered, opts);
      loop = l;
      let tickMs = nowMs;
      const decide = (tMs: number, passed: number, blocked: number): number => {
        tickMs = tMs;
        return l.tick({ nowMs: tMs, passed, blocked }, count);
      };
      if (!betweenTicks) return decide;
      return Object.assign(decide, { react: (tMs: number, passed: number) => (l.burstPast(passed, tMs - tickMs, count) ? 0 : undefined) });
    },
  });
  return { r, loop: () => loop! };
}

/** The limit of the two scenarios below, requests a second. */
export const SCENARIO_COUNT = 100;

/**
 * After 30 s without traffic, 20× SCENARIO_COUNT offered to 4 instances: the first second's
 * admissions ÷ count, the burst stop checked between ticks (`burstSec`: the loop's option, default
 * when undefined; 0 turns the stop off).
 */
export function burstFirstSecond(seed: number, burstSec?: number): number {
  const phases = [{ untilMs: 30_000, offeredPerSec: 0 }, { untilMs: 35_000, offeredPerSec: 20 * SCENARIO_COUNT }];
  return runLoop(seed, SCENARIO_COUNT, phases, 4, burstSec === undefined ? {} : { burstSec }, true).r.admittedPerSecond[30]! / SCENARIO_COUNT;
}

/**
 * 2× SCENARIO_COUNT offered to 4 instances, nothing from 20.0 to 20.5 s: admitted in seconds 20-22
 * (`catchUpSec`: the loop's option, default when undefined; 0 keeps no shortfall).
 */
export function lullAdmitted(seed: number, catchUpSec?: number): number {
  const phases = [
    { untilMs: 20_000, offeredPerSec: 2 * SCENARIO_COUNT },
    { untilMs: 20_500, offeredPerSec: 0 },
    { untilMs: 30_000, offeredPerSec: 2 * SCENARIO_COUNT },
  ];
  const { r } = runLoop(seed, SCENARIO_COUNT, phases, 4, catchUpSec === undefined ? {} : { catchUpSec });
  return r.admittedPerSecond[20]! + r.admittedPerSecond[21]! + r.admittedPerSecond[22]!;
}

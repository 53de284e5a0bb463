// Owns running the admission control loop (collector rules/admission-loop.ts) in the seeded
// traffic simulation (traffic-sim.ts) the way the daemon runs it: an AdmissionLoop ticked every
// 100 ms and, when asked, the burst stop checked after each read between ticks. Shared by
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

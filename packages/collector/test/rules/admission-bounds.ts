// Prints the distributions behind admission-loop.test.ts's statistical bounds (not a test: tap
// runs only *.test.ts): over seeds 0 … N−1, one run's figure and the means of the groups of seeds
// the test averages over, for the burst stop (20 seeds a group) and the short lull (30 a group).
// A bound in the test should sit well outside what this prints for a large N.
//
//   node --import=tsx packages/collector/test/rules/admission-bounds.ts [N]   (default 20 000: ~40 s)

import { runLoop } from './loop-sim.js';

const seeds = Number(process.argv[2] ?? 20_000);
if (!Number.isSafeInteger(seeds) || seeds < 30) throw new Error(`N must be an integer of at least 30, got ${process.argv[2]}`);

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);
const range = (xs: readonly number[]): string => {
  const s = sorted(xs);
  return `${s[0]} to ${s[s.length - 1]} (median ${s[Math.floor(s.length / 2)]})`;
};
/** Means of consecutive groups of `size` (the last partial group left out). */
const groupMeans = (xs: readonly number[], size: number): number[] => {
  const means: number[] = [];
  for (let i = 0; i + size <= xs.length; i += size) means.push(xs.slice(i, i + size).reduce((a, b) => a + b, 0) / size);
  return means;
};
const round = (v: number): number => Math.round(v * 1000) / 1000;

{
  // After no traffic, 20× count (100/s): the first second's admissions ÷ count, with and without the stop.
  const count = 100;
  const phases = [{ untilMs: 30_000, offeredPerSec: 0 }, { untilMs: 35_000, offeredPerSec: 20 * count }];
  const withStop: number[] = [];
  const without: number[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    withStop.push(runLoop(seed, count, phases, 4, {}, true).r.admittedPerSecond[30]! / count);
    without.push(runLoop(seed, count, phases, 4, { burstSec: 0 }, true).r.admittedPerSecond[30]! / count);
  }
  const notLess = withStop.filter((a, i) => a >= without[i]!).length;
  console.log(`burst stop, ${seeds} seeds: with ${range(withStop)}, without ${range(without)}; with not less than without on ${notLess} seeds`);
  console.log(`  means of 20 seeds: with at most ${round(Math.max(...groupMeans(withStop, 20)))}, without at least ${round(Math.min(...groupMeans(without, 20)))}`);
}
{
  // 2× offered at count 100/s, nothing from 20.0 to 20.5 s: admitted in seconds 20-22, with and without catch-up.
  const count = 100;
  const phases = [
    { untilMs: 20_000, offeredPerSec: 2 * count },
    { untilMs: 20_500, offeredPerSec: 0 },
    { untilMs: 30_000, offeredPerSec: 2 * count },
  ];
  const withCatchUp: number[] = [];
  const without: number[] = [];
  const admitted = (seed: number, opts: { catchUpSec?: number }): number => {
    const { r } = runLoop(seed, count, phases, 4, opts);
    return r.admittedPerSecond[20]! + r.admittedPerSecond[21]! + r.admittedPerSecond[22]!;
  };
  for (let seed = 0; seed < seeds; seed++) {
    withCatchUp.push(admitted(seed, {}));
    without.push(admitted(seed, { catchUpSec: 0 }));
  }
  const meansWith = groupMeans(withCatchUp, 30);
  const madeUp = groupMeans(withCatchUp.map((a, i) => a - without[i]!), 30);
  console.log(`short lull, ${seeds} seeds: with catch-up ${range(withCatchUp)}, without ${range(without)}`);
  console.log(`  means of 30 seeds: with ${round(Math.min(...meansWith))} to ${round(Math.max(...meansWith))}, without at most ${round(Math.max(...groupMeans(without, 30)))}, made up at least ${round(Math.min(...madeUp))}`);
}

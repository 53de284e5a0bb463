// Prints the distributions behind admission-loop.test.ts's statistical bounds (not a test: tap
// runs only *.test.ts): over seeds 0 … N−1, one run's figure and the means of the groups of seeds
// the test averages over, for the burst stop (20 seeds a group) and the short lull (30 a group).
// A bound in the test should sit well outside what this prints for a large N.
//
//   node --import=tsx packages/collector/test/rules/admission-bounds.ts [N]   (default 20 000: ~40 s)

import { burstFirstSecond, lullAdmitted } from './loop-sim.js';

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
  // After no traffic, 20× count: the first second's admissions ÷ count, with and without the stop.
  const withStop: number[] = [];
  const without: number[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    withStop.push(burstFirstSecond(seed));
    without.push(burstFirstSecond(seed, 0));
  }
  const notLess = withStop.filter((a, i) => a >= without[i]!).length;
  console.log(`burst stop, ${seeds} seeds: with ${range(withStop)}, without ${range(without)}; with not less than without on ${notLess} seeds`);
  console.log(`  means of 20 seeds: with at most ${round(Math.max(...groupMeans(withStop, 20)))}, without at least ${round(Math.min(...groupMeans(without, 20)))}`);
}
{
  // A lull of 0.5 s at 2× count: admitted in seconds 20-22, with and without catch-up.
  const withCatchUp: number[] = [];
  const without: number[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    withCatchUp.push(lullAdmitted(seed));
    without.push(lullAdmitted(seed, 0));
  }
  const meansWith = groupMeans(withCatchUp, 30);
  const madeUp = groupMeans(withCatchUp.map((a, i) => a - without[i]!), 30);
  console.log(`short lull, ${seeds} seeds: with catch-up ${range(withCatchUp)}, without ${range(without)}`);
  console.log(`  means of 30 seeds: with ${round(Math.min(...meansWith))} to ${round(Math.max(...meansWith))}, without at most ${round(Math.max(...groupMeans(without, 30)))}, made up at least ${round(Math.min(...madeUp))}`);
}

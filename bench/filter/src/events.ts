// Owns the events the benchmark component loops over: the first RING events of the standard
// benchmark workload (bench/lib/workload.js, the same generator and seed as the ingest
// benchmarks: Zipf(1.1) over 1 000 names of 12–40 bytes, 85/5/10 % ok/error/blocked, log-normal RT,
// 20 % with an origin), generated once when the component starts, then replayed cyclically.

// @ts-ignore -- plain JS module shared with the Node side of the benchmarks
import { OUTCOME_BLOCK, OUTCOME_ERROR, STANDARD, generate } from '../../lib/workload.js';

/** The seed of bench/run.js's default run. */
export const SEED = 20261126;
const RING = 4096;
const w = generate(STANDARD, RING, SEED);

export interface BenchEvent {
  name: string;
  rtMs: number;
  /** 0 ok, 1 error, 2 blocked. */
  outcome: number;
  origin: string | undefined;
}

const scratch: BenchEvent = { name: '', rtMs: 0, outcome: 0, origin: undefined };

/** Event i of the ring (a reused object). */
export function eventAt(i: number): BenchEvent {
  const k = i & (RING - 1);
  scratch.name = w.names[w.nameIdx[k]];
  scratch.rtMs = w.rtMs[k];
  scratch.outcome = w.outcome[k] === OUTCOME_BLOCK ? 2 : w.outcome[k] === OUTCOME_ERROR ? 1 : 0;
  const o = w.originIdx[k];
  scratch.origin = o < 0 ? undefined : w.origins[o];
  return scratch;
}

/** A resource id for event i's name (its index among the workload's names, plus 1), for the encoder's id mode. */
export function eventIdAt(i: number): number {
  return w.nameIdx[i & (RING - 1)] + 1;
}

// Owns the events the benchmark component loops over: the first RING events of the standard
// benchmark workload (bench/lib/workload.js, the same generator and seed as the ingest
// benchmarks: Zipf(1.1) over 1 000 names of 12–40 bytes, 85/5/10 % ok/error/blocked, log-normal RT,
// 20 % with an origin), made once into event objects when the component starts, then replayed
// cyclically: taking an event is one array read, so the modes time what is done with the event
// (a filter has its request's values at hand), not the benchmark copying them out of its columns.

// @ts-ignore -- plain JS module shared with the Node side of the benchmarks
import { OUTCOME_BLOCK, OUTCOME_ERROR, STANDARD, generate } from '../../lib/workload.js';

/** The seed of bench/run.js's default run. */
export const SEED = 20261126;
const RING = 4096;

export interface BenchEvent {
  readonly name: string;
  readonly rtMs: number;
  /** 0 ok, 1 error, 2 blocked. */
  readonly outcome: number;
  readonly origin: string | undefined;
  /** A resource id for the name (its index among the workload's names, plus 1), for the encoder's id mode. */
  readonly id: number;
}

function makeEvents(): BenchEvent[] {
  const w = generate(STANDARD, RING, SEED);
  const events: BenchEvent[] = [];
  for (let k = 0; k < RING; k++) {
    const o = w.originIdx[k];
    events.push({
      name: w.names[w.nameIdx[k]],
      rtMs: w.rtMs[k],
      outcome: w.outcome[k] === OUTCOME_BLOCK ? 2 : w.outcome[k] === OUTCOME_ERROR ? 1 : 0,
      origin: o < 0 ? undefined : w.origins[o],
      id: w.nameIdx[k] + 1,
    });
  }
  return events;
}

const EVENTS = makeEvents();

/** Event i of the ring. */
export function eventAt(i: number): BenchEvent {
  return EVENTS[i & (RING - 1)]!;
}

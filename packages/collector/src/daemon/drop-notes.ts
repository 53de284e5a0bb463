// Owns turning the store's silent drops into problems: records counted on the total node only
// (resources beyond --max-resources), records not counted on an origin node (origins beyond the
// cap), records dropped as too far in the future or too late. The store's hot path only counts
// them (health counters); once per cycle the collector asks this module, which reports each
// counter that grew as one problem with a stable code, saying how many and what to do, at most
// once per PROBLEM_REPEAT_MS per counter (the next report covers what came meanwhile). Counts
// already there when it starts (restored from a checkpoint) were reported before: not again.

import { PROBLEM_REPEAT_MS, type FullHealthCounters, type HealthLog } from '../stats/health.js';

/** The store's caps and windows the messages name (a StatsStore has them). */
export interface DropLimits {
  readonly maxResources: number;
  readonly maxOriginNodes: number;
  readonly maxFutureMs: number;
  readonly lateLimitSec: number;
  readonly firstStartHorizonMs: number;
}

type DropCounter = 'resourcesOverflow' | 'originsOverflow' | 'recordsFuture' | 'recordsLateDropped';

const records = (n: number): string => `${n} record${n === 1 ? '' : 's'}`;

/** Per counter: its problem code, and the message for n more records. */
const NOTES: ReadonlyArray<{ counter: DropCounter; code: string; message: (n: number, l: DropLimits) => string }> = [
  {
    counter: 'resourcesOverflow',
    code: 'E_RESOURCES_OVERFLOW',
    message: (n, l) => `${records(n)} of resources beyond the ${l.maxResources} the collector keeps (--max-resources) counted on the total node only (no resource node or metric-log line of their own); raise --max-resources`,
  },
  {
    counter: 'originsOverflow',
    code: 'E_ORIGINS_OVERFLOW',
    message: (n, l) => `${records(n)} from origins beyond the ${l.maxOriginNodes} origin nodes kept counted on their resource only`,
  },
  {
    counter: 'recordsFuture',
    code: 'E_RECORDS_FUTURE',
    message: (n, l) => `${records(n)} stamped more than ${l.maxFutureMs / 1000} s after the collector's clock dropped (is a writer's clock ahead?)`,
  },
  {
    counter: 'recordsLateDropped',
    code: 'E_RECORDS_LATE_DROPPED',
    message: (n, l) =>
      `${records(n)} too old to count dropped (more than ${l.lateLimitSec} s behind the newest second in the metric log, or, before the first second is sealed, more than ${l.firstStartHorizonMs / 3_600_000} h old)`,
  },
];

export class DropNotes {
  private readonly health: HealthLog;
  private readonly limits: DropLimits;
  /** Per counter: its value when last reported (or at start), and when. */
  private readonly noted = new Map<DropCounter, { value: number; atMs: number }>();

  constructor(health: HealthLog, limits: DropLimits) {
    this.health = health;
    this.limits = limits;
    // The counters as they are now (restored from a checkpoint) were reported before.
    for (const { counter } of NOTES) this.noted.set(counter, { value: this.health.counters[counter], atMs: -Infinity });
  }

  /** Reports the counters that grew since their last report, unless that was less than PROBLEM_REPEAT_MS ago. */
  noteAt(nowMs: number): void {
    const counters: FullHealthCounters = this.health.counters;
    for (const { counter, code, message } of NOTES) {
      const last = this.noted.get(counter)!;
      const grown = counters[counter] - last.value;
      if (grown <= 0 || nowMs - last.atMs < PROBLEM_REPEAT_MS) continue;
      this.health.problem({ atMs: nowMs, code, message: message(grown, this.limits) });
      this.noted.set(counter, { value: counters[counter], atMs: nowMs });
    }
  }
}

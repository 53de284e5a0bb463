// Owns the collector's health: the counters of what was counted, skipped and dropped, and the
// bounded list of recent problems with stable codes. The tailer and the ingestor report through
// the HealthSink interface (counts, gauges, problems) and never see the statistics; the store's
// hot path increments its own counters on the same HealthLog directly. A problem identical to one
// reported less than PROBLEM_REPEAT_MS before (same code, segment and message) is not reported
// again but counted; the next report after the interval says how many repeats it stands for.

import { RepeatGate } from './repeat-gate.js';
import type { HealthCounters } from './types.js';

export type FullHealthCounters = Required<HealthCounters>;

/** Counters that are levels (set on each pass), not running totals. */
export type HealthGauge = 'lagBytes' | 'segmentsActive' | 'segmentsBadName';

export interface Problem {
  atMs: number;
  code: string;
  message: string;
  segment?: string;
}

/** What readers of segments report: running counts, gauges and problems. */
export interface HealthSink {
  count(counter: Exclude<keyof FullHealthCounters, HealthGauge>, n?: number): void;
  gauge(counter: HealthGauge, value: number): void;
  problem(p: Problem): void;
}

/** Problems kept (the newest). */
export const MAX_PROBLEMS = 50;
/** An identical problem is reported at most once per this interval. */
export const PROBLEM_REPEAT_MS = 10_000;
/** Distinct problems remembered for the repeat rule (the oldest are forgotten first). */
const MAX_REPEAT_KEYS = 1024;

export function zeroCounters(): FullHealthCounters {
  return {
    recordsCounted: 0,
    recordsRejected: 0,
    recordsUnknownKind: 0,
    recordsLate: 0,
    framesRead: 0,
    framesSkipped: 0,
    bytesSkipped: 0,
    writerDroppedRecords: 0,
    writerDroppedFrames: 0,
    lagBytes: 0,
    resourcesOverflow: 0,
    segmentsActive: 0,
    segmentsDeleted: 0,
    segmentsBadName: 0,
    recordsLateDropped: 0,
    recordsFuture: 0,
    originsOverflow: 0,
    segmentsMissing: 0,
    segmentsReset: 0,
    segmentReadErrors: 0,
    entriesExpired: 0,
    recordsAlreadyLogged: 0,
  };
}

export class HealthLog implements HealthSink {
  readonly counters: FullHealthCounters = zeroCounters();
  readonly problems: Problem[] = [];
  /** Problems reported since start (the list keeps only the newest MAX_PROBLEMS). */
  problemsReported = 0;
  /** Problems not reported because an identical one was reported less than PROBLEM_REPEAT_MS before. */
  problemsRepeated = 0;
  private readonly repeats = new RepeatGate(PROBLEM_REPEAT_MS, MAX_REPEAT_KEYS);

  count(counter: Exclude<keyof FullHealthCounters, HealthGauge>, n = 1): void {
    this.counters[counter] += n;
  }

  gauge(counter: HealthGauge, value: number): void {
    this.counters[counter] = value;
  }

  problem(p: Problem): void {
    const key = `${p.code}\u0000${p.segment ?? ''}\u0000${p.message}`;
    const passed = this.repeats.pass(key, p.atMs);
    if (passed === null) {
      this.problemsRepeated++;
      return;
    }
    if (passed.repeats > 0) p = { ...p, message: `${p.message} (repeated ${passed.repeats} times in the last ${Math.round(passed.sinceMs / 1000)} s)` };
    this.problemsReported++;
    this.problems.push(p);
    if (this.problems.length > MAX_PROBLEMS) this.problems.splice(0, this.problems.length - MAX_PROBLEMS);
  }

  /** Replaces the counters (a checkpoint's); counters missing there start at 0. */
  restore(counters: Partial<FullHealthCounters>): void {
    Object.assign(this.counters, zeroCounters(), counters);
  }
}

// Owns the read-side contract of the collector's statistics: what the query surfaces (HTTP, CLI,
// Prometheus, dashboard transport) may ask of the live state. The ingest side implements it.

/** Second-window (2 × 500 ms) figures, as Sentinel's StatisticNode reports them. */
export interface SecondFigures {
  passQps: number;
  blockQps: number;
  successQps: number;
  exceptionQps: number;
  totalQps: number;
  occupiedPassQps: number;
  /** ΣRT ÷ ΣSUCCESS over the window; 0 when there was no success. */
  avgRtMs: number;
  /** Min RT over the window; Sentinel's statisticMaxRt (5000) when empty. */
  minRtMs: number;
}

/** Minute-window (60 × 1 s) totals. */
export interface MinuteFigures {
  pass: number;
  block: number;
  success: number;
  exception: number;
  /** pass + block */
  totalRequest: number;
  rtSumMs: number;
  occupiedPass: number;
}

import type { FlowControlHealth } from '../map/flow-control.js';

/** One node: a resource's own (cluster) node when origin is '', else the resource seen from one origin. */
export interface NodeSnapshot {
  resource: string;
  origin: string;
  /** In-flight entries: +count on PASS, −count on EXIT (CALL leaves it unchanged). */
  concurrency: number;
  second: SecondFigures;
  minute: MinuteFigures;
}

/** One sealed second of one resource, as one metric-log line holds it. */
export interface SecondLine {
  /** Epoch ms of the second's start. */
  timestampMs: number;
  resource: string;
  pass: number;
  block: number;
  success: number;
  exception: number;
  /** Integer average RT (ΣRT ÷ success; raw ΣRT when success is 0). */
  rtMs: number;
  occupiedPass: number;
  concurrency: number;
  /** Sentinel resource type: 0 common, 1 web, 2 RPC, 3 gateway, 4 SQL. */
  classification: number;
  /**
   * The exact ΣRT (ms) behind rtMs, on lines the collector seals from its own rows; absent on lines
   * read back from the metric log (which keeps the integer average only).
   */
  rtSumMs?: number;
}

/** A resource's running totals since the collector started, over its sealed seconds. */
export interface ResourceTotals {
  pass: number;
  block: number;
  success: number;
  exception: number;
  /** ΣRT of the completions (success) counted, ms. */
  rtSumMs: number;
}

/** Integer counters of what was counted, skipped and dropped; every one visible in /api/v1/health. */
export interface HealthCounters {
  recordsCounted: number;
  recordsRejected: number;
  recordsUnknownKind: number;
  /**
   * Records whose second (dt's) is already sealed (written as an extra line for it, or dropped:
   * see recordsLateDropped). A CALL's exit half, in the second of dt + rtMs, follows its entry.
   */
  recordsLate: number;
  framesRead: number;
  framesSkipped: number;
  bytesSkipped: number;
  writerDroppedRecords: number;
  writerDroppedFrames: number;
  /** Bytes appended to live segments that the collector has not read yet. */
  lagBytes: number;
  /** Records for resources beyond the tracked-resource cap (counted in totals only). */
  resourcesOverflow: number;
  segmentsActive: number;
  segmentsDeleted: number;
  segmentsBadName: number;
  /** Of recordsLate: records too old to place anywhere (more than the late limit, 60 s, behind the sealed front), dropped. */
  recordsLateDropped: number;
  /** Records stamped further in the future than the collector accepts (default 60 s ahead; a CALL by dt + rtMs), dropped. */
  recordsFuture: number;
  /** Records whose origin node could not be tracked (origin-node cap); still counted on the resource. */
  originsOverflow: number;
  /** Segments that vanished (removed by someone else, or gone on restart) before being fully consumed. */
  segmentsMissing: number;
  /** Segments whose consumed offset was past their end (continued at the end) or that were replaced under the same name (read from 0). */
  segmentsReset: number;
  /** Segment reads that failed with an I/O error other than "gone" (the segment is retried). */
  segmentReadErrors: number;
  /**
   * Admitted entries taken out of the concurrency because their EXIT had not come maxEntryAgeMs
   * after they began (a filter killed mid-request); counted on resource nodes.
   */
  entriesExpired: number;
  /**
   * Records of seconds the metric log already held when the collector started without a usable
   * checkpoint (missing or invalid): not counted again, so a lost checkpoint never doubles a line.
   */
  recordsAlreadyLogged: number;
}

export interface Health {
  counters: HealthCounters;
  /** Time of the last durable checkpoint, epoch ms (0 before the first). */
  checkpointAtMs: number;
  /** Per-segment facts for operators. */
  segments: Array<{ name: string; sizeBytes: number; offsetBytes: number; sealed: boolean }>;
  /** Recent problems with stable codes, newest last (bounded). */
  recentProblems: Array<{ atMs: number; code: string; message: string; segment?: string }>;
  /** Flow control (the daemon): rule files in force and rejected, the resource map's counters. */
  rules?: FlowControlHealth;
}

/** What query surfaces read. Every method takes the time explicitly (the clock is injected). */
export interface StatsQuery {
  /** Every tracked resource's own node, sorted by name. */
  resourcesAt(nowMs: number): NodeSnapshot[];
  /** One resource's node and its per-origin nodes; undefined when not tracked. */
  resourceAt(name: string, nowMs: number): { node: NodeSnapshot; origins: NodeSnapshot[] } | undefined;
  /** Optional: the tracked resources' names, in any order (a lookup by part of a name then reads no node). */
  resourceNames?(): string[];
  healthAt(nowMs: number): Health;
  /**
   * Optional: the newest epoch second whose lines are all in the metric log (-1 before the first
   * seal). With it, `/metric` waits briefly for a second the dashboard asks for that is about to be
   * sealed, instead of answering without it (the dashboard never asks for a second twice).
   */
  sealedThroughSecAt?(nowMs: number): number;
  /** Optional: a resource's running totals over its sealed seconds since start (undefined: none sealed yet). */
  resourceTotalsAt?(resource: string, nowMs: number): ResourceTotals | undefined;
}

/** Where a running collector says it can be reached: `<pin>/collector/address.json`. */
export interface DaemonAddress {
  url: string;
  pid: number;
  startedAtMs: number;
  app: string;
}
export const DAEMON_ADDRESS_FILE = 'address.json';

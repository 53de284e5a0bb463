// Owns the document `sentinel-wasi stats --json` prints: one shape whether the figures come from the
// running collector or from the metric log, with `source` saying which. From the collector it is
// the answer of /api/v1/resources (or /api/v1/resources/<name>) as given, with `source` first. From
// the metric log it has the same keys, filled from the log's newest second (the second window) and
// the 60 s up to it (the minute window), and null for what the log cannot know: concurrency,
// occupied pass, min RT and the minute's RT sum (a line keeps only an integer average RT).

import type { NodeSnapshot, SecondLine } from '../stats/types.js';

export type StatsSource = 'collector' | 'metric-log';

/** A node as --json prints it: the collector's NodeSnapshot, with null where the metric log cannot know a figure. */
export interface StatsNode {
  resource: string;
  /** '' for the resource's own node (always, from the metric log). */
  origin: string;
  concurrency: number | null;
  second: {
    passQps: number;
    blockQps: number;
    successQps: number;
    exceptionQps: number;
    totalQps: number;
    occupiedPassQps: number | null;
    avgRtMs: number;
    minRtMs: number | null;
  };
  minute: {
    pass: number;
    block: number;
    success: number;
    exception: number;
    totalRequest: number;
    rtSumMs: number | null;
    occupiedPass: number | null;
  };
}

/** `stats --json`: every resource's own node, sorted by name. */
export interface StatsJsonAll {
  source: StatsSource;
  /** The collector's clock when it answered; from the metric log, the start of its newest second. */
  nowMs: number;
  /** How many resources there are (all of them are listed). */
  total: number;
  resources: StatsNode[];
}

/** `stats --resource R --json`: the resource's own node and its per-origin nodes ([] from the metric log). */
export interface StatsJsonOne {
  source: StatsSource;
  nowMs: number;
  node: StatsNode;
  origins: StatsNode[];
}

/** The collector's /api/v1/resources answer, as given, with `source` first. */
export function collectorJsonAll(body: { nowMs: number; total: number; resources: NodeSnapshot[] }): StatsJsonAll {
  return { source: 'collector', ...body };
}

/** The collector's /api/v1/resources/<name> answer, as given, with `source` first. */
export function collectorJsonOne(body: { nowMs: number; node: NodeSnapshot; origins: NodeSnapshot[] }): StatsJsonOne {
  return { source: 'collector', ...body };
}

/** One resource's lines over the minute up to the log's newest second. */
export interface LoggedResource {
  /** The name as the log holds it (`|` and control characters written as `_`). */
  resource: string;
  /** Its lines of the newest second (none: no traffic that second; more than one: late lines). */
  newest: SecondLine[];
  /** Sums of pass, block, success, exception over its lines of the minute. */
  minute: { pass: number; block: number; success: number; exception: number };
}

/** A resource's node from its logged lines: the newest second's figures as per-second rates, the minute's sums. */
export function loggedNode(r: LoggedResource): StatsNode {
  let pass = 0;
  let block = 0;
  let success = 0;
  let exception = 0;
  let rtSum = 0;
  // A line's rt is ΣRT ÷ success rounded down (the raw ΣRT when success is 0, i.e. nothing completed).
  for (const l of r.newest) {
    pass += l.pass;
    block += l.block;
    success += l.success;
    exception += l.exception;
    if (l.success > 0) rtSum += l.rtMs * l.success;
  }
  const m = r.minute;
  return {
    resource: r.resource,
    origin: '',
    concurrency: null,
    second: {
      passQps: pass,
      blockQps: block,
      successQps: success,
      exceptionQps: exception,
      totalQps: pass + block,
      occupiedPassQps: null,
      avgRtMs: success > 0 ? rtSum / success : 0,
      minRtMs: null,
    },
    minute: {
      pass: m.pass,
      block: m.block,
      success: m.success,
      exception: m.exception,
      totalRequest: m.pass + m.block,
      rtSumMs: null,
      occupiedPass: null,
    },
  };
}

export function loggedJsonAll(secondMs: number, nodes: StatsNode[]): StatsJsonAll {
  return { source: 'metric-log', nowMs: secondMs, total: nodes.length, resources: nodes };
}

export function loggedJsonOne(secondMs: number, node: StatsNode): StatsJsonOne {
  return { source: 'metric-log', nowMs: secondMs, node, origins: [] };
}

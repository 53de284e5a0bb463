// Owns what the collector must report, computed from what a test wrote: per (second, resource)
// sums of pass/block/success/exception (the total node included) and the metric log read back
// from its files with Sentinel's own line layout, so the two compare with t.same.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RecordKind, type FlowEvent } from '@sentinel-wasi/protocol';

export const TOTAL = '__total_inbound_traffic__';

export interface Sums {
  pass: number;
  block: number;
  success: number;
  exception: number;
}

/** key = `${second}|${resource}` */
export type SumMap = Map<string, Sums>;

function bump(map: SumMap, key: string, d: Sums): void {
  const s = map.get(key) ?? { pass: 0, block: 0, success: 0, exception: 0 };
  s.pass += d.pass;
  s.block += d.block;
  s.success += d.success;
  s.exception += d.exception;
  map.set(key, s);
}

/** What one event adds to its resource (Sentinel's rules; WRITER adds nothing); addEvents splits a CALL over its entry and exit seconds. */
export function eventSums(e: FlowEvent): Sums | null {
  switch (e.kind) {
    case RecordKind.PASS:
      return { pass: e.count ?? 1, block: 0, success: 0, exception: 0 };
    case RecordKind.BLOCK:
      return { pass: 0, block: e.count ?? 1, success: 0, exception: 0 };
    case RecordKind.EXIT: {
      const n = e.count ?? 1;
      return { pass: 0, block: 0, success: n, exception: e.error ? n : 0 };
    }
    case RecordKind.CALL:
      return { pass: 1, block: 0, success: 1, exception: e.error ? 1 : 0 };
    default:
      return null;
  }
}

/** Adds events into expected sums, each under its resource and under the total node. */
export function addEvents(map: SumMap, events: Iterable<FlowEvent>): void {
  for (const e of events) {
    const d = eventSums(e);
    if (d === null) continue;
    const sec = Math.floor(e.tsMs / 1000);
    if (e.kind === RecordKind.CALL) {
      // A CALL is a PASS at its time and an EXIT at its time + RT: the completion lands in the exit's second.
      const exitSec = Math.floor((e.tsMs + e.rtMs) / 1000);
      const entryHalf: Sums = { pass: d.pass, block: 0, success: 0, exception: 0 };
      const exitHalf: Sums = { pass: 0, block: 0, success: d.success, exception: d.exception };
      for (const [s2, half] of [[sec, entryHalf], [exitSec, exitHalf]] as const) {
        bump(map, `${s2}|${e.name}`, half);
        bump(map, `${s2}|${TOTAL}`, half);
      }
      continue;
    }
    bump(map, `${sec}|${e.name}`, d);
    bump(map, `${sec}|${TOTAL}`, d);
  }
}

/** Adds one sum map into another. */
export function mergeSums(into: SumMap, from: SumMap): void {
  for (const [k, v] of from) bump(into, k, v);
}

/** Sorted plain object, for t.same with readable diffs. */
export function sumsObject(map: SumMap): Record<string, Sums> {
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function totalOf(map: SumMap, field: keyof Sums): number {
  let n = 0;
  for (const [k, v] of map) if (k.endsWith(`|${TOTAL}`)) n += v[field];
  return n;
}

export interface MetricLogRead {
  sums: SumMap;
  lines: number;
  /** Lines that do not have Sentinel's 11 fields with integer counters. */
  badLines: string[];
}

/**
 * Reads every metric-log data file under `<pin>/collector/metrics` (not the `.idx` files) and sums
 * its lines `timestamp|datetime|resource|pass|block|success|exception|rt|occupied|concurrency|class`
 * by second and resource.
 */
export function readMetricLog(pin: string): MetricLogRead {
  const dir = join(pin, 'collector', 'metrics');
  const out: MetricLogRead = { sums: new Map(), lines: 0, badLines: [] };
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).filter((n) => !n.endsWith('.idx')).sort()) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (line === '') continue;
      const fields = line.split('|');
      const nums = [fields[0], ...fields.slice(3)].map(Number);
      if (fields.length !== 11 || !nums.every((n) => Number.isSafeInteger(n) && n >= 0)) {
        out.badLines.push(line);
        continue;
      }
      out.lines++;
      bump(out.sums, `${nums[0]! / 1000}|${fields[2]}`, { pass: nums[1]!, block: nums[2]!, success: nums[3]!, exception: nums[4]! });
    }
  }
  return out;
}

/** Sums of the thin lines `/metric` answers (timestamp|resource|pass|block|success|exception|…). */
export function parseThinLines(text: string): SumMap {
  const out: SumMap = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split('|');
    bump(out, `${Number(f[0]) / 1000}|${f[1]}`, { pass: Number(f[2]), block: Number(f[3]), success: Number(f[4]), exception: Number(f[5]) });
  }
  return out;
}

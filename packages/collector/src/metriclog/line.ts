// Owns Sentinel's metric-log line formats: the 11-field "fat" file line and the 10-field "thin"
// transport line, and parsing fat lines back (legacy short lines accepted as Sentinel does).

import type { SecondLine } from '../stats/types.js';

// `|` (the field separator, as Sentinel does) and every control character (C0 incl. `\n` and
// `\r`, DEL, C1) would split or forge a line: each is written as `_`.
const LINE_UNSAFE = /[|\u0000-\u001f\u007f-\u009f]/g;

/**
 * A resource name as metric-log and transport lines carry it: `|` and control characters become
 * `_`. Applied when writing and again when reading a line back, so warm start, /metric and the
 * CLI all see the same name.
 */
export function escapeResource(name: string): string {
  return name.replace(LINE_UNSAFE, '_');
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `yyyy-MM-dd HH:mm:ss` in the given UTC offset (minutes east of UTC; default: the process's zone). */
export function formatDateTime(timestampMs: number, utcOffsetMinutes?: number): string {
  const offset = utcOffsetMinutes ?? -new Date(timestampMs).getTimezoneOffset();
  const d = new Date(timestampMs + offset * 60_000);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** `yyyy-MM-dd` for file names, same zone rule as formatDateTime. */
export function formatDate(timestampMs: number, utcOffsetMinutes?: number): string {
  return formatDateTime(timestampMs, utcOffsetMinutes).slice(0, 10);
}

/** timestamp|yyyy-MM-dd HH:mm:ss|resource|pass|block|success|exception|rt|occupiedPass|concurrency|classification\n */
export function formatFatLine(l: SecondLine, utcOffsetMinutes?: number): string {
  return `${l.timestampMs}|${formatDateTime(l.timestampMs, utcOffsetMinutes)}|${escapeResource(l.resource)}|${l.pass}|${l.block}|${l.success}|${l.exception}|${l.rtMs}|${l.occupiedPass}|${l.concurrency}|${l.classification}\n`;
}

/** timestamp|resource|pass|block|success|exception|rt|occupiedPass|concurrency|classification\n */
export function formatThinLine(l: SecondLine): string {
  return `${l.timestampMs}|${escapeResource(l.resource)}|${l.pass}|${l.block}|${l.success}|${l.exception}|${l.rtMs}|${l.occupiedPass}|${l.concurrency}|${l.classification}\n`;
}

/** Parses a fat line (without its newline); null when it has fewer than 8 fields or bad numbers. */
export function parseFatLine(line: string): SecondLine | null {
  const f = line.split('|');
  if (f.length < 8 || f.length > 11) return null;
  const num = (i: number): number => (i < f.length ? Number(f[i]) : 0);
  const l: SecondLine = {
    timestampMs: num(0),
    resource: escapeResource(f[2]!),
    pass: num(3),
    block: num(4),
    success: num(5),
    exception: num(6),
    rtMs: num(7),
    occupiedPass: num(8),
    concurrency: num(9),
    classification: num(10),
  };
  for (const v of [l.timestampMs, l.pass, l.block, l.success, l.exception, l.rtMs, l.occupiedPass, l.concurrency, l.classification]) {
    if (!Number.isSafeInteger(v)) return null;
  }
  return l;
}

/** The metric log's base name lives in layout.ts; re-exported for the query surfaces that format lines. */
export { metricLogBaseName } from './layout.js';

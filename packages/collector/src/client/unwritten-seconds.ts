// Owns what a stopped collector has not yet put in the metric log, as `stats`, `top` and `metric`
// name it on stderr while no collector runs (instead of silently showing an older second):
// - the seconds of the pending rows its checkpoint holds (a collector keeps the last seconds open
//   for late records, so a stop leaves up to a grace period's worth unsealed), none of whose lines
//   are in the log yet, and the seconds of its late rows, whose lines ARE in the log but which have
//   extra late lines still to write; both are written at its next start. Seconds whose lines a
//   collector killed after its last checkpoint had written already (past the checkpoint's metric-log
//   position: the next start cuts and writes them again, once) are not named;
// - the bytes of the segments in `<pin>/log` past the offsets its checkpoint records (a segment it
//   does not list counts from 0, one under another inode too): records it had not read, or had read
//   but not checkpointed (a SIGKILL), which it reads when it starts again. Only stat: no segment is
//   read; links and files too large for any writer are skipped, as the tailer skips them.
// A missing checkpoint leaves only the bytes (all of them are read at the next start); an unreadable
// one gives no note: the collector itself reports that when it starts.

import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSegmentName } from '@sentinel-wasi/protocol/encode';
import { escapeResource, formatDateTime, parseFatLine } from '../metriclog/line.js';
import { readUpTo } from '../metriclog/read-range.js';
import { MAX_SEGMENT_APPEND_SEC, MAX_SEGMENT_BYTES } from '../ingest/tailer.js';
import { pinPaths } from '../pin/pin.js';

/** What a stopped collector has not yet written to the metric log. */
export interface Unwritten {
  /** Seconds (epoch s, ascending) with rows in the checkpoint's pending list: none of their lines are in the log. */
  openSeconds: number[];
  /** Seconds (epoch s, ascending) with rows in its late list: their lines are in the log, extra late lines are not. */
  lateSeconds: number[];
  /** Bytes of segments in logDir past the checkpoint's offsets: records not yet read (or not yet checkpointed). */
  unreadBytes: number;
  logDir: string;
  /** False when there is no checkpoint (no collector has run, or it stopped before its first one). */
  checkpointFound: boolean;
}

/** Which rows and segments count, for a note about one resource or one time range. */
export interface UnwrittenFilter {
  /** Only rows of this resource, compared as the metric log writes names (escaped). */
  resource?: string;
  /** Only seconds that end at or after fromMs, and segments that may hold records of them. */
  fromMs?: number;
  /** Only seconds that start at or before toMs. */
  toMs?: number;
}

type CheckpointDoc = { segments?: unknown; metricLog?: unknown; store?: { pending?: unknown; late?: unknown } } | null;

/** Most bytes of the metric log's tail read to find the seconds written after the last checkpoint. */
const MAX_TAIL_BYTES = 4 * 1024 * 1024;

/** What the pin's checkpoint and segments say is not in the metric log yet; undefined when the checkpoint cannot be read. */
export function unwrittenOf(pinDir: string, filter: UnwrittenFilter = {}): Unwritten | undefined {
  const paths = pinPaths(pinDir);
  let doc: CheckpointDoc = null;
  let checkpointFound = true;
  try {
    doc = JSON.parse(readFileSync(paths.checkpoint, 'utf8')) as CheckpointDoc;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    checkpointFound = false;
  }
  // Seconds a collector killed after its last checkpoint had already written are in the log (the
  // next start cuts that tail and writes them again, once): not named as missing.
  const written = secondsPastCheckpoint(paths.metricDir, doc?.metricLog);
  const openSeconds = secondsWithRows(doc?.store?.pending, filter).filter((sec) => !written.has(sec));
  const open = new Set(openSeconds);
  const lateSeconds = secondsWithRows(doc?.store?.late, filter).filter((sec) => !open.has(sec) && !written.has(sec));
  const unreadBytes = unreadSegmentBytes(paths.logDir, checkpointedOffsets(doc?.segments), filter.fromMs);
  return { openSeconds, lateSeconds, unreadBytes, logDir: paths.logDir, checkpointFound };
}

/**
 * The seconds of the metric-log lines written after the checkpoint's position in its current file
 * (a collector killed between a seal and its next checkpoint); empty when there are none or the
 * position cannot be read.
 */
function secondsPastCheckpoint(metricDir: string, position: unknown): Set<number> {
  const seconds = new Set<number>();
  const p = position as { file?: unknown; sizeBytes?: unknown } | null | undefined;
  if (typeof p?.file !== 'string' || p.file.includes('/') || !Number.isSafeInteger(p.sizeBytes)) return seconds;
  const from = p.sizeBytes as number;
  let tail: Buffer;
  try {
    tail = readUpTo(join(metricDir, p.file), from + MAX_TAIL_BYTES, from);
  } catch {
    return seconds; // unreadable: nothing known past the checkpoint
  }
  for (const text of tail.toString('utf8').split('\n')) {
    const line = text === '' ? null : parseFatLine(text);
    if (line !== null) seconds.add(Math.floor(line.timestampMs / 1000));
  }
  return seconds;
}

/** The distinct seconds (ascending) of a checkpoint's batch list with at least one row the filter keeps. */
function secondsWithRows(list: unknown, filter: UnwrittenFilter): number[] {
  if (!Array.isArray(list)) return [];
  const identity = filter.resource === undefined ? undefined : escapeResource(filter.resource);
  const seconds = new Set<number>();
  for (const batch of list as Array<{ sec?: unknown; rows?: unknown } | null>) {
    const sec = batch?.sec;
    if (!Number.isSafeInteger(sec) || !Array.isArray(batch!.rows)) continue;
    if (filter.fromMs !== undefined && (sec as number) * 1000 + 999 < filter.fromMs) continue;
    if (filter.toMs !== undefined && (sec as number) * 1000 > filter.toMs) continue;
    // A row is [resource, pass, block, success, exception, rtSumMs].
    const rows = batch!.rows as unknown[];
    if (rows.some((row) => Array.isArray(row) && typeof row[0] === 'string' && (identity === undefined || escapeResource(row[0]) === identity))) seconds.add(sec as number);
  }
  return [...seconds].sort((a, b) => a - b);
}

/** The checkpoint's segment offsets by name (entries that are not segment entries are left out). */
function checkpointedOffsets(list: unknown): Map<string, { ino: number; offsetBytes: number }> {
  const out = new Map<string, { ino: number; offsetBytes: number }>();
  if (!Array.isArray(list)) return out;
  for (const e of list as Array<{ name?: unknown; ino?: unknown; offsetBytes?: unknown } | null>) {
    if (typeof e?.name !== 'string' || !Number.isSafeInteger(e.offsetBytes)) continue;
    out.set(e.name, { ino: Number.isSafeInteger(e.ino) ? (e.ino as number) : 0, offsetBytes: e.offsetBytes as number });
  }
  return out;
}

/**
 * Bytes of the segments in logDir (regular files under a segment's name) past their checkpointed
 * offset, as the collector would go on reading them: from 0 when not listed or under another inode,
 * nothing when the file is shorter than the offset. With fromMs: only segments written to until
 * fromMs or later (a record is never written after its segment's bucket plus MAX_SEGMENT_APPEND_SEC).
 */
function unreadSegmentBytes(logDir: string, offsets: Map<string, { ino: number; offsetBytes: number }>, fromMs: number | undefined): number {
  let names: string[];
  try {
    names = readdirSync(logDir);
  } catch {
    return 0;
  }
  let unread = 0;
  for (const name of names) {
    const id = parseSegmentName(name);
    if (id === null) continue;
    if (fromMs !== undefined && (id.bucketSec + MAX_SEGMENT_APPEND_SEC) * 1000 < fromMs) continue;
    let st: { size: number; ino: number; isFile(): boolean };
    try {
      st = lstatSync(join(logDir, name));
    } catch {
      continue; // gone meanwhile
    }
    if (!st.isFile() || st.size > MAX_SEGMENT_BYTES) continue;
    const at = offsets.get(name);
    const fromBytes = at === undefined || (at.ino !== 0 && at.ino !== st.ino) ? 0 : at.offsetBytes;
    unread += Math.max(0, st.size - fromBytes);
  }
  return unread;
}

/** `A` for one second, `A to B` for consecutive ones, `between A and B` otherwise. */
function spanOf(seconds: number[]): string {
  const first = formatDateTime(seconds[0]! * 1000);
  if (seconds.length === 1) return first;
  const last = formatDateTime(seconds[seconds.length - 1]! * 1000);
  const consecutive = seconds[seconds.length - 1]! - seconds[0]! === seconds.length - 1;
  return consecutive ? `${first} to ${last}` : `between ${first} and ${last}`;
}

function secondsText(n: number): string {
  return n === 1 ? '1 second' : `${n} seconds`;
}

/** The checkpoint's part: "1 second not yet in the metric log (…): its checkpoint holds it, …"; undefined when none. */
function checkpointClause(u: Unwritten): string | undefined {
  const open = u.openSeconds.length === 0 ? undefined : secondsText(u.openSeconds.length);
  const late = u.lateSeconds.length === 0 ? undefined : `late lines of ${secondsText(u.lateSeconds.length)}`;
  let what: string;
  if (open !== undefined && late !== undefined) what = `${open} (${spanOf(u.openSeconds)}) and ${late} (${spanOf(u.lateSeconds)}) not yet in the metric log`;
  else if (open !== undefined) what = `${open} not yet in the metric log (${spanOf(u.openSeconds)})`;
  else if (late !== undefined) what = `${late} not yet in the metric log (${spanOf(u.lateSeconds)})`;
  else return undefined;
  const them = late === undefined && u.openSeconds.length === 1 ? 'it, and it is' : 'them, and they are';
  return `${what}: its checkpoint holds ${them} written when the collector starts again`;
}

function bytesText(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

/** The note for what is unwritten, or undefined when nothing is. */
export function unwrittenNote(u: Unwritten | undefined): string | undefined {
  if (u === undefined) return undefined;
  const held = checkpointClause(u);
  const records = u.unreadBytes === 0 ? undefined : `${bytesText(u.unreadBytes)} of records in ${u.logDir}`;
  if (!u.checkpointFound) return records === undefined ? undefined : `no checkpoint yet: the collector reads the ${records} when it starts`;
  if (held !== undefined && records !== undefined) return `the collector stopped with ${held}; and with ${records} not yet read: it reads them when it starts again`;
  if (held !== undefined) return `the collector stopped with ${held}`;
  if (records !== undefined) return `the collector stopped with ${records} not yet read: it reads them when it starts again`;
  return undefined;
}

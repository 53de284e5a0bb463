// Owns searching the metric log the way Sentinel's MetricSearcher/MetricsReader do: list the data
// files in order (layout.ts), seek with each file's `.idx`, then read fat lines forward
// across later files — either a time range [begin, end] (second granularity, both inclusive, at most
// 100 000 lines) or "about N lines from begin" without ever splitting a second. Late extra lines
// of a second are appended after newer seconds (writer.ts), at most LATE_LOOKAHEAD_SEC behind the
// newest second before them: reading therefore goes on past the range until a line more than
// LATE_LOOKAHEAD_SEC newer than its end, and the answer is sorted by second (stable: a second's
// late lines follow its first lines). For the same reason the log's newest second is the greatest
// second indexed in any of its files, not the second of the last line written.

import type { SecondLine } from '../stats/types.js';
import { DEFAULT_LATE_LIMIT_SEC } from '../stats/second-batches.js';
import { indexedSecondRange, seekIndexFile } from './index-file.js';
import { listMetricFiles, type MetricFile } from './layout.js';
import { parseFatLine } from './line.js';
import { readLinesFrom } from './reader.js';

/** Sentinel's MetricsReader cap on one time-range answer. */
export const MAX_LINES_RETURN = 100_000;
/** How far past a range's end a late line of it can be: the late limit (later records are dropped) plus the second being sealed. */
export const LATE_LOOKAHEAD_SEC = DEFAULT_LATE_LIMIT_SEC + 1;

function bySecond(a: SecondLine, b: SecondLine): number {
  return Math.floor(a.timestampMs / 1000) - Math.floor(b.timestampMs / 1000);
}

export interface SearchResult {
  lines: SecondLine[];
  /** True when the range answer stopped at MAX_LINES_RETURN. */
  truncated: boolean;
  /** Lines that did not parse as fat lines (skipped, counted). */
  linesUnparsable: number;
}

export class MetricSearcher {
  constructor(
    readonly dir: string,
    readonly baseName: string,
  ) {}

  /** Index of the first file (and the offset in it) holding a second ≥ beginSec; undefined when none does. */
  private async seek(files: MetricFile[], beginSec: number): Promise<{ fileIndex: number; offsetBytes: number } | undefined> {
    for (let i = 0; i < files.length; i++) {
      const hit = await seekIndexFile(files[i]!.path, beginSec);
      if (hit !== undefined) return { fileIndex: i, offsetBytes: hit.offsetBytes };
    }
    return undefined;
  }

  /**
   * Reads parsed lines from the first second ≥ beginSec on, across files, handing each to `visit`
   * with its second until `visit` returns false. Unparsable lines are counted in `result`.
   */
  private async readFrom(beginSec: number, result: SearchResult, visit: (line: SecondLine, sec: number) => boolean): Promise<void> {
    const files = listMetricFiles(this.dir, this.baseName);
    const start = await this.seek(files, beginSec);
    if (start === undefined) return;
    let stopped = false;
    for (let i = start.fileIndex; i < files.length && !stopped; i++) {
      await readLinesFrom(files[i]!.path, i === start.fileIndex ? start.offsetBytes : 0, (text) => {
        const line = parseFatLine(text);
        if (line === null) {
          if (text.length > 0) result.linesUnparsable++;
          return true;
        }
        const sec = Math.floor(line.timestampMs / 1000);
        if (sec < beginSec) return true;
        stopped = !visit(line, sec);
        return !stopped;
      });
    }
  }

  /** Lines with second in [floor(beginMs/1000), floor(endMs/1000)], optionally of one resource (exact name as logged). */
  async findByTimeAndResource(beginMs: number, endMs: number, identity?: string): Promise<SearchResult> {
    const beginSec = Math.floor(beginMs / 1000);
    const endSec = Math.floor(endMs / 1000);
    const result: SearchResult = { lines: [], truncated: false, linesUnparsable: 0 };
    if (endSec < beginSec) return result;
    await this.readFrom(beginSec, result, (line, sec) => {
      if (sec > endSec) return sec <= endSec + LATE_LOOKAHEAD_SEC; // a late line of the range may follow
      if (identity === undefined || identity === '' || line.resource === identity) result.lines.push(line);
      if (result.lines.length >= MAX_LINES_RETURN) {
        result.truncated = true;
        return false;
      }
      return true;
    });
    result.lines.sort(bySecond);
    return result;
  }

  /**
   * About `recommendLines` lines from the first second ≥ begin: reading stops once that many lines are
   * collected and the second changes, so a second is never split. Unlike Sentinel's `find`, an
   * identity (when given) filters here too.
   */
  async find(beginMs: number, recommendLines: number, identity?: string): Promise<SearchResult> {
    const beginSec = Math.floor(beginMs / 1000);
    const result: SearchResult = { lines: [], truncated: false, linesUnparsable: 0 };
    let lastSec = -1;
    let full = false;
    await this.readFrom(beginSec, result, (line, sec) => {
      if (full) {
        // Only late lines of the seconds already taken, within the look-ahead.
        if (sec > lastSec + LATE_LOOKAHEAD_SEC) return false;
        if (sec <= lastSec && (identity === undefined || identity === '' || line.resource === identity)) result.lines.push(line);
        return true;
      }
      if (identity !== undefined && identity !== '' && line.resource !== identity) return true;
      if (result.lines.length >= recommendLines && sec > lastSec) {
        full = true;
        return sec <= lastSec + LATE_LOOKAHEAD_SEC;
      }
      result.lines.push(line);
      lastSec = Math.max(lastSec, sec);
      return true;
    });
    result.lines.sort(bySecond);
    return result;
  }

  /**
   * The newest second in the log (epoch s), or undefined for an empty log: the greatest second of
   * every file's index, not the last record's. A log may end with late lines of older seconds, and
   * a file rolled by size may hold nothing but such lines, its newest second in a file before it.
   */
  async latestSecond(): Promise<number | undefined> {
    return (await this.secondRange())?.newestSec;
  }

  /** The oldest and the newest second the log's files hold (epoch s; older ones were rotated away), or undefined for an empty log. */
  async secondRange(): Promise<{ oldestSec: number; newestSec: number } | undefined> {
    let range: { oldestSec: number; newestSec: number } | undefined;
    for (const f of listMetricFiles(this.dir, this.baseName)) {
      const r = await indexedSecondRange(f.path);
      if (r === undefined) continue;
      range = range === undefined ? r : { oldestSec: Math.min(range.oldestSec, r.oldestSec), newestSec: Math.max(range.newestSec, r.newestSec) };
    }
    return range;
  }
}

// Owns writing Sentinel's metric log (file names and `.idx` records: layout.ts): data files of
// 11-field fat lines, each with a `.idx` of (epoch second, byte offset) records; files
// roll by size (default 50 MB) or day and at most N (default 6) are kept, like Sentinel's
// MetricWriter. An idx record is written for each second newer than the last indexed one, and for
// each batch of late extra lines (an older second, appended after newer ones): the `.idx` is then
// ascending except for those late records, each at most the late limit behind the newest second
// before it. Sentinel's readers (a linear scan for the first record ≥ begin) still find the right
// start; the searcher (search.ts) reads past newer seconds within a bounded look-ahead to find them.
// The writer can be put back to a recorded position (the checkpoint's), removing anything written
// after it: that is how a crash between "append lines" and "checkpoint" neither loses nor
// duplicates lines. Making the log durable is `sync()` (on the caller's thread) or `syncAsync()`
// (fsyncs on libuv's pool, so the event loop goes on reading segments meanwhile): both cover every
// byte written before they were called, files rolled out since the last sync included. A rolled-out
// file's descriptors stay open until a sync has made them durable, and no descriptor is closed
// while an asynchronous fsync may still use it.

import { closeSync, constants, fsync as fsyncCb, fsyncSync, ftruncateSync, openSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { compareMetricFiles, decodeIndex, decodeIndexRecord, encodeIndexRecord, INDEX_RECORD_BYTES, indexPathOf, listMetricFiles, metricFileName, metricLogBaseName, parseMetricFileName, type MetricFile } from './layout.js';
import { formatDate, formatFatLine } from './line.js';
import { readUpTo } from './read-range.js';
import { assertOwnDirectory } from '../pin/safe-write.js';
import type { SecondLine } from '../stats/types.js';

/** 'a' and 'a+' that never follow a link at the file's name (ELOOP instead). */
const APPEND_NOFOLLOW = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const APPEND_READ_NOFOLLOW = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

export const DEFAULT_METRIC_FILE_BYTES = 50 * 1024 * 1024;
export const DEFAULT_METRIC_FILE_COUNT = 6;

export interface MetricLogPosition {
  file: string;
  sizeBytes: number;
  idxBytes: number;
}

export interface MetricLogWriterOptions {
  dir: string;
  app: string;
  maxFileBytes?: number;
  maxFiles?: number;
  /** Zone of file dates and line dates, minutes east of UTC (default: the process's zone, as Sentinel). */
  utcOffsetMinutes?: number;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

export class MetricLogWriter {
  readonly dir: string;
  readonly base: string;
  readonly maxFileBytes: number;
  readonly maxFiles: number;
  readonly utcOffsetMinutes: number | undefined;
  private file: MetricFile | null = null;
  private fd = -1;
  private idxFd = -1;
  private sizeBytes = 0;
  private idxBytes = 0;
  private lastIndexedSec = -Infinity;
  private dirty = false;
  /** Descriptors of rolled-out files (data, index), written since the last sync: synced, then closed. */
  private retired: number[] = [];
  /** Asynchronous syncs in flight; while any is, descriptors to close wait in `closeLater`. */
  private syncsInFlight = 0;
  private closeLater: number[] = [];
  private readonly idxRecord = Buffer.alloc(INDEX_RECORD_BYTES);

  constructor(options: MetricLogWriterOptions) {
    this.dir = options.dir;
    this.base = metricLogBaseName(options.app);
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_METRIC_FILE_BYTES;
    this.maxFiles = options.maxFiles ?? DEFAULT_METRIC_FILE_COUNT;
    this.utcOffsetMinutes = options.utcOffsetMinutes;
  }

  /**
   * Opens the log. With a position (from a checkpoint) files written after it are removed and the
   * current file and its index are cut back to it; `null` (a checkpoint taken before the first
   * line) removes every file; `undefined` (no checkpoint) continues at the end of the newest
   * file. Returns what was cut back, for the log.
   */
  open(position: MetricLogPosition | null | undefined): { removedFiles: string[]; truncatedBytes: number } {
    // Never through a link: a metrics directory replaced by one (by whoever can write collector/)
    // would have the collector create, truncate and remove files elsewhere (E_UNSAFE_PATH).
    assertOwnDirectory(this.dir);
    const files = listMetricFiles(this.dir, this.base);
    const removedFiles: string[] = [];
    let truncatedBytes = 0;
    let current: MetricFile | undefined;
    if (position === undefined) {
      current = files.at(-1);
    } else if (position === null) {
      for (const f of files) {
        truncatedBytes += Math.max(0, sizeOf(f.path));
        removeWithIndex(f);
        removedFiles.push(f.name);
      }
    } else {
      const at = parseMetricFileName(this.base, position.file);
      for (const f of files) {
        if (at !== null && compareMetricFiles(f, { name: position.file, path: '', ...at }) > 0) {
          removeWithIndex(f);
          removedFiles.push(f.name);
        }
      }
      current = files.find((f) => f.name === position.file);
    }
    if (current === undefined) return { removedFiles, truncatedBytes };
    const dataPath = current.path;
    const idxPath = indexPathOf(dataPath);
    const dataSize = sizeOf(dataPath);
    const idxSize = Math.max(0, sizeOf(idxPath));
    const wantData = position == null ? dataSize : Math.min(position.sizeBytes, dataSize);
    let wantIdx = position == null ? idxSize : Math.min(position.idxBytes, idxSize);
    wantIdx -= wantIdx % INDEX_RECORD_BYTES;
    this.fd = openSync(dataPath, APPEND_NOFOLLOW);
    this.idxFd = openSync(idxPath, APPEND_READ_NOFOLLOW);
    if (dataSize > wantData) {
      ftruncateSync(this.fd, wantData);
      truncatedBytes += dataSize - wantData;
    }
    if (idxSize > wantIdx) ftruncateSync(this.idxFd, wantIdx);
    this.file = current;
    this.sizeBytes = wantData;
    this.idxBytes = wantIdx;
    this.lastIndexedSec = -Infinity;
    if (wantIdx >= INDEX_RECORD_BYTES) {
      const buf = Buffer.alloc(INDEX_RECORD_BYTES);
      readSync(this.idxFd, buf, 0, INDEX_RECORD_BYTES, wantIdx - INDEX_RECORD_BYTES);
      this.lastIndexedSec = decodeIndexRecord(buf).epochSec;
    }
    return { removedFiles, truncatedBytes };
  }

  /**
   * The newest second in the current file's index (-1: no file, or nothing indexed): the newest
   * second already written, for a start without a checkpoint to tell what not to write again.
   */
  newestIndexedSec(): number {
    if (this.file === null || this.idxBytes < INDEX_RECORD_BYTES) return -1;
    return decodeIndex(readUpTo(indexPathOf(this.file.path), this.idxBytes)).reduce((newest, e) => Math.max(newest, e.epochSec), -1);
  }

  /** Where the next line would go (null before the first file exists). */
  position(): MetricLogPosition | null {
    return this.file === null ? null : { file: this.file.name, sizeBytes: this.sizeBytes, idxBytes: this.idxBytes };
  }

  /** Appends one second's lines (all of one epoch second). `late` lines never roll the file by date. */
  writeSecond(sec: number, lines: readonly SecondLine[], late: boolean): void {
    if (lines.length === 0) return;
    const date = formatDate(sec * 1000, this.utcOffsetMinutes);
    if (this.file === null || this.sizeBytes >= this.maxFileBytes || (!late && date > this.file.date)) this.roll(late && this.file !== null ? this.file.date : date);
    let text = '';
    for (const l of lines) text += formatFatLine(l, this.utcOffsetMinutes);
    const bytes = Buffer.from(text, 'utf8');
    const offset = this.sizeBytes;
    writeAll(this.fd, bytes);
    this.sizeBytes += bytes.length;
    if (sec > this.lastIndexedSec || late) {
      writeAll(this.idxFd, encodeIndexRecord(sec, offset, this.idxRecord));
      this.idxBytes += INDEX_RECORD_BYTES;
      this.lastIndexedSec = Math.max(sec, this.lastIndexedSec);
    }
    this.dirty = true;
  }

  /** Makes everything written so far durable, on the caller's thread. */
  sync(): void {
    for (const fd of this.retired) fsyncSync(fd);
    this.closeAll(this.retired);
    this.retired = [];
    if (!this.dirty) return;
    fsyncSync(this.fd);
    fsyncSync(this.idxFd);
    this.dirty = false;
  }

  /**
   * Makes everything written before the call durable, with the fsyncs on libuv's thread pool
   * (lines written meanwhile may or may not be covered: the next sync covers them). Rejects with
   * the fsync's error; what it could not make durable is synced again by the next call.
   */
  async syncAsync(): Promise<void> {
    const retired = this.retired;
    this.retired = [];
    const current = this.dirty ? [this.fd, this.idxFd] : [];
    this.dirty = false;
    if (retired.length === 0 && current.length === 0) return;
    this.syncsInFlight++;
    try {
      await Promise.all([...retired, ...current].map(fsyncFd));
    } catch (err) {
      // Not known to be durable: the next sync tries again.
      if (current.length > 0) this.dirty = true;
      this.retired.push(...retired);
      throw err;
    } finally {
      this.syncsInFlight--;
      if (this.syncsInFlight === 0) {
        const later = this.closeLater;
        this.closeLater = [];
        this.closeAll(later);
      }
    }
    this.closeAll(retired);
  }

  /** Closes the files (without a sync: call sync() first for durability). */
  close(): void {
    const fds = [...this.retired, ...(this.fd >= 0 ? [this.fd] : []), ...(this.idxFd >= 0 ? [this.idxFd] : [])];
    this.retired = [];
    this.fd = -1;
    this.idxFd = -1;
    this.file = null;
    this.closeAll(fds);
  }

  /** Closes fds now, or once no asynchronous fsync may still be using them. */
  private closeAll(fds: readonly number[]): void {
    if (this.syncsInFlight > 0) {
      this.closeLater.push(...fds);
      return;
    }
    for (const fd of fds) closeQuiet(fd);
  }

  private roll(date: string): void {
    // The rolled-out file is made durable by the next sync, before a checkpoint can name the new one.
    if (this.fd >= 0) this.retired.push(this.fd, this.idxFd);
    this.fd = -1;
    this.idxFd = -1;
    this.file = null;
    assertOwnDirectory(this.dir);
    const files = listMetricFiles(this.dir, this.base);
    const sameDay = files.filter((f) => f.date === date);
    const roll = sameDay.length === 0 ? 0 : sameDay.at(-1)!.roll + 1;
    // Keep at most maxFiles data files, the new one included: remove the oldest (and its index).
    const excess = files.length + 1 - this.maxFiles;
    for (let i = 0; i < excess; i++) removeWithIndex(files[i]!);
    const name = metricFileName(this.base, date, roll);
    const dataPath = join(this.dir, name);
    this.fd = openSync(dataPath, APPEND_NOFOLLOW, 0o600);
    this.idxFd = openSync(indexPathOf(dataPath), APPEND_READ_NOFOLLOW, 0o600);
    this.file = { name, path: dataPath, date, roll };
    this.sizeBytes = 0;
    this.idxBytes = 0;
  }
}

function removeWithIndex(f: MetricFile): void {
  unlinkQuiet(f.path);
  unlinkQuiet(indexPathOf(f.path));
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsyncCb(fd, (err) => (err === null ? resolve() : reject(err))));
}

function closeQuiet(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* closed already */
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

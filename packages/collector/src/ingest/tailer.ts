// Owns following the segment files of `<pin>/log`: a directory scan plus a stat per segment is the
// source of truth (watcher events only make a pass happen sooner, or read the one live segment
// they name at once, a new one included: readNamedAt). Segments are identified by name
// (never reused) and inode; each is read with positioned reads into one reused buffer, from its
// consumed offset up to its current size. An incomplete frame at the end of a live segment is read
// again on a later pass; `final` is passed only once the segment is sealed (its 10 s bucket plus
// the grace period has passed). Bad names, vanished files and I/O errors are counted and reported
// to a HealthSink, never fatal.
//
// Faults are bounded: names are looked at with lstat (a link is never followed) and files are opened
// O_NONBLOCK|O_NOFOLLOW and checked with fstat, so a FIFO, device, directory or symbolic link under a
// segment's name is skipped and reported once (E_SEGMENT_NOT_FILE), never waited on, retried or
// counted in lagBytes (a link opened in a race fails with ELOOP and is skipped the same way); a
// failing segment is retried with exponential back-off (RETRY_BASE_MS doubling up to RETRY_MAX_MS)
// and is no reason for an immediate next pass; each pass reads at most `segmentPassBytes` of one
// segment, starting with a different segment each pass (round-robin), so one big segment cannot
// starve the others; a segment larger than MAX_SEGMENT_BYTES (no writer can produce it) is
// reported (E_SEGMENT_TOO_LARGE) and skipped; a segment whose bucket starts more than
// FUTURE_SEGMENT_MS after now is reported (E_SEGMENT_FUTURE) and treated as sealed: read to its end
// (its records fall under the store's future rule) and deleted once consumed. A transient error
// while checking a checkpointed segment's first bytes at restore keeps the checkpointed offset and
// checks them again before the next read, so it is never taken for a replaced file.
//
// Descriptors of live segments are kept open between reads (at most `maxKeptDescriptors`, default
// MAX_KEPT_DESCRIPTORS; past that a segment is opened and closed per read), so the read of one
// append from a watcher's event (readNamedAt) is one positioned read through the kept descriptor:
// no stat of the name, no open, fstat or close. What that read can see, and why it never miscounts:
// - It reads only the inode the tailer has been following, from its consumed offset: every byte it
//   returns was appended to that very file after what was counted, so it is counted once.
// - A read that returns nothing (no new bytes: the change was something else, or an earlier read
//   took them) runs the full checks at once: stat of the name, inode and size compared (today's
//   path). So a file truncated below the consumed offset (E_SEGMENT_SHRANK), a different file now
//   under the name (E_SEGMENT_REPLACED, read from 0 through a new descriptor), a name with no file
//   (E_SEGMENT_VANISHED) or a FIFO/directory under it (E_SEGMENT_NOT_FILE, never opened) are found
//   exactly as before, the kept descriptor closed. A file truncated and written past the consumed
//   offset between two reads reads the same bytes as before (the scanner skips a cut frame).
// - A rename, create or delete in the directory wakes a pass, and every pass still stats every
//   name and compares inodes before reading (through the kept descriptor only when its inode is
//   the one the name has), so a replaced or deleted file whose old inode still grows is caught by
//   that pass; until then only records appended to the followed file are read.
// - A descriptor is closed when its segment is sealed (after the final read), vanishes, fails, is
//   skipped, is deleted as consumed, or the tailer is closed (close()).

import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { BUCKET_SECONDS, parseSegmentName } from '@sentinel-wasi/protocol/encode';
import { MAX_FRAME_BYTES } from '@sentinel-wasi/protocol';
import type { ScanSkip } from '@sentinel-wasi/protocol';
import type { SegmentCheckpoint } from '../checkpoint/checkpoint.js';
import type { HealthSink } from '../stats/health.js';
import type { Ingestor } from './ingestor.js';

export const DEFAULT_READ_BUFFER_BYTES = 1024 * 1024;
/** Bytes read from one segment per pass before the next segment gets its turn. */
export const DEFAULT_SEGMENT_PASS_BYTES = 4 * 1024 * 1024;
/** Frames a writer may append per second, at most (generous: a filter writes far fewer). */
export const MAX_WRITER_FRAMES_PER_SEC = 10_000;
/** Seconds a writer may append to one segment: its bucket plus a late-flush grace. */
export const MAX_SEGMENT_APPEND_SEC = BUCKET_SECONDS + 3;
/** No writer can produce a larger segment: MAX_FRAME_BYTES × MAX_WRITER_FRAMES_PER_SEC × MAX_SEGMENT_APPEND_SEC (532 480 000 bytes). */
export const MAX_SEGMENT_BYTES = MAX_FRAME_BYTES * MAX_WRITER_FRAMES_PER_SEC * MAX_SEGMENT_APPEND_SEC;
/** A segment whose bucket starts this far after now is treated as invalid-by-clock: read as sealed, then deleted. */
export const FUTURE_SEGMENT_MS = 60 * 60 * 1000;
/** First retry delay of a failing segment; doubles per failure up to RETRY_MAX_MS. */
export const RETRY_BASE_MS = 100;
export const RETRY_MAX_MS = 5000;
/** Live segments whose descriptors stay open between reads, at most. */
export const MAX_KEPT_DESCRIPTORS = 64;

const OPEN_FLAGS = nodeFs.constants.O_RDONLY | nodeFs.constants.O_NONBLOCK | nodeFs.constants.O_NOFOLLOW;

export interface SegmentState {
  name: string;
  bucketSec: number;
  ino: number;
  offsetBytes: number;
  /** Size at the last stat. */
  sizeBytes: number;
  /** Size up to which everything complete has been read (an incomplete tail may remain). */
  readToBytes: number;
  sealed: boolean;
  /** Sealed and read to its end with `final`. */
  done: boolean;
  /** The last read failed with an I/O error: retried, but it does not hold back sealing. */
  failing: boolean;
  /** Hex of the first HEAD_BYTES bytes once read ('' before). */
  head: string;
  /** A checkpointed head not yet compared with the file (a transient error at restore): checked before the next read. */
  verifyHead: string;
  /** Consecutive failed attempts, and when the next one may happen. */
  failures: number;
  retryAtMs: number;
  /** Why it is not read at all ('' when it is): not a regular file, or too large for any writer. */
  skipped: '' | 'not-file' | 'too-large';
  /** E_SEGMENT_FUTURE was reported for it. */
  future: boolean;
  /** Kept descriptor of a live segment (-1: none), and the inode it was opened on. */
  fd: number;
  fdIno: number;
}

class NotRegularFileError extends Error {
  readonly code = 'E_SEGMENT_NOT_FILE';
}

/** Bytes that fingerprint a segment: its first frame header (marker, version, length, CRC). */
const HEAD_BYTES = 8;

/** The file-system calls the tailer makes (a seam: tests inject faults through it). */
export interface TailerFs {
  openSync(path: string, flags: number | string): number;
  closeSync(fd: number): void;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  fstatSync(fd: number): { size: number; ino: number; isFile(): boolean };
  /** The name's own stat, never following a link (a link is not a regular file). */
  lstatSync(path: string): { size: number; ino: number; isFile(): boolean };
  readdirSync(path: string): string[];
  unlinkSync(path: string): void;
}

export const NODE_TAILER_FS: TailerFs = {
  openSync: (path, flags) => nodeFs.openSync(path, flags),
  closeSync: (fd) => nodeFs.closeSync(fd),
  readSync: (fd, buffer, offset, length, position) => nodeFs.readSync(fd, buffer, offset, length, position),
  fstatSync: (fd) => nodeFs.fstatSync(fd),
  lstatSync: (path) => nodeFs.lstatSync(path),
  readdirSync: (path) => nodeFs.readdirSync(path),
  unlinkSync: (path) => nodeFs.unlinkSync(path),
};

/** Opens a segment without blocking or following links; throws NotRegularFileError for anything but a regular file (a link: ELOOP). */
function openSegment(fs: TailerFs, path: string): { fd: number; ino: number } {
  let fd: number;
  try {
    fd = fs.openSync(path, OPEN_FLAGS);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new NotRegularFileError('a symbolic link: skipped');
    throw err;
  }
  let ok = false;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError('not a regular file: skipped');
    ok = true;
    return { fd, ino: st.ino };
  } finally {
    if (!ok) fs.closeSync(fd);
  }
}

function readHeadAt(fs: TailerFs, fd: number): string {
  const buf = Buffer.alloc(HEAD_BYTES);
  const n = fs.readSync(fd, buf, 0, HEAD_BYTES, 0);
  return n === HEAD_BYTES ? buf.toString('hex') : '';
}

function readHead(fs: TailerFs, path: string): string {
  const { fd } = openSegment(fs, path);
  try {
    return readHeadAt(fs, fd);
  } finally {
    fs.closeSync(fd);
  }
}

export interface TailerOptions {
  logDir: string;
  ingestor: Ingestor;
  /** Where counts, gauges and problems go. */
  health: HealthSink;
  graceMs: number;
  readBufferBytes?: number;
  /** File-system calls (default: node:fs). */
  fs?: TailerFs;
  /** Bytes read from one segment per pass (default DEFAULT_SEGMENT_PASS_BYTES). */
  segmentPassBytes?: number;
  /** Larger segments are reported and skipped (default MAX_SEGMENT_BYTES). */
  maxSegmentBytes?: number;
  /** Live segments whose descriptors stay open between reads (default MAX_KEPT_DESCRIPTORS; 0: open per read). */
  maxKeptDescriptors?: number;
}

export interface PassResult {
  bytesRead: number;
  /** True when the byte budget ran out before every segment was caught up. */
  more: boolean;
  /** Smallest bucket (epoch s) of a segment not yet read to its end; Infinity when all are. */
  frontierBucketSec: number;
}

export class Tailer {
  readonly logDir: string;
  readonly graceMs: number;
  private readonly ingestor: Ingestor;
  private readonly health: HealthSink;
  private readonly fs: TailerFs;
  private readonly buffer: Buffer;
  private readonly segmentPassBytes: number;
  private readonly maxSegmentBytes: number;
  private readonly maxKeptDescriptors: number;
  private keptDescriptors = 0;
  /** Round-robin start: the index (in segment order) of the segment read first in the next pass. */
  private nextFirst = 0;
  private readonly segments = new Map<string, SegmentState>();
  private readonly badNames = new Set<string>();
  private currentSegment = '';
  private currentNowMs = 0;
  private readonly onSkip = (skip: ScanSkip): void => {
    this.health.problem({ atMs: this.currentNowMs, code: skip.code, message: `skipped ${skip.lengthBytes} bytes at offset ${skip.offsetBytes}`, segment: this.currentSegment });
  };

  constructor(options: TailerOptions) {
    this.logDir = options.logDir;
    this.graceMs = options.graceMs;
    this.ingestor = options.ingestor;
    this.health = options.health;
    this.fs = options.fs ?? NODE_TAILER_FS;
    this.segmentPassBytes = options.segmentPassBytes ?? DEFAULT_SEGMENT_PASS_BYTES;
    this.maxSegmentBytes = options.maxSegmentBytes ?? MAX_SEGMENT_BYTES;
    this.maxKeptDescriptors = options.maxKeptDescriptors ?? MAX_KEPT_DESCRIPTORS;
    this.buffer = Buffer.allocUnsafe(options.readBufferBytes ?? DEFAULT_READ_BUFFER_BYTES);
  }

  /** Loads checkpointed offsets, checking each against the file now on disk. */
  restore(entries: readonly SegmentCheckpoint[], nowMs: number): void {
    for (const e of entries) {
      const id = parseSegmentName(e.name);
      if (id === null) continue;
      const path = join(this.logDir, e.name);
      let st: { size: number; ino: number; isFile(): boolean };
      try {
        st = this.fs.lstatSync(path);
      } catch (err) {
        if (!e.done) {
          this.health.count('segmentsMissing');
          this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_MISSING', message: `checkpointed at offset ${e.offsetBytes} but gone before it was fully consumed`, segment: e.name });
        } else if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          // Consumed in the checkpoint and gone: deleted after that checkpoint was written, by a
          // collector that stopped before its next checkpoint could count it.
          this.health.count('segmentsDeleted');
        }
        continue;
      }
      const seg = this.newState(e.name, id.bucketSec);
      if (!st.isFile()) {
        this.notRegular(seg, nowMs);
        this.segments.set(e.name, seg);
        continue;
      }
      let head = '';
      let headUnread = false;
      try {
        head = e.head ? readHead(this.fs, path) : '';
      } catch (err) {
        if (err instanceof NotRegularFileError) {
          this.notRegular(seg, nowMs);
          this.segments.set(e.name, seg);
          continue;
        }
        // Transient (EMFILE, EIO, ...) or gone: no evidence of another file. Keep the offset and
        // compare the head before the next read; a vanished file is found by the next pass.
        headUnread = true;
        this.readError(seg, err, nowMs);
      }
      if ((e.ino !== 0 && st.ino !== e.ino) || (e.head && !headUnread && head !== e.head)) {
        // A consumed segment was deleted after the checkpoint (uncounted, as above) before a writer
        // made a new file of its name.
        if (e.done) this.health.count('segmentsDeleted');
        this.health.count('segmentsReset');
        this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_REPLACED', message: 'a different file now has this name: reading it from 0', segment: e.name });
      } else if (e.offsetBytes > st.size) {
        this.health.count('segmentsReset');
        this.health.problem({ atMs: nowMs, code: 'E_CHECKPOINT_PAST_END', message: `checkpoint offset ${e.offsetBytes} is past the segment's end ${st.size}: continuing at the end`, segment: e.name });
        seg.ino = st.ino;
        seg.offsetBytes = st.size;
        seg.readToBytes = st.size;
      } else {
        seg.ino = st.ino;
        seg.offsetBytes = e.offsetBytes;
        seg.readToBytes = e.offsetBytes;
        seg.done = e.done && e.offsetBytes === st.size && !headUnread;
        seg.head = e.head ?? '';
        if (headUnread) seg.verifyHead = e.head ?? '';
      }
      seg.sizeBytes = st.size;
      this.segments.set(e.name, seg);
    }
  }

  /** Offsets for the checkpoint. */
  exportState(): SegmentCheckpoint[] {
    return [...this.segments.values()].map((s) => ({ name: s.name, ino: s.ino, offsetBytes: s.offsetBytes, done: s.done, ...(s.head === '' ? {} : { head: s.head }) }));
  }

  /** Names of segments that are sealed and fully consumed right now. */
  doneNames(): Set<string> {
    const out = new Set<string>();
    for (const s of this.segments.values()) if (s.done) out.add(s.name);
    return out;
  }

  segmentList(): Array<{ name: string; sizeBytes: number; offsetBytes: number; sealed: boolean }> {
    return [...this.segments.values()].sort(bySegmentOrder).map((s) => ({ name: s.name, sizeBytes: s.sizeBytes, offsetBytes: s.offsetBytes, sealed: s.sealed }));
  }

  /** Lists the log directory, stats every segment and reads new bytes, up to budgetBytes in all. */
  passAt(nowMs: number, budgetBytes = Infinity): PassResult {
    this.currentNowMs = nowMs;
    this.scanDir(nowMs);
    let bytesRead = 0;
    let more = false;
    const ordered = [...this.segments.values()].sort(bySegmentOrder);
    const first = ordered.length === 0 ? 0 : this.nextFirst % ordered.length;
    this.nextFirst = first + 1;
    for (let i = 0; i < ordered.length; i++) {
      const seg = ordered[(first + i) % ordered.length]!;
      if (seg.failing && nowMs < seg.retryAtMs) continue; // backing off
      if (!this.statSegment(seg, nowMs)) continue;
      if (seg.skipped !== '') continue;
      const future = seg.bucketSec * 1000 > nowMs + FUTURE_SEGMENT_MS;
      if (future && !seg.future) {
        seg.future = true;
        this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_FUTURE', message: `bucket starts more than ${FUTURE_SEGMENT_MS / 1000} s after now: read as sealed and deleted once consumed`, segment: seg.name });
      }
      seg.sealed = future || (seg.bucketSec + BUCKET_SECONDS) * 1000 + this.graceMs <= nowMs;
      const needsRead = seg.readToBytes < seg.sizeBytes || (seg.sealed && !seg.done);
      if (!needsRead) continue;
      if (bytesRead >= budgetBytes) {
        more = true;
        continue;
      }
      // At least one whole frame, so a small remaining budget still makes progress.
      bytesRead += this.readSegment(seg, nowMs, Math.max(MAX_FRAME_BYTES, Math.min(this.segmentPassBytes, budgetBytes - bytesRead)));
      if (!seg.failing && seg.readToBytes < seg.sizeBytes) more = true;
    }
    this.updateGauges();
    let frontierBucketSec = Infinity;
    for (const s of this.segments.values()) {
      if (!s.failing && s.skipped === '' && s.readToBytes < s.sizeBytes && s.bucketSec < frontierBucketSec) frontierBucketSec = s.bucketSec;
    }
    return { bytesRead, more, frontierBucketSec };
  }

  /**
   * Reads the new bytes of one segment right away (a watcher saw `name` change), up to
   * budgetBytes, with a pass's checks (stat, inode, size, back-off). Only a live segment is read
   * here: one it follows, or a file under a segment's name that no pass has listed yet (a writer's
   * new segment, followed from here on as a pass would); anything else (a sealed, future, failing
   * or skipped segment, a name with no file) returns null and is left to the next pass, which
   * stays the source of truth. `behindBucketSec` is the segment's bucket when bytes remain unread,
   * else Infinity (a pass's frontier can only move down by it).
   */
  readNamedAt(name: string, nowMs: number, budgetBytes = Infinity): { bytesRead: number; behindBucketSec: number } | null {
    const seg = this.segments.get(name) ?? this.adoptLive(name, nowMs);
    if (seg === null || seg.skipped !== '' || seg.failing || seg.future || seg.sealed) return null;
    if (!this.isLive(seg.bucketSec, nowMs)) return null;
    this.currentNowMs = nowMs;
    const segmentBudget = Math.max(MAX_FRAME_BYTES, Math.min(this.segmentPassBytes, budgetBytes));
    let bytesRead = seg.fd >= 0 && seg.verifyHead === '' ? this.readKept(seg, nowMs, segmentBudget) : -1;
    if (bytesRead < 0) {
      bytesRead = 0;
      if (this.statSegment(seg, nowMs) && seg.skipped === '' && seg.readToBytes < seg.sizeBytes) bytesRead = this.readSegment(seg, nowMs, segmentBudget);
    }
    this.updateGauges();
    const behind = this.segments.get(name) === seg && seg.skipped === '' && !seg.failing && seg.readToBytes < seg.sizeBytes;
    return { bytesRead, behindBucketSec: behind ? seg.bucketSec : Infinity };
  }

  /** Number of descriptors kept open right now. */
  get keptDescriptorCount(): number {
    return this.keptDescriptors;
  }

  /** Closes every kept descriptor (a stop, or a collector replaced by a reload); reads after it open again. */
  close(): void {
    for (const seg of this.segments.values()) this.release(seg);
  }

  /**
   * Deletes segments that were done in a checkpoint already on disk (`durableDone`) and still
   * are: re-stated first, so a segment that grew since is read again instead.
   */
  deleteConsumed(durableDone: ReadonlySet<string>, nowMs: number): string[] {
    const deleted: string[] = [];
    for (const name of durableDone) {
      const seg = this.segments.get(name);
      if (seg === undefined || !seg.done) continue;
      const path = join(this.logDir, name);
      try {
        const st = this.fs.lstatSync(path);
        if (st.ino !== seg.ino || st.size !== seg.offsetBytes) {
          seg.done = false;
          continue;
        }
        this.release(seg);
        this.fs.unlinkSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_DELETE', message: String((err as Error).message), segment: name });
          continue;
        }
      }
      this.segments.delete(name);
      this.health.count('segmentsDeleted');
      deleted.push(name);
    }
    this.updateGauges();
    return deleted;
  }

  /** A live bucket: neither more than FUTURE_SEGMENT_MS ahead nor sealed (its end plus grace passed). */
  private isLive(bucketSec: number, nowMs: number): boolean {
    return bucketSec * 1000 <= nowMs + FUTURE_SEGMENT_MS && (bucketSec + BUCKET_SECONDS) * 1000 + this.graceMs > nowMs;
  }

  /** Follows `name` from here on when it is a segment's name, of a live bucket, and a file is there (what a pass's scan would add); else null. */
  private adoptLive(name: string, nowMs: number): SegmentState | null {
    const id = parseSegmentName(name);
    if (id === null || !this.isLive(id.bucketSec, nowMs)) return null;
    try {
      this.fs.lstatSync(join(this.logDir, name));
    } catch {
      return null; // gone (or not reachable): nothing to follow; the pass sees whatever is there
    }
    const seg = this.newState(name, id.bucketSec);
    this.segments.set(name, seg);
    return seg;
  }

  private newState(name: string, bucketSec: number): SegmentState {
    return { name, bucketSec, ino: 0, offsetBytes: 0, sizeBytes: 0, readToBytes: 0, sealed: false, done: false, failing: false, head: '', verifyHead: '', failures: 0, retryAtMs: 0, skipped: '', future: false, fd: -1, fdIno: 0 };
  }

  private scanDir(nowMs: number): void {
    let names: string[];
    try {
      names = this.fs.readdirSync(this.logDir);
    } catch (err) {
      this.health.problem({ atMs: nowMs, code: 'E_LOG_DIR', message: String((err as Error).message) });
      return;
    }
    const present = new Set(names);
    const bad = new Set<string>();
    for (const name of names) {
      if (this.segments.has(name)) continue;
      const id = parseSegmentName(name);
      if (id === null) {
        bad.add(name);
        if (!this.badNames.has(name)) {
          this.health.problem({ atMs: nowMs, code: 'E_BAD_SEGMENT_NAME', message: 'not <bucketSec>-<writer>.seg: ignored', segment: name });
        }
        continue;
      }
      this.segments.set(name, this.newState(name, id.bucketSec));
    }
    this.badNames.clear();
    for (const n of bad) this.badNames.add(n);
    for (const seg of [...this.segments.values()]) {
      if (!present.has(seg.name)) this.vanished(seg, nowMs);
    }
  }

  /** Refreshes size and inode; false when the segment is gone. */
  private statSegment(seg: SegmentState, nowMs: number): boolean {
    let st: { size: number; ino: number; isFile(): boolean };
    try {
      st = this.fs.lstatSync(join(this.logDir, seg.name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.vanished(seg, nowMs);
      else this.readError(seg, err, nowMs);
      return false;
    }
    if (!st.isFile()) {
      this.notRegular(seg, nowMs);
      return false;
    }
    if (seg.skipped === 'not-file') {
      // A regular file now has the name: a new segment.
      seg.skipped = '';
      seg.ino = 0;
    }
    if (seg.fd >= 0 && seg.fdIno !== st.ino) this.release(seg); // another file has the name now
    if (st.size > this.maxSegmentBytes) {
      this.release(seg);
      if (seg.skipped !== 'too-large') {
        seg.skipped = 'too-large';
        this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_TOO_LARGE', message: `size ${st.size} exceeds ${this.maxSegmentBytes} bytes, more than any writer can append to one segment: skipped`, segment: seg.name });
      }
      seg.sizeBytes = st.size;
      return true;
    }
    if (seg.skipped === 'too-large') seg.skipped = '';
    if (seg.ino !== 0 && st.ino !== seg.ino) {
      this.health.count('segmentsReset');
      this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_REPLACED', message: 'a different file now has this name: reading it from 0', segment: seg.name });
      seg.offsetBytes = 0;
      seg.readToBytes = 0;
      seg.done = false;
      seg.head = '';
      seg.verifyHead = '';
    } else if (st.size < seg.offsetBytes) {
      this.health.count('segmentsReset');
      this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_SHRANK', message: `size ${st.size} is below the consumed offset ${seg.offsetBytes}: continuing at the end`, segment: seg.name });
      seg.offsetBytes = st.size;
      seg.readToBytes = st.size;
      // The old first frame is gone: fingerprint the file again when it is read from 0.
      seg.head = '';
    }
    seg.ino = st.ino;
    if (st.size > seg.sizeBytes && seg.done) seg.done = false;
    seg.sizeBytes = st.size;
    return true;
  }

  private vanished(seg: SegmentState, nowMs: number): void {
    this.release(seg);
    this.segments.delete(seg.name);
    if (seg.done) return;
    this.health.count('segmentsMissing');
    this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_VANISHED', message: `removed by someone else after ${seg.offsetBytes} of its ${seg.sizeBytes} bytes were read (as last seen): what was left, and what a writer appends to it from now on, is not counted`, segment: seg.name });
  }

  private readError(seg: SegmentState, err: unknown, nowMs: number): void {
    this.release(seg);
    seg.failures++;
    seg.retryAtMs = nowMs + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(seg.failures - 1, 30));
    if (seg.failing) return; // reported when it started failing; retried quietly with back-off
    seg.failing = true;
    this.health.count('segmentReadErrors');
    this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_READ', message: String((err as Error).message), segment: seg.name });
  }

  private notRegular(seg: SegmentState, nowMs: number): void {
    this.release(seg);
    if (seg.skipped === 'not-file') return;
    seg.skipped = 'not-file';
    seg.failing = false;
    this.health.count('segmentReadErrors');
    this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_NOT_FILE', message: 'not a regular file (FIFO, device, directory or link): skipped', segment: seg.name });
  }

  private healthy(seg: SegmentState): void {
    seg.failing = false;
    seg.failures = 0;
    seg.retryAtMs = 0;
  }

  /** Closes seg's kept descriptor, if any. */
  private release(seg: SegmentState): void {
    if (seg.fd < 0) return;
    const fd = seg.fd;
    seg.fd = -1;
    seg.fdIno = 0;
    this.keptDescriptors--;
    try {
      this.fs.closeSync(fd);
    } catch {
      /* closed anyway */
    }
  }

  /**
   * The fast read of a live segment (see the header): new bytes through its kept descriptor, from
   * the consumed offset to the end of the file, at most budgetBytes. Returns the bytes read, or -1
   * when nothing new was there or the segment would pass the size limit: the caller then runs the
   * full checks (stat of the name) and reads as a pass would.
   */
  private readKept(seg: SegmentState, nowMs: number, budgetBytes: number): number {
    this.currentSegment = seg.name;
    let total = 0;
    try {
      while (total < budgetBytes) {
        const want = Math.min(this.buffer.length, budgetBytes - total);
        const n = this.fs.readSync(seg.fd, this.buffer, 0, want, seg.offsetBytes);
        const endBytes = seg.offsetBytes + n;
        if (n <= 0 || endBytes > this.maxSegmentBytes) {
          if (total === 0) return -1;
          // The previous read ended exactly at the file's end.
          if (n <= 0) seg.sizeBytes = seg.readToBytes = seg.offsetBytes;
          break;
        }
        if (seg.head === '' && seg.offsetBytes === 0 && n >= HEAD_BYTES) seg.head = this.buffer.toString('hex', 0, HEAD_BYTES);
        total += n;
        const atEnd = n < want;
        // A short read ends at the file's end: that is its size now. A full one: at least that.
        seg.sizeBytes = atEnd ? endBytes : Math.max(seg.sizeBytes, endBytes);
        const result = this.ingestor.ingestBytes(this.buffer, 0, n, nowMs, { baseOffset: seg.offsetBytes, final: false, onSkip: this.onSkip });
        const progressed = result.nextOffset > seg.offsetBytes;
        seg.offsetBytes = result.nextOffset;
        if (atEnd || !progressed) {
          if (atEnd) seg.readToBytes = endBytes;
          break;
        }
      }
    } catch (err) {
      this.readError(seg, err, nowMs);
    } finally {
      this.currentSegment = '';
    }
    return total;
  }

  /** Reads seg from its offset to its size (at most budgetBytes); returns bytes read. */
  private readSegment(seg: SegmentState, nowMs: number, budgetBytes: number): number {
    let fd: number;
    let openedIno = 0;
    const wasKept = seg.fd >= 0 && seg.fdIno === seg.ino;
    try {
      if (wasKept) fd = seg.fd;
      else {
        this.release(seg);
        const opened = openSegment(this.fs, join(this.logDir, seg.name));
        fd = opened.fd;
        openedIno = opened.ino;
      }
    } catch (err) {
      if (err instanceof NotRegularFileError) this.notRegular(seg, nowMs);
      else if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.vanished(seg, nowMs);
      else this.readError(seg, err, nowMs);
      return 0;
    }
    this.currentSegment = seg.name;
    let total = 0;
    try {
      if (seg.verifyHead !== '') {
        const head = readHeadAt(this.fs, fd);
        if (head !== seg.verifyHead) {
          this.health.count('segmentsReset');
          this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_REPLACED', message: 'a different file now has this name: reading it from 0', segment: seg.name });
          seg.offsetBytes = 0;
          seg.readToBytes = 0;
          seg.done = false;
          seg.head = '';
        }
        seg.verifyHead = '';
      }
      while (total < budgetBytes) {
        const remaining = seg.sizeBytes - seg.offsetBytes;
        if (remaining <= 0) {
          seg.readToBytes = seg.sizeBytes;
          break;
        }
        const want = Math.min(this.buffer.length, remaining, Math.max(budgetBytes - total, HEAD_BYTES));
        const n = this.fs.readSync(fd, this.buffer, 0, want, seg.offsetBytes);
        if (seg.head === '' && seg.offsetBytes === 0 && n >= HEAD_BYTES) seg.head = this.buffer.toString('hex', 0, HEAD_BYTES);
        if (n <= 0) {
          // Shorter than its last stat (it shrank): the next pass's stat sorts it out.
          seg.readToBytes = seg.sizeBytes;
          break;
        }
        total += n;
        const atEnd = seg.offsetBytes + n >= seg.sizeBytes;
        const result = this.ingestor.ingestBytes(this.buffer, 0, n, nowMs, { baseOffset: seg.offsetBytes, final: seg.sealed && atEnd, onSkip: this.onSkip });
        const progressed = result.nextOffset > seg.offsetBytes;
        seg.offsetBytes = result.nextOffset;
        if (atEnd) {
          seg.readToBytes = seg.sizeBytes;
          break;
        }
        if (!progressed) {
          // A read cut short by the byte budget: the next pass goes on from here.
          if (want < remaining && want < this.buffer.length) break;
          // Cannot happen with a buffer larger than a frame; stop rather than spin.
          seg.readToBytes = seg.sizeBytes;
          break;
        }
      }
      this.healthy(seg);
    } catch (err) {
      this.readError(seg, err, nowMs);
    } finally {
      // Kept for the next read while live, regular, healthy and still followed; else closed.
      const keep = !seg.sealed && !seg.failing && seg.skipped === '' && this.segments.get(seg.name) === seg;
      if (wasKept) {
        if (!keep) this.release(seg); // (a no-op when a read error released it already)
      } else if (keep && openedIno === seg.ino && this.keptDescriptors < this.maxKeptDescriptors) {
        seg.fd = fd;
        seg.fdIno = openedIno;
        this.keptDescriptors++;
      } else this.fs.closeSync(fd);
      this.currentSegment = '';
    }
    if (seg.sealed && seg.readToBytes >= seg.sizeBytes && seg.offsetBytes >= seg.sizeBytes) seg.done = true;
    return total;
  }

  private updateGauges(): void {
    let lag = 0;
    for (const s of this.segments.values()) if (s.skipped === '') lag += Math.max(0, s.sizeBytes - s.offsetBytes);
    this.health.gauge('lagBytes', lag);
    this.health.gauge('segmentsActive', this.segments.size);
    this.health.gauge('segmentsBadName', this.badNames.size);
  }
}

function bySegmentOrder(a: SegmentState, b: SegmentState): number {
  return a.bucketSec - b.bucketSec || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

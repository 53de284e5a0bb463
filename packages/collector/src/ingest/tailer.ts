// Owns following the segment files of `<pin>/log`: a directory scan plus a stat per segment is the
// source of truth (watcher events only make a pass happen sooner). Segments are identified by name
// (never reused) and inode; each is read with positioned reads into one reused buffer, from its
// consumed offset up to its current size. An incomplete frame at the end of a live segment is read
// again on a later pass; `final` is passed only once the segment is sealed (its 10 s bucket plus
// the grace period has passed). Bad names, vanished files and I/O errors are counted and reported
// to a HealthSink, never fatal.

import { closeSync, constants, openSync, readdirSync, readSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BUCKET_SECONDS, parseSegmentName } from '@sentinel-wasi/protocol/encode';
import type { ScanSkip } from '@sentinel-wasi/protocol';
import type { SegmentCheckpoint } from '../checkpoint/checkpoint.js';
import type { HealthSink } from '../stats/health.js';
import type { Ingestor } from './ingestor.js';

export const DEFAULT_READ_BUFFER_BYTES = 1024 * 1024;

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
}

/** A segment name that is a link (e.g. to a file outside the pin) fails to open (ELOOP). */
const READ_NOFOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

/** Bytes that fingerprint a segment: its first frame header (marker, version, length, CRC). */
const HEAD_BYTES = 8;

function readHead(path: string): string {
  const fd = openSync(path, READ_NOFOLLOW);
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return n === HEAD_BYTES ? buf.toString('hex') : '';
  } finally {
    closeSync(fd);
  }
}

export interface TailerOptions {
  logDir: string;
  ingestor: Ingestor;
  /** Where counts, gauges and problems go. */
  health: HealthSink;
  graceMs: number;
  readBufferBytes?: number;
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
  private readonly buffer: Buffer;
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
    this.buffer = Buffer.allocUnsafe(options.readBufferBytes ?? DEFAULT_READ_BUFFER_BYTES);
  }

  /** Loads checkpointed offsets, checking each against the file now on disk. */
  restore(entries: readonly SegmentCheckpoint[], nowMs: number): void {
    for (const e of entries) {
      const id = parseSegmentName(e.name);
      if (id === null) continue;
      const path = join(this.logDir, e.name);
      let st: { size: number; ino: number };
      try {
        st = statSync(path);
      } catch {
        if (!e.done) {
          this.health.count('segmentsMissing');
          this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_MISSING', message: `checkpointed at offset ${e.offsetBytes} but gone before it was fully consumed`, segment: e.name });
        }
        continue;
      }
      const seg = this.newState(e.name, id.bucketSec);
      let head = '';
      try {
        head = e.head ? readHead(path) : '';
      } catch {
        /* unreadable now: the pass reports it */
      }
      if ((e.ino !== 0 && st.ino !== e.ino) || (e.head && head !== e.head)) {
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
        seg.done = e.done && e.offsetBytes === st.size;
        seg.head = e.head ?? '';
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
    for (const seg of [...this.segments.values()].sort(bySegmentOrder)) {
      if (!this.statSegment(seg, nowMs)) continue;
      seg.sealed = (seg.bucketSec + BUCKET_SECONDS) * 1000 + this.graceMs <= nowMs;
      const needsRead = seg.readToBytes < seg.sizeBytes || (seg.sealed && !seg.done);
      if (!needsRead) continue;
      if (bytesRead >= budgetBytes) {
        more = true;
        continue;
      }
      bytesRead += this.readSegment(seg, nowMs, budgetBytes - bytesRead);
      if (seg.readToBytes < seg.sizeBytes) more = true;
    }
    this.updateGauges();
    let frontierBucketSec = Infinity;
    for (const s of this.segments.values()) {
      if (!s.failing && s.readToBytes < s.sizeBytes && s.bucketSec < frontierBucketSec) frontierBucketSec = s.bucketSec;
    }
    return { bytesRead, more, frontierBucketSec };
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
        const st = statSync(path);
        if (st.ino !== seg.ino || st.size !== seg.offsetBytes) {
          seg.done = false;
          continue;
        }
        unlinkSync(path);
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

  private newState(name: string, bucketSec: number): SegmentState {
    return { name, bucketSec, ino: 0, offsetBytes: 0, sizeBytes: 0, readToBytes: 0, sealed: false, done: false, failing: false, head: '' };
  }

  private scanDir(nowMs: number): void {
    let names: string[];
    try {
      names = readdirSync(this.logDir);
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
      st = statSync(join(this.logDir, seg.name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.vanished(seg, nowMs);
      else this.readError(seg, err, nowMs);
      return false;
    }
    if (!st.isFile()) {
      this.readError(seg, new Error('not a regular file'), nowMs);
      return false;
    }
    if (seg.ino !== 0 && st.ino !== seg.ino) {
      this.health.count('segmentsReset');
      this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_REPLACED', message: 'a different file now has this name: reading it from 0', segment: seg.name });
      seg.offsetBytes = 0;
      seg.readToBytes = 0;
      seg.done = false;
      seg.head = '';
    } else if (st.size < seg.offsetBytes) {
      this.health.count('segmentsReset');
      this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_SHRANK', message: `size ${st.size} is below the consumed offset ${seg.offsetBytes}: continuing at the end`, segment: seg.name });
      seg.offsetBytes = st.size;
      seg.readToBytes = st.size;
    }
    seg.ino = st.ino;
    if (st.size > seg.sizeBytes && seg.done) seg.done = false;
    seg.sizeBytes = st.size;
    return true;
  }

  private vanished(seg: SegmentState, nowMs: number): void {
    this.segments.delete(seg.name);
    if (seg.done) return;
    this.health.count('segmentsMissing');
    this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_VANISHED', message: `removed by someone else at offset ${seg.offsetBytes} of ${seg.sizeBytes}`, segment: seg.name });
  }

  private readError(seg: SegmentState, err: unknown, nowMs: number): void {
    if (seg.failing) return; // reported when it started failing; retried quietly
    seg.failing = true;
    this.health.count('segmentReadErrors');
    this.health.problem({ atMs: nowMs, code: 'E_SEGMENT_READ', message: String((err as Error).message), segment: seg.name });
  }

  /** Reads seg from its offset to its size (at most budgetBytes); returns bytes read. */
  private readSegment(seg: SegmentState, nowMs: number, budgetBytes: number): number {
    let fd: number;
    try {
      fd = openSync(join(this.logDir, seg.name), READ_NOFOLLOW);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.vanished(seg, nowMs);
      else this.readError(seg, err, nowMs);
      return 0;
    }
    this.currentSegment = seg.name;
    let total = 0;
    try {
      while (total < budgetBytes) {
        const remaining = seg.sizeBytes - seg.offsetBytes;
        if (remaining <= 0) {
          seg.readToBytes = seg.sizeBytes;
          break;
        }
        const want = Math.min(this.buffer.length, remaining);
        const n = readSync(fd, this.buffer, 0, want, seg.offsetBytes);
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
          // Cannot happen with a buffer larger than a frame; stop rather than spin.
          seg.readToBytes = seg.sizeBytes;
          break;
        }
      }
      seg.failing = false;
    } catch (err) {
      this.readError(seg, err, nowMs);
    } finally {
      closeSync(fd);
      this.currentSegment = '';
    }
    if (seg.sealed && seg.readToBytes >= seg.sizeBytes && seg.offsetBytes >= seg.sizeBytes) seg.done = true;
    return total;
  }

  private updateGauges(): void {
    let lag = 0;
    for (const s of this.segments.values()) lag += Math.max(0, s.sizeBytes - s.offsetBytes);
    this.health.gauge('lagBytes', lag);
    this.health.gauge('segmentsActive', this.segments.size);
    this.health.gauge('segmentsBadName', this.badNames.size);
  }
}

function bySegmentOrder(a: SegmentState, b: SegmentState): number {
  return a.bucketSec - b.bucketSec || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

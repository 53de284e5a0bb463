// Owns encoding records into frames: a fixed-schema msgpack encoder with a per-frame name table
// that never produces a frame over the size limit. A resource may be named by its resource id (of
// one resource map epoch) instead of its name: the record then carries the id itself in its name
// field and RECORD_ID_FLAG in its kind, and the frame is written as version 3
// (`[baseTsMs, mapEpoch, [name, ...], record, ...]`: no table entry per id); a frame without one is
// version 1, byte for byte as before ids existed. No msgpackr on this path: it runs inside components,
// interpreted (QuickJS), where each function call costs more than the arithmetic around it: the
// per-record path checks numbers and writes small integers inline and keeps the frame's fixed
// bytes as one sum, so a record costs a handful of calls.

import {
  FRAME_HEADER_BYTES,
  FRAME_MARKER,
  FRAME_VERSION,
  FRAME_VERSION_RECORD_IDS,
  MAX_FRAME_BYTES,
  MAX_RESOURCE_ID,
  MAX_NAME_BYTES,
  RECORD_ID_FLAG,
  RecordKind,
} from './constants.js';
import { crc32 } from './crc32.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { strHeaderLength, uintLength, writeArrayHeader, writeStrHeader, writeUint } from './msgpack.js';
import { loneSurrogateAt, utf8Encode, utf8Length } from './utf8.js';

/**
 * Names whose UTF-8 bytes are kept across frames (a frame re-sends its names; encoding them is not
 * redone); the cache starts over at a frame boundary once it holds this many.
 */
const ENCODED_NAME_CACHE_SIZE = 2048;

/** A name seen in recent frames: its UTF-8, its encoded size in a table, and its index in the table of frame `frame`. */
interface NameEntry {
  readonly utf8: Uint8Array;
  readonly tableBytes: number;
  frame: number;
  idx: number;
}

/**
 * Bytes of the records buffer past maxFrameBytes. A record starts at or below maxFrameBytes; its
 * DataView writes (which throw past the end, where an element write is lost) start at most 16 bytes
 * into it (array header and kind 2, time offset up to 9, name index up to 5) and write 4.
 */
const RECORD_SLACK_BYTES = 32;

/** frameEpoch of a frame that names no resource by id (a version 1 frame). */
const NO_FRAME_EPOCH = -1;
/** mapEpoch before setMapEpoch (never equal to a frame's epoch). */
const NO_MAP_EPOCH = -2;

/** Makes the error a misuse throws, from its code (E_BAD_ARGUMENT, E_RECORD_TOO_LARGE) and message. */
export type FrameBuilderErrorFactory = (code: ProtocolErrorCode, message: string) => Error;

const protocolError: FrameBuilderErrorFactory = (code, message) => new ProtocolError(code, message);

export interface FrameBuilderOptions {
  /** Largest frame, header included (default and maximum 4096). */
  maxFrameBytes?: number;
  /** The errors misuse throws (default: ProtocolError); a library on top gives its own class the same codes. */
  errorOf?: FrameBuilderErrorFactory;
  /**
   * Told the id window each time it changes (and once at construction): a CALL or BLOCK by an id of
   * the current map epoch at tsMs with fromMs ≤ tsMs < untilMs may go to addCallInIdWindow /
   * addBlockInIdWindow, which do not test the time again. Empty (fromMs +∞, untilMs −∞) until the
   * frame has an id of the current epoch; then the 128 ms from its base time.
   */
  onIdWindow?: (fromMs: number, untilMs: number) => void;
}

/**
 * A resource as a record names it: its name (a string, put in the frame's name table), or its
 * resource id (a number ≥ 1) in the map epoch last given to `setMapEpoch`.
 */
export type ResourceRef = string | number;

/**
 * Accumulates records into one frame. Each `add…` returns true when the record was added, false
 * when it does not fit (the frame is full, its time is earlier than the frame's base time, or it
 * names a resource by an id of another map epoch than the ids already in the frame): then call
 * `finish()`, write the frame, and add the record again. Misuse (bad names, ids or numbers)
 * throws a ProtocolError with code E_BAD_ARGUMENT (or the error `errorOf` makes): a name must be
 * non-empty, at most 1024 UTF-8 bytes and well-formed (no lone surrogate), checked once per name
 * while the encoded-name cache keeps it.
 */
export class FrameBuilder {
  readonly maxFrameBytes: number;
  private readonly errorOf: FrameBuilderErrorFactory;
  private readonly records: Uint8Array;
  /**
   * The records buffer as a DataView: inside QuickJS one setInt32 costs about as much as one
   * typed-array element write, so a record's usual bytes go in two or three writes instead of six or seven.
   */
  private readonly view: DataView;
  private recordsLength = 0;
  private recordCount = 0;
  /**
   * The frame's name table, its first tableSize entries (the arrays are not shortened between
   * frames: entries past tableSize are stale). Resources named by id have no entry.
   */
  private readonly names: string[] = [];
  /** UTF-8 of names[i]. */
  private readonly nameUtf8: Uint8Array[] = [];
  private tableSize = 0;
  /** Numbers the frames for the name entries' `frame` (never 0). */
  private frameNo = 1;
  /** The map epoch ids given from now on belong to (NO_MAP_EPOCH: none given yet). */
  private mapEpoch = NO_MAP_EPOCH;
  /**
   * The map epoch of the ids the frame's records carry (NO_FRAME_EPOCH: none, a version 1
   * frame; else the frame is version 3 and carries it), and its encoded length.
   */
  private frameEpoch = NO_FRAME_EPOCH;
  private epochBytes = 0;
  /**
   * baseTsMs while the frame's ids are of the current map epoch (frameEpoch === mapEpoch: the frame
   * has an id, so records), else NaN: the by-id paths' one test of both (a time offset from NaN
   * passes no range check). Kept by fixedChanged and setMapEpoch (setIdBase), which tell onIdWindow.
   */
  private idBaseTsMs = NaN;
  private readonly onIdWindow: ((fromMs: number, untilMs: number) => void) | undefined;
  /** The record being added gave the frame its map epoch (its first id): undone with its names. */
  private epochAdded = false;
  /**
   * Valid names seen in recent frames, by name (a prototype-less object: any string is a safe key,
   * and inside QuickJS a property read costs less than Map.get). One read finds a name's UTF-8 and
   * whether (and where) it is in this frame's table.
   */
  private nameEntries: Record<string, NameEntry> = Object.create(null) as Record<string, NameEntry>;
  private nameEntryCount = 0;
  private namesLength = 0;
  private baseTsMs = 0;
  private baseBytes = 1;
  /**
   * Bytes of the frame besides the records and the payload's array header: frame header, base
   * time, map epoch (with ids), the name table. Updated when one of them changes (fixedChanged).
   */
  private fixedBytes = 0;
  private readonly out: Uint8Array;
  // State of the record being added (see begin/commit): its origin's index and how to undo its names
  // and the frame's epoch (namesBefore/namesLengthBefore, set by the record's first addition: addedNames > 0).
  private originIdx = 0;
  private addedNames = 0;
  private namesBefore = 0;
  private namesLengthBefore = 0;
  /**
   * Records may end at or below this offset without the exact size check: the frame's limit less
   * its fixed bytes and the largest payload array header (updated with fixedBytes).
   */
  private roomEnd = 0;

  constructor(options: FrameBuilderOptions = {}) {
    this.errorOf = options.errorOf ?? protocolError;
    this.onIdWindow = options.onIdWindow;
    const max = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 64 || max > MAX_FRAME_BYTES) {
      throw this.errorOf(ProtocolErrorCode.BAD_ARGUMENT, `maxFrameBytes must be an integer in [64, ${MAX_FRAME_BYTES}], got ${max}`);
    }
    this.maxFrameBytes = max;
    // Room past the frame's limit for the 4-byte writes of a record that will not fit (commit refuses it).
    this.records = new Uint8Array(max + RECORD_SLACK_BYTES);
    this.view = new DataView(this.records.buffer);
    this.out = new Uint8Array(max);
    this.onIdWindow?.(Infinity, -Infinity);
  }

  /** Number of records in the frame being built. */
  get size(): number {
    return this.recordCount;
  }

  get isEmpty(): boolean {
    return this.recordCount === 0;
  }

  /** Bytes the frame would take if finished now (0 when empty). */
  get frameBytes(): number {
    return this.recordCount === 0 ? 0 : this.totalFor(this.recordsLength, this.recordCount);
  }

  /**
   * The map epoch of the resource ids given from now on (a non-negative safe integer). Ids already
   * in the frame keep theirs: a record with an id of another epoch starts the next frame.
   */
  setMapEpoch(epoch: number): void {
    if (!isUint(epoch)) badUint(this.errorOf, 'mapEpoch', epoch);
    this.mapEpoch = epoch;
    this.setIdBase(this.frameEpoch === epoch ? this.baseTsMs : NaN);
  }

  /** PASS: an admitted entry. */
  addPass(tsMs: number, resource: ResourceRef, count = 1, origin?: string): boolean {
    return this.addEntryRecord(RecordKind.PASS, tsMs, resource, count, origin);
  }

  /** BLOCK: a rejected entry. */
  addBlock(tsMs: number, resource: ResourceRef, count = 1, origin?: string): boolean {
    return this.addEntryRecord(RecordKind.BLOCK, tsMs, resource, count, origin);
  }

  /** EXIT: the exit of `count` admitted entries at tsMs, with their response time. */
  addExit(tsMs: number, resource: ResourceRef, rtMs: number, error: boolean, count = 1, origin?: string): boolean {
    if (count !== 1) checkCount(this.errorOf, count);
    if (rtMs >>> 0 !== rtMs && !isUint(rtMs)) badUint(this.errorOf, 'rtMs', rtMs);
    const nameIdx = this.begin(tsMs, resource, origin);
    if (nameIdx < 0) return false;
    const tail = origin === undefined ? (count === 1 ? 0 : 1) : 2;
    let p = this.writeHead(0x95 + tail, typeof resource === 'number' ? KIND_EXIT | RECORD_ID_FLAG : KIND_EXIT, tsMs - this.baseTsMs, nameIdx); // fixarray of 5..7
    const flag = error ? 0xc3 : 0xc2;
    if (rtMs < 0x80) {
      this.view.setInt16(p, (rtMs << 8) | flag);
      p += 2;
    } else p = this.writeTail(p, rtMs, flag);
    if (tail !== 0) p = this.writeCountOrigin(p, tail, count);
    return this.commit(p);
  }

  /** CALL: an entry and its exit at once; tsMs is the entry time. */
  addCall(tsMs: number, resource: ResourceRef, rtMs: number, error: boolean, origin?: string): boolean {
    if (rtMs >>> 0 !== rtMs && !isUint(rtMs)) badUint(this.errorOf, 'rtMs', rtMs);
    // The usual record resolves its names here rather than in begin() (a call costs more than these
    // checks inside QuickJS): the frame has records, tsMs is a number at most 127 ms after its base
    // time, and the resource (and origin) are in the frame's table already, or the resource is a
    // valid id of the epoch the frame's ids have. Anything else: begin().
    // These lookups are begin()'s for that case: a change to begin()'s rules changes them too.
    let kind: number = KIND_CALL;
    let nameIdx = -1;
    let dt = tsMs - this.baseTsMs;
    if (this.recordCount !== 0 && typeof tsMs === 'number' && dt >>> 0 === dt && dt < 0x80 && tsMs <= MAX_SAFE) {
      if (typeof resource === 'string') {
        const e = this.nameEntries[resource];
        if (e !== undefined && e.frame === this.frameNo) nameIdx = e.idx;
      } else {
        kind = KIND_CALL_BY_ID;
        // (frameEpoch equals mapEpoch only once the frame has an id: NO_FRAME_EPOCH ≠ NO_MAP_EPOCH.)
        if (resource >>> 0 === resource && resource !== 0 && this.frameEpoch === this.mapEpoch) nameIdx = resource;
      }
      if (origin !== undefined && nameIdx >= 0) {
        const o = typeof origin === 'string' ? this.nameEntries[origin] : undefined;
        if (o !== undefined && o.frame === this.frameNo) this.originIdx = o.idx;
        else nameIdx = -1;
      }
    }
    if (nameIdx < 0) {
      nameIdx = this.begin(tsMs, resource, origin);
      if (nameIdx < 0) return false;
      dt = tsMs - this.baseTsMs;
      if (typeof resource !== 'string') kind = KIND_CALL_BY_ID;
    }
    return this.putCall(kind, dt, nameIdx, rtMs, error, origin);
  }

  /**
   * CALL naming its resource by id, for a caller that has checked its arguments already (the
   * SDK's record helpers check each once): tsMs a non-negative safe integer, `id` a resource id
   * (1 … MAX_RESOURCE_ID) of the epoch last given to setMapEpoch, rtMs a non-negative safe integer,
   * `origin` undefined or a valid name. Writes what `addCall(tsMs, id, rtMs, error, origin)` writes,
   * without checking those again (inside QuickJS a check costs about what a byte write does):
   * arguments outside them make a wrong record instead of an error. What is not the usual record
   * (the frame's first id, an origin not yet in its table, a time not within 127 ms after its base)
   * goes through addCall, which checks everything.
   */
  addCallOfId(tsMs: number, id: number, rtMs: number, error: boolean, origin?: string): boolean {
    // (An integer, as tsMs is, while the frame has ids of the current epoch: else NaN, which fails both tests.)
    const dt = tsMs - this.idBaseTsMs;
    if (dt >= 0 && dt < 0x80) return this.addCallInIdWindow(tsMs, id, rtMs, error, origin);
    return this.addCall(tsMs, id, rtMs, error, origin);
  }

  /**
   * addCallOfId for a tsMs inside the id window onIdWindow last gave (fromMs ≤ tsMs < untilMs),
   * which is not tested again: a caller that tracks the window tests it once with its own checks.
   */
  addCallInIdWindow(tsMs: number, id: number, rtMs: number, error: boolean, origin?: string): boolean {
    const dt = tsMs - this.idBaseTsMs;
    const p = this.recordsLength;
    // The usual records (an id below 2^16, a short RT, no origin or one of the frame's first 128
    // names) are written here, putCall's forms of them without the calls, and with its room check
    // without commit's (an id adds no name to undo): the head (fixarray, kind, time offset), the
    // id in its shortest form, RT and flag (and the origin's index), in 32-bit words whose last
    // bytes may fall past the record (the records buffer has room; the next record overwrites them).
    if (origin === undefined) {
      if (id < 0x10000 && rtMs < 0x80 && p <= this.roomEnd - 8) {
        const view = this.view;
        const flag = error ? 0xc3 : 0xc2;
        if (id < 0x80) {
          view.setInt32(p, CALL_BY_ID_HEAD | (dt << 8) | id);
          view.setInt16(p + 4, (rtMs << 8) | flag);
          this.recordsLength = p + 6;
        } else if (id < 0x100) {
          view.setInt32(p, CALL_BY_ID_HEAD | (dt << 8) | 0xcc);
          view.setInt32(p + 4, (id << 24) | (rtMs << 16) | (flag << 8));
          this.recordsLength = p + 7;
        } else {
          view.setInt32(p, CALL_BY_ID_HEAD | (dt << 8) | 0xcd);
          view.setInt32(p + 4, (id << 16) | (rtMs << 8) | flag);
          this.recordsLength = p + 8;
        }
        this.recordCount++;
        return true;
      }
      return this.putCall(KIND_CALL_BY_ID, dt, id, rtMs, error, undefined);
    }
    const o = this.nameEntries[origin];
    if (o !== undefined && o.frame === this.frameNo) {
      const originIdx = o.idx;
      if (id < 0x10000 && rtMs < 0x80 && originIdx < 0x80 && p <= this.roomEnd - 9) {
        const view = this.view;
        const head = CALL_BY_ID_ORIGIN_HEAD | (dt << 8);
        // RT, flag and the origin's index: the record's last three bytes.
        const tail = (rtMs << 16) | ((error ? 0xc3 : 0xc2) << 8) | originIdx;
        if (id < 0x80) {
          view.setInt32(p, head | id);
          view.setInt32(p + 4, tail << 8);
          this.recordsLength = p + 7;
        } else if (id < 0x100) {
          view.setInt32(p, head | 0xcc);
          view.setInt32(p + 4, (id << 24) | tail);
          this.recordsLength = p + 8;
        } else {
          view.setInt32(p, head | 0xcd);
          view.setInt16(p + 4, id);
          view.setInt32(p + 6, tail << 8);
          this.recordsLength = p + 9;
        }
        this.recordCount++;
        return true;
      }
      this.originIdx = originIdx;
      return this.putCall(KIND_CALL_BY_ID, dt, id, rtMs, error, origin);
    }
    return this.addCall(tsMs, id, rtMs, error, origin);
  }

  /**
   * BLOCK of one rejected entry naming its resource by id, for a caller that has checked its
   * arguments already: the same preconditions as addCallOfId, and the same bytes as
   * `addBlock(tsMs, id, 1, origin)`, which it leaves what is not the usual record.
   */
  addBlockOfId(tsMs: number, id: number, origin?: string): boolean {
    const dt = tsMs - this.idBaseTsMs;
    if (dt >= 0 && dt < 0x80) return this.addBlockInIdWindow(tsMs, id, origin);
    return this.addBlock(tsMs, id, 1, origin);
  }

  /** addBlockOfId for a tsMs inside the id window onIdWindow last gave, which is not tested again (as addCallInIdWindow). */
  addBlockInIdWindow(tsMs: number, id: number, origin?: string): boolean {
    const dt = tsMs - this.idBaseTsMs;
    const p = this.recordsLength;
    // The usual records written here as in addCallOfId: the head (fixarray of 3, or of 5 with the
    // count 1 and the origin's index after the id), the id in its shortest form.
    if (origin === undefined) {
      if (id < 0x10000 && p <= this.roomEnd - 6) {
        const view = this.view;
        if (id < 0x80) {
          view.setInt32(p, BLOCK_BY_ID_HEAD | (dt << 8) | id);
          this.recordsLength = p + 4;
        } else if (id < 0x100) {
          view.setInt32(p, BLOCK_BY_ID_HEAD | (dt << 8) | 0xcc);
          view.setInt8(p + 4, id);
          this.recordsLength = p + 5;
        } else {
          view.setInt32(p, BLOCK_BY_ID_HEAD | (dt << 8) | 0xcd);
          view.setInt16(p + 4, id);
          this.recordsLength = p + 6;
        }
        this.recordCount++;
        return true;
      }
      return this.commit(this.writeHead(0x93, KIND_BLOCK_BY_ID, dt, id));
    }
    const o = this.nameEntries[origin];
    if (o !== undefined && o.frame === this.frameNo) {
      this.originIdx = o.idx;
      return this.commit(this.writeCountOrigin(this.writeHead(0x95, KIND_BLOCK_BY_ID, dt, id), 2, 1));
    }
    return this.addBlock(tsMs, id, 1, origin);
  }

  /**
   * Writes a CALL record at recordsLength (its names resolved: nameIdx is the resource's table
   * index, or its id with KIND_CALL_BY_ID; the origin's index in originIdx) and commits it.
   */
  private putCall(kind: number, dt: number, nameIdx: number, rtMs: number, error: boolean, origin: string | undefined): boolean {
    const view = this.view;
    let p = this.recordsLength;
    const flag = error ? 0xc3 : 0xc2;
    if (dt < 0x80 && nameIdx >= 0x100 && nameIdx < 0x10000 && origin === undefined && rtMs < 0x80) {
      // The usual record by a 2-byte id: the head ending in 0xcd, then the id, RT and flag: two 32-bit writes.
      view.setInt32(p, (0x95 << 24) | (kind << 16) | (dt << 8) | 0xcd);
      view.setInt32(p + 4, (nameIdx << 16) | (rtMs << 8) | flag);
      p += 8;
    } else {
      if (dt < 0x80 && nameIdx < 0x80) {
        // The usual record: array header, kind, time offset and name index (or id) as one 32-bit write.
        view.setInt32(p, ((origin === undefined ? 0x95 : 0x96) << 24) | (kind << 16) | (dt << 8) | nameIdx);
        p += 4;
      } else if (dt < 0x80 && nameIdx < 0x10000) {
        // An id (or index) past 127: the same 32-bit write ending in its msgpack marker, then its bytes.
        p = writeUint16Head(view, p, ((origin === undefined ? 0x95 : 0x96) << 24) | (kind << 16) | (dt << 8), nameIdx);
      } else {
        const out = this.records;
        out[p++] = origin === undefined ? 0x95 : 0x96;
        out[p++] = kind;
        p = writeUint(out, p, dt);
        p = writeUint(out, p, nameIdx);
      }
      if (origin === undefined) {
        if (rtMs < 0x80) {
          view.setInt16(p, (rtMs << 8) | flag);
          p += 2;
        } else p = this.writeTail(p, rtMs, flag);
      } else {
        const originIdx = this.originIdx;
        if (rtMs < 0x80 && originIdx < 0x80) {
          // (One byte past the record is written too: the records buffer has room, and the next record overwrites it.)
          view.setInt32(p, (rtMs << 24) | (flag << 16) | (originIdx << 8));
          p += 3;
        } else {
          p = this.writeTail(p, rtMs, flag);
          p = writeUint(this.records, p, originIdx);
        }
      }
    }
    if (p > this.roomEnd) return this.commit(p);
    // commit()'s usual case, without the call: room for the record without the exact size check.
    this.recordsLength = p;
    this.recordCount++;
    if (this.addedNames !== 0) {
      // keepAdded(), without the call.
      this.addedNames = 0;
      this.epochAdded = false;
    }
    return true;
  }

  /** WRITER: health of a writer (what it had to drop since its last WRITER record). */
  addWriter(tsMs: number, writer: string, droppedRecords: number, droppedFrames: number): boolean {
    if (!isUint(droppedRecords)) badUint(this.errorOf, 'droppedRecords', droppedRecords);
    if (!isUint(droppedFrames)) badUint(this.errorOf, 'droppedFrames', droppedFrames);
    const nameIdx = this.begin(tsMs, writer, undefined);
    if (nameIdx < 0) return false;
    const out = this.records;
    let p = this.recordsLength;
    out[p++] = 0x95;
    out[p++] = RecordKind.WRITER;
    p = writeUint(out, p, tsMs - this.baseTsMs);
    p = writeUint(out, p, nameIdx);
    p = writeUint(out, p, droppedRecords);
    p = writeUint(out, p, droppedFrames);
    return this.commit(p);
  }

  /**
   * Completes the frame and returns its bytes (header + payload), then empties the builder.
   * The returned view is reused: it is valid until the next call to `finish()`. Copy it to keep it.
   */
  finish(): Uint8Array {
    if (this.recordCount === 0) return this.out.subarray(0, 0);
    const total = this.totalFor(this.recordsLength, this.recordCount);
    const out = this.out;
    const withIds = this.frameEpoch !== NO_FRAME_EPOCH;
    let p = FRAME_HEADER_BYTES;
    p = writeArrayHeader(out, p, (withIds ? 3 : 2) + this.recordCount);
    p = writeUint(out, p, this.baseTsMs);
    if (withIds) p = writeUint(out, p, this.frameEpoch);
    const tableSize = this.tableSize;
    p = writeArrayHeader(out, p, tableSize);
    for (let i = 0; i < tableSize; i++) {
      const utf8 = this.nameUtf8[i]!;
      p = writeStrHeader(out, p, utf8.length);
      out.set(utf8, p);
      p += utf8.length;
    }
    out.set(this.records.subarray(0, this.recordsLength), p);
    p += this.recordsLength;
    if (p !== total) throw new Error(`frame size mismatch: wrote ${p}, expected ${total}`);
    const payloadLength = total - FRAME_HEADER_BYTES;
    const crc = crc32(out, FRAME_HEADER_BYTES, total);
    out[0] = FRAME_MARKER;
    out[1] = withIds ? FRAME_VERSION_RECORD_IDS : FRAME_VERSION;
    out[2] = payloadLength & 0xff;
    out[3] = payloadLength >>> 8;
    out[4] = crc & 0xff;
    out[5] = (crc >>> 8) & 0xff;
    out[6] = (crc >>> 16) & 0xff;
    out[7] = (crc >>> 24) & 0xff;
    this.reset();
    return out.subarray(0, total);
  }

  /** Drops everything added since the last finish(). */
  reset(): void {
    this.recordsLength = 0;
    this.recordCount = 0;
    this.addedNames = 0;
    this.tableSize = 0;
    // A new frame number takes every name out of the table at once.
    if (this.frameNo === 0xffffffff) {
      this.clearNameEntries();
      this.frameNo = 0;
    }
    this.frameNo++;
    if (this.nameEntryCount >= ENCODED_NAME_CACHE_SIZE) this.clearNameEntries();
    this.frameEpoch = NO_FRAME_EPOCH;
    this.epochAdded = false;
    this.namesLength = 0;
    this.baseTsMs = 0;
    this.fixedChanged();
  }

  private addEntryRecord(kind: RecordKind, tsMs: number, resource: ResourceRef, count: number, origin: string | undefined): boolean {
    if (count !== 1) checkCount(this.errorOf, count);
    const nameIdx = this.begin(tsMs, resource, origin);
    if (nameIdx < 0) return false;
    const tail = origin === undefined ? (count === 1 ? 0 : 1) : 2;
    let p = this.writeHead(0x93 + tail, typeof resource === 'number' ? kind | RECORD_ID_FLAG : kind, tsMs - this.baseTsMs, nameIdx); // fixarray of 3..5
    if (tail !== 0) p = this.writeCountOrigin(p, tail, count);
    return this.commit(p);
  }

  /** Writes a record's array header, kind (with RECORD_ID_FLAG for an id), time offset and name index (or id) at recordsLength; returns the offset after them. */
  private writeHead(header: number, kind: number, dt: number, nameIdx: number): number {
    let p = this.recordsLength;
    if (dt < 0x80 && nameIdx < 0x80) {
      this.view.setInt32(p, (header << 24) | (kind << 16) | (dt << 8) | nameIdx);
      return p + 4;
    }
    if (dt < 0x80 && nameIdx < 0x10000) return writeUint16Head(this.view, p, (header << 24) | (kind << 16) | (dt << 8), nameIdx);
    const out = this.records;
    out[p++] = header;
    out[p++] = kind;
    p = writeUint(out, p, dt);
    return writeUint(out, p, nameIdx);
  }

  /** Writes an entry or exit record's tail at p: count (tail 1), or count and origin index (tail 2). */
  private writeCountOrigin(p: number, tail: number, count: number): number {
    const originIdx = this.originIdx;
    if (tail === 2 && count < 0x80 && originIdx < 0x80) {
      this.view.setInt16(p, (count << 8) | originIdx);
      return p + 2;
    }
    p = writeUint(this.records, p, count);
    return tail === 2 ? writeUint(this.records, p, originIdx) : p;
  }

  /**
   * Starts a record: checks its time against the frame's base and resolves (or tentatively adds)
   * its names: returns the name's table index, or the resource id itself (the origin's index goes
   * to originIdx), or -1 when the record belongs in the next frame.
   */
  private begin(tsMs: number, name: ResourceRef, origin: string | undefined): number {
    if (typeof tsMs !== 'number') badUint(this.errorOf, 'tsMs', tsMs);
    if (this.recordCount === 0) {
      if (!isUint(tsMs)) badUint(this.errorOf, 'tsMs', tsMs);
      this.baseTsMs = tsMs;
      this.baseBytes = uintLength(tsMs);
      this.fixedChanged();
    } else {
      // Within 2^32 ms of the (checked) base time, an integer offset makes tsMs a valid time too.
      const dt = tsMs - this.baseTsMs;
      if (dt >>> 0 !== dt || tsMs > MAX_SAFE) {
        if (!isUint(tsMs)) badUint(this.errorOf, 'tsMs', tsMs);
        if (dt < 0) return -1;
      }
    }
    // (No check that the records buffer has room: it is as long as the frame plus RECORD_SLACK_BYTES, a
    // write past its end is lost, and commit's size check refuses that record, which never happens in an empty frame.)
    let nameIdx: number;
    if (typeof name === 'number') {
      // Ids are 1 … MAX_RESOURCE_ID (2^32 − 1): exactly the numbers that are their own >>> 0, but 0.
      if (name >>> 0 !== name || name === 0) {
        throw this.errorOf(ProtocolErrorCode.BAD_ARGUMENT, `a resource id must be an integer in [1, ${MAX_RESOURCE_ID}], got ${String(name)}`);
      }
      if (this.frameEpoch !== this.mapEpoch) {
        // One frame, one map epoch: an id of another epoch than the frame's goes into the next frame.
        if (this.frameEpoch !== NO_FRAME_EPOCH) return -1;
        if (this.mapEpoch === NO_MAP_EPOCH) throw this.errorOf(ProtocolErrorCode.BAD_ARGUMENT, 'a resource id needs a map epoch (setMapEpoch) first');
        // The frame's first id: the frame becomes version 3 and carries the map epoch.
        this.markAdded();
        this.epochAdded = true;
        this.frameEpoch = this.mapEpoch;
        this.epochBytes = uintLength(this.mapEpoch);
        this.fixedChanged();
      }
      nameIdx = name;
    } else {
      const e = typeof name === 'string' ? this.nameEntries[name] : undefined;
      nameIdx = e !== undefined && e.frame === this.frameNo ? e.idx : this.internName(name, e, 'name');
    }
    if (origin !== undefined) {
      const e = typeof origin === 'string' ? this.nameEntries[origin] : undefined;
      this.originIdx = e !== undefined && e.frame === this.frameNo ? e.idx : this.internName(origin, e, 'origin');
    }
    return nameIdx;
  }

  /** Ends a record written up to `end`: keeps it if the frame still fits, else undoes its names. */
  private commit(end: number): boolean {
    if (end > this.roomEnd) {
      // totalFor(end, recordCount + 1), with the fixed part summed once per change.
      const items = this.recordCount + (this.frameEpoch !== NO_FRAME_EPOCH ? 4 : 3);
      if (this.fixedBytes + (items < 16 ? 1 : items < 0x10000 ? 3 : 5) + end > this.maxFrameBytes) {
        this.rollbackNames();
        return this.refuse();
      }
    }
    this.recordsLength = end;
    this.recordCount++;
    if (this.addedNames !== 0) this.keepAdded();
    return true;
  }

  /** The record being added is kept: what it added to the table (and the frame's epoch) stays. */
  private keepAdded(): void {
    this.addedNames = 0;
    this.epochAdded = false;
  }

  /** Takes back the names the record being added put in the table, and the map epoch it gave the frame. */
  private rollbackNames(): void {
    if (this.addedNames === 0) return;
    this.addedNames = 0;
    if (this.epochAdded) {
      this.epochAdded = false;
      this.frameEpoch = NO_FRAME_EPOCH;
    }
    for (let i = this.tableSize - 1; i >= this.namesBefore; i--) this.nameEntries[this.names[i]!]!.frame = 0;
    this.tableSize = this.namesBefore;
    this.namesLength = this.namesLengthBefore;
    this.fixedChanged();
  }

  /** Writes rtMs and the error flag at p (the general forms); returns the offset after them. */
  private writeTail(p: number, rtMs: number, flag: number): number {
    const out = this.records;
    p = writeUint(out, p, rtMs);
    out[p] = flag;
    return p + 1;
  }

  private refuse(): boolean {
    if (this.recordCount === 0) {
      throw this.errorOf(ProtocolErrorCode.RECORD_TOO_LARGE, `one record does not fit in an empty frame of ${this.maxFrameBytes} bytes`);
    }
    return false;
  }

  /**
   * Adds a name not yet in the frame's table (`e`: its entry, if seen in recent frames); a name not
   * seen in recent frames is validated and encoded first.
   */
  private internName(name: string, e: NameEntry | undefined, field: string): number {
    if (e === undefined) {
      if (typeof name !== 'string' || name.length === 0) {
        this.rollbackNames();
        throw this.errorOf(ProtocolErrorCode.BAD_ARGUMENT, `${field} must be a non-empty string`);
      }
      if (name.length > MAX_NAME_BYTES || utf8Length(name) > MAX_NAME_BYTES) {
        this.rollbackNames();
        throw this.errorOf(ProtocolErrorCode.BAD_ARGUMENT, `${field} is longer than ${MAX_NAME_BYTES} UTF-8 bytes`);
      }
      const lone = loneSurrogateAt(name);
      if (lone >= 0) {
        this.rollbackNames();
        throw this.errorOf(ProtocolErrorCode.BAD_ARGUMENT, `${field} is not well-formed UTF-16 (a lone surrogate at index ${lone}, which has no UTF-8 encoding): ${JSON.stringify(name)}`);
      }
      const utf8 = utf8Encode(name);
      e = { utf8, tableBytes: strHeaderLength(utf8.length) + utf8.length, frame: 0, idx: 0 };
      this.nameEntries[name] = e;
      this.nameEntryCount++;
    }
    this.markAdded();
    const idx = this.tableSize;
    this.names[idx] = name;
    this.nameUtf8[idx] = e.utf8;
    this.tableSize = idx + 1;
    e.frame = this.frameNo;
    e.idx = idx;
    this.namesLength += e.tableBytes;
    this.tableGrew(e.tableBytes);
    return idx;
  }

  /** Notes where the table stood before the record being added put its first name in (or gave the frame its epoch). */
  private markAdded(): void {
    if (this.addedNames++ === 0) {
      this.namesBefore = this.tableSize;
      this.namesLengthBefore = this.namesLength;
    }
  }

  /** Updates fixedBytes and roomEnd for a table entry of `bytes` just added (its array header may grow). */
  private tableGrew(bytes: number): void {
    const size = this.tableSize;
    const grow = size === 16 || size === 0x10000 ? bytes + 2 : bytes;
    this.fixedBytes += grow;
    this.roomEnd -= grow;
  }

  private clearNameEntries(): void {
    this.nameEntries = Object.create(null) as Record<string, NameEntry>;
    this.nameEntryCount = 0;
  }

  /** Sets idBaseTsMs and tells onIdWindow (NaN: the window is empty). */
  private setIdBase(baseTsMs: number): void {
    this.idBaseTsMs = baseTsMs;
    if (this.onIdWindow !== undefined) {
      if (baseTsMs === baseTsMs) this.onIdWindow(baseTsMs, baseTsMs + 0x80);
      else this.onIdWindow(Infinity, -Infinity);
    }
  }

  /** Recomputes fixedBytes (and roomEnd, idBaseTsMs) after the base time, the frame's map epoch or the name table changed. */
  private fixedChanged(): void {
    // (Called for each name a frame's table takes: the id base is only compared unless it changed.)
    if (this.frameEpoch === this.mapEpoch) {
      if (this.idBaseTsMs !== this.baseTsMs) this.setIdBase(this.baseTsMs);
    } else if (this.idBaseTsMs === this.idBaseTsMs) this.setIdBase(NaN);
    const names = this.tableSize;
    this.fixedBytes = FRAME_HEADER_BYTES + this.baseBytes + (this.frameEpoch !== NO_FRAME_EPOCH ? this.epochBytes : 0) + (names < 16 ? 1 : names < 0x10000 ? 3 : 5) + this.namesLength;
    this.roomEnd = this.maxFrameBytes - this.fixedBytes - 5;
  }

  /** Frame size with `recordCount` records taking `recordsLength` bytes. */
  private totalFor(recordsLength: number, recordCount: number): number {
    const items = recordCount + (this.frameEpoch !== NO_FRAME_EPOCH ? 3 : 2);
    return this.fixedBytes + (items < 16 ? 1 : items < 0x10000 ? 3 : 5) + recordsLength;
  }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Record kinds as plain constants for the per-record paths (one read instead of a property lookup). */
const KIND_CALL = RecordKind.CALL;
const KIND_CALL_BY_ID = RecordKind.CALL | RECORD_ID_FLAG;
const KIND_EXIT = RecordKind.EXIT;
const KIND_BLOCK_BY_ID = RecordKind.BLOCK | RECORD_ID_FLAG;
/** A CALL by id without an origin: its fixarray header and kind, the top half of its first 32-bit write. */
const CALL_BY_ID_HEAD = (0x95 << 24) | (KIND_CALL_BY_ID << 16);
/** The same with an origin (one element more). */
const CALL_BY_ID_ORIGIN_HEAD = (0x96 << 24) | (KIND_CALL_BY_ID << 16);
/** A BLOCK by id without an origin (fixarray of 3): the top half of its first 32-bit write. */
const BLOCK_BY_ID_HEAD = (0x93 << 24) | (KIND_BLOCK_BY_ID << 16);

/**
 * Writes a record's first four bytes (`head`: array header, kind, time offset, and 0 for its last
 * byte) followed by `v` (128 … 65535: a name index or resource id) in msgpack's shortest form, the
 * marker (0xcc or 0xcd) in the fourth byte: two DataView writes where writeUint's element writes are
 * four or five. Returns the offset after them.
 */
function writeUint16Head(view: DataView, p: number, head: number, v: number): number {
  if (v < 0x100) {
    view.setInt32(p, head | 0xcc);
    view.setUint8(p + 4, v);
    return p + 5;
  }
  view.setInt32(p, head | 0xcd);
  view.setUint16(p + 4, v);
  return p + 6;
}

function isUint(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

function badUint(errorOf: FrameBuilderErrorFactory, field: string, v: unknown): never {
  throw errorOf(ProtocolErrorCode.BAD_ARGUMENT, `${field} must be a non-negative integer, got ${String(v)}`);
}

function checkCount(errorOf: FrameBuilderErrorFactory, count: number): void {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw errorOf(ProtocolErrorCode.BAD_ARGUMENT, `count must be a positive integer, got ${String(count)}`);
  }
}

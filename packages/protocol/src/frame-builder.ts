// Owns encoding records into v1 frames: a fixed-schema msgpack encoder with a per-frame name table
// that never produces a frame over the size limit. No msgpackr on this path: it runs inside components.

import {
  FRAME_HEADER_BYTES,
  FRAME_MARKER,
  FRAME_VERSION,
  MAX_FRAME_BYTES,
  MAX_NAME_BYTES,
  RecordKind,
} from './constants.js';
import { crc32 } from './crc32.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import {
  arrayHeaderLength,
  strHeaderLength,
  uintLength,
  writeArrayHeader,
  writeBool,
  writeStrHeader,
  writeUint,
} from './msgpack.js';
import { utf8Length, utf8Write } from './utf8.js';

/** Largest encoded record (array header, kind, dt, name, rt, error, count, origin): headroom checked before writing one. */
const MAX_RECORD_BYTES = 1 + 1 + 9 + 3 + 9 + 1 + 9 + 3;

export interface FrameBuilderOptions {
  /** Largest frame, header included (default and maximum 4096). */
  maxFrameBytes?: number;
}

/**
 * Accumulates records into one frame. Each `add…` returns true when the record was added, false
 * when it does not fit (the frame is full, or its time is earlier than the frame's base time):
 * then call `finish()`, write the frame, and add the record again. Misuse (bad names or numbers)
 * throws a ProtocolError with code E_BAD_ARGUMENT.
 */
export class FrameBuilder {
  readonly maxFrameBytes: number;
  private readonly records: Uint8Array;
  private recordsLength = 0;
  private recordCount = 0;
  private readonly names: string[] = [];
  private readonly nameBytes: number[] = [];
  private readonly nameIndex = new Map<string, number>();
  private namesLength = 0;
  private baseTsMs = 0;
  private readonly out: Uint8Array;

  constructor(options: FrameBuilderOptions = {}) {
    const max = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 64 || max > MAX_FRAME_BYTES) {
      throw new ProtocolError(ProtocolErrorCode.BAD_ARGUMENT, `maxFrameBytes must be an integer in [64, ${MAX_FRAME_BYTES}], got ${max}`);
    }
    this.maxFrameBytes = max;
    this.records = new Uint8Array(max);
    this.out = new Uint8Array(max);
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
    return this.recordCount === 0 ? 0 : this.totalWith(0, 0);
  }

  /** PASS: an admitted entry. */
  addPass(tsMs: number, resource: string, count = 1, origin?: string): boolean {
    return this.addEntryRecord(RecordKind.PASS, tsMs, resource, count, origin);
  }

  /** BLOCK: a rejected entry. */
  addBlock(tsMs: number, resource: string, count = 1, origin?: string): boolean {
    return this.addEntryRecord(RecordKind.BLOCK, tsMs, resource, count, origin);
  }

  /** EXIT: the exit of `count` admitted entries at tsMs, with their response time. */
  addExit(tsMs: number, resource: string, rtMs: number, error: boolean, count = 1, origin?: string): boolean {
    checkCount(count);
    checkUint('rtMs', rtMs);
    const tail = origin === undefined ? (count === 1 ? 0 : 1) : 2;
    return this.addRecord(tsMs, resource, origin, (out, p, nameIdx, originIdx) => {
      p = writeArrayHeader(out, p, 5 + tail);
      p = writeUint(out, p, RecordKind.EXIT);
      p = writeUint(out, p, tsMs - this.baseTsMs);
      p = writeUint(out, p, nameIdx);
      p = writeUint(out, p, rtMs);
      p = writeBool(out, p, error);
      if (tail >= 1) p = writeUint(out, p, count);
      if (tail === 2) p = writeUint(out, p, originIdx);
      return p;
    });
  }

  /** CALL: an entry and its exit at once; tsMs is the entry time. */
  addCall(tsMs: number, resource: string, rtMs: number, error: boolean, origin?: string): boolean {
    checkUint('rtMs', rtMs);
    return this.addRecord(tsMs, resource, origin, (out, p, nameIdx, originIdx) => {
      p = writeArrayHeader(out, p, origin === undefined ? 5 : 6);
      p = writeUint(out, p, RecordKind.CALL);
      p = writeUint(out, p, tsMs - this.baseTsMs);
      p = writeUint(out, p, nameIdx);
      p = writeUint(out, p, rtMs);
      p = writeBool(out, p, error);
      if (origin !== undefined) p = writeUint(out, p, originIdx);
      return p;
    });
  }

  /** WRITER: health of a writer (what it had to drop since its last WRITER record). */
  addWriter(tsMs: number, writer: string, droppedRecords: number, droppedFrames: number): boolean {
    checkUint('droppedRecords', droppedRecords);
    checkUint('droppedFrames', droppedFrames);
    return this.addRecord(tsMs, writer, undefined, (out, p, nameIdx) => {
      p = writeArrayHeader(out, p, 5);
      p = writeUint(out, p, RecordKind.WRITER);
      p = writeUint(out, p, tsMs - this.baseTsMs);
      p = writeUint(out, p, nameIdx);
      p = writeUint(out, p, droppedRecords);
      p = writeUint(out, p, droppedFrames);
      return p;
    });
  }

  /**
   * Completes the frame and returns its bytes (header + payload), then empties the builder.
   * The returned view is reused: it is valid until the next call to `finish()`. Copy it to keep it.
   */
  finish(): Uint8Array {
    if (this.recordCount === 0) return this.out.subarray(0, 0);
    const total = this.totalWith(0, 0);
    const out = this.out;
    let p = FRAME_HEADER_BYTES;
    p = writeArrayHeader(out, p, 2 + this.recordCount);
    p = writeUint(out, p, this.baseTsMs);
    p = writeArrayHeader(out, p, this.names.length);
    for (let i = 0; i < this.names.length; i++) {
      p = writeStrHeader(out, p, this.nameBytes[i]!);
      p = utf8Write(this.names[i]!, out, p);
    }
    out.set(this.records.subarray(0, this.recordsLength), p);
    p += this.recordsLength;
    if (p !== total) throw new Error(`frame size mismatch: wrote ${p}, expected ${total}`);
    const payloadLength = total - FRAME_HEADER_BYTES;
    const crc = crc32(out, FRAME_HEADER_BYTES, total);
    out[0] = FRAME_MARKER;
    out[1] = FRAME_VERSION;
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
    this.names.length = 0;
    this.nameBytes.length = 0;
    this.nameIndex.clear();
    this.namesLength = 0;
    this.baseTsMs = 0;
  }

  private addEntryRecord(kind: RecordKind, tsMs: number, resource: string, count: number, origin: string | undefined): boolean {
    checkCount(count);
    const tail = origin === undefined ? (count === 1 ? 0 : 1) : 2;
    return this.addRecord(tsMs, resource, origin, (out, p, nameIdx, originIdx) => {
      p = writeArrayHeader(out, p, 3 + tail);
      p = writeUint(out, p, kind);
      p = writeUint(out, p, tsMs - this.baseTsMs);
      p = writeUint(out, p, nameIdx);
      if (tail >= 1) p = writeUint(out, p, count);
      if (tail === 2) p = writeUint(out, p, originIdx);
      return p;
    });
  }

  private addRecord(
    tsMs: number,
    name: string,
    origin: string | undefined,
    encode: (out: Uint8Array, p: number, nameIdx: number, originIdx: number) => number,
  ): boolean {
    checkUint('tsMs', tsMs);
    checkName('name', name);
    if (origin !== undefined) checkName('origin', origin);
    const wasEmpty = this.recordCount === 0;
    if (wasEmpty) this.baseTsMs = tsMs;
    else if (tsMs < this.baseTsMs) return false;
    if (this.recordsLength + MAX_RECORD_BYTES > this.records.length) return this.refuse(wasEmpty);

    // Resolve (or tentatively add) names; roll back if the record does not fit.
    const namesBefore = this.names.length;
    const namesLengthBefore = this.namesLength;
    const nameIdx = this.intern(name);
    const originIdx = origin === undefined ? 0 : this.intern(origin);
    const end = encode(this.records, this.recordsLength, nameIdx, originIdx);
    const recordBytes = end - this.recordsLength;
    if (this.totalWith(recordBytes, 1) > this.maxFrameBytes) {
      for (let i = this.names.length - 1; i >= namesBefore; i--) this.nameIndex.delete(this.names[i]!);
      this.names.length = namesBefore;
      this.nameBytes.length = namesBefore;
      this.namesLength = namesLengthBefore;
      return this.refuse(wasEmpty);
    }
    this.recordsLength = end;
    this.recordCount++;
    return true;
  }

  private refuse(wasEmpty: boolean): boolean {
    if (wasEmpty) {
      throw new ProtocolError(ProtocolErrorCode.RECORD_TOO_LARGE, `one record does not fit in an empty frame of ${this.maxFrameBytes} bytes`);
    }
    return false;
  }

  private intern(name: string): number {
    const known = this.nameIndex.get(name);
    if (known !== undefined) return known;
    const idx = this.names.length;
    const bytes = utf8Length(name);
    this.names.push(name);
    this.nameBytes.push(bytes);
    this.nameIndex.set(name, idx);
    this.namesLength += strHeaderLength(bytes) + bytes;
    return idx;
  }

  private totalWith(extraRecordBytes: number, extraRecords: number): number {
    const n = this.recordCount + extraRecords;
    return (
      FRAME_HEADER_BYTES +
      arrayHeaderLength(2 + n) +
      uintLength(this.baseTsMs) +
      arrayHeaderLength(this.names.length) +
      this.namesLength +
      this.recordsLength +
      extraRecordBytes
    );
  }
}

function checkUint(field: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new ProtocolError(ProtocolErrorCode.BAD_ARGUMENT, `${field} must be a non-negative integer, got ${String(v)}`);
  }
}

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new ProtocolError(ProtocolErrorCode.BAD_ARGUMENT, `count must be a positive integer, got ${String(count)}`);
  }
}

function checkName(field: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ProtocolError(ProtocolErrorCode.BAD_ARGUMENT, `${field} must be a non-empty string`);
  }
  if (name.length > MAX_NAME_BYTES || utf8Length(name) > MAX_NAME_BYTES) {
    throw new ProtocolError(ProtocolErrorCode.BAD_ARGUMENT, `${field} is longer than ${MAX_NAME_BYTES} UTF-8 bytes`);
  }
}

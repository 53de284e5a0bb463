// Owns reading v1 frames out of segment bytes: header checks, CRC, payload decoding (the fast path
// in fast-records.ts, msgpackr for what it does not handle), resynchronisation after damage, and
// the "incomplete tail, read again later" rule; and handing a frame's records to a sink. It reports
// what it skipped and why; it never throws on bad input.

import { Unpackr } from 'msgpackr';
import { FRAME_HEADER_BYTES, FRAME_MARKER, FRAME_VERSION, MAX_PAYLOAD_BYTES } from './constants.js';
import { crc32 as neutralCrc32, type Crc32Fn } from './crc32.js';
import { ProtocolErrorCode } from './errors.js';
import { deliverColumns, PayloadColumns, readPayload, type IndexedRecordSink } from './fast-records.js';
import { emptyFlowRecord, readRecord, type FlowRecord, type RecordRejection } from './records.js';

export type { IndexedRecordSink } from './fast-records.js';

/** A contiguous run of bytes that held no valid frame, with the reason found at its start. */
export interface ScanSkip {
  /** Offset of the run, relative to the scanned bytes plus `baseOffset`. */
  offsetBytes: number;
  lengthBytes: number;
  code: ProtocolErrorCode;
}

/**
 * A frame whose header, CRC and payload shape were valid. Its records are read with
 * deliverRecords/decodeRecords inside the visitor's `frame` callback: the frame refers to the
 * scanned bytes and to scratch space reused for the next frame, so it is only usable until the
 * callback returns (copy what you keep).
 */
export interface DecodedFrame {
  offsetBytes: number;
  frameBytes: number;
  baseTsMs: number;
  /** The name table (decoded on first use). */
  readonly names: string[];
  /** The payload array as msgpackr decodes it (decoded on first use; records are elements 2 and later). */
  readonly payload: unknown[];
}

export interface ScanOptions {
  /** True when no more bytes will ever follow (a sealed segment): an incomplete tail is then skipped. */
  final?: boolean;
  /** The offset to report for bytes[start] (e.g. its file offset); default `start`, so offsets are indexes into bytes. */
  baseOffset?: number;
  crc32?: Crc32Fn;
  /**
   * 'fast' (default): payloads are parsed straight from the bytes, falling back to the reference
   * decoder for a frame the fast path does not handle; 'reference': msgpackr and readRecord for
   * every frame. Both accept and reject exactly the same frames and records.
   */
  decoder?: 'fast' | 'reference';
}

export interface ScanResult {
  /** Offset (same base as reported offsets) where the next scan must resume. */
  nextOffset: number;
  framesRead: number;
  /** Contiguous damaged runs skipped (each counted once, however many bytes). */
  framesSkipped: number;
  bytesSkipped: number;
  /** True when scanning stopped at a frame that is not complete yet. */
  incomplete: boolean;
  /** Valid frames whose payload the reference decoder (msgpackr) read, not the fast path. */
  framesReferenceDecoded: number;
}

export interface FrameVisitor {
  frame(frame: DecodedFrame): void;
  skip?(skip: ScanSkip): void;
}

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

type HeaderCheck = 'ok' | 'incomplete' | ProtocolErrorCode;

/** Scans bytes[start, end) for frames, calling the visitor for each valid frame and each skipped run. */
export function scanFrames(bytes: Uint8Array, start: number, end: number, visitor: FrameVisitor, options: ScanOptions = {}): ScanResult {
  // Scratch for the fast path, from a pool so that a visitor may scan other bytes re-entrantly.
  const columns = options.decoder === 'reference' ? null : (columnsPool.pop() ?? new PayloadColumns());
  try {
    return scan(bytes, start, end, visitor, options, columns);
  } finally {
    if (columns !== null) columnsPool.push(columns);
  }
}

const columnsPool: PayloadColumns[] = [];

function scan(bytes: Uint8Array, start: number, end: number, visitor: FrameVisitor, options: ScanOptions, columns: PayloadColumns | null): ScanResult {
  const final = options.final ?? false;
  const base = (options.baseOffset ?? start) - start;
  const crc = options.crc32 ?? neutralCrc32;
  const result: ScanResult = { nextOffset: 0, framesRead: 0, framesSkipped: 0, bytesSkipped: 0, incomplete: false, framesReferenceDecoded: 0 };
  let skipStart = -1;
  let skipCode: ProtocolErrorCode = ProtocolErrorCode.MARKER;
  const beginSkip = (at: number, code: ProtocolErrorCode): void => {
    if (skipStart < 0) {
      skipStart = at;
      skipCode = code;
    }
  };
  const endSkip = (at: number): void => {
    if (skipStart < 0) return;
    const lengthBytes = at - skipStart;
    result.framesSkipped++;
    result.bytesSkipped += lengthBytes;
    visitor.skip?.({ offsetBytes: skipStart + base, lengthBytes, code: skipCode });
    skipStart = -1;
  };

  let pos = start;
  while (pos < end) {
    if (bytes[pos] !== FRAME_MARKER) {
      beginSkip(pos, ProtocolErrorCode.MARKER);
      const next = bytes.indexOf(FRAME_MARKER, pos + 1);
      pos = next < 0 || next > end ? end : next;
      continue;
    }
    const check = checkHeader(bytes, pos, end, crc);
    if (check === 'incomplete') {
      if (!final) {
        result.incomplete = true;
        break;
      }
      // Sealed: no more bytes will come, so this is no frame (a torn tail, or a damaged length
      // that points past the end). Skip its marker and resynchronise: later frames still count.
      beginSkip(pos, ProtocolErrorCode.TRUNCATED);
      pos++;
      continue;
    }
    if (check !== 'ok') {
      beginSkip(pos, check);
      pos++;
      continue;
    }
    const payloadLength = bytes[pos + 2]! | (bytes[pos + 3]! << 8);
    const frameEnd = pos + FRAME_HEADER_BYTES + payloadLength;
    const frame = decodePayload(bytes, pos, frameEnd, columns);
    if (frame === null) {
      // The CRC matched, so the frame's bounds are right: skip it whole.
      beginSkip(pos, ProtocolErrorCode.PAYLOAD);
      endSkip(frameEnd);
      pos = frameEnd;
      continue;
    }
    endSkip(pos);
    frame.offsetBytes = pos + base;
    result.framesRead++;
    if (frame.columns === null) result.framesReferenceDecoded++;
    try {
      visitor.frame(frame);
    } finally {
      frame.live = false;
    }
    pos = frameEnd;
  }
  endSkip(pos);
  result.nextOffset = pos + base;
  return result;
}

function checkHeader(bytes: Uint8Array, pos: number, end: number, crc: Crc32Fn): HeaderCheck {
  if (pos + 1 < end && bytes[pos + 1] !== FRAME_VERSION) return ProtocolErrorCode.VERSION;
  if (pos + 4 <= end) {
    const length = bytes[pos + 2]! | (bytes[pos + 3]! << 8);
    if (length === 0 || length > MAX_PAYLOAD_BYTES) return ProtocolErrorCode.LENGTH;
    if (pos + FRAME_HEADER_BYTES + length > end) return 'incomplete';
    const expected = (bytes[pos + 4]! | (bytes[pos + 5]! << 8) | (bytes[pos + 6]! << 16) | (bytes[pos + 7]! << 24)) >>> 0;
    const start = pos + FRAME_HEADER_BYTES;
    return crc(bytes, start, start + length) === expected ? 'ok' : ProtocolErrorCode.CRC;
  }
  return 'incomplete';
}

/** The frame behind DecodedFrame: fast-path columns, or (reference decoder) the payload array. */
class ScannedFrame implements DecodedFrame {
  offsetBytes: number;
  readonly frameBytes: number;
  readonly baseTsMs: number;
  /** Fast path: the parsed records (valid while `live`); null when the reference decoder read it. */
  readonly columns: PayloadColumns | null;
  /** False once the visitor's callback has returned (bytes and columns may be reused then). */
  live = true;
  private readonly bytes: Uint8Array;
  /** Index of the frame's marker in `bytes` (offsetBytes may be based elsewhere). */
  private readonly index: number;
  private decoded: unknown[] | null;

  constructor(bytes: Uint8Array, pos: number, frameEnd: number, baseTsMs: number, columns: PayloadColumns | null, payload: unknown[] | null) {
    this.bytes = bytes;
    this.index = pos;
    this.offsetBytes = pos;
    this.frameBytes = frameEnd - pos;
    this.baseTsMs = baseTsMs;
    this.columns = columns;
    this.decoded = payload;
  }

  get payload(): unknown[] {
    if (this.decoded === null) {
      if (!this.live) throw new Error('a scanned frame is readable only inside the visitor callback that received it');
      this.decoded = unpackr.unpack(this.bytes.subarray(this.index + FRAME_HEADER_BYTES, this.index + this.frameBytes)) as unknown[];
    }
    return this.decoded;
  }

  get names(): string[] {
    return this.payload[1] as string[];
  }
}

function decodePayload(bytes: Uint8Array, pos: number, frameEnd: number, columns: PayloadColumns | null): ScannedFrame | null {
  if (columns !== null && readPayload(bytes, pos + FRAME_HEADER_BYTES, frameEnd, columns)) {
    return new ScannedFrame(bytes, pos, frameEnd, columns.baseTsMs, columns, null);
  }
  let payload: unknown;
  try {
    payload = unpackr.unpack(bytes.subarray(pos + FRAME_HEADER_BYTES, frameEnd));
  } catch {
    return null;
  }
  if (!Array.isArray(payload) || payload.length < 2) return null;
  const baseTsMs: unknown = payload[0];
  const names: unknown = payload[1];
  if (typeof baseTsMs !== 'number' || !Number.isSafeInteger(baseTsMs) || baseTsMs < 0) return null;
  if (!Array.isArray(names)) return null;
  for (const name of names) if (typeof name !== 'string') return null;
  return new ScannedFrame(bytes, pos, frameEnd, baseTsMs, null, payload);
}

/** What decodeRecords counted for one frame. */
export interface RecordTally {
  accepted: number;
  rejected: number;
  unknownKind: number;
  /** Rejections by code (E_RECORD_SHAPE, E_RECORD_VALUE, E_NAME_INDEX). */
  rejectedByCode: Partial<Record<RecordRejection, number>>;
}

/**
 * Validates each record of a frame and hands the valid ones to `sink`, reusing one FlowRecord
 * (copy what you keep). Invalid records are counted; the rest of the frame still counts.
 */
export function decodeRecords(frame: DecodedFrame, sink: (record: FlowRecord) => void, scratch: FlowRecord = emptyFlowRecord()): RecordTally {
  return deliverRecords(frame, sink, scratch);
}

/**
 * decodeRecords, with the sink also given each record's name-table index (the index of
 * `record.name`), so that a reader can resolve a name once per frame. Call it inside the
 * visitor's `frame` callback.
 */
export function deliverRecords(frame: DecodedFrame, sink: IndexedRecordSink, scratch: FlowRecord = emptyFlowRecord()): RecordTally {
  if (frame instanceof ScannedFrame && frame.columns !== null) {
    if (!frame.live) throw new Error('a scanned frame is readable only inside the visitor callback that received it');
    const c = frame.columns;
    deliverColumns(c, sink, scratch);
    // The fast path reads only frames whose records are all valid; readRecord decides the rest.
    return { accepted: c.accepted, rejected: 0, unknownKind: 0, rejectedByCode: {} };
  }
  const tally: RecordTally = { accepted: 0, rejected: 0, unknownKind: 0, rejectedByCode: {} };
  const { payload, baseTsMs, names } = frame;
  for (let i = 2; i < payload.length; i++) {
    const raw = payload[i];
    const rejection = readRecord(raw, baseTsMs, names, scratch);
    if (rejection === null) {
      tally.accepted++;
      // readRecord accepted it, so raw[2] is the (numeric) index of its name.
      sink(scratch, (raw as number[])[2]!);
    } else if (rejection === ProtocolErrorCode.UNKNOWN_KIND) {
      tally.unknownKind++;
    } else {
      tally.rejected++;
      tally.rejectedByCode[rejection] = (tally.rejectedByCode[rejection] ?? 0) + 1;
    }
  }
  return tally;
}

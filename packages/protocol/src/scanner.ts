// Owns reading frames (versions 1, 2 and 3) out of segment bytes: header checks, CRC, payload decoding
// (the fast path in fast-records.ts, msgpackr for what it does not handle), resolving the resource
// ids of version 2 and 3 frames through the reader's ResourceIdResolver, resynchronisation after damage, and
// the "incomplete tail, read again later" rule; and handing a frame's records to a sink. It reports
// what it skipped and why; it never throws on bad input.

import { Unpackr } from 'msgpackr';
import { FRAME_HEADER_BYTES, FRAME_MARKER, FRAME_VERSION, FRAME_VERSION_IDS, FRAME_VERSION_RECORD_IDS, MAX_PAYLOAD_BYTES } from './constants.js';
import { crc32 as neutralCrc32, type Crc32Fn } from './crc32.js';
import { ProtocolErrorCode } from './errors.js';
import { deliverColumns, PayloadColumns, readPayload, type IndexedRecordSink, type RecordColumns } from './fast-records.js';
import { emptyFlowRecord, namesResourceById, readRecord, type FlowRecord, type RecordIdResolver, type RecordRejection, type ResourceIdResolver } from './records.js';

export type { IndexedRecordSink, RecordColumns } from './fast-records.js';
export { NAME_CACHE_SLOTS } from './fast-records.js';

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
  /** 1; 2 for a frame whose name table may hold resource ids; 3 for one whose records may also hold them. */
  readonly version: number;
  /** Versions 2 and 3: the map epoch its ids belong to; -1 in a version 1 frame. */
  readonly mapEpoch: number;
  /**
   * The name table (decoded on first use): strings; in a version 2 or 3 frame each id entry resolved to
   * its name, or null when the reader could not resolve it.
   */
  readonly names: Array<string | null>;
  /** The payload array as msgpackr decodes it (decoded on first use; records start at `recordsStart`). */
  readonly payload: unknown[];
  /** Index of the first record in `payload`: 2 (version 1) or 3 (versions 2 and 3). */
  readonly recordsStart: number;
  /** Version 3: the name a record's resource id stands for (the reader's resolver, this frame's epoch); null when unresolvable. */
  nameOfId(resourceId: number): string | null;
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
  /**
   * Resolves the resource ids of version 2 and 3 frames (the collector's id table of the frame's map
   * epoch). Without it every record naming an id is rejected (E_RESOURCE_ID).
   */
  resolveId?: ResourceIdResolver;
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
  const resolver = options.resolveId ?? null;
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
    const frame = decodePayload(bytes, pos, frameEnd, columns, resolver);
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
  if (pos + 1 < end && bytes[pos + 1] !== FRAME_VERSION && bytes[pos + 1] !== FRAME_VERSION_IDS && bytes[pos + 1] !== FRAME_VERSION_RECORD_IDS) return ProtocolErrorCode.VERSION;
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
  readonly version: number;
  readonly mapEpoch: number;
  readonly recordsStart: number;
  /** Fast path: the parsed records (valid while `live`); null when the reference decoder read it. */
  readonly columns: PayloadColumns | null;
  private readonly resolver: ResourceIdResolver | null;
  private resolvedNames: Array<string | null> | null = null;
  /** False once the visitor's callback has returned (bytes and columns may be reused then). */
  live = true;
  private readonly bytes: Uint8Array;
  /** Index of the frame's marker in `bytes` (offsetBytes may be based elsewhere). */
  private readonly index: number;
  private decoded: unknown[] | null;

  constructor(bytes: Uint8Array, pos: number, frameEnd: number, baseTsMs: number, mapEpoch: number, columns: PayloadColumns | null, payload: unknown[] | null, resolver: ResourceIdResolver | null) {
    this.bytes = bytes;
    this.index = pos;
    this.offsetBytes = pos;
    this.frameBytes = frameEnd - pos;
    this.baseTsMs = baseTsMs;
    this.version = bytes[pos + 1]!;
    this.mapEpoch = mapEpoch;
    this.recordsStart = this.version === FRAME_VERSION ? 2 : 3;
    this.resolver = resolver;
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

  get names(): Array<string | null> {
    if (this.resolvedNames === null) {
      const table = this.payload[this.recordsStart - 1] as Array<string | number>;
      const resolver = this.resolver;
      // A version 2 or 3 table's ids (positive integers, checked by decodePayload) resolve to names or null.
      this.resolvedNames = this.version === FRAME_VERSION ? (table as string[]) : table.map((e) => (typeof e === 'string' ? e : resolveOrNull(resolver, this.mapEpoch, e)));
    }
    return this.resolvedNames;
  }

  nameOfId(resourceId: number): string | null {
    return this.version === FRAME_VERSION ? null : resolveOrNull(this.resolver, this.mapEpoch, resourceId);
  }
}

function resolveOrNull(resolver: ResourceIdResolver | null, mapEpoch: number, id: number): string | null {
  const name = resolver === null ? null : resolver(mapEpoch, id);
  return name === '' ? null : name;
}

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function decodePayload(bytes: Uint8Array, pos: number, frameEnd: number, columns: PayloadColumns | null, resolver: ResourceIdResolver | null): ScannedFrame | null {
  const version = bytes[pos + 1]!;
  const withIds = version !== FRAME_VERSION;
  if (columns !== null && readPayload(bytes, pos + FRAME_HEADER_BYTES, frameEnd, columns, version, resolver)) {
    return new ScannedFrame(bytes, pos, frameEnd, columns.baseTsMs, columns.mapEpoch, columns, null, resolver);
  }
  let payload: unknown;
  try {
    payload = unpackr.unpack(bytes.subarray(pos + FRAME_HEADER_BYTES, frameEnd));
  } catch {
    return null;
  }
  const head = withIds ? 3 : 2;
  if (!Array.isArray(payload) || payload.length < head) return null;
  const baseTsMs: unknown = payload[0];
  if (!isUint(baseTsMs)) return null;
  const mapEpoch: unknown = withIds ? payload[1] : -1;
  if (withIds && !isUint(mapEpoch)) return null;
  const names: unknown = payload[head - 1];
  if (!Array.isArray(names)) return null;
  // Version 1: strings only. Versions 2 and 3: strings and resource ids (integers ≥ 1).
  for (const name of names) if (typeof name !== 'string' && !(withIds && isUint(name) && name >= 1)) return null;
  return new ScannedFrame(bytes, pos, frameEnd, baseTsMs, mapEpoch as number, null, payload, resolver);
}

/** What decodeRecords counted for one frame. */
export interface RecordTally {
  accepted: number;
  rejected: number;
  unknownKind: number;
  /** Rejections by code (E_RECORD_SHAPE, E_RECORD_VALUE, E_NAME_INDEX, E_RESOURCE_ID). */
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
 * The records of a frame the fast path read, as columns (valid records only, names decoded), for a
 * reader that counts them without a FlowRecord per record; null when the reference decoder read the
 * frame (use deliverRecords then, which also counts its rejections). Call it inside the visitor's
 * `frame` callback: the columns are reused for the next frame.
 */
export function frameColumns(frame: DecodedFrame): RecordColumns | null {
  if (!(frame instanceof ScannedFrame) || frame.columns === null) return null;
  if (!frame.live) throw new Error('a scanned frame is readable only inside the visitor callback that received it');
  return frame.columns;
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
  // Version 3: a record's resource id, and the index it gets after the name table (in order of first use, as the fast path gives them).
  const resolveId: RecordIdResolver | null = frame.version === FRAME_VERSION_RECORD_IDS ? (id) => frame.nameOfId(id) : null;
  let idIndex: Map<number, number> | null = null;
  for (let i = frame.recordsStart; i < payload.length; i++) {
    const raw = payload[i];
    const rejection = readRecord(raw, baseTsMs, names, scratch, resolveId);
    if (rejection === null) {
      tally.accepted++;
      // readRecord accepted it, so raw[2] is the (numeric) index of its name, or its resource id.
      const field = (raw as number[])[2]!;
      if (resolveId !== null && namesResourceById((raw as unknown[])[0])) {
        idIndex ??= new Map<number, number>();
        let idx = idIndex.get(field);
        if (idx === undefined) idIndex.set(field, (idx = names.length + idIndex.size));
        sink(scratch, idx);
      } else sink(scratch, field);
    } else if (rejection === ProtocolErrorCode.UNKNOWN_KIND) {
      tally.unknownKind++;
    } else {
      tally.rejected++;
      tally.rejectedByCode[rejection] = (tally.rejectedByCode[rejection] ?? 0) + 1;
    }
  }
  return tally;
}

// Owns reading v1 frames out of segment bytes: header checks, CRC, payload decoding with msgpackr,
// resynchronisation after damage, and the "incomplete tail, read again later" rule. It reports what
// it skipped and why; it never throws on bad input.

import { Unpackr } from 'msgpackr';
import { FRAME_HEADER_BYTES, FRAME_MARKER, FRAME_VERSION, MAX_PAYLOAD_BYTES } from './constants.js';
import { crc32 as neutralCrc32, type Crc32Fn } from './crc32.js';
import { ProtocolErrorCode } from './errors.js';
import { emptyFlowRecord, readRecord, type FlowRecord, type RecordRejection } from './records.js';

/** A contiguous run of bytes that held no valid frame, with the reason found at its start. */
export interface ScanSkip {
  /** Offset of the run, relative to the scanned bytes plus `baseOffset`. */
  offsetBytes: number;
  lengthBytes: number;
  code: ProtocolErrorCode;
}

/** A frame whose header, CRC and payload shape were valid. Records are still raw. */
export interface DecodedFrame {
  offsetBytes: number;
  frameBytes: number;
  baseTsMs: number;
  names: string[];
  /** The payload array; records are elements 2 and later. */
  payload: unknown[];
}

export interface ScanOptions {
  /** True when no more bytes will ever follow (a sealed segment): an incomplete tail is then skipped. */
  final?: boolean;
  /** The offset to report for bytes[start] (e.g. its file offset); default `start`, so offsets are indexes into bytes. */
  baseOffset?: number;
  crc32?: Crc32Fn;
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
}

export interface FrameVisitor {
  frame(frame: DecodedFrame): void;
  skip?(skip: ScanSkip): void;
}

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

type HeaderCheck = 'ok' | 'incomplete' | ProtocolErrorCode;

/** Scans bytes[start, end) for frames, calling the visitor for each valid frame and each skipped run. */
export function scanFrames(bytes: Uint8Array, start: number, end: number, visitor: FrameVisitor, options: ScanOptions = {}): ScanResult {
  const final = options.final ?? false;
  const base = (options.baseOffset ?? start) - start;
  const crc = options.crc32 ?? neutralCrc32;
  const result: ScanResult = { nextOffset: 0, framesRead: 0, framesSkipped: 0, bytesSkipped: 0, incomplete: false };
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
    const frame = decodePayload(bytes, pos, frameEnd);
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
    visitor.frame(frame);
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

function decodePayload(bytes: Uint8Array, pos: number, frameEnd: number): DecodedFrame | null {
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
  return { offsetBytes: pos, frameBytes: frameEnd - pos, baseTsMs, names: names as string[], payload };
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
  const tally: RecordTally = { accepted: 0, rejected: 0, unknownKind: 0, rejectedByCode: {} };
  const { payload, baseTsMs, names } = frame;
  for (let i = 2; i < payload.length; i++) {
    const rejection = readRecord(payload[i], baseTsMs, names, scratch);
    if (rejection === null) {
      tally.accepted++;
      sink(scratch);
    } else if (rejection === ProtocolErrorCode.UNKNOWN_KIND) {
      tally.unknownKind++;
    } else {
      tally.rejected++;
      tally.rejectedByCode[rejection] = (tally.rejectedByCode[rejection] ?? 0) + 1;
    }
  }
  return tally;
}

// Owns the record schema on the reading side: turning one decoded msgpack record array into a
// validated FlowRecord, or a stable rejection code. The encoder's side lives in frame-builder.ts.
// A frame's name table as a reader sees it holds strings; in a version 2 or 3 frame an entry that is a
// resource id the reader could not resolve is null, and a record naming it is rejected (E_RESOURCE_ID).
// In a version 3 frame a record whose kind carries RECORD_ID_FLAG holds a resource id in its name
// field: resolved the same way (RecordIdResolver), rejected the same way when it cannot be.

import { MAX_RESOURCE_ID, RECORD_ID_FLAG, RecordKind } from './constants.js';
import { ProtocolErrorCode } from './errors.js';

/**
 * One validated record, with names resolved and the time made absolute. Readers reuse a single
 * instance for speed: a sink must copy what it keeps.
 */
export interface FlowRecord {
  kind: RecordKind;
  /** Absolute time of the record (baseTsMs + dt), epoch milliseconds. */
  tsMs: number;
  /** Resource name (PASS/BLOCK/EXIT/CALL) or writer id (WRITER). */
  name: string;
  /** Caller origin, '' when the record has none. */
  origin: string;
  /** Events the record stands for (CALL and WRITER: 1). */
  count: number;
  /** Response time in ms (EXIT/CALL), else 0. */
  rtMs: number;
  /** Whether the call ended in a business error (EXIT/CALL), else false. */
  error: boolean;
  /** WRITER only: records and frames the writer had to drop. */
  droppedRecords: number;
  droppedFrames: number;
}

export function emptyFlowRecord(): FlowRecord {
  return { kind: RecordKind.PASS, tsMs: 0, name: '', origin: '', count: 1, rtMs: 0, error: false, droppedRecords: 0, droppedFrames: 0 };
}

/** The rejection codes readRecord can return. */
export type RecordRejection =
  | typeof ProtocolErrorCode.RECORD_SHAPE
  | typeof ProtocolErrorCode.RECORD_VALUE
  | typeof ProtocolErrorCode.NAME_INDEX
  | typeof ProtocolErrorCode.RESOURCE_ID
  | typeof ProtocolErrorCode.UNKNOWN_KIND;

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** `true`/`false`, or the integers 1/0. */
function asError(v: unknown): boolean | undefined {
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  return undefined;
}

/** A version 3 frame's resource ids resolved to names (for its map epoch): null when the reader cannot. */
export type RecordIdResolver = (resourceId: number) => string | null;

/** Whether a version 3 record's kind (`raw[0]`) names its resource by id: PASS, BLOCK, EXIT or CALL with RECORD_ID_FLAG. */
export function namesResourceById(kind: unknown): boolean {
  return typeof kind === 'number' && kind >= RECORD_ID_FLAG && kind <= (RECORD_ID_FLAG | RecordKind.CALL) && Number.isInteger(kind);
}

/**
 * Validates `raw` (one element of a frame payload after the name table) and fills `out`.
 * Returns null when the record is valid, or the code that rejects it. `resolveId` is given for a
 * version 3 frame only: a record whose kind carries RECORD_ID_FLAG is then read by id (in other
 * versions such a kind is unknown).
 */
export function readRecord(raw: unknown, baseTsMs: number, names: ReadonlyArray<string | null>, out: FlowRecord, resolveId: RecordIdResolver | null = null): RecordRejection | null {
  if (!Array.isArray(raw) || raw.length < 1) return ProtocolErrorCode.RECORD_SHAPE;
  let kind: unknown = raw[0];
  if (!isUint(kind)) return ProtocolErrorCode.RECORD_SHAPE;
  const byId = resolveId !== null && namesResourceById(kind);
  if (byId) kind = (kind as number) - RECORD_ID_FLAG;
  const n = raw.length;
  let originAt = -1;
  switch (kind) {
    case RecordKind.PASS:
    case RecordKind.BLOCK: {
      if (n < 3 || n > 5) return ProtocolErrorCode.RECORD_SHAPE;
      out.count = 1;
      if (n >= 4) {
        if (!isUint(raw[3]) || raw[3] < 1) return ProtocolErrorCode.RECORD_VALUE;
        out.count = raw[3];
      }
      out.rtMs = 0;
      out.error = false;
      originAt = n === 5 ? 4 : -1;
      break;
    }
    case RecordKind.EXIT: {
      if (n < 5 || n > 7) return ProtocolErrorCode.RECORD_SHAPE;
      if (!isUint(raw[3])) return ProtocolErrorCode.RECORD_VALUE;
      const error = asError(raw[4]);
      if (error === undefined) return ProtocolErrorCode.RECORD_VALUE;
      out.rtMs = raw[3];
      out.error = error;
      out.count = 1;
      if (n >= 6) {
        if (!isUint(raw[5]) || raw[5] < 1) return ProtocolErrorCode.RECORD_VALUE;
        out.count = raw[5];
      }
      originAt = n === 7 ? 6 : -1;
      break;
    }
    case RecordKind.CALL: {
      if (n < 5 || n > 6) return ProtocolErrorCode.RECORD_SHAPE;
      if (!isUint(raw[3])) return ProtocolErrorCode.RECORD_VALUE;
      const error = asError(raw[4]);
      if (error === undefined) return ProtocolErrorCode.RECORD_VALUE;
      out.rtMs = raw[3];
      out.error = error;
      out.count = 1;
      originAt = n === 6 ? 5 : -1;
      break;
    }
    case RecordKind.WRITER: {
      if (n !== 5) return ProtocolErrorCode.RECORD_SHAPE;
      if (!isUint(raw[3]) || !isUint(raw[4])) return ProtocolErrorCode.RECORD_VALUE;
      out.droppedRecords = raw[3];
      out.droppedFrames = raw[4];
      out.count = 1;
      out.rtMs = 0;
      out.error = false;
      break;
    }
    default:
      return ProtocolErrorCode.UNKNOWN_KIND;
  }
  const dt: unknown = raw[1];
  if (!isUint(dt) || !Number.isSafeInteger(baseTsMs + dt)) return ProtocolErrorCode.RECORD_VALUE;
  const nameIdx: unknown = raw[2];
  if (!isUint(nameIdx)) return ProtocolErrorCode.RECORD_VALUE;
  let name: string | null;
  if (byId) {
    // A resource id: 1 … MAX_RESOURCE_ID.
    if (nameIdx < 1 || nameIdx > MAX_RESOURCE_ID) return ProtocolErrorCode.RECORD_VALUE;
    name = resolveId(nameIdx);
    if (name === '') name = null;
  } else {
    if (nameIdx >= names.length) return ProtocolErrorCode.NAME_INDEX;
    name = names[nameIdx]!;
    if (name === '') return ProtocolErrorCode.RECORD_VALUE;
  }
  let origin: string | null = '';
  if (originAt > 0) {
    const originIdx: unknown = raw[originAt];
    if (!isUint(originIdx)) return ProtocolErrorCode.RECORD_VALUE;
    if (originIdx >= names.length) return ProtocolErrorCode.NAME_INDEX;
    origin = names[originIdx]!;
  }
  if (name === null || origin === null) return ProtocolErrorCode.RESOURCE_ID;
  out.kind = kind as RecordKind;
  out.tsMs = baseTsMs + dt;
  out.name = name;
  out.origin = origin;
  if (kind !== RecordKind.WRITER) {
    out.droppedRecords = 0;
    out.droppedFrames = 0;
  }
  return null;
}

/**
 * Resolves a resource id of a version 2 or 3 frame to its name: the id table of map epoch `mapEpoch`
 * (the collector's own, durable one). Returns null when it has no table of that epoch or no such
 * id in it: the records naming it are then rejected (E_RESOURCE_ID), never given another name.
 */
export type ResourceIdResolver = (mapEpoch: number, resourceId: number) => string | null;

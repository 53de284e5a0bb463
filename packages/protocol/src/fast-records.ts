// Owns the fast path for reading a frame payload: parses `[baseTsMs, [name...], record...]`
// straight from the bytes into preallocated columns (typed arrays), validating each record with
// exactly readRecord's rules and codes, without msgpackr and without allocating per record. The
// columns are handed out only once the whole payload has parsed, so a payload that is bad as a
// whole never has any of its records counted.
//
// The fast path covers every msgpack form whose decoded value is context-free and unambiguous:
// nil, booleans, every integer and float form, strings, arrays (fix/16/32). When it meets anything
// else (a map, bin, ext, the 0xC1 byte, truncated or trailing bytes, a frame-level shape error, a
// negative zero, a used name that is not well-formed UTF-8 or starts with a BOM) it answers
// "not handled" and the caller decodes that frame with the reference decoder (msgpackr +
// readRecord), which then decides. So the two paths accept and reject exactly the same frames
// and records.

import { MAX_PAYLOAD_BYTES, RecordKind } from './constants.js';
import { nameString } from './name-cache.js';
import type { FlowRecord } from './records.js';

/** A payload of n bytes holds at most n records and at most n names. */
const CAPACITY = MAX_PAYLOAD_BYTES;

// Field tags (what a record field decoded to).
const NUM = 0;
const FALSE = 1;
const TRUE = 2;
const OTHER = 3;

/** Fields of a record the schema looks at: the longest known layout has 7. */
const KEPT_FIELDS = 7;

/** One frame's parsed records (accepted ones only) and tallies; reused frame after frame. */
export class PayloadColumns {
  baseTsMs = 0;
  /** Accepted records in the columns below. */
  accepted = 0;
  rejectedShape = 0;
  rejectedValue = 0;
  rejectedNameIndex = 0;
  unknownKind = 0;
  readonly kind = new Uint8Array(CAPACITY);
  readonly tsMs = new Float64Array(CAPACITY);
  readonly nameIndex = new Int32Array(CAPACITY);
  /** -1: no origin. */
  readonly originIndex = new Int32Array(CAPACITY);
  readonly count = new Float64Array(CAPACITY);
  readonly rtMs = new Float64Array(CAPACITY);
  readonly error = new Uint8Array(CAPACITY);
  readonly droppedRecords = new Float64Array(CAPACITY);
  readonly droppedFrames = new Float64Array(CAPACITY);
  /** Name table: byte offset and length of each name. */
  nameCount = 0;
  readonly nameStart = new Int32Array(CAPACITY);
  readonly nameLength = new Int32Array(CAPACITY);
  /** Decoded strings of the names records use (other entries are stale). */
  readonly names: string[] = new Array<string>(CAPACITY).fill('');
  /** 1 for the names records use. */
  private readonly used = new Uint8Array(CAPACITY);

  reset(): void {
    this.accepted = 0;
    this.rejectedShape = 0;
    this.rejectedValue = 0;
    this.rejectedNameIndex = 0;
    this.unknownKind = 0;
    this.used.fill(0, 0, this.nameCount);
    this.nameCount = 0;
  }

  markUsed(idx: number): void {
    this.used[idx] = 1;
  }

  /** Decodes the used names; false when one of them is not plainly decodable. */
  resolveNames(bytes: Uint8Array): boolean {
    for (let idx = 0; idx < this.nameCount; idx++) {
      if (this.used[idx] === 0) continue;
      const s = nameString(bytes, this.nameStart[idx]!, this.nameLength[idx]!);
      if (s === null) return false;
      this.names[idx] = s;
    }
    return true;
  }
}

// The last field read: its tag and, for NUM, its value.
let fieldTag = OTHER;
let fieldValue = 0;
const keptTags = new Int8Array(KEPT_FIELDS);
const keptValues = new Float64Array(KEPT_FIELDS);

const floatScratch = new Float64Array(1);
const floatBytes = new Uint8Array(floatScratch.buffer);
const float32View = new Float32Array(floatScratch.buffer, 0, 1);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

function i32(b: Uint8Array, p: number): number {
  return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
}

function f64(b: Uint8Array, p: number): number {
  for (let i = 0; i < 8; i++) floatBytes[littleEndian ? 7 - i : i] = b[p + i]!;
  return floatScratch[0]!;
}

function f32(b: Uint8Array, p: number): number {
  for (let i = 0; i < 4; i++) floatBytes[littleEndian ? 3 - i : i] = b[p + i]!;
  return float32View[0]!;
}

/**
 * Reads one value at p: a number (fieldTag NUM, fieldValue), a boolean, or anything else the fast
 * path handles (OTHER, skipped). Returns the position after it, or -1 when not handled.
 */
function readField(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const t = b[p]!;
  if (t < 0x80) {
    fieldTag = NUM;
    fieldValue = t;
    return p + 1;
  }
  if (t >= 0xe0) {
    fieldTag = NUM;
    fieldValue = t - 0x100;
    return p + 1;
  }
  let v: number;
  let next: number;
  switch (t) {
    case 0xc2:
      fieldTag = FALSE;
      return p + 1;
    case 0xc3:
      fieldTag = TRUE;
      return p + 1;
    case 0xcc:
      next = p + 2;
      if (next > end) return -1;
      v = b[p + 1]!;
      break;
    case 0xcd:
      next = p + 3;
      if (next > end) return -1;
      v = u16(b, p + 1);
      break;
    case 0xce:
      next = p + 5;
      if (next > end) return -1;
      v = u32(b, p + 1);
      break;
    case 0xcf: // as msgpackr with int64AsType 'number'
      next = p + 9;
      if (next > end) return -1;
      v = u32(b, p + 1) * 0x100000000 + u32(b, p + 5);
      break;
    case 0xd0:
      next = p + 2;
      if (next > end) return -1;
      v = (b[p + 1]! << 24) >> 24;
      break;
    case 0xd1:
      next = p + 3;
      if (next > end) return -1;
      v = (u16(b, p + 1) << 16) >> 16;
      break;
    case 0xd2:
      next = p + 5;
      if (next > end) return -1;
      v = i32(b, p + 1);
      break;
    case 0xd3:
      next = p + 9;
      if (next > end) return -1;
      v = i32(b, p + 1) * 0x100000000 + u32(b, p + 5);
      break;
    case 0xca:
      next = p + 5;
      if (next > end) return -1;
      v = f32(b, p + 1);
      if (v === 0 && 1 / v < 0) return -1; // -0: leave the edge case to the reference decoder
      break;
    case 0xcb:
      next = p + 9;
      if (next > end) return -1;
      v = f64(b, p + 1);
      if (v === 0 && 1 / v < 0) return -1;
      break;
    default:
      fieldTag = OTHER;
      return skipValue(b, p, end);
  }
  fieldTag = NUM;
  fieldValue = v;
  return next;
}

/** Skips one value the fast path handles; returns the position after it, or -1. */
function skipValue(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const t = b[p]!;
  if (t < 0x80 || t >= 0xe0) return p + 1;
  if (t >= 0xa0 && t < 0xc0) return fits(p + 1 + (t - 0xa0), end);
  if (t >= 0x90 && t < 0xa0) return skipItems(b, p + 1, end, t - 0x90);
  switch (t) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return p + 1;
    case 0xcc:
    case 0xd0:
      return fits(p + 2, end);
    case 0xcd:
    case 0xd1:
      return fits(p + 3, end);
    case 0xce:
    case 0xd2:
      return fits(p + 5, end);
    case 0xcf:
    case 0xd3:
      return fits(p + 9, end);
    case 0xca: // a float's value does not matter here, so -0 does not either
      return fits(p + 5, end);
    case 0xcb:
      return fits(p + 9, end);
    case 0xd9:
      return p + 2 > end ? -1 : fits(p + 2 + b[p + 1]!, end);
    case 0xda:
      return p + 3 > end ? -1 : fits(p + 3 + u16(b, p + 1), end);
    case 0xdb:
      return p + 5 > end ? -1 : fits(p + 5 + u32(b, p + 1), end);
    case 0xdc:
      return p + 3 > end ? -1 : skipItems(b, p + 3, end, u16(b, p + 1));
    case 0xdd:
      return p + 5 > end ? -1 : skipItems(b, p + 5, end, u32(b, p + 1));
    default:
      return -1; // maps, bin, ext, 0xC1
  }
}

function fits(next: number, end: number): number {
  return next > end ? -1 : next;
}

function skipItems(b: Uint8Array, p: number, end: number, n: number): number {
  if (n > end - p) return -1; // every item takes at least one byte
  for (let i = 0; i < n && p >= 0; i++) p = skipValue(b, p, end);
  return p;
}

/** Reads an array header at p: sets arrayLength, returns the position after it, or -1 if not an array. */
let arrayLength = 0;
function readArrayHeader(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const t = b[p]!;
  if (t >= 0x90 && t < 0xa0) {
    arrayLength = t - 0x90;
    return p + 1;
  }
  if (t === 0xdc) {
    if (p + 3 > end) return -1;
    arrayLength = u16(b, p + 1);
    return p + 3;
  }
  if (t === 0xdd) {
    if (p + 5 > end) return -1;
    arrayLength = u32(b, p + 1);
    return p + 5;
  }
  return -1;
}

function isUint(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

function uintAt(f: number): boolean {
  return keptTags[f] === NUM && isUint(keptValues[f]!);
}

/** `true`/`false` or 1/0 → 1/0; anything else → -1 (readRecord's asError). */
function errorAt(f: number): number {
  const tag = keptTags[f];
  if (tag === TRUE) return 1;
  if (tag === FALSE) return 0;
  if (tag === NUM) {
    const v = keptValues[f];
    if (v === 1) return 1;
    if (v === 0) return 0;
  }
  return -1;
}

/**
 * Parses the payload bytes[start, end) into `c`. Returns true when the fast path handled the whole
 * payload (it is then valid, and `c` holds its accepted records, tallies and used names); false
 * when the frame must go to the reference decoder (which decides whether it is valid at all).
 */
export function readPayload(b: Uint8Array, start: number, end: number, c: PayloadColumns): boolean {
  c.reset();
  const tags = keptTags;
  const values = keptValues;
  let p = readArrayHeader(b, start, end);
  if (p < 0) return false;
  const n = arrayLength;
  if (n < 2 || n > end - p) return false;
  p = readField(b, p, end);
  if (p < 0 || fieldTag !== NUM || !isUint(fieldValue)) return false;
  const baseTsMs = fieldValue;
  c.baseTsMs = baseTsMs;
  p = readArrayHeader(b, p, end);
  if (p < 0) return false;
  const nameCount = arrayLength;
  if (nameCount > end - p) return false;
  c.nameCount = nameCount;
  for (let i = 0; i < nameCount; i++) {
    if (p >= end) return false;
    const t = b[p]!;
    let length: number;
    if (t >= 0xa0 && t < 0xc0) {
      length = t - 0xa0;
      p += 1;
    } else if (t === 0xd9) {
      if (p + 2 > end) return false;
      length = b[p + 1]!;
      p += 2;
    } else if (t === 0xda) {
      if (p + 3 > end) return false;
      length = u16(b, p + 1);
      p += 3;
    } else if (t === 0xdb) {
      if (p + 5 > end) return false;
      length = u32(b, p + 1);
      p += 5;
    } else {
      return false;
    }
    if (length > end - p) return false;
    c.nameStart[i] = p;
    c.nameLength[i] = length;
    p += length;
  }
  for (let r = 2; r < n; r++) {
    if (p >= end) return false;
    const t = b[p]!;
    if (t >= 0x93 && t <= 0x97) {
      const next = commonRecord(c, b, p, end, baseTsMs);
      if (next >= 0) {
        p = next;
        continue;
      }
    }
    let len: number;
    if (t >= 0x90 && t < 0xa0) {
      len = t - 0x90;
      p += 1;
    } else if (t === 0xdc || t === 0xdd) {
      p = readArrayHeader(b, p, end);
      if (p < 0) return false;
      len = arrayLength;
      if (len > end - p) return false;
    } else {
      // Not an array: a shape error, once we know the value is one the fast path can read past.
      p = skipValue(b, p, end);
      if (p < 0) return false;
      c.rejectedShape++;
      continue;
    }
    const kept = len < KEPT_FIELDS ? len : KEPT_FIELDS;
    for (let f = 0; f < kept; f++) {
      if (p >= end) return false;
      const t = b[p]!;
      // Inline: the forms FrameBuilder writes most (positive fixint, booleans); readField the rest.
      if (t < 0x80) {
        tags[f] = NUM;
        values[f] = t;
        p++;
      } else if (t === 0xc2 || t === 0xc3) {
        tags[f] = t === 0xc3 ? TRUE : FALSE;
        p++;
      } else {
        p = readField(b, p, end);
        if (p < 0) return false;
        tags[f] = fieldTag;
        values[f] = fieldValue;
      }
    }
    for (let f = kept; f < len; f++) {
      p = skipValue(b, p, end);
      if (p < 0) return false;
    }
    checkRecord(c, len, baseTsMs);
  }
  if (p !== end) return false;
  return c.resolveNames(b);
}

/**
 * A non-negative integer below 2^16 in a uint form (fixint, uint8, uint16) at b[q] (q < end):
 * value << 3 | its size in bytes, or -1 for anything else.
 */
function smallUint(b: Uint8Array, q: number, end: number): number {
  const t = b[q]!;
  if (t < 0x80) return (t << 3) | 1;
  if (t === 0xcc) return q + 2 <= end ? (b[q + 1]! << 3) | 2 : -1;
  if (t === 0xcd) return q + 3 <= end ? (((b[q + 1]! << 8) | b[q + 2]!) << 3) | 3 : -1;
  return -1;
}

/**
 * The common case, first: a valid record of a known kind whose fields are all in the small forms
 * FrameBuilder writes (fixarray, integers below 2^16 in uint forms, booleans). Stores it and
 * returns the position after it; returns -1 for anything else (invalid, unusual forms or values),
 * which the general code below then reads from the same position. Accepts nothing readRecord rejects.
 */
function commonRecord(c: PayloadColumns, b: Uint8Array, p: number, end: number, baseTsMs: number): number {
  const len = b[p]! - 0x90;
  let q = p + 1;
  if (q + len > end) return -1;
  const kind = b[q++]!;
  let x = smallUint(b, q, end);
  if (x < 0) return -1;
  const dt = x >>> 3;
  q += x & 7;
  if (q >= end) return -1;
  x = smallUint(b, q, end);
  if (x < 0) return -1;
  const nameIdx = x >>> 3;
  q += x & 7;
  let f3 = -1;
  let f4 = -1;
  let f5 = -1;
  let f6 = -1;
  if (len >= 4) {
    if (q >= end) return -1;
    x = smallUint(b, q, end);
    if (x < 0) return -1;
    f3 = x >>> 3;
    q += x & 7;
    if (len >= 5) {
      if (q >= end) return -1;
      if (kind === RecordKind.EXIT || kind === RecordKind.CALL) {
        const t = b[q]!;
        if (t !== 0xc2 && t !== 0xc3) return -1;
        f4 = t - 0xc2;
        q++;
      } else {
        x = smallUint(b, q, end);
        if (x < 0) return -1;
        f4 = x >>> 3;
        q += x & 7;
      }
      if (len >= 6) {
        if (q >= end) return -1;
        x = smallUint(b, q, end);
        if (x < 0) return -1;
        f5 = x >>> 3;
        q += x & 7;
        if (len === 7) {
          if (q >= end) return -1;
          x = smallUint(b, q, end);
          if (x < 0) return -1;
          f6 = x >>> 3;
          q += x & 7;
        }
      }
    }
  }
  let count = 1;
  let rtMs = 0;
  let error = 0;
  let droppedRecords = 0;
  let droppedFrames = 0;
  let originIdx = -1;
  switch (kind) {
    case RecordKind.PASS:
    case RecordKind.BLOCK:
      if (len > 5) return -1;
      if (len >= 4) {
        if (f3 < 1) return -1;
        count = f3;
      }
      if (len === 5) originIdx = f4;
      break;
    case RecordKind.EXIT:
      if (len < 5) return -1;
      rtMs = f3;
      error = f4;
      if (len >= 6) {
        if (f5 < 1) return -1;
        count = f5;
      }
      if (len === 7) originIdx = f6;
      break;
    case RecordKind.CALL:
      if (len < 5 || len > 6) return -1;
      rtMs = f3;
      error = f4;
      if (len === 6) originIdx = f5;
      break;
    case RecordKind.WRITER:
      if (len !== 5) return -1;
      droppedRecords = f3;
      droppedFrames = f4;
      break;
    default:
      return -1;
  }
  const tsMs = baseTsMs + dt;
  if (tsMs > Number.MAX_SAFE_INTEGER) return -1;
  if (nameIdx >= c.nameCount || c.nameLength[nameIdx] === 0 || originIdx >= c.nameCount) return -1;
  c.markUsed(nameIdx);
  if (originIdx >= 0) c.markUsed(originIdx);
  const k = c.accepted++;
  c.kind[k] = kind;
  c.tsMs[k] = tsMs;
  c.nameIndex[k] = nameIdx;
  c.originIndex[k] = originIdx;
  c.count[k] = count;
  c.rtMs[k] = rtMs;
  c.error[k] = error;
  c.droppedRecords[k] = droppedRecords;
  c.droppedFrames[k] = droppedFrames;
  return q;
}

/** readRecord's rules on the kept fields of a record of `len` fields: counts it, and stores it if valid. */
function checkRecord(c: PayloadColumns, len: number, baseTsMs: number): void {
  if (len < 1 || !uintAt(0)) {
    c.rejectedShape++;
    return;
  }
  const kind = keptValues[0]!;
  let count = 1;
  let rtMs = 0;
  let error = 0;
  let droppedRecords = 0;
  let droppedFrames = 0;
  let originAt = -1;
  switch (kind) {
    case RecordKind.PASS:
    case RecordKind.BLOCK:
      if (len < 3 || len > 5) {
        c.rejectedShape++;
        return;
      }
      if (len >= 4) {
        if (!uintAt(3) || keptValues[3]! < 1) {
          c.rejectedValue++;
          return;
        }
        count = keptValues[3]!;
      }
      originAt = len === 5 ? 4 : -1;
      break;
    case RecordKind.EXIT:
      if (len < 5 || len > 7) {
        c.rejectedShape++;
        return;
      }
      error = errorAt(4);
      if (!uintAt(3) || error < 0) {
        c.rejectedValue++;
        return;
      }
      rtMs = keptValues[3]!;
      if (len >= 6) {
        if (!uintAt(5) || keptValues[5]! < 1) {
          c.rejectedValue++;
          return;
        }
        count = keptValues[5]!;
      }
      originAt = len === 7 ? 6 : -1;
      break;
    case RecordKind.CALL:
      if (len < 5 || len > 6) {
        c.rejectedShape++;
        return;
      }
      error = errorAt(4);
      if (!uintAt(3) || error < 0) {
        c.rejectedValue++;
        return;
      }
      rtMs = keptValues[3]!;
      originAt = len === 6 ? 5 : -1;
      break;
    case RecordKind.WRITER:
      if (len !== 5) {
        c.rejectedShape++;
        return;
      }
      if (!uintAt(3) || !uintAt(4)) {
        c.rejectedValue++;
        return;
      }
      droppedRecords = keptValues[3]!;
      droppedFrames = keptValues[4]!;
      break;
    default:
      c.unknownKind++;
      return;
  }
  if (!uintAt(1)) {
    c.rejectedValue++;
    return;
  }
  const tsMs = baseTsMs + keptValues[1]!;
  if (!Number.isSafeInteger(tsMs)) {
    c.rejectedValue++;
    return;
  }
  if (!uintAt(2)) {
    c.rejectedValue++;
    return;
  }
  const nameIdx = keptValues[2]!;
  if (nameIdx >= c.nameCount) {
    c.rejectedNameIndex++;
    return;
  }
  if (c.nameLength[nameIdx] === 0) {
    c.rejectedValue++;
    return;
  }
  c.markUsed(nameIdx);
  let originIdx = -1;
  if (originAt > 0) {
    if (!uintAt(originAt)) {
      c.rejectedValue++;
      return;
    }
    originIdx = keptValues[originAt]!;
    if (originIdx >= c.nameCount) {
      c.rejectedNameIndex++;
      return;
    }
    c.markUsed(originIdx);
  }
  const k = c.accepted++;
  c.kind[k] = kind;
  c.tsMs[k] = tsMs;
  c.nameIndex[k] = nameIdx;
  c.originIndex[k] = originIdx;
  c.count[k] = count;
  c.rtMs[k] = rtMs;
  c.error[k] = error;
  c.droppedRecords[k] = droppedRecords;
  c.droppedFrames[k] = droppedFrames;
}

/** A sink that also gets the record's name-table index (a reader can resolve names once per frame). */
export type IndexedRecordSink = (record: FlowRecord, nameIndex: number) => void;

/** Hands the accepted records in `c` to `sink`, one reused FlowRecord (`out`) at a time. */
export function deliverColumns(c: PayloadColumns, sink: IndexedRecordSink, out: FlowRecord): void {
  const names = c.names;
  for (let i = 0; i < c.accepted; i++) {
    const kind = c.kind[i]! as RecordKind;
    const nameIdx = c.nameIndex[i]!;
    const originIdx = c.originIndex[i]!;
    out.kind = kind;
    out.tsMs = c.tsMs[i]!;
    out.name = names[nameIdx]!;
    out.origin = originIdx < 0 ? '' : names[originIdx]!;
    out.count = c.count[i]!;
    out.rtMs = c.rtMs[i]!;
    out.error = c.error[i] === 1;
    out.droppedRecords = c.droppedRecords[i]!;
    out.droppedFrames = c.droppedFrames[i]!;
    sink(out, nameIdx);
  }
}

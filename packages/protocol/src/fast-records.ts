// Owns the fast path for reading a frame payload: parses `[baseTsMs, [name...], record...]` (versions
// 2 and 3: `[baseTsMs, mapEpoch, [name | id...], record...]`, ids resolved through a ResourceIdResolver;
// in version 3 a record whose kind carries RECORD_ID_FLAG holds a resource id instead of a table
// index, given a table index of its own after the frame's table on its first use) straight from the bytes into preallocated columns (typed arrays), without msgpackr and without
// allocating per record. The columns are handed out only once the whole payload has parsed, so a
// payload that is bad as a whole never has any of its records counted.
//
// The fast path takes only the common case: the forms FrameBuilder writes (arrays, strings, the
// unsigned integer forms, float64 holding a non-negative safe integer, booleans) and records that
// are valid. Anything else (another number form, nil, a map, bin, ext, the 0xC1 byte, truncated or
// trailing bytes, an invalid or unknown record, a used name that is not well-formed UTF-8 or starts
// with a BOM, a used id the resolver does not know) makes it answer "not handled", and the caller decodes that whole frame with the
// reference decoder (msgpackr + readRecord in records.ts), which alone decides rejections. The fast
// path accepts nothing readRecord rejects and fills the same fields, so both paths give the same
// records, tallies and frame outcomes.

import { FRAME_VERSION_IDS, FRAME_VERSION_RECORD_IDS, MAX_PAYLOAD_BYTES, MAX_RESOURCE_ID, RECORD_ID_FLAG, RecordKind } from './constants.js';
import { lastName, nameString } from './name-cache.js';
import { nextFrameStamp } from './frame-stamps.js';
// Module-local names for imported constants the hot path reads (V8 folds these into the code;
// an imported binding is read from its cell at every use: ARCHITECTURE.md, "Constants on the hot path").
const Kind = RecordKind;
const ID_FLAG = RECORD_ID_FLAG;
const VERSION_IDS = FRAME_VERSION_IDS;
const VERSION_RECORD_IDS = FRAME_VERSION_RECORD_IDS;
const MAX_ID = MAX_RESOURCE_ID;
const last = lastName;

/** Name-cache slots run from 0 to this (exclusive): RecordColumns.nameSlot. */
export { NAME_SLOTS as NAME_CACHE_SLOTS } from './name-cache.js';
import type { FlowRecord, ResourceIdResolver } from './records.js';

/** A payload of n bytes holds at most n records and at most n names (table entries and ids of records together). */
const CAPACITY = MAX_PAYLOAD_BYTES;
/** Resource ids below this find their frame's table index through typed arrays (no Map lookup). */
const ID_SLOTS = 65536;

/**
 * One frame's valid records, column by column (record i is kind[i], tsMs[i], …, for i < accepted),
 * and the names they use (names[nameIndex[i]], names[originIndex[i]] when originIndex[i] ≥ 0):
 * what frameColumns (scanner.ts) hands a reader. Read-only for readers; reused for the next frame.
 */
export interface RecordColumns {
  readonly accepted: number;
  readonly kind: Uint8Array;
  readonly tsMs: Float64Array;
  readonly nameIndex: Int32Array;
  readonly originIndex: Int32Array;
  readonly count: Float64Array;
  readonly rtMs: Float64Array;
  /** 1: the record's error flag is set. */
  readonly error: Uint8Array;
  readonly droppedRecords: Float64Array;
  readonly droppedFrames: Float64Array;
  readonly names: readonly string[];
  /** Per used name: its slot in the name cache (name-cache.ts lastName), or -1 (not cached, or a resolved id). */
  readonly nameSlot: Int32Array;
  /** Per used name with a slot: what the slot held (lastName.key; the same key, the same name). */
  readonly nameKey: Float64Array;
}

/** One frame's parsed records (all valid) and its name table; reused frame after frame. */
export class PayloadColumns implements RecordColumns {
  baseTsMs = 0;
  /** Version 2: the map epoch of the frame's ids; -1 in a version 1 frame. */
  mapEpoch = -1;
  /** Records in the columns below. */
  accepted = 0;
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
  /** Entries of the frame's own name table (version 3: the ids records carry are entries after them). */
  tableCount = 0;
  /** Name table: byte offset and length of each name. */
  nameCount = 0;
  readonly nameStart = new Int32Array(CAPACITY);
  readonly nameLength = new Int32Array(CAPACITY);
  /** Version 2: the resource id of each table entry that is one (0: a string entry). */
  readonly nameId = new Float64Array(CAPACITY);
  /** Decoded strings of the names records use (other entries are stale). */
  readonly names: string[] = new Array<string>(CAPACITY).fill('');
  readonly nameSlot = new Int32Array(CAPACITY);
  readonly nameKey = new Float64Array(CAPACITY);
  /** 1 for the names records use. */
  private readonly used = new Uint8Array(CAPACITY);
  /** Version 3: for ids below ID_SLOTS, the frame (frameSeq) their entry was made in and its index; larger ids in bigIds. */
  private readonly idFrame = new Int32Array(ID_SLOTS);
  private readonly idEntry = new Int32Array(ID_SLOTS);
  private readonly bigIds = new Map<number, number>();
  private frameSeq = 0;

  reset(): void {
    this.accepted = 0;
    this.used.fill(0, 0, this.nameCount);
    this.nameCount = 0;
    this.tableCount = 0;
    this.frameSeq = nextFrameStamp(this.frameSeq, this.idFrame);
    if (this.bigIds.size > 0) this.bigIds.clear();
  }

  /** Version 3: the entry index standing for resource id `id` in this frame (made after the table on its first use). */
  indexOfId(id: number): number {
    if (id < ID_SLOTS) {
      if (this.idFrame[id] === this.frameSeq) return this.idEntry[id]!;
      this.idFrame[id] = this.frameSeq;
      return (this.idEntry[id] = this.addIdEntry(id));
    }
    let idx = this.bigIds.get(id);
    if (idx === undefined) this.bigIds.set(id, (idx = this.addIdEntry(id)));
    return idx;
  }

  private addIdEntry(id: number): number {
    const idx = this.nameCount++;
    this.nameId[idx] = id;
    this.nameStart[idx] = -1;
    this.nameLength[idx] = -1;
    this.used[idx] = 0;
    return idx;
  }

  markUsed(idx: number): void {
    this.used[idx] = 1;
  }

  /** Decodes the used names (and resolves the used ids); false when one of them is not plainly decodable or resolvable. */
  resolveNames(bytes: Uint8Array, resolver: ResourceIdResolver | null): boolean {
    for (let idx = 0; idx < this.nameCount; idx++) {
      if (this.used[idx] === 0) continue;
      const id = this.nameId[idx]!;
      let s: string | null;
      if (id === 0) {
        s = nameString(bytes, this.nameStart[idx]!, this.nameLength[idx]!);
        this.nameSlot[idx] = last.slot;
        this.nameKey[idx] = last.key;
      } else {
        s = resolver === null ? null : resolver(this.mapEpoch, id);
        this.nameSlot[idx] = -1;
      }
      if (s === null || s === '') return false;
      this.names[idx] = s;
    }
    return true;
  }
}

const floatScratch = new Float64Array(1);
const floatBytes = new Uint8Array(floatScratch.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

function f64(b: Uint8Array, p: number): number {
  for (let i = 0; i < 8; i++) floatBytes[littleEndian ? 7 - i : i] = b[p + i]!;
  return floatScratch[0]!;
}

/** The value readUint read (a constant holder: cheaper to update than a module-level `let`). */
const read = { uint: 0 };

/**
 * A non-negative safe integer at b[p] in a form FrameBuilder writes: positive fixint, uint8/16/32,
 * or (readWideUint) uint64 or a float64 holding it. Sets read.uint and returns the position after
 * it; -1 for anything else (the reference decoder decides then).
 */
function readUint(b: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const t = b[p]!;
  if (t < 0x80) {
    read.uint = t;
    return p + 1;
  }
  if (t === 0xcc) {
    if (p + 2 > end) return -1;
    read.uint = b[p + 1]!;
    return p + 2;
  }
  if (t === 0xcd) {
    if (p + 3 > end) return -1;
    read.uint = u16(b, p + 1);
    return p + 3;
  }
  if (t === 0xce) {
    if (p + 5 > end) return -1;
    read.uint = u32(b, p + 1);
    return p + 5;
  }
  return readWideUint(b, p, end);
}

/** readUint's rare forms: uint64 and float64 holding a non-negative safe integer (not -0). */
function readWideUint(b: Uint8Array, p: number, end: number): number {
  const t = b[p]!;
  if (t !== 0xcf && t !== 0xcb) return -1;
  if (p + 9 > end) return -1;
  const v = t === 0xcf ? u32(b, p + 1) * 0x100000000 + u32(b, p + 5) : f64(b, p + 1);
  if (!Number.isSafeInteger(v) || v < 0 || (v === 0 && 1 / v < 0)) return -1;
  read.uint = v;
  return p + 9;
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

/**
 * Parses the payload bytes[start, end) into `c`. Returns true when the fast path handled the whole
 * payload (it is then valid, every record in it is valid, and `c` holds them and the used names);
 * false when the frame must go to the reference decoder (which decides whether it is valid at all).
 */
export function readPayload(b: Uint8Array, start: number, end: number, c: PayloadColumns, version = 1, resolver: ResourceIdResolver | null = null): boolean {
  c.reset();
  const withIds = version === VERSION_IDS || version === VERSION_RECORD_IDS;
  const idsInRecords = version === VERSION_RECORD_IDS;
  let p = readArrayHeader(b, start, end);
  if (p < 0) return false;
  const n = arrayLength;
  const head = withIds ? 3 : 2;
  if (n < head || n > end - p || p >= end) return false;
  p = readUint(b, p, end);
  if (p < 0) return false;
  const baseTsMs = read.uint;
  c.baseTsMs = baseTsMs;
  c.mapEpoch = -1;
  if (withIds) {
    p = readUint(b, p, end);
    if (p < 0) return false;
    c.mapEpoch = read.uint;
  }
  p = readArrayHeader(b, p, end);
  if (p < 0) return false;
  const nameCount = arrayLength;
  if (nameCount > end - p) return false;
  c.nameCount = nameCount;
  c.tableCount = nameCount;
  for (let i = 0; i < nameCount; i++) {
    if (p >= end) return false;
    const t = b[p]!;
    let length: number;
    c.nameId[i] = 0;
    if (withIds && (t < 0x80 || t === 0xcc || t === 0xcd || t === 0xce || t === 0xcf || t === 0xcb)) {
      p = readUint(b, p, end);
      if (p < 0 || read.uint < 1) return false;
      c.nameId[i] = read.uint;
      c.nameStart[i] = -1;
      c.nameLength[i] = -1;
      continue;
    }
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
  for (let r = head; r < n; r++) {
    if (p >= end) return false;
    p = validRecord(c, b, p, end, baseTsMs, idsInRecords);
    if (p < 0) return false;
  }
  if (p !== end) return false;
  return c.resolveNames(b, resolver);
}

/**
 * A valid record of a known kind at b[p] (p < end) in FrameBuilder's forms (a fixarray, the kind as
 * a fixint, numbers as readUint reads them, `error` as a boolean): stores it and returns the
 * position after it; -1 for anything else. Accepts nothing readRecord rejects. `idsInRecords`
 * (version 3): a kind with RECORD_ID_FLAG names its resource by the id in its name field.
 */
function validRecord(c: PayloadColumns, b: Uint8Array, p: number, end: number, baseTsMs: number, idsInRecords: boolean): number {
  const t = b[p]!;
  // The usual record: a CALL without an origin whose time offset, name (or id) and RT are
  // fixints, six bytes read here at once; any other takes the general path below, which checks
  // the same things of it in the same order.
  if (t === 0x95 && p + 6 <= end) {
    const kind = b[p + 1]!;
    const dt = b[p + 2]!;
    const nameField = b[p + 3]!;
    const rtMs = b[p + 4]!;
    const e = b[p + 5]!;
    if ((dt | nameField | rtMs) < 0x80 && (e === 0xc2 || e === 0xc3) && (kind === Kind.CALL || (kind === CALL_BY_ID && idsInRecords))) {
      const tsMs = baseTsMs + dt;
      if (tsMs > Number.MAX_SAFE_INTEGER) return -1;
      const nameIdx = usedNameIndex(c, nameField, kind === CALL_BY_ID);
      if (nameIdx < 0) return -1;
      accept(c, Kind.CALL, tsMs, nameIdx, -1, 1, rtMs, e - 0xc2, 0, 0);
      return p + 6;
    }
  }
  if (t < 0x93 || t > 0x97) return -1;
  const len = t - 0x90;
  let q = p + 1;
  if (q + len > end) return -1; // every field takes at least one byte
  let kind = b[q++]!;
  let byId = false;
  if (kind >= ID_FLAG && idsInRecords) {
    if (kind > (ID_FLAG | Kind.CALL)) return -1;
    kind -= ID_FLAG;
    byId = true;
  }
  q = readUint(b, q, end);
  if (q < 0) return -1;
  const dt = read.uint;
  q = readUint(b, q, end);
  if (q < 0) return -1;
  let nameIdx = read.uint;
  let count = 1;
  let rtMs = 0;
  let error = 0;
  let droppedRecords = 0;
  let droppedFrames = 0;
  let originIdx = -1;
  switch (kind) {
    case Kind.PASS:
    case Kind.BLOCK:
      if (len > 5) return -1;
      if (len >= 4) {
        q = readUint(b, q, end);
        if (q < 0 || read.uint < 1) return -1;
        count = read.uint;
        if (len === 5) {
          q = readUint(b, q, end);
          if (q < 0) return -1;
          originIdx = read.uint;
        }
      }
      break;
    case Kind.EXIT:
    case Kind.CALL: {
      if (len < 5 || (kind === Kind.CALL && len > 6)) return -1;
      q = readUint(b, q, end);
      if (q < 0) return -1;
      rtMs = read.uint;
      if (q >= end) return -1;
      const e = b[q++]!;
      if (e !== 0xc2 && e !== 0xc3) return -1;
      error = e - 0xc2;
      if (kind === Kind.EXIT && len >= 6) {
        q = readUint(b, q, end);
        if (q < 0 || read.uint < 1) return -1;
        count = read.uint;
      }
      if (len === (kind === Kind.EXIT ? 7 : 6)) {
        q = readUint(b, q, end);
        if (q < 0) return -1;
        originIdx = read.uint;
      }
      break;
    }
    case Kind.WRITER:
      if (len !== 5) return -1;
      q = readUint(b, q, end);
      if (q < 0) return -1;
      droppedRecords = read.uint;
      q = readUint(b, q, end);
      if (q < 0) return -1;
      droppedFrames = read.uint;
      break;
    default:
      return -1;
  }
  const tsMs = baseTsMs + dt;
  if (tsMs > Number.MAX_SAFE_INTEGER) return -1; // both are safe integers, so the sum is one unless larger
  if (originIdx >= c.tableCount) return -1;
  nameIdx = usedNameIndex(c, nameIdx, byId);
  if (nameIdx < 0) return -1;
  if (originIdx >= 0) c.markUsed(originIdx);
  accept(c, kind, tsMs, nameIdx, originIdx, count, rtMs, error, droppedRecords, droppedFrames);
  return q;
}

const CALL_BY_ID = Kind.CALL | ID_FLAG;

/**
 * The name-table index a record's name field names (with `byId`, the entry of the resource id in
 * it), marked used; -1 when it names none: an index past the table or of an empty name, an id of
 * 0 or above MAX_RESOURCE_ID.
 */
function usedNameIndex(c: PayloadColumns, nameField: number, byId: boolean): number {
  let nameIdx = nameField;
  if (byId) {
    if (nameField < 1 || nameField > MAX_ID) return -1;
    nameIdx = c.indexOfId(nameField);
  } else if (nameField >= c.tableCount || c.nameLength[nameField] === 0) return -1;
  c.markUsed(nameIdx);
  return nameIdx;
}

/** Stores a valid record as the next of c's columns. */
function accept(c: PayloadColumns, kind: number, tsMs: number, nameIdx: number, originIdx: number, count: number, rtMs: number, error: number, droppedRecords: number, droppedFrames: number): void {
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

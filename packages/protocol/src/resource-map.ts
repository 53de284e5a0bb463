// Owns the layout of the resource map `<pin>/map`, the pin's counterpart of an eBPF hash map: a
// header and a fixed number of fixed-size, self-validating slots addressed by a 64-bit hash of the
// resource name (bounded linear probing within a small contiguous window). The collector is its
// only writer (whole slots, positioned writes); a filter reads a name's whole probe window with one
// positioned read and fails open (PASS) on anything it cannot trust. Pure functions and one
// in-memory slot table for the writer; no I/O here.

import { crc32 } from './crc32.js';
import { ProtocolError, ProtocolErrorCode } from './errors.js';
import { utf8Encode } from './utf8.js';

/** "SWRM" */
export const MAP_MAGIC = 0x4d525753;
export const MAP_LAYOUT_VERSION = 1;
export const MAP_HEADER_BYTES = 32;
export const MAP_SLOT_BYTES = 48;
/** Slots a name may live in: its home slot and the next ones (the window one lookup reads). */
export const MAP_PROBE_SLOTS = 4;
export const MAP_WINDOW_BYTES = MAP_PROBE_SLOTS * MAP_SLOT_BYTES;
/** A slot refreshed longer ago than this (or this far in the future) is not trusted. */
export const DEFAULT_MAP_STALE_AFTER_MS = 3000;

export const VerdictKind = {
  /** Admit every entry. */
  PASS: 0,
  /** Reject every entry until `untilMs` (an open circuit breaker). */
  BLOCK: 1,
  /** Admit each entry with probability `ratio` (0 … 1). */
  ADMIT: 2,
} as const;
export type VerdictKind = (typeof VerdictKind)[keyof typeof VerdictKind];

/** A 64-bit name hash as two unsigned 32-bit halves. */
export interface NameHash {
  readonly lo: number;
  readonly hi: number;
}

export interface MapHeader {
  slotCount: number;
  /** Identifies one incarnation of the map: a non-negative safe integer that changes when it is recreated. */
  epoch: number;
}

export interface MapSlot {
  hash: NameHash;
  /** Assigned by the collector, 1 … 2^32-1, never reused within an epoch. */
  resourceId: number;
  kind: VerdictKind;
  /** BLOCK: until when (epoch ms); ADMIT: the ratio admitted; PASS: 0. */
  param: number;
  /** When the collector last wrote this verdict, epoch ms. */
  refreshMs: number;
  /** Bumped by the collector on every write of the slot. */
  sequence: number;
  /** The low 32 bits of the map epoch the slot was written in. */
  epochTag: number;
}

/** How a lookup ended; every outcome but HIT yields PASS. */
export const MapLookup = {
  HIT: 'hit',
  /** No valid slot of this name in its window (never written, or the window was full). */
  MISS: 'miss',
  /**
   * The name's BLOCK or ADMIT slot was refreshed too long ago (or too far in the future): the
   * collector stopped refreshing it (fail open).
   */
  STALE: 'stale',
  /**
   * The name's slot is a PASS slot refreshed longer ago than the staleness bound: the collector
   * writes a name's PASS slot once (when it first counts the name, or when its verdict ends) and
   * then leaves it alone. PASS with the slot's id, as any stale slot reads; the usual answer for a
   * name no rule governs.
   */
  IDLE: 'idle',
  /** Fewer bytes than a window (a short read, a truncated map). */
  SHORT: 'short',
} as const;
export type MapLookup = (typeof MapLookup)[keyof typeof MapLookup];

export interface MapVerdict {
  kind: VerdictKind;
  /** BLOCK: until (epoch ms); ADMIT: ratio; PASS: 0. */
  param: number;
  /** The resource id of the slot found, 0 when none. */
  resourceId: number;
  outcome: MapLookup;
  /** Slots of this name's hash in the window that failed their checksum (torn or damaged); other names' slots are not checked. */
  tornSlots: number;
  /** The slot's refresh time (epoch ms) on a hit or a stale slot; 0 otherwise. */
  refreshMs: number;
}

export interface LookupOptions {
  /** Only slots of this epoch tag count (the header's `epoch` low 32 bits); default: any. */
  epochTag?: number;
  staleAfterMs?: number;
}

const FNV_OFFSET = [0x2325, 0x8422, 0x9ce4, 0xcbf2]; // 0xcbf29ce484222325, 16-bit limbs, low first

/** FNV-1a 64 of bytes[start, end), in 16-bit limbs (no BigInt), as two 32-bit halves. */
export function nameHashOfBytes(bytes: Uint8Array, start = 0, end = bytes.length): NameHash {
  let h0 = FNV_OFFSET[0]!;
  let h1 = FNV_OFFSET[1]!;
  let h2 = FNV_OFFSET[2]!;
  let h3 = FNV_OFFSET[3]!;
  for (let i = start; i < end; i++) {
    h0 ^= bytes[i]!;
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40), modulo 2^64
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + (h0 << 8) + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + (h1 << 8) + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return { lo: ((h1 << 16) | h0) >>> 0, hi: ((h3 << 16) | h2) >>> 0 };
}

/**
 * The map name of a verdict: the resource's own name for all its traffic, or the resource name, a
 * NUL and the origin for the verdict that applies to that origin's traffic only.
 */
export function mapKeyOf(resource: string, origin = ''): string {
  return origin === '' ? resource : `${resource}\u0000${origin}`;
}

/** The map hash of a resource name: FNV-1a 64 of its UTF-8 bytes. */
export function nameHash(name: string): NameHash {
  return nameHashOfBytes(utf8Encode(name));
}

/** The first slot of a name's probe window. */
export function homeSlot(hash: NameHash, slotCount: number): number {
  return ((hash.lo ^ hash.hi) >>> 0) % slotCount;
}

/** Bytes of a map of `slotCount` home slots: the header plus slotCount + MAP_PROBE_SLOTS - 1 slots (windows never wrap). */
export function mapFileBytes(slotCount: number): number {
  return MAP_HEADER_BYTES + (slotCount + MAP_PROBE_SLOTS - 1) * MAP_SLOT_BYTES;
}

/** File offset of slot `slot`. */
export function slotOffset(slot: number): number {
  return MAP_HEADER_BYTES + slot * MAP_SLOT_BYTES;
}

/** File offset of a name's probe window (MAP_WINDOW_BYTES long). */
export function windowOffset(hash: NameHash, slotCount: number): number {
  return slotOffset(homeSlot(hash, slotCount));
}

/** A map epoch from the creation time and a random source: creation ms × 1024 + 10 random bits. */
export function mapEpochOf(nowMs: number, random: () => number): number {
  return Math.floor(nowMs) * 1024 + Math.floor(random() * 1024);
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

export function encodeMapHeader(header: MapHeader): Uint8Array {
  const { slotCount, epoch } = header;
  if (!isU32(slotCount) || slotCount < 1 || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new ProtocolError(ProtocolErrorCode.BAD_ARGUMENT, `bad map header ${JSON.stringify(header)}`);
  }
  const out = new Uint8Array(MAP_HEADER_BYTES);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAP_MAGIC, true);
  v.setUint16(4, MAP_LAYOUT_VERSION, true);
  v.setUint16(6, MAP_SLOT_BYTES, true);
  v.setUint32(8, slotCount, true);
  v.setUint16(12, MAP_PROBE_SLOTS, true);
  v.setUint32(16, epoch % 0x100000000, true);
  v.setUint32(20, Math.floor(epoch / 0x100000000), true);
  v.setUint32(28, crc32(out, 0, 28), true);
  return out;
}

/** The header at bytes[0, 32), or null when it is short, damaged, or of another layout. */
export function decodeMapHeader(bytes: Uint8Array): MapHeader | null {
  if (bytes.length < MAP_HEADER_BYTES) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, MAP_HEADER_BYTES);
  if (v.getUint32(28, true) !== crc32(bytes, 0, 28)) return null;
  if (v.getUint32(0, true) !== MAP_MAGIC || v.getUint16(4, true) !== MAP_LAYOUT_VERSION) return null;
  if (v.getUint16(6, true) !== MAP_SLOT_BYTES || v.getUint16(12, true) !== MAP_PROBE_SLOTS) return null;
  const slotCount = v.getUint32(8, true);
  if (slotCount < 1) return null;
  return { slotCount, epoch: v.getUint32(20, true) * 0x100000000 + v.getUint32(16, true) };
}

/** The epoch tag slots of this epoch carry. */
export function epochTagOf(epoch: number): number {
  return epoch % 0x100000000;
}

function validVerdict(kind: number, param: number): boolean {
  if (kind === VerdictKind.PASS) return param === 0;
  if (kind === VerdictKind.BLOCK) return Number.isSafeInteger(param) && param >= 0;
  if (kind === VerdictKind.ADMIT) return param >= 0 && param <= 1;
  return false;
}

/** One slot's bytes (MAP_SLOT_BYTES), checksummed. Throws E_BAD_ARGUMENT on a field out of range. */
export function encodeSlot(slot: MapSlot): Uint8Array {
  const ok =
    isU32(slot.hash.lo) && isU32(slot.hash.hi) && isU32(slot.resourceId) && slot.resourceId >= 1 &&
    validVerdict(slot.kind, slot.param) && Number.isSafeInteger(slot.refreshMs) && slot.refreshMs >= 0 &&
    isU32(slot.sequence) && isU32(slot.epochTag);
  if (!ok) throw new ProtocolError(ProtocolErrorCode.BAD_ARGUMENT, `bad map slot ${JSON.stringify(slot)}`);
  const out = new Uint8Array(MAP_SLOT_BYTES);
  const v = new DataView(out.buffer);
  v.setUint32(0, slot.hash.lo, true);
  v.setUint32(4, slot.hash.hi, true);
  v.setUint32(8, slot.resourceId, true);
  out[12] = slot.kind;
  v.setUint32(16, slot.sequence, true);
  v.setUint32(20, slot.epochTag, true);
  v.setFloat64(24, slot.param, true);
  v.setFloat64(32, slot.refreshMs, true);
  v.setUint32(44, crc32(out, 0, 44), true);
  return out;
}

/**
 * The slot at bytes[offset, offset + 48): 'empty' (all zero), 'torn' (bad checksum, or fields no
 * writer writes), or the slot.
 */
export function decodeSlot(bytes: Uint8Array, offset = 0): MapSlot | 'empty' | 'torn' {
  if (offset + MAP_SLOT_BYTES > bytes.length) return 'torn';
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, MAP_SLOT_BYTES);
  if (v.getUint32(44, true) !== crc32(bytes, offset, offset + 44)) {
    for (let i = 0; i < MAP_SLOT_BYTES; i++) if (bytes[offset + i] !== 0) return 'torn';
    return 'empty';
  }
  const kind = bytes[offset + 12]!;
  const param = v.getFloat64(24, true);
  const refreshMs = v.getFloat64(32, true);
  const resourceId = v.getUint32(8, true);
  const reservedZero = bytes[offset + 13] === 0 && v.getUint16(14, true) === 0 && v.getUint32(40, true) === 0;
  if (!reservedZero || resourceId < 1 || !validVerdict(kind, param) || !Number.isSafeInteger(refreshMs) || refreshMs < 0) return 'torn';
  return {
    hash: { lo: v.getUint32(0, true), hi: v.getUint32(4, true) },
    resourceId,
    kind: kind as VerdictKind,
    param,
    refreshMs,
    sequence: v.getUint32(16, true),
    epochTag: v.getUint32(20, true),
  };
}

function pass(outcome: MapLookup, resourceId: number, tornSlots: number, refreshMs = 0): MapVerdict {
  return { kind: VerdictKind.PASS, param: 0, resourceId, outcome, tornSlots, refreshMs };
}

const SHORT_WINDOW: MapVerdict = Object.freeze(pass(MapLookup.SHORT, 0, 0));
const MISS_CLEAN: MapVerdict = Object.freeze(pass(MapLookup.MISS, 0, 0));

/** The little-endian u32 at bytes[at, at + 4). */
function u32At(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** Scratch for reading a float64 without a DataView per call (lookups run once per request in the filter). */
const F64_BYTES = new Uint8Array(8);
const F64_VIEW = new DataView(F64_BYTES.buffer);

/** The little-endian float64 at bytes[at, at + 8). */
function f64At(bytes: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) F64_BYTES[i] = bytes[at + i]!;
  return F64_VIEW.getFloat64(0, true);
}

function allZero(bytes: Uint8Array, at: number, length: number): boolean {
  for (let i = at; i < at + length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * The verdict for `hash` from the bytes of its probe window (the MAP_WINDOW_BYTES at
 * windowOffset). Fails open: a short window, no valid slot of this name (and epoch) or a stale slot
 * give PASS, with the outcome saying why. A BLOCK holds while its slot is fresh, also after its
 * `untilMs` (when the collector reconsiders: it then rewrites the slot, e.g. with a probe).
 *
 * Only a slot whose stored hash is the name's is checksummed and decoded: a slot of another name
 * is never used, whatever its state, so its bytes are not checked, and `tornSlots` counts the
 * name's own slots that failed their checksum (or hold fields no writer writes). A torn slot is
 * never trusted, even when its hash matches. No allocation but the result.
 */
export function lookupInWindow(bytes: Uint8Array, hash: NameHash, nowMs: number, options: LookupOptions = {}): MapVerdict {
  return lookupInSlots(bytes, 0, hash, nowMs, options);
}

/**
 * lookupInWindow for a window that starts `atBytes` into `bytes` (e.g. a copy of the map's whole
 * slot array, which starts at MAP_HEADER_BYTES in the file: a name's window is then at
 * windowOffset − MAP_HEADER_BYTES). Fewer than MAP_WINDOW_BYTES from there: SHORT.
 */
export function lookupInSlots(bytes: Uint8Array, atBytes: number, hash: NameHash, nowMs: number, options: LookupOptions = {}): MapVerdict {
  if (!(atBytes >= 0) || bytes.length - atBytes < MAP_WINDOW_BYTES) return SHORT_WINDOW;
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_MAP_STALE_AFTER_MS;
  const epochTag = options.epochTag;
  const lo = hash.lo;
  const hi = hash.hi;
  let torn = 0;
  for (let at = atBytes, end = atBytes + MAP_WINDOW_BYTES; at < end; at += MAP_SLOT_BYTES) {
    if (u32At(bytes, at) !== lo || u32At(bytes, at + 4) !== hi) continue;
    if (u32At(bytes, at + 44) !== crc32(bytes, at, at + 44)) {
      if (!allZero(bytes, at, MAP_SLOT_BYTES)) torn++; // (an all-zero slot is empty, not torn)
      continue;
    }
    const kind = bytes[at + 12]!;
    const resourceId = u32At(bytes, at + 8);
    const param = f64At(bytes, at + 24);
    const refreshMs = f64At(bytes, at + 32);
    const reservedZero = bytes[at + 13] === 0 && bytes[at + 14] === 0 && bytes[at + 15] === 0 && u32At(bytes, at + 40) === 0;
    if (!reservedZero || resourceId < 1 || !validVerdict(kind, param) || !Number.isSafeInteger(refreshMs) || refreshMs < 0) {
      torn++;
      continue;
    }
    if (epochTag !== undefined && u32At(bytes, at + 20) !== epochTag) continue;
    if (Math.abs(nowMs - refreshMs) > staleAfterMs) {
      return pass(kind === VerdictKind.PASS ? MapLookup.IDLE : MapLookup.STALE, resourceId, torn, refreshMs);
    }
    return { kind: kind as VerdictKind, param, resourceId, outcome: MapLookup.HIT, tornSlots: torn, refreshMs };
  }
  return torn === 0 ? MISS_CLEAN : pass(MapLookup.MISS, 0, torn);
}

/**
 * The writer's in-memory view of the map: which slot and resource id each name has. `place` gives
 * a name its slot (the first free one in its window) and a new id, or null when the window is full
 * (counted in `windowFull`); it never evicts and never blocks. Ids are never reused within the
 * epoch, even after `remove`.
 */
export class MapSlotTable {
  readonly slotCount: number;
  /** Names that found no free slot in their window. */
  windowFull = 0;
  private nextId = 1;
  /** Per physical slot: the name in it, or undefined. */
  private readonly owner: Array<string | undefined>;
  private readonly byName = new Map<string, { slot: number; resourceId: number; hash: NameHash }>();
  /** Resource id → name of every placed name (what a reader resolves a frame's ids with). */
  private readonly byId = new Map<number, string>();

  constructor(slotCount: number) {
    if (!isU32(slotCount) || slotCount < 1) throw new ProtocolError(ProtocolErrorCode.BAD_ARGUMENT, `bad slot count ${slotCount}`);
    this.slotCount = slotCount;
    this.owner = new Array<string | undefined>(slotCount + MAP_PROBE_SLOTS - 1);
  }

  get size(): number {
    return this.byName.size;
  }

  /** The name's slot, resource id and hash: existing, newly placed, or null (window full). */
  place(name: string): { slot: number; resourceId: number; hash: NameHash } | null {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    const hash = nameHash(name);
    const home = homeSlot(hash, this.slotCount);
    for (let slot = home; slot < home + MAP_PROBE_SLOTS; slot++) {
      if (this.owner[slot] !== undefined) continue;
      if (this.nextId > 0xffffffff) break; // ids exhausted: the map must be recreated (new epoch)
      const entry = { slot, resourceId: this.nextId++, hash };
      this.owner[slot] = name;
      this.byName.set(name, entry);
      this.byId.set(entry.resourceId, name);
      return entry;
    }
    this.windowFull++;
    return null;
  }

  /**
   * A table restored from what the writer persisted: each name in its slot with its id, and the
   * next id to give. Throws E_BAD_ARGUMENT when an entry does not fit (a slot outside the name's
   * window or taken twice, an id not below nextId or used twice).
   */
  static restore(slotCount: number, nextId: number, entries: ReadonlyArray<{ name: string; slot: number; resourceId: number }>): MapSlotTable {
    const table = new MapSlotTable(slotCount);
    if (!Number.isSafeInteger(nextId) || nextId < 1) throw new ProtocolError(ProtocolErrorCode.BAD_ARGUMENT, `bad next id ${nextId}`);
    const ids = new Set<number>();
    for (const e of entries) {
      const hash = nameHash(e.name);
      const home = homeSlot(hash, slotCount);
      const ok = e.slot >= home && e.slot < home + MAP_PROBE_SLOTS && table.owner[e.slot] === undefined && !table.byName.has(e.name) &&
        isU32(e.resourceId) && e.resourceId >= 1 && e.resourceId < nextId && !ids.has(e.resourceId);
      if (!ok) throw new ProtocolError(ProtocolErrorCode.BAD_ARGUMENT, `bad map table entry ${JSON.stringify(e)}`);
      ids.add(e.resourceId);
      table.owner[e.slot] = e.name;
      table.byName.set(e.name, { slot: e.slot, resourceId: e.resourceId, hash });
      table.byId.set(e.resourceId, e.name);
    }
    table.nextId = nextId;
    return table;
  }

  /** The id the next placed name gets. */
  get nextResourceId(): number {
    return this.nextId;
  }

  /** Every placed name with its slot and id (for persisting the table). */
  entries(): Array<{ name: string; slot: number; resourceId: number }> {
    return [...this.byName].map(([name, e]) => ({ name, slot: e.slot, resourceId: e.resourceId }));
  }

  /** The name's placement without placing it. */
  get(name: string): { slot: number; resourceId: number; hash: NameHash } | undefined {
    return this.byName.get(name);
  }

  /** The name placed with this resource id, if it is still placed. */
  nameOf(resourceId: number): string | undefined {
    return this.byId.get(resourceId);
  }

  /** The names placed in the slots of `name`'s probe window (where `name` would go), in slot order. */
  windowNames(name: string): string[] {
    const home = homeSlot(nameHash(name), this.slotCount);
    const names: string[] = [];
    for (let slot = home; slot < home + MAP_PROBE_SLOTS; slot++) {
      const owner = this.owner[slot];
      if (owner !== undefined) names.push(owner);
    }
    return names;
  }

  /** Frees the name's slot (the caller then writes zeros there); its id is not reused. */
  remove(name: string): number | null {
    const known = this.byName.get(name);
    if (known === undefined) return null;
    this.owner[known.slot] = undefined;
    this.byName.delete(name);
    this.byId.delete(known.resourceId);
    return known.slot;
  }
}

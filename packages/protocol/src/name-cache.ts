// Owns turning name-table bytes into strings for the fast payload reader: strict UTF-8 validation
// and a two-way cache keyed by the bytes, so a name seen in earlier frames costs a hash
// and a compare instead of a decode and a new string (and a reader that looks the string up in a
// Map finds its hash already computed; a reader may also key its own data by the name's slot,
// lastName.slot, checking that it still holds the name by lastName.key). Decodes with TextDecoder
// where the engine has one, else with the package's own utf8Decode.
//
// Only bytes that every msgpack decoder turns into the same string are accepted: well-formed UTF-8
// (no overlong forms, no surrogates, nothing above U+10FFFF) that does not start with a byte-order
// mark (some decoders drop a leading BOM, some keep it). For anything else `nameString` returns
// null and the caller falls back to the reference decoder.

import { utf8Decode } from './utf8.js';

/**
 * A power of two, two ways to a pair of slots; sized for a collector of 10 000 resources: on the
 * benchmark's 10 000-name workload 97.9 % of lookups find their name (with 8 192 slots and a
 * 512 KiB arena, 85 %: names evicted one another, and the arena filled and the cache started over
 * 13 times in a million events).
 */
const SLOTS = 32768;
/** Longer names are decoded every time rather than cached (names are at most 1024 bytes by contract). */
const MAX_CACHED_BYTES = 1024;
/** Cached names' bytes live in one arena; when it is full the whole cache starts over. */
const ARENA_BYTES = 2 * 1024 * 1024;

interface TextDecoderLike {
  decode(bytes: Uint8Array): string;
}
type TextDecoderCtor = new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }) => TextDecoderLike;

const Decoder = (globalThis as { TextDecoder?: TextDecoderCtor }).TextDecoder;
const textDecoder: TextDecoderLike | null = Decoder === undefined ? null : new Decoder('utf-8', { ignoreBOM: true });

const arena = new Uint8Array(ARENA_BYTES);
const arenaView = new DataView(arena.buffer);
let arenaUsed = 0;
/**
 * The cache's generation, part of lastName.key: it moves on each time the cache starts over (the
 * arena was full). Each copy of this module in a process (say a bundle and the package, both
 * loaded) takes a range of GENERATIONS_PER_COPY of its own, so no two copies give one key to two
 * names; a copy that runs out of its range (or past 2^32, keeping keys below 2^53) caches no more.
 */
const GENERATIONS_PER_COPY = 2 ** 20;
const GENERATIONS_TAKEN = Symbol.for('sentinel-wasi.name-cache.generations-taken');
const processWide = globalThis as unknown as Record<symbol, number | undefined>;
let generation = processWide[GENERATIONS_TAKEN] ?? 0;
const generationLimit = Math.min(generation + GENERATIONS_PER_COPY, 2 ** 32);
processWide[GENERATIONS_TAKEN] = generation + GENERATIONS_PER_COPY;
/**
 * Per slot, side by side (a pair of slots in 32 bytes, so a lookup reads one cache line of them):
 * the hash, the offset of the slot's bytes in the arena (-1: empty), their length, and in a pair's
 * first slot which of the two was filled last (0 or 1).
 */
const META = 4;
const M_HASH = 0;
const M_OFFSET = 1;
const M_LENGTH = 2;
const M_NEWER = 3;
const slotMeta = new Int32Array(SLOTS * META);
const slotString: string[] = new Array<string>(SLOTS).fill('');
emptyAll();

/** Marks every slot empty. */
function emptyAll(): void {
  for (let m = M_OFFSET; m < slotMeta.length; m += META) slotMeta[m] = -1;
}

// A DataView over the bytes last looked up in, so that hashing and comparing go 4 bytes at a time.
let viewedBytes: Uint8Array | null = null;
let view: DataView = arenaView;

function viewOf(bytes: Uint8Array): DataView {
  if (bytes !== viewedBytes) {
    viewedBytes = bytes;
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return view;
}

/** True when bytes[start, end) are well-formed UTF-8. */
export function isWellFormedUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    if (b >= 0xc2 && b < 0xe0) {
      if (i + 1 >= end || (bytes[i + 1]! & 0xc0) !== 0x80) return false;
      i += 2;
    } else if (b >= 0xe0 && b < 0xf0) {
      if (i + 2 >= end) return false;
      const b1 = bytes[i + 1]!;
      if ((b1 & 0xc0) !== 0x80 || (bytes[i + 2]! & 0xc0) !== 0x80) return false;
      if (b === 0xe0 && b1 < 0xa0) return false; // overlong
      if (b === 0xed && b1 >= 0xa0) return false; // surrogate
      i += 3;
    } else if (b >= 0xf0 && b < 0xf5) {
      if (i + 3 >= end) return false;
      const b1 = bytes[i + 1]!;
      if ((b1 & 0xc0) !== 0x80 || (bytes[i + 2]! & 0xc0) !== 0x80 || (bytes[i + 3]! & 0xc0) !== 0x80) return false;
      if (b === 0xf0 && b1 < 0x90) return false; // overlong
      if (b === 0xf4 && b1 >= 0x90) return false; // above U+10FFFF
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

function decode(bytes: Uint8Array, start: number, end: number): string {
  return textDecoder === null ? utf8Decode(bytes, start, end) : textDecoder.decode(bytes.subarray(start, end));
}

/**
 * The cache slot the string nameString last returned lives in (0 … NAME_SLOTS − 1), or -1 when it
 * was not cached, and `key`, a number that stands for what the slot holds (-1 when not cached). A
 * reader may key its own per-name data by slot, and keep the key with it: a slot is reused for
 * another name when that one is evicted or the cache starts over, and every fill of a slot gets a
 * key no fill before had in this process, in any copy of this module (the cache's generation and
 * the name's offset in the arena), so the same key means the same name.
 */
export const lastName = { slot: -1, key: -1 };
/** lastName by a module-local name, which V8 folds into this module's code (an exported binding is read from its cell at every use). */
const last = lastName;
export const NAME_SLOTS = SLOTS;

/**
 * The string for the name bytes[start, start + length), or null when the bytes are not
 * well-formed UTF-8 or start with a byte-order mark. Sets lastName.
 */
export function nameString(bytes: Uint8Array, start: number, length: number): string | null {
  last.slot = -1;
  last.key = -1;
  if (length === 0) return '';
  const end = start + length;
  if (length > MAX_CACHED_BYTES || generation >= generationLimit) return acceptable(bytes, start, end) ? decode(bytes, start, end) : null;
  const v = viewOf(bytes);
  let h = length;
  if (length >= 4) {
    // Four bytes at a time, the last four read as one word (overlapping the one before when the
    // length is not a multiple of four).
    const lastWordAt = end - 4;
    for (let i = start; i < lastWordAt; i += 4) h = Math.imul(h ^ v.getInt32(i, true), 0x9e3779b1);
    h = Math.imul(h ^ v.getInt32(lastWordAt, true), 0x9e3779b1);
  } else {
    for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  }
  h ^= h >>> 16;
  // Two-way: a name lives in one of two neighbouring slots (fewer evictions between names that collide).
  const slot = h & (SLOTS - 2);
  if (sameName(slot, h, v, bytes, start, length)) return found(slot);
  if (sameName(slot + 1, h, v, bytes, start, length)) return found(slot + 1);
  if (!acceptable(bytes, start, end)) return null;
  const s = decode(bytes, start, end);
  if (arenaUsed + length > ARENA_BYTES) {
    emptyAll();
    arenaUsed = 0;
    if (++generation >= generationLimit) return s;
  }
  // Fill an empty way, else replace the older one (each slot pair remembers which way is newer).
  const pair = slot * META;
  const way = slotMeta[pair + M_OFFSET]! < 0 ? slot : slotMeta[pair + META + M_OFFSET]! < 0 ? slot + 1 : slotMeta[pair + M_NEWER] === 0 ? slot + 1 : slot;
  slotMeta[pair + M_NEWER] = way - slot;
  arena.set(bytes.subarray(start, end), arenaUsed);
  const m = way * META;
  slotMeta[m + M_OFFSET] = arenaUsed;
  slotMeta[m + M_HASH] = h;
  slotMeta[m + M_LENGTH] = length;
  slotString[way] = s;
  arenaUsed += length;
  return found(way);
}

/** Sets lastName to cached `slot` and returns its string. */
function found(slot: number): string {
  last.slot = slot;
  last.key = generation * ARENA_BYTES + slotMeta[slot * META + M_OFFSET]!;
  return slotString[slot]!;
}

function sameName(slot: number, h: number, v: DataView, bytes: Uint8Array, start: number, length: number): boolean {
  const m = slot * META;
  const at = slotMeta[m + M_OFFSET]!;
  if (at < 0 || slotMeta[m + M_HASH] !== h || slotMeta[m + M_LENGTH] !== length) return false;
  if (length < 4) {
    for (let k = 0; k < length; k++) if (arena[at + k] !== bytes[start + k]) return false;
    return true;
  }
  // Four bytes at a time, the last four as one word (as the hash reads them).
  const lastWordAt = length - 4;
  for (let k = 0; k < lastWordAt; k += 4) if (arenaView.getInt32(at + k, true) !== v.getInt32(start + k, true)) return false;
  return arenaView.getInt32(at + lastWordAt, true) === v.getInt32(start + lastWordAt, true);
}

function acceptable(bytes: Uint8Array, start: number, end: number): boolean {
  const bom = end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf;
  return !bom && isWellFormedUtf8(bytes, start, end);
}

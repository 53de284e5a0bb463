// Owns one statistics node (a resource's cluster node, or a resource seen from one origin): one
// ring of 120 half-second buckets covering the minute, from which both of Sentinel's windows are
// read, and the in-flight concurrency. What a record adds is counters.ts's rule; each half of a
// record is placed by its own time (a CALL's exit half at dt + rtMs).
//
// One ring, two windows. A record updates one bucket of the ring (a LeapArray of 120 × 500 ms,
// placed by the record's own time with the usual reset/too-old rules), instead of one bucket in
// each of a 2 × 500 ms and a 60 × 1 s LeapArray. Reads give exactly what those two windows hold:
// - a LeapArray slot holds the newest bucket start ever placed into it, and every record of that
//   bucket (older ones were reset away or refused). The ring's slot (n mod 120) does the same for
//   its residue, and 120 is a multiple of both 2 and 2 × 60, so:
// - second window slot p (p = n mod 2) = the ring bucket with the newest start among the slots of
//   parity p;
// - minute window slot k (second mod 60) = the newest second held by ring slots 2k and 2k + 1,
//   made of whichever of those two hold a half of that second;
// - then, as before, a bucket counts at nowMs when its start lies in (nowMs − intervalMs, nowMs].
//
// Storage is allocated lazily, slot by slot. Most nodes of a large collector (the Zipf tail of
// resources, most origin nodes) touch a handful of the 120 slots, so a node keeps a directory
// (slot → its storage, 0 = the slot was never placed into, which reads as a slot whose start is
// -1) and storage only for the slots it has used, grown as new slots are placed into (2, 8, 32,
// then all 120 buckets). A slot keeps its storage once it has some: resets reuse it, so placement
// and reads are exactly those of a ring with every bucket allocated up front.
//
// reclaimBefore(nowMs) (the store calls it now and then) frees the buckets that started a minute
// or more before nowMs and shrinks the storage, so a node that touches a few slots a minute keeps
// a few buckets however long it lives. Such a bucket is outside both windows at nowMs and later.
// Placement differs from the full ring only for buckets at or before the newest freed start F: a
// freed slot reads as never used, so a record that the full ring would have refused there (older
// than what the slot held) or added to a freed bucket starts a fresh bucket instead, with a start
// ≤ F. Every slot is then either the same as in the full ring or holds a start ≤ F in both, and a
// read at nowMs or later never counts a bucket that old, nor lets one hide a newer bucket (the
// second window takes the newest start per parity; the minute window the newest second of a
// slot pair): reads at nowMs and later are exactly the full ring's.
//
//   block:     [bucket of the first slot used][bucket of the second slot used]…   (FIELD_COUNT each)
//   directory: 120 bytes: 1 + the bucket's number in the block for each ring slot, or 0
// The bucket last placed into is remembered in the node object itself (its bucket number, relative
// to BUCKET_NUMBER_BASE so that it stays a small integer, and its index), so a record for the same
// bucket as the one before touches the node and that bucket only.
// Both live in shared slabs (ring-storage.ts): no ArrayBuffer per node. A node that outgrows its
// block (or shrinks, after reclaimBefore) moves to a block of the new size. A store's nodes live in
// the store's own storage (they live as long as the store, and the storage goes with it); a node
// made on its own lives in RING_STORAGE and gives its blocks back when it is collected.

import type { NodeSnapshot } from './types.js';
import { addCounts, addEntryHalf, addExitHalf, C_BLOCK, clearCounters, C_EXCEPTION, C_MIN_RT, C_PASS, C_RT, C_SUCCESS, concurrencyDelta, exitTimeOf, hasEntryHalf, hasExitHalf, mergeCounters, STATISTIC_MAX_RT_MS } from './counters.js';
import { F_OCCUPIED, F_START, FIELD_COUNT } from './leap-window.js';
import { RingStorage } from './ring-storage.js';
import type { BucketStage } from './bucket-stage.js';

export const SECOND_SAMPLE_COUNT = 2;
export const SECOND_INTERVAL_MS = 1000;
export const MINUTE_SAMPLE_COUNT = 60;
export const MINUTE_INTERVAL_MS = 60_000;
/** The ring's bucket: the second window's bucket length. */
export const RING_BUCKET_MS = SECOND_INTERVAL_MS / SECOND_SAMPLE_COUNT;
/** The ring's bucket count: the minute window's span in half seconds. */
export const RING_SAMPLE_COUNT = MINUTE_INTERVAL_MS / RING_BUCKET_MS;
// Module-local names for the constants the hot path reads, imported or this module's own exports (V8
// folds these into the code; an exported or imported binding is read from its cell at every use:
// ARCHITECTURE.md, "Constants on the hot path").
const BUCKET_MS = RING_BUCKET_MS;
const SAMPLES = RING_SAMPLE_COUNT;
const START = F_START;
const OCCUPIED = F_OCCUPIED;
const FIELDS = FIELD_COUNT;
const MINUTE_BUCKET_MS = MINUTE_INTERVAL_MS / MINUTE_SAMPLE_COUNT;
/** Ring buckets per minute-window bucket. */
const HALVES = MINUTE_BUCKET_MS / BUCKET_MS;

/**
 * Bucket numbers (tsMs ÷ RING_BUCKET_MS) are remembered relative to this one (2024-01-01T00:00Z), so
 * that they fit V8's small integers (±2^30 half-seconds: 17 years either way); any other time is
 * still exact, only slower.
 */
const BUCKET_NUMBER_BASE = 1_704_067_200_000 / BUCKET_MS;
/** Buckets a node starts with (nodes are made for a record); then ×4 as slots are used, up to RING_SAMPLE_COUNT (capacityFor). */
const FIRST_CAPACITY = 2;
/** Growth factor of the storage: few moves as a node's ring fills. */
const GROWTH = 4;

/** Fields summed over a window, in the order of a WindowSums. */
const SUMMED = [C_PASS, C_BLOCK, C_SUCCESS, C_EXCEPTION, C_RT, OCCUPIED] as const;

/** A storage for nodes' rings (ring-storage.ts): shared slabs, one block and one directory per node. */
export function ringStorage(): RingStorage {
  return new RingStorage(SAMPLES);
}

/** Where the rings of nodes made without a storage live. */
export const RING_STORAGE = ringStorage();

/** A node's blocks, as the finalizer needs them to give them back once a node of RING_STORAGE is collected. */
interface Blocks {
  block: number;
  length: number;
  directory: number;
}
const giveBack = new FinalizationRegistry<Blocks>((b) => {
  RING_STORAGE.release(b.block, b.length);
  RING_STORAGE.releaseDirectory(b.directory);
});

export class NodeStats {
  readonly resource: string;
  readonly origin: string;
  concurrency = 0;
  /** The slab holding this node's block: `capacity` buckets from `at` (see the layout above). */
  private values: Float64Array;
  private at: number;
  private capacity: number;
  /** The byte slab holding this node's directory at `slotsAt`: per ring slot, 1 + the number of its bucket, or 0 when never placed into. */
  private readonly slots: Uint8Array;
  private readonly slotsAt: number;
  /** Buckets in use. */
  private used = 0;
  /** The bucket last placed into: its number − BUCKET_NUMBER_BASE, and its index in `values` (-1: none; look it up). */
  private lastBucket = 0;
  private lastIndex = -1;
  private readonly blocks: Blocks;
  private readonly storage: RingStorage;
  /** The store's stage (bucket-stage.ts) holding sums of this node not yet in its ring, or null; and this node's index there. */
  readonly stage: BucketStage | null;
  readonly stageIndex: number;

  /**
   * A node whose ring lives in `storage` (its owner's: the node never gives its blocks back, the
   * storage goes when its owner does), or in RING_STORAGE, given back when the node is collected.
   * With a `stage` (the store's), the store may stage this node's records there (rows: `rowId`,
   * -1 for none); the node's reads settle it there first (its staged and pending sums merged).
   * Its own writes (record, addCounts, mergeAt) go to the ring directly: merges of staged sums
   * commute with them (bucket-stage.ts).
   */
  constructor(resource: string, origin: string, storage?: RingStorage, stage?: BucketStage, rowId = -1) {
    this.resource = resource;
    this.origin = origin;
    this.stage = stage ?? null;
    this.stageIndex = stage === undefined ? -1 : stage.register(this, rowId);
    const st = (this.storage = storage ?? RING_STORAGE);
    const length = blockLength(FIRST_CAPACITY);
    const block = st.allocate(length);
    const directory = st.allocateDirectory();
    this.values = st.slabOf(block);
    this.at = st.offsetOf(block);
    this.capacity = FIRST_CAPACITY;
    this.slots = st.directorySlabOf(directory);
    this.slotsAt = st.directoryOffsetOf(directory);
    this.blocks = { block, length, directory };
    if (storage === undefined) giveBack.register(this, this.blocks);
  }

  /** How many of the ring's 120 buckets have storage (the slots placed into so far). */
  get bucketsUsed(): number {
    this.stage?.settle(this.stageIndex);
    return this.used;
  }

  /** Bytes of storage this node holds (its buckets, spare capacity and the slot directory). */
  get storageBytes(): number {
    this.stage?.settle(this.stageIndex);
    return blockLength(this.capacity) * Float64Array.BYTES_PER_ELEMENT + SAMPLES;
  }

  /** Applies one record (kind, own time, count, RT, error) to the ring and the concurrency: its entry half at tsMs, its exit half at exitTimeOf. */
  record(kind: number, tsMs: number, count: number, rtMs: number, error: boolean): void {
    this.concurrency += concurrencyDelta(kind, count);
    if (hasEntryHalf(kind)) this.addEntryAt(kind, tsMs, count);
    if (hasExitHalf(kind)) this.addExitAt(kind, exitTimeOf(kind, tsMs, rtMs), count, rtMs, error);
  }

  /** A record's entry half (counters.ts) placed at tsMs in the ring; the concurrency is the caller's. */
  addEntryAt(kind: number, tsMs: number, count: number): void {
    // -1: older than the ring (and so both windows) can hold there (the metric log still has the record).
    const b = this.slotAt(tsMs);
    if (b >= 0) addEntryHalf(this.values, b, kind, count);
  }

  /** A record's exit half placed at exitMs in the ring; the concurrency is the caller's. */
  addExitAt(kind: number, exitMs: number, count: number, rtMs: number, error: boolean): void {
    const b = this.slotAt(exitMs);
    if (b >= 0) addExitHalf(this.values, b, kind, count, rtMs, error);
  }

  /** Adds pre-aggregated counts (a restored second) without touching the concurrency. */
  addCounts(tsMs: number, pass: number, block: number, success: number, exception: number, rtSumMs: number): void {
    const b = this.slotAt(tsMs);
    if (b >= 0) addCounts(this.values, b, pass, block, success, exception, rtSumMs);
  }

  /** Adds counters in counters.ts's layout (src[sb…], e.g. a run of one bucket's records) at tsMs, without touching the concurrency. */
  mergeAt(tsMs: number, src: Float64Array, sb: number): void {
    const b = this.slotAt(tsMs);
    if (b >= 0) mergeCounters(this.values, b, src, sb);
  }

  /**
   * Index in `values` of tsMs's bucket (reset when its slot holds an older start, given storage
   * when the slot was never used), or -1 when the slot holds a newer start: leap-window.ts's
   * slotIn on a ring whose buckets are allocated as their slots are first used. tsMs is a
   * non-negative integer (below 2^53), so the floor divisions are exact.
   */
  private slotAt(tsMs: number): number {
    const n = Math.floor(tsMs / BUCKET_MS);
    const relative = n - BUCKET_NUMBER_BASE;
    if (relative === this.lastBucket && this.lastIndex >= 0) return this.lastIndex;
    let v = this.values;
    const start = n * BUCKET_MS;
    const slot = n - Math.floor(n / SAMPLES) * SAMPLES;
    const held = this.slots[this.slotsAt + slot]!;
    let base: number;
    if (held === 0) {
      // A slot never placed into holds start -1: any bucket resets it.
      base = this.allocate(slot);
      v = this.values;
    } else {
      base = this.at + (held - 1) * FIELDS;
      if (v[base + START]! > start) return -1;
    }
    this.lastBucket = relative;
    this.lastIndex = base;
    if (held !== 0 && v[base + START] === start) return base;
    v[base + START] = start;
    clearCounters(v, base);
    v[base + OCCUPIED] = 0;
    return base;
  }

  /** Gives `slot` the next free bucket (moving to a larger block when full); returns its index in `values`. */
  private allocate(slot: number): number {
    if (this.used === this.capacity) this.moveTo(capacityFor(this.capacity + 1), this.used);
    this.used++;
    this.slots[this.slotsAt + slot] = this.used;
    return this.at + (this.used - 1) * FIELDS;
  }

  /** Moves the first `buckets` buckets to a block for `capacity` buckets (the remembered bucket is forgotten). */
  private moveTo(capacity: number, buckets: number): void {
    const length = blockLength(capacity);
    const st = this.storage;
    const block = st.allocate(length);
    const v = st.slabOf(block);
    const at = st.offsetOf(block);
    const old = this.values;
    const from = this.at;
    for (let i = 0, end = buckets * FIELDS; i < end; i++) v[at + i] = old[from + i]!;
    this.lastIndex = -1;
    st.release(this.blocks.block, this.blocks.length);
    this.blocks.block = block;
    this.blocks.length = length;
    this.values = v;
    this.at = at;
    this.capacity = capacity;
  }

  /**
   * Gives back the storage of the buckets no read at nowMs or later can count (start ≤ nowMs −
   * 60 s, outside both windows), and shrinks the node's storage to fit the others. Reads at nowMs
   * and later are exactly as before (see the header); returns how many buckets were freed.
   */
  reclaimBefore(nowMs: number): number {
    // The node's staged and pending sums (bucket-stage.ts, pending-merges.ts) stay where they are:
    // merged later, a bucket of them still in the minute is placed as it would have been, and one
    // that left it starts a bucket no read at nowMs or later counts (the argument above).
    const used = this.used;
    if (used === 0) return 0;
    const v = this.values;
    const first = this.at;
    const cutoffMs = nowMs - MINUTE_INTERVAL_MS;
    let live = 0;
    for (let c = 0; c < used; c++) if (v[first + c * FIELDS + START]! > cutoffMs) live++;
    if (live === used) return 0;
    // Keep the live buckets, in order, at the front (moving only towards the front: safe in place).
    let next = 0;
    for (let c = 0; c < used; c++) {
      const from = first + c * FIELDS;
      const startMs = v[from + START]!;
      const slot = this.slotsAt + slotOfStart(startMs);
      if (startMs <= cutoffMs) {
        this.slots[slot] = 0;
        continue;
      }
      const to = first + next * FIELDS;
      if (to !== from) for (let f = 0; f < FIELDS; f++) v[to + f] = v[from + f]!;
      next++;
      this.slots[slot] = next;
    }
    // The remembered bucket may have moved or gone: the next placement looks it up again.
    this.lastIndex = -1;
    this.used = live;
    const capacity = capacityFor(live);
    if (capacity < this.capacity) this.moveTo(capacity, live);
    return used - live;
  }

  /** Index in `values` of ring slot i's bucket, or -1 when the slot was never placed into (start -1). */
  private bucketOf(i: number): number {
    const held = this.slots[this.slotsAt + i]!;
    return held === 0 ? -1 : this.at + (held - 1) * FIELDS;
  }

  snapshotAt(nowMs: number): NodeSnapshot {
    this.stage?.settle(this.stageIndex);
    const v = this.values;
    // Second window: per parity, the ring bucket with the newest start.
    const newest = [-1, -1];
    for (let i = 0; i < SAMPLES; i++) {
      const b = this.bucketOf(i);
      if (b < 0) continue;
      const p = i % SECOND_SAMPLE_COUNT;
      if (v[b + START]! >= 0 && (newest[p]! < 0 || v[b + START]! > v[newest[p]! + START]!)) newest[p] = b;
    }
    const sec = [0, 0, 0, 0, 0, 0];
    let minRt = STATISTIC_MAX_RT_MS;
    for (const b of newest) {
      if (b < 0 || !validAt(v[b + START]!, nowMs, SECOND_INTERVAL_MS)) continue;
      for (let f = 0; f < SUMMED.length; f++) sec[f] = sec[f]! + v[b + SUMMED[f]!]!;
      if (v[b + C_MIN_RT]! < minRt) minRt = v[b + C_MIN_RT]!;
    }
    // Minute window: per second slot k, the newest second its two ring buckets hold.
    const min = [0, 0, 0, 0, 0, 0];
    for (let k = 0; k < MINUTE_SAMPLE_COUNT; k++) {
      let newestSecStart = -1;
      for (let h = 0; h < HALVES; h++) {
        const b = this.bucketOf(k * HALVES + h);
        const s = b < 0 ? -1 : v[b + START]!;
        if (s >= 0) newestSecStart = Math.max(newestSecStart, s - (s % MINUTE_BUCKET_MS));
      }
      if (newestSecStart < 0 || !validAt(newestSecStart, nowMs, MINUTE_INTERVAL_MS)) continue;
      for (let h = 0; h < HALVES; h++) {
        const b = this.bucketOf(k * HALVES + h);
        if (b < 0) continue;
        const s = v[b + START]!;
        if (s < 0 || s - (s % MINUTE_BUCKET_MS) !== newestSecStart) continue;
        for (let f = 0; f < SUMMED.length; f++) min[f] = min[f]! + v[b + SUMMED[f]!]!;
      }
    }
    const seconds = SECOND_INTERVAL_MS / 1000;
    const [pass, block, success, exception, rt, occupied] = sec as [number, number, number, number, number, number];
    const [mPass, mBlock, mSuccess, mException, mRt, mOccupied] = min as [number, number, number, number, number, number];
    return {
      resource: this.resource,
      origin: this.origin,
      concurrency: this.concurrency,
      second: {
        passQps: pass / seconds,
        blockQps: block / seconds,
        successQps: success / seconds,
        exceptionQps: exception / seconds,
        totalQps: (pass + block) / seconds,
        occupiedPassQps: occupied / seconds,
        avgRtMs: success > 0 ? rt / success : 0,
        minRtMs: Math.max(1, minRt),
      },
      minute: {
        pass: mPass,
        block: mBlock,
        success: mSuccess,
        exception: mException,
        totalRequest: mPass + mBlock,
        rtSumMs: mRt,
        occupiedPass: mOccupied,
      },
    };
  }
}

/** Numbers in a node's block for `capacity` buckets. */
function blockLength(capacity: number): number {
  return capacity * FIELDS;
}

/** Storage (in buckets) for n buckets in use: 2, 8, 32, then the whole ring (120). */
function capacityFor(n: number): number {
  let c = FIRST_CAPACITY;
  while (c < n) c *= GROWTH;
  return Math.min(c, SAMPLES);
}

/** The ring slot of a bucket start (a multiple of RING_BUCKET_MS). */
function slotOfStart(startMs: number): number {
  const n = startMs / BUCKET_MS;
  return n - Math.floor(n / SAMPLES) * SAMPLES;
}

/** A bucket counts at nowMs when its start lies in (nowMs − intervalMs, nowMs], as LeapWindow reads it. */
function validAt(startMs: number, nowMs: number, intervalMs: number): boolean {
  return startMs > nowMs - intervalMs && startMs <= nowMs;
}

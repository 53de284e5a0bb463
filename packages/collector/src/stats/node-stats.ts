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
// -1) and storage only for the slots it has used, grown as new slots are placed into (2, 4, 8, …
// buckets, up to 120). A slot keeps its storage once it has some: resets reuse it, so placement
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
//   values: [header: start, end, storage index of the bucket last placed into]
//           [bucket of the first slot used][bucket of the second slot used]…   (FIELD_COUNT each)
//   slots:  Uint8Array(120): 1 + the bucket's number in `values` for each ring slot, or 0
//   (both views of one ArrayBuffer: one allocation per node, replaced when the storage is resized)

import type { NodeSnapshot } from './types.js';
import { addCounts, addEntryHalf, addExitHalf, C_BLOCK, clearCounters, C_EXCEPTION, C_MIN_RT, C_PASS, C_RT, C_SUCCESS, concurrencyDelta, exitTimeOf, hasEntryHalf, hasExitHalf, mergeCounters, STATISTIC_MAX_RT_MS } from './counters.js';
import { F_OCCUPIED, F_START, FIELD_COUNT, HEADER_SIZE } from './leap-window.js';

export const SECOND_SAMPLE_COUNT = 2;
export const SECOND_INTERVAL_MS = 1000;
export const MINUTE_SAMPLE_COUNT = 60;
export const MINUTE_INTERVAL_MS = 60_000;
/** The ring's bucket: the second window's bucket length. */
export const RING_BUCKET_MS = SECOND_INTERVAL_MS / SECOND_SAMPLE_COUNT;
/** The ring's bucket count: the minute window's span in half seconds. */
export const RING_SAMPLE_COUNT = MINUTE_INTERVAL_MS / RING_BUCKET_MS;
const MINUTE_BUCKET_MS = MINUTE_INTERVAL_MS / MINUTE_SAMPLE_COUNT;
/** Ring buckets per minute-window bucket. */
const HALVES = MINUTE_BUCKET_MS / RING_BUCKET_MS;

// The ring's header (the bucket last placed into) first, then its buckets in the order their slots were first used.
const RING_HEADER = 0;
const RING_BUCKETS = HEADER_SIZE;
/** Buckets allocated for a node's first placement; then doubled as slots are used, up to RING_SAMPLE_COUNT (capacityFor). */
const FIRST_CAPACITY = 2;

/** Fields summed over a window, in the order of a WindowSums. */
const SUMMED = [C_PASS, C_BLOCK, C_SUCCESS, C_EXCEPTION, C_RT, F_OCCUPIED] as const;

export class NodeStats {
  readonly resource: string;
  readonly origin: string;
  concurrency = 0;
  /** The header and the buckets of the slots used so far (see the layout above). */
  private values: Float64Array;
  /** Per ring slot: 1 + the number of its bucket in `values`, or 0 when never placed into (after `values` in the same buffer). */
  private slots: Uint8Array;
  /** Buckets in use in `values`. */
  private used = 0;

  constructor(resource: string, origin: string) {
    this.resource = resource;
    this.origin = origin;
    [this.values, this.slots] = storageFor(0);
    this.values[RING_HEADER] = -1;
    this.values[RING_HEADER + 1] = -1;
  }

  /** How many of the ring's 120 buckets have storage (the slots placed into so far). */
  get bucketsUsed(): number {
    return this.used;
  }

  /** Bytes of typed-array storage this node holds (its buckets, spare capacity and the slot directory). */
  get storageBytes(): number {
    return this.values.byteLength + this.slots.byteLength;
  }

  /** Applies one record (kind, own time, count, RT, error) to the ring and the concurrency: its entry half at tsMs, its exit half at exitTimeOf. */
  record(kind: number, tsMs: number, count: number, rtMs: number, error: boolean): void {
    this.concurrency += concurrencyDelta(kind, count);
    // -1: older than the ring (and so both windows) can hold there (the metric log still has the record).
    if (hasEntryHalf(kind)) {
      const b = this.slotAt(tsMs);
      if (b >= 0) addEntryHalf(this.values, b, kind, count);
    }
    if (hasExitHalf(kind)) {
      const b = this.slotAt(exitTimeOf(kind, tsMs, rtMs));
      if (b >= 0) addExitHalf(this.values, b, kind, count, rtMs, error);
    }
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
    let v = this.values;
    if (tsMs < v[RING_HEADER + 1]! && tsMs >= v[RING_HEADER]!) return v[RING_HEADER + 2]!;
    const n = Math.floor(tsMs / RING_BUCKET_MS);
    const start = n * RING_BUCKET_MS;
    const slot = n - Math.floor(n / RING_SAMPLE_COUNT) * RING_SAMPLE_COUNT;
    const held = this.slots[slot]!;
    let base: number;
    if (held === 0) {
      // A slot never placed into holds start -1: any bucket resets it.
      base = this.allocate(slot);
      v = this.values;
    } else {
      base = RING_BUCKETS + (held - 1) * FIELD_COUNT;
      if (v[base + F_START]! > start) return -1;
    }
    v[RING_HEADER] = start;
    v[RING_HEADER + 1] = start + RING_BUCKET_MS;
    v[RING_HEADER + 2] = base;
    if (held !== 0 && v[base + F_START] === start) return base;
    v[base + F_START] = start;
    clearCounters(v, base);
    v[base + F_OCCUPIED] = 0;
    return base;
  }

  /** Gives `slot` the next free bucket (growing the storage when full); returns its index in `values`. */
  private allocate(slot: number): number {
    const capacity = (this.values.length - RING_BUCKETS) / FIELD_COUNT;
    if (this.used === capacity) {
      const [values, slots] = storageFor(capacityFor(capacity + 1));
      values.set(this.values);
      slots.set(this.slots);
      this.values = values;
      this.slots = slots;
    }
    this.used++;
    this.slots[slot] = this.used;
    return RING_BUCKETS + (this.used - 1) * FIELD_COUNT;
  }

  /**
   * Gives back the storage of the buckets no read at nowMs or later can count (start ≤ nowMs −
   * 60 s, outside both windows), and shrinks the node's storage to fit the others. Reads at nowMs
   * and later are exactly as before (see the header); returns how many buckets were freed.
   */
  reclaimBefore(nowMs: number): number {
    const used = this.used;
    if (used === 0) return 0;
    const old = this.values;
    const cutoffMs = nowMs - MINUTE_INTERVAL_MS;
    let live = 0;
    for (let c = 0; c < used; c++) if (old[RING_BUCKETS + c * FIELD_COUNT + F_START]! > cutoffMs) live++;
    if (live === used) return 0;
    const capacity = capacityFor(live);
    // Storage of the right size: this one, or a new one whose slots are all 0 to begin with.
    const [v, slots] = capacity * FIELD_COUNT === old.length - RING_BUCKETS ? [old, this.slots] : storageFor(capacity);
    // Buckets move only towards the front, in order: copying in place is safe.
    let next = 0;
    for (let c = 0; c < used; c++) {
      const from = RING_BUCKETS + c * FIELD_COUNT;
      const startMs = old[from + F_START]!;
      const slot = slotOfStart(startMs);
      if (startMs <= cutoffMs) {
        slots[slot] = 0;
        continue;
      }
      const to = RING_BUCKETS + next * FIELD_COUNT;
      if (v !== old || to !== from) v.set(old.subarray(from, from + FIELD_COUNT), to);
      next++;
      slots[slot] = next;
    }
    // The cached bucket may have moved or gone: the next placement looks it up again.
    v[RING_HEADER] = -1;
    v[RING_HEADER + 1] = -1;
    this.values = v;
    this.slots = slots;
    this.used = live;
    return used - live;
  }

  /** Index in `values` of ring slot i's bucket, or -1 when the slot was never placed into (start -1). */
  private bucketOf(i: number): number {
    const held = this.slots[i]!;
    return held === 0 ? -1 : RING_BUCKETS + (held - 1) * FIELD_COUNT;
  }

  snapshotAt(nowMs: number): NodeSnapshot {
    const v = this.values;
    // Second window: per parity, the ring bucket with the newest start.
    const newest = [-1, -1];
    for (let i = 0; i < RING_SAMPLE_COUNT; i++) {
      const b = this.bucketOf(i);
      if (b < 0) continue;
      const p = i % SECOND_SAMPLE_COUNT;
      if (v[b + F_START]! >= 0 && (newest[p]! < 0 || v[b + F_START]! > v[newest[p]! + F_START]!)) newest[p] = b;
    }
    const sec = [0, 0, 0, 0, 0, 0];
    let minRt = STATISTIC_MAX_RT_MS;
    for (const b of newest) {
      if (b < 0 || !validAt(v[b + F_START]!, nowMs, SECOND_INTERVAL_MS)) continue;
      for (let f = 0; f < SUMMED.length; f++) sec[f] = sec[f]! + v[b + SUMMED[f]!]!;
      if (v[b + C_MIN_RT]! < minRt) minRt = v[b + C_MIN_RT]!;
    }
    // Minute window: per second slot k, the newest second its two ring buckets hold.
    const min = [0, 0, 0, 0, 0, 0];
    for (let k = 0; k < MINUTE_SAMPLE_COUNT; k++) {
      let newestSecStart = -1;
      for (let h = 0; h < HALVES; h++) {
        const b = this.bucketOf(k * HALVES + h);
        const s = b < 0 ? -1 : v[b + F_START]!;
        if (s >= 0) newestSecStart = Math.max(newestSecStart, s - (s % MINUTE_BUCKET_MS));
      }
      if (newestSecStart < 0 || !validAt(newestSecStart, nowMs, MINUTE_INTERVAL_MS)) continue;
      for (let h = 0; h < HALVES; h++) {
        const b = this.bucketOf(k * HALVES + h);
        if (b < 0) continue;
        const s = v[b + F_START]!;
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

/** A node's storage for `capacity` buckets: the header and buckets, then the slot directory (all 0), in one buffer. */
function storageFor(capacity: number): [Float64Array, Uint8Array] {
  const valuesLength = RING_BUCKETS + capacity * FIELD_COUNT;
  const buffer = new ArrayBuffer(valuesLength * Float64Array.BYTES_PER_ELEMENT + RING_SAMPLE_COUNT);
  return [new Float64Array(buffer, 0, valuesLength), new Uint8Array(buffer, valuesLength * Float64Array.BYTES_PER_ELEMENT, RING_SAMPLE_COUNT)];
}

/** Storage (in buckets) for n buckets in use: 0, then 2, 4, 8, … up to the whole ring. */
function capacityFor(n: number): number {
  if (n === 0) return 0;
  let c = FIRST_CAPACITY;
  while (c < n) c *= 2;
  return Math.min(c, RING_SAMPLE_COUNT);
}

/** The ring slot of a bucket start (a multiple of RING_BUCKET_MS). */
function slotOfStart(startMs: number): number {
  const n = startMs / RING_BUCKET_MS;
  return n - Math.floor(n / RING_SAMPLE_COUNT) * RING_SAMPLE_COUNT;
}

/** A bucket counts at nowMs when its start lies in (nowMs − intervalMs, nowMs], as LeapWindow reads it. */
function validAt(startMs: number, nowMs: number, intervalMs: number): boolean {
  return startMs > nowMs - intervalMs && startMs <= nowMs;
}

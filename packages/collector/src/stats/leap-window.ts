// Owns one Sentinel LeapArray in preallocated typed-array storage: `sampleCount` buckets of
// `intervalMs / sampleCount` each, every bucket holding the MetricBucket counters (counters.ts's
// layout, then occupied pass) and its start time side by side (8 numbers a bucket), plus a
// 3-number header caching the bucket last placed into. Events are placed by their own time. The storage can be shared (one array holding several windows). NodeStats does not
// keep its windows as LeapWindows: it keeps one ring of 500 ms buckets with the same placement
// rules (slotIn's, on storage allocated slot by slot) and reads both windows from it; LeapWindow
// is the plain form it is checked against.
//
//   time ──►  bucket i = floor(t / bucketMs) % sampleCount, start = t − t % bucketMs
//   ┌──────┬──────┬─────┬──────┐
//   │ b0   │ b1   │ ... │ bn-1 │   a slot whose start is older than the aligned start is reset
//   └──────┴──────┴─────┴──────┘   (a new lap); a slot already holding a newer start cannot
//                                  place the event (too old for this window): slotAt returns -1.
//
// Reading at nowMs counts the buckets whose start lies in (nowMs − intervalMs, nowMs]: exactly
// what Sentinel's values() returns after currentWindow(now) has recycled the current slot.

/** A bucket: the counters (counters.ts layout), then occupied pass, then the bucket's start. */
import { C_MIN_RT, clearCounters, COUNTER_FIELDS, STATISTIC_MAX_RT_MS } from './counters.js';

export { STATISTIC_MAX_RT_MS };

export const F_OCCUPIED = COUNTER_FIELDS;
/** The bucket's start (epoch ms); -1 = never used. */
export const F_START = COUNTER_FIELDS + 1;
export const FIELD_COUNT = COUNTER_FIELDS + 2;
/** Header: [start, end) of the bucket slotAt last returned, and that bucket's index in the storage. */
export const HEADER_SIZE = 3;

export class WindowShapeError extends Error {
  readonly code = 'E_WINDOW_SHAPE';
}

export class LeapWindow {
  readonly sampleCount: number;
  readonly intervalMs: number;
  readonly bucketMs: number;
  /** The storage; slotAt returns indexes into it. */
  readonly values: Float64Array;
  /** Index of this window's header in `values`. */
  readonly headerAt: number;
  /** Index of this window's first bucket in `values`. */
  readonly bucketsAt: number;

  /**
   * A window in `storage` (header at headerAt, sampleCount × FIELD_COUNT numbers at bucketsAt),
   * or in storage of its own when none is given.
   */
  constructor(sampleCount: number, intervalMs: number, storage?: Float64Array, headerAt = 0, bucketsAt = HEADER_SIZE) {
    if (!Number.isInteger(sampleCount) || sampleCount < 1 || !Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs % sampleCount !== 0) {
      throw new WindowShapeError(`E_WINDOW_SHAPE: intervalMs (${intervalMs}) must be a positive multiple of sampleCount (${sampleCount})`);
    }
    this.sampleCount = sampleCount;
    this.intervalMs = intervalMs;
    this.bucketMs = intervalMs / sampleCount;
    this.values = storage ?? new Float64Array(HEADER_SIZE + sampleCount * FIELD_COUNT);
    this.headerAt = headerAt;
    this.bucketsAt = bucketsAt;
    const v = this.values;
    v[headerAt] = -1;
    v[headerAt + 1] = -1;
    for (let i = 0; i < sampleCount; i++) {
      const b = bucketsAt + i * FIELD_COUNT;
      v[b + C_MIN_RT] = STATISTIC_MAX_RT_MS;
      v[b + F_START] = -1;
    }
  }

  /** Index of tsMs's bucket counters in `values` (resetting a stale slot), or -1 when the slot holds newer time. */
  slotAt(tsMs: number): number {
    return slotIn(this.values, this.headerAt, this.bucketsAt, this.bucketMs, this.sampleCount, tsMs);
  }

  /** Sum of one field over the buckets valid at nowMs. */
  sumAt(field: number, nowMs: number): number {
    let sum = 0;
    const low = nowMs - this.intervalMs;
    const v = this.values;
    for (let i = 0; i < this.sampleCount; i++) {
      const b = this.bucketsAt + i * FIELD_COUNT;
      const s = v[b + F_START]!;
      if (s > low && s <= nowMs) sum += v[b + field]!;
    }
    return sum;
  }

  /** Sentinel's minRt: the smallest bucket min RT valid at nowMs, from statisticMaxRt, floored at 1. */
  minRtAt(nowMs: number): number {
    let min = STATISTIC_MAX_RT_MS;
    const low = nowMs - this.intervalMs;
    const v = this.values;
    for (let i = 0; i < this.sampleCount; i++) {
      const b = this.bucketsAt + i * FIELD_COUNT;
      const s = v[b + F_START]!;
      if (s > low && s <= nowMs) {
        const m = v[b + C_MIN_RT]!;
        if (m < min) min = m;
      }
    }
    return Math.max(1, min);
  }
}

/**
 * slotAt for a window stored in `v` (header at h, buckets at bucketsAt). tsMs is a non-negative integer (below 2^53), so the
 * floor divisions are exact and stand in for the float modulo.
 */
export function slotIn(v: Float64Array, h: number, bucketsAt: number, bucketMs: number, sampleCount: number, tsMs: number): number {
  if (tsMs < v[h + 1]! && tsMs >= v[h]!) return v[h + 2]!;
  const n = Math.floor(tsMs / bucketMs);
  const start = n * bucketMs;
  const base = bucketsAt + (n - Math.floor(n / sampleCount) * sampleCount) * FIELD_COUNT;
  const held = v[base + F_START]!;
  if (held > start) return -1;
  v[h] = start;
  v[h + 1] = start + bucketMs;
  v[h + 2] = base;
  if (held === start) return base;
  v[base + F_START] = start;
  clearCounters(v, base);
  v[base + F_OCCUPIED] = 0;
  return base;
}

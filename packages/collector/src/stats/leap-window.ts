// Owns one Sentinel LeapArray in preallocated typed arrays: `sampleCount` buckets of
// `intervalMs / sampleCount` each, every bucket holding the MetricBucket counters (pass, block,
// success, exception, RT sum, occupied pass, min RT). Events are placed by their own time.
//
//   time ──►  bucket i = floor(t / bucketMs) % sampleCount, start = t − t % bucketMs
//   ┌──────┬──────┬─────┬──────┐
//   │ b0   │ b1   │ ... │ bn-1 │   a slot whose start is older than the aligned start is reset
//   └──────┴──────┴─────┴──────┘   (a new lap); a slot already holding a newer start cannot
//                                  place the event (too old for this window): slotAt returns -1.
//
// Reading at nowMs counts the buckets whose start lies in (nowMs − intervalMs, nowMs]: exactly
// what Sentinel's values() returns after currentWindow(now) has recycled the current slot.

export const F_PASS = 0;
export const F_BLOCK = 1;
export const F_SUCCESS = 2;
export const F_EXCEPTION = 3;
export const F_RT = 4;
export const F_OCCUPIED = 5;
export const F_MIN_RT = 6;
export const FIELD_COUNT = 7;

/** Sentinel's csp.sentinel.statistic.max.rt default: seeds (and caps) a bucket's min RT. */
export const STATISTIC_MAX_RT_MS = 5000;

export class WindowShapeError extends Error {
  readonly code = 'E_WINDOW_SHAPE';
}

export class LeapWindow {
  readonly sampleCount: number;
  readonly intervalMs: number;
  readonly bucketMs: number;
  /** Start (epoch ms) of each bucket; -1 = never used. */
  readonly starts: Float64Array;
  /** sampleCount × FIELD_COUNT counters. */
  readonly values: Float64Array;

  constructor(sampleCount: number, intervalMs: number) {
    if (!Number.isInteger(sampleCount) || sampleCount < 1 || !Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs % sampleCount !== 0) {
      throw new WindowShapeError(`E_WINDOW_SHAPE: intervalMs (${intervalMs}) must be a positive multiple of sampleCount (${sampleCount})`);
    }
    this.sampleCount = sampleCount;
    this.intervalMs = intervalMs;
    this.bucketMs = intervalMs / sampleCount;
    this.starts = new Float64Array(sampleCount).fill(-1);
    this.values = new Float64Array(sampleCount * FIELD_COUNT);
    for (let i = 0; i < sampleCount; i++) this.values[i * FIELD_COUNT + F_MIN_RT] = STATISTIC_MAX_RT_MS;
  }

  /** The last bucket slotAt returned (records mostly arrive in time order): [start, end) → base. */
  private lastStartMs = -1;
  private lastEndMs = -1;
  private lastBase = 0;

  /** Index of tsMs's bucket counters in `values` (resetting a stale slot), or -1 when the slot holds newer time. */
  slotAt(tsMs: number): number {
    if (tsMs < this.lastEndMs && tsMs >= this.lastStartMs) return this.lastBase;
    const start = tsMs - (tsMs % this.bucketMs);
    const idx = (start / this.bucketMs) % this.sampleCount;
    const held = this.starts[idx]!;
    const base = idx * FIELD_COUNT;
    if (held > start) return -1;
    this.lastStartMs = start;
    this.lastEndMs = start + this.bucketMs;
    this.lastBase = base;
    if (held === start) return base;
    this.starts[idx] = start;
    const v = this.values;
    v[base] = 0;
    v[base + 1] = 0;
    v[base + 2] = 0;
    v[base + 3] = 0;
    v[base + 4] = 0;
    v[base + 5] = 0;
    v[base + F_MIN_RT] = STATISTIC_MAX_RT_MS;
    return base;
  }

  /** Sum of one field over the buckets valid at nowMs. */
  sumAt(field: number, nowMs: number): number {
    let sum = 0;
    const low = nowMs - this.intervalMs;
    for (let i = 0; i < this.sampleCount; i++) {
      const s = this.starts[i]!;
      if (s > low && s <= nowMs) sum += this.values[i * FIELD_COUNT + field]!;
    }
    return sum;
  }

  /** Sentinel's minRt: the smallest bucket min RT valid at nowMs, from statisticMaxRt, floored at 1. */
  minRtAt(nowMs: number): number {
    let min = STATISTIC_MAX_RT_MS;
    const low = nowMs - this.intervalMs;
    for (let i = 0; i < this.sampleCount; i++) {
      const s = this.starts[i]!;
      if (s > low && s <= nowMs) {
        const m = this.values[i * FIELD_COUNT + F_MIN_RT]!;
        if (m < min) min = m;
      }
    }
    return Math.max(1, min);
  }

  /** One bucket's field if the bucket starting at startMs is held, else 0. */
  bucketValue(startMs: number, field: number): number {
    const idx = (startMs / this.bucketMs) % this.sampleCount;
    return this.starts[idx] === startMs ? this.values[idx * FIELD_COUNT + field]! : 0;
  }
}

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

import type { NodeSnapshot } from './types.js';
import { addCounts, addEntryHalf, addExitHalf, C_BLOCK, C_EXCEPTION, C_MIN_RT, C_PASS, C_RT, C_SUCCESS, concurrencyDelta, exitTimeOf, hasEntryHalf, hasExitHalf, mergeCounters, STATISTIC_MAX_RT_MS } from './counters.js';
import { F_OCCUPIED, F_START, FIELD_COUNT, HEADER_SIZE, slotIn } from './leap-window.js';

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

// The ring's header (the bucket last placed into) first, then its buckets.
const RING_HEADER = 0;
const RING_BUCKETS = HEADER_SIZE;
const STORAGE_SIZE = RING_BUCKETS + RING_SAMPLE_COUNT * FIELD_COUNT;

/** Fields summed over a window, in the order of a WindowSums. */
const SUMMED = [C_PASS, C_BLOCK, C_SUCCESS, C_EXCEPTION, C_RT, F_OCCUPIED] as const;

export class NodeStats {
  readonly resource: string;
  readonly origin: string;
  concurrency = 0;
  /** The ring (see the layout above). */
  private readonly values = new Float64Array(STORAGE_SIZE);

  constructor(resource: string, origin: string) {
    this.resource = resource;
    this.origin = origin;
    const v = this.values;
    v[RING_HEADER] = -1;
    v[RING_HEADER + 1] = -1;
    for (let i = 0; i < RING_SAMPLE_COUNT; i++) {
      const b = RING_BUCKETS + i * FIELD_COUNT;
      v[b + C_MIN_RT] = STATISTIC_MAX_RT_MS;
      v[b + F_START] = -1;
    }
  }

  /** Applies one record (kind, own time, count, RT, error) to the ring and the concurrency: its entry half at tsMs, its exit half at exitTimeOf. */
  record(kind: number, tsMs: number, count: number, rtMs: number, error: boolean): void {
    this.concurrency += concurrencyDelta(kind, count);
    // -1: older than the ring (and so both windows) can hold there (the metric log still has the record).
    const v = this.values;
    if (hasEntryHalf(kind)) {
      const b = slotIn(v, RING_HEADER, RING_BUCKETS, RING_BUCKET_MS, RING_SAMPLE_COUNT, tsMs);
      if (b >= 0) addEntryHalf(v, b, kind, count);
    }
    if (hasExitHalf(kind)) {
      const b = slotIn(v, RING_HEADER, RING_BUCKETS, RING_BUCKET_MS, RING_SAMPLE_COUNT, exitTimeOf(kind, tsMs, rtMs));
      if (b >= 0) addExitHalf(v, b, kind, count, rtMs, error);
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

  private slotAt(tsMs: number): number {
    return slotIn(this.values, RING_HEADER, RING_BUCKETS, RING_BUCKET_MS, RING_SAMPLE_COUNT, tsMs);
  }

  snapshotAt(nowMs: number): NodeSnapshot {
    const v = this.values;
    // Second window: per parity, the ring bucket with the newest start.
    const newest = [-1, -1];
    for (let i = 0; i < RING_SAMPLE_COUNT; i++) {
      const b = RING_BUCKETS + i * FIELD_COUNT;
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
        const s = v[RING_BUCKETS + (k * HALVES + h) * FIELD_COUNT + F_START]!;
        if (s >= 0) newestSecStart = Math.max(newestSecStart, s - (s % MINUTE_BUCKET_MS));
      }
      if (newestSecStart < 0 || !validAt(newestSecStart, nowMs, MINUTE_INTERVAL_MS)) continue;
      for (let h = 0; h < HALVES; h++) {
        const b = RING_BUCKETS + (k * HALVES + h) * FIELD_COUNT;
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

/** A bucket counts at nowMs when its start lies in (nowMs − intervalMs, nowMs], as LeapWindow reads it. */
function validAt(startMs: number, nowMs: number, intervalMs: number): boolean {
  return startMs > nowMs - intervalMs && startMs <= nowMs;
}

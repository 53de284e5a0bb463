// Owns one statistics node (a resource's cluster node, or a resource seen from one origin): one
// ring of 120 half-second buckets covering the minute, from which both of Sentinel's windows are
// read, and the in-flight concurrency, with Sentinel's recording rules per record kind:
//   PASS  pass += count, concurrency += count
//   BLOCK block += count
//   EXIT  success += count, rt += rtMs (once), minRt, exception += count if error, concurrency −= count
//   CALL  pass += 1, success += 1, rt += rtMs, exception += 1 if error (one record = entry and
//         exit, placed at its own time; concurrency unchanged)
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

import { RecordKind } from '@sentinel-wasi/protocol/encode';
import type { NodeSnapshot } from './types.js';
import { F_BLOCK, F_EXCEPTION, F_MIN_RT, F_OCCUPIED, F_PASS, F_RT, F_START, F_SUCCESS, FIELD_COUNT, HEADER_SIZE, STATISTIC_MAX_RT_MS, slotIn } from './leap-window.js';

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
const SUMMED = [F_PASS, F_BLOCK, F_SUCCESS, F_EXCEPTION, F_RT, F_OCCUPIED] as const;

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
      v[b + F_MIN_RT] = STATISTIC_MAX_RT_MS;
      v[b + F_START] = -1;
    }
  }

  /** Applies one record (kind, own time, count, RT, error) to the ring and the concurrency. */
  record(kind: number, tsMs: number, count: number, rtMs: number, error: boolean): void {
    const v = this.values;
    // -1: older than the ring (and so both windows) can hold there (the metric log still has the record).
    const b = slotIn(v, RING_HEADER, RING_BUCKETS, RING_BUCKET_MS, RING_SAMPLE_COUNT, tsMs);
    switch (kind) {
      case RecordKind.PASS:
        this.concurrency += count;
        if (b >= 0) v[b + F_PASS] = v[b + F_PASS]! + count;
        return;
      case RecordKind.BLOCK:
        if (b >= 0) v[b + F_BLOCK] = v[b + F_BLOCK]! + count;
        return;
      case RecordKind.EXIT:
        this.concurrency -= count;
        if (b >= 0) completion(v, b, count, rtMs, error);
        return;
      case RecordKind.CALL:
        if (b >= 0) {
          v[b + F_PASS] = v[b + F_PASS]! + 1;
          completion(v, b, 1, rtMs, error);
        }
        return;
    }
  }

  /** Adds pre-aggregated counts (a restored second, or a run of one bucket's records) without touching the concurrency. */
  addCounts(tsMs: number, pass: number, block: number, success: number, exception: number, rtSumMs: number, minRtMs = Number.POSITIVE_INFINITY): void {
    const v = this.values;
    const b = slotIn(v, RING_HEADER, RING_BUCKETS, RING_BUCKET_MS, RING_SAMPLE_COUNT, tsMs);
    if (b < 0) return;
    v[b + F_PASS] = v[b + F_PASS]! + pass;
    v[b + F_BLOCK] = v[b + F_BLOCK]! + block;
    v[b + F_SUCCESS] = v[b + F_SUCCESS]! + success;
    v[b + F_EXCEPTION] = v[b + F_EXCEPTION]! + exception;
    v[b + F_RT] = v[b + F_RT]! + rtSumMs;
    if (minRtMs < v[b + F_MIN_RT]!) v[b + F_MIN_RT] = minRtMs;
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
      if (v[b + F_MIN_RT]! < minRt) minRt = v[b + F_MIN_RT]!;
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

/** success += count, exception += count if error, RT += rtMs once, min RT. */
function completion(v: Float64Array, b: number, count: number, rtMs: number, error: boolean): void {
  v[b + F_SUCCESS] = v[b + F_SUCCESS]! + count;
  if (error) v[b + F_EXCEPTION] = v[b + F_EXCEPTION]! + count;
  v[b + F_RT] = v[b + F_RT]! + rtMs;
  if (rtMs < v[b + F_MIN_RT]!) v[b + F_MIN_RT] = rtMs;
}

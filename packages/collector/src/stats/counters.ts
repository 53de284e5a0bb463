// Owns the record-kind → counter rules and the one counter layout every aggregate uses: a window
// bucket of a node (resource, origin or the total node), the total node's pending run and a
// per-second row of the metric log all hold COUNTER_FIELDS numbers at some base index of a
// Float64Array, in this order, and are updated only through these functions:
//   PASS  pass += count                     concurrency += count
//   BLOCK block += count
//   EXIT  success += count, exception += count if error, RT += rtMs (once), min RT
//                                           concurrency −= count
//   CALL  one PASS of 1 at dt plus one EXIT of 1 at dt + rtMs, as Sentinel records an entry and
//         its exit: the *entry half* (pass += 1) goes where dt falls, the *exit half* (success,
//         exception, RT, min RT) where dt + rtMs falls, which may be a later bucket and second.
//         Concurrency is unchanged.
// Every record has an entry half (what it adds at its own time, dt) and an exit half (what it adds
// at exitTimeOf): PASS and BLOCK have only the first, EXIT only the second, CALL both.

import { RecordKind } from '@sentinel-wasi/protocol/encode';

export const C_PASS = 0;
export const C_BLOCK = 1;
export const C_SUCCESS = 2;
export const C_EXCEPTION = 3;
/** Sum of RT, ms. */
export const C_RT = 4;
/** Smallest RT, ms; STATISTIC_MAX_RT_MS when nothing completed. */
export const C_MIN_RT = 5;
export const COUNTER_FIELDS = 6;

/** Sentinel's csp.sentinel.statistic.max.rt default: seeds (and caps) a bucket's min RT. */
export const STATISTIC_MAX_RT_MS = 5000;

/** Zeroes the counters at v[b…] (min RT back to its seed). */
export function clearCounters(v: Float64Array, b: number): void {
  v[b + C_PASS] = 0;
  v[b + C_BLOCK] = 0;
  v[b + C_SUCCESS] = 0;
  v[b + C_EXCEPTION] = 0;
  v[b + C_RT] = 0;
  v[b + C_MIN_RT] = STATISTIC_MAX_RT_MS;
}

/** When a record's exit half happens: dt + rtMs for a CALL, dt for every other kind. */
export function exitTimeOf(kind: number, tsMs: number, rtMs: number): number {
  return kind === RecordKind.CALL ? tsMs + rtMs : tsMs;
}

/** Applies a record's entry half (see above) to the counters at v[b…]. */
export function addEntryHalf(v: Float64Array, b: number, kind: number, count: number): void {
  switch (kind) {
    case RecordKind.PASS:
      v[b + C_PASS] = v[b + C_PASS]! + count;
      return;
    case RecordKind.BLOCK:
      v[b + C_BLOCK] = v[b + C_BLOCK]! + count;
      return;
    case RecordKind.CALL:
      v[b + C_PASS] = v[b + C_PASS]! + 1;
      return;
  }
}

/** Applies a record's exit half (see above) to the counters at v[b…]. */
export function addExitHalf(v: Float64Array, b: number, kind: number, count: number, rtMs: number, error: boolean): void {
  if (kind === RecordKind.EXIT) addCompletion(v, b, count, rtMs, error);
  else if (kind === RecordKind.CALL) addCompletion(v, b, 1, rtMs, error);
}

/** Whether a record kind has an exit half. */
export function hasExitHalf(kind: number): boolean {
  return kind === RecordKind.EXIT || kind === RecordKind.CALL;
}

/** Whether a record kind has an entry half. */
export function hasEntryHalf(kind: number): boolean {
  return kind !== RecordKind.EXIT;
}

/** The in-flight change one record makes: +count on PASS, −count on EXIT, 0 otherwise. */
export function concurrencyDelta(kind: number, count: number): number {
  return kind === RecordKind.PASS ? count : kind === RecordKind.EXIT ? -count : 0;
}

/** Adds the counters at src[sb…] to dst[db…] (sums, and the smaller min RT). */
export function mergeCounters(dst: Float64Array, db: number, src: Float64Array, sb: number): void {
  dst[db + C_PASS] = dst[db + C_PASS]! + src[sb + C_PASS]!;
  dst[db + C_BLOCK] = dst[db + C_BLOCK]! + src[sb + C_BLOCK]!;
  dst[db + C_SUCCESS] = dst[db + C_SUCCESS]! + src[sb + C_SUCCESS]!;
  dst[db + C_EXCEPTION] = dst[db + C_EXCEPTION]! + src[sb + C_EXCEPTION]!;
  dst[db + C_RT] = dst[db + C_RT]! + src[sb + C_RT]!;
  if (src[sb + C_MIN_RT]! < dst[db + C_MIN_RT]!) dst[db + C_MIN_RT] = src[sb + C_MIN_RT]!;
}

/** Adds pre-aggregated counts (a checkpointed or metric-log second: no min RT) to v[b…]. */
export function addCounts(v: Float64Array, b: number, pass: number, block: number, success: number, exception: number, rtSumMs: number): void {
  v[b + C_PASS] = v[b + C_PASS]! + pass;
  v[b + C_BLOCK] = v[b + C_BLOCK]! + block;
  v[b + C_SUCCESS] = v[b + C_SUCCESS]! + success;
  v[b + C_EXCEPTION] = v[b + C_EXCEPTION]! + exception;
  v[b + C_RT] = v[b + C_RT]! + rtSumMs;
}

/** success += count, exception += count if error, RT += rtMs once, min RT. */
function addCompletion(v: Float64Array, b: number, count: number, rtMs: number, error: boolean): void {
  v[b + C_SUCCESS] = v[b + C_SUCCESS]! + count;
  if (error) v[b + C_EXCEPTION] = v[b + C_EXCEPTION]! + count;
  v[b + C_RT] = v[b + C_RT]! + rtMs;
  if (rtMs < v[b + C_MIN_RT]!) v[b + C_MIN_RT] = rtMs;
}

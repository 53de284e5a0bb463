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

// The functions below read the offsets, the seed and the kinds through this module's own
// (unexported) constants, which V8 folds into their compiled code and into every caller they are
// inlined into; an exported or imported binding is read from its module cell, with a check, at every
// use (ARCHITECTURE.md, "Constants on the hot path").
const PASS = 0;
const BLOCK = 1;
const SUCCESS = 2;
const EXCEPTION = 3;
const RT = 4;
const MIN_RT = 5;
const MAX_RT_MS = 5000;
const Kind = RecordKind;

export const C_PASS = PASS;
export const C_BLOCK = BLOCK;
export const C_SUCCESS = SUCCESS;
export const C_EXCEPTION = EXCEPTION;
/** Sum of RT, ms. */
export const C_RT = RT;
/** Smallest RT, ms; STATISTIC_MAX_RT_MS when nothing completed. */
export const C_MIN_RT = MIN_RT;
export const COUNTER_FIELDS = 6;

/** Sentinel's csp.sentinel.statistic.max.rt default: seeds (and caps) a bucket's min RT. */
export const STATISTIC_MAX_RT_MS = MAX_RT_MS;

/** Zeroes the counters at v[b…] (min RT back to its seed). */
export function clearCounters(v: Float64Array, b: number): void {
  v[b + PASS] = 0;
  v[b + BLOCK] = 0;
  v[b + SUCCESS] = 0;
  v[b + EXCEPTION] = 0;
  v[b + RT] = 0;
  v[b + MIN_RT] = MAX_RT_MS;
}

/** When a record's exit half happens: dt + rtMs for a CALL, dt for every other kind. */
export function exitTimeOf(kind: number, tsMs: number, rtMs: number): number {
  return kind === Kind.CALL ? tsMs + rtMs : tsMs;
}

/** Applies a record's entry half (see above) to the counters at v[b…]. */
export function addEntryHalf(v: Float64Array, b: number, kind: number, count: number): void {
  switch (kind) {
    case Kind.PASS:
      v[b + PASS] = v[b + PASS]! + count;
      return;
    case Kind.BLOCK:
      v[b + BLOCK] = v[b + BLOCK]! + count;
      return;
    case Kind.CALL:
      v[b + PASS] = v[b + PASS]! + 1;
      return;
  }
}

/** Applies a record's exit half (see above) to the counters at v[b…]. */
export function addExitHalf(v: Float64Array, b: number, kind: number, count: number, rtMs: number, error: boolean): void {
  if (kind === Kind.EXIT) addCompletion(v, b, count, rtMs, error);
  else if (kind === Kind.CALL) addCompletion(v, b, 1, rtMs, error);
}

/** Whether a record kind has an exit half. */
export function hasExitHalf(kind: number): boolean {
  return kind === Kind.EXIT || kind === Kind.CALL;
}

/** Whether a record kind has an entry half. */
export function hasEntryHalf(kind: number): boolean {
  return kind !== Kind.EXIT;
}

/** The in-flight change one record makes: +count on PASS, −count on EXIT, 0 otherwise. */
export function concurrencyDelta(kind: number, count: number): number {
  return kind === Kind.PASS ? count : kind === Kind.EXIT ? -count : 0;
}

/** Adds the counters at src[sb…] to dst[db…] (sums, and the smaller min RT). */
export function mergeCounters(dst: Float64Array, db: number, src: Float64Array, sb: number): void {
  dst[db + PASS] = dst[db + PASS]! + src[sb + PASS]!;
  dst[db + BLOCK] = dst[db + BLOCK]! + src[sb + BLOCK]!;
  dst[db + SUCCESS] = dst[db + SUCCESS]! + src[sb + SUCCESS]!;
  dst[db + EXCEPTION] = dst[db + EXCEPTION]! + src[sb + EXCEPTION]!;
  dst[db + RT] = dst[db + RT]! + src[sb + RT]!;
  if (src[sb + MIN_RT]! < dst[db + MIN_RT]!) dst[db + MIN_RT] = src[sb + MIN_RT]!;
}

/** Adds pre-aggregated counts (a checkpointed or metric-log second: no min RT) to v[b…]. */
export function addCounts(v: Float64Array, b: number, pass: number, block: number, success: number, exception: number, rtSumMs: number): void {
  v[b + PASS] = v[b + PASS]! + pass;
  v[b + BLOCK] = v[b + BLOCK]! + block;
  v[b + SUCCESS] = v[b + SUCCESS]! + success;
  v[b + EXCEPTION] = v[b + EXCEPTION]! + exception;
  v[b + RT] = v[b + RT]! + rtSumMs;
}

/** success += count, exception += count if error, RT += rtMs once, min RT. */
function addCompletion(v: Float64Array, b: number, count: number, rtMs: number, error: boolean): void {
  v[b + SUCCESS] = v[b + SUCCESS]! + count;
  if (error) v[b + EXCEPTION] = v[b + EXCEPTION]! + count;
  v[b + RT] = v[b + RT]! + rtMs;
  if (rtMs < v[b + MIN_RT]!) v[b + MIN_RT] = rtMs;
}

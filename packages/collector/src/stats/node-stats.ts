// Owns one statistics node (a resource's cluster node, or a resource seen from one origin): the
// second window (2 × 500 ms) and the minute window (60 × 1 s), kept in one typed array, and the
// in-flight concurrency, with Sentinel's recording rules per record kind:
//   PASS  pass += count, concurrency += count
//   BLOCK block += count
//   EXIT  success += count, rt += rtMs (once), minRt, exception += count if error, concurrency −= count
//   CALL  pass += 1, success += 1, rt += rtMs, exception += 1 if error (one record = entry and
//         exit, placed at its own time; concurrency unchanged)

import { RecordKind } from '@sentinel-wasi/protocol/encode';
import type { NodeSnapshot } from './types.js';
import { F_BLOCK, F_EXCEPTION, F_MIN_RT, F_OCCUPIED, F_PASS, F_RT, F_SUCCESS, FIELD_COUNT, HEADER_SIZE, LeapWindow, slotIn } from './leap-window.js';

export const SECOND_SAMPLE_COUNT = 2;
export const SECOND_INTERVAL_MS = 1000;
export const MINUTE_SAMPLE_COUNT = 60;
export const MINUTE_INTERVAL_MS = 60_000;
const SECOND_BUCKET_MS = SECOND_INTERVAL_MS / SECOND_SAMPLE_COUNT;
const MINUTE_BUCKET_MS = MINUTE_INTERVAL_MS / MINUTE_SAMPLE_COUNT;

// Both windows in one array: the two headers first (the numbers every record reads), then the
// second window's buckets, then the minute window's.
const SECOND_HEADER = 0;
const MINUTE_HEADER = HEADER_SIZE;
const SECOND_BUCKETS = 2 * HEADER_SIZE;
const MINUTE_BUCKETS = SECOND_BUCKETS + SECOND_SAMPLE_COUNT * FIELD_COUNT;
const STORAGE_SIZE = MINUTE_BUCKETS + MINUTE_SAMPLE_COUNT * FIELD_COUNT;

export class NodeStats {
  readonly resource: string;
  readonly origin: string;
  concurrency = 0;
  /** Both windows' numbers (see the layout above). */
  private readonly values = new Float64Array(STORAGE_SIZE);
  readonly second = new LeapWindow(SECOND_SAMPLE_COUNT, SECOND_INTERVAL_MS, this.values, SECOND_HEADER, SECOND_BUCKETS);
  readonly minute = new LeapWindow(MINUTE_SAMPLE_COUNT, MINUTE_INTERVAL_MS, this.values, MINUTE_HEADER, MINUTE_BUCKETS);

  constructor(resource: string, origin: string) {
    this.resource = resource;
    this.origin = origin;
  }

  /** Applies one record (kind, own time, count, RT, error) to both windows and the concurrency. */
  record(kind: number, tsMs: number, count: number, rtMs: number, error: boolean): void {
    // A slot of -1: older than that window can hold there (the metric log still has the record).
    const v = this.values;
    const sb = slotIn(v, SECOND_HEADER, SECOND_BUCKETS, SECOND_BUCKET_MS, SECOND_SAMPLE_COUNT, tsMs);
    const mb = slotIn(v, MINUTE_HEADER, MINUTE_BUCKETS, MINUTE_BUCKET_MS, MINUTE_SAMPLE_COUNT, tsMs);
    switch (kind) {
      case RecordKind.PASS:
        this.concurrency += count;
        if (sb >= 0) v[sb + F_PASS] = v[sb + F_PASS]! + count;
        if (mb >= 0) v[mb + F_PASS] = v[mb + F_PASS]! + count;
        return;
      case RecordKind.BLOCK:
        if (sb >= 0) v[sb + F_BLOCK] = v[sb + F_BLOCK]! + count;
        if (mb >= 0) v[mb + F_BLOCK] = v[mb + F_BLOCK]! + count;
        return;
      case RecordKind.EXIT:
        this.concurrency -= count;
        if (sb >= 0) completion(v, sb, count, rtMs, error);
        if (mb >= 0) completion(v, mb, count, rtMs, error);
        return;
      case RecordKind.CALL:
        if (sb >= 0) {
          v[sb + F_PASS] = v[sb + F_PASS]! + 1;
          completion(v, sb, 1, rtMs, error);
        }
        if (mb >= 0) {
          v[mb + F_PASS] = v[mb + F_PASS]! + 1;
          completion(v, mb, 1, rtMs, error);
        }
        return;
    }
  }

  /** Adds pre-aggregated counts (a restored second) without touching the concurrency. */
  addCounts(tsMs: number, pass: number, block: number, success: number, exception: number, rtSumMs: number): void {
    for (const w of [this.second, this.minute]) {
      const b = w.slotAt(tsMs);
      if (b < 0) continue;
      const v = w.values;
      v[b + F_PASS] = v[b + F_PASS]! + pass;
      v[b + F_BLOCK] = v[b + F_BLOCK]! + block;
      v[b + F_SUCCESS] = v[b + F_SUCCESS]! + success;
      v[b + F_EXCEPTION] = v[b + F_EXCEPTION]! + exception;
      v[b + F_RT] = v[b + F_RT]! + rtSumMs;
    }
  }

  snapshotAt(nowMs: number): NodeSnapshot {
    const s = this.second;
    const seconds = SECOND_INTERVAL_MS / 1000;
    const pass = s.sumAt(F_PASS, nowMs);
    const block = s.sumAt(F_BLOCK, nowMs);
    const success = s.sumAt(F_SUCCESS, nowMs);
    const rt = s.sumAt(F_RT, nowMs);
    const m = this.minute;
    const mPass = m.sumAt(F_PASS, nowMs);
    const mBlock = m.sumAt(F_BLOCK, nowMs);
    return {
      resource: this.resource,
      origin: this.origin,
      concurrency: this.concurrency,
      second: {
        passQps: pass / seconds,
        blockQps: block / seconds,
        successQps: success / seconds,
        exceptionQps: s.sumAt(F_EXCEPTION, nowMs) / seconds,
        totalQps: (pass + block) / seconds,
        occupiedPassQps: s.sumAt(F_OCCUPIED, nowMs) / seconds,
        avgRtMs: success > 0 ? rt / success : 0,
        minRtMs: s.minRtAt(nowMs),
      },
      minute: {
        pass: mPass,
        block: mBlock,
        success: m.sumAt(F_SUCCESS, nowMs),
        exception: m.sumAt(F_EXCEPTION, nowMs),
        totalRequest: mPass + mBlock,
        rtSumMs: m.sumAt(F_RT, nowMs),
        occupiedPass: m.sumAt(F_OCCUPIED, nowMs),
      },
    };
  }
}

/** success += count, exception += count if error, RT += rtMs once, min RT. */
function completion(v: Float64Array, b: number, count: number, rtMs: number, error: boolean): void {
  v[b + F_SUCCESS] = v[b + F_SUCCESS]! + count;
  if (error) v[b + F_EXCEPTION] = v[b + F_EXCEPTION]! + count;
  v[b + F_RT] = v[b + F_RT]! + rtMs;
  if (rtMs < v[b + F_MIN_RT]!) v[b + F_MIN_RT] = rtMs;
}

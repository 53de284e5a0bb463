// Owns the per-second aggregates that become metric-log lines: for one epoch second, one row per
// resource that had activity, in counters.ts's layout (pass, block, success, exception, RT sum;
// its min RT is kept but not written). Rows are preallocated typed arrays indexed through a
// resource-id table, so adding a record allocates nothing.

import { C_BLOCK, C_EXCEPTION, C_PASS, C_RT, C_SUCCESS, clearCounters, COUNTER_FIELDS } from './counters.js';
import type { SecondLine } from './types.js';

const ROW_FIELDS = COUNTER_FIELDS;

export class SecondBatch {
  sec = 0;
  /** Resource id → row index, -1 when the resource has no row. Sized for every possible id. */
  private readonly rowOf: Int32Array;
  /** Row index → resource id. */
  private ids: Int32Array;
  private rows: Float64Array;
  /** Scratch for toLines' sort. */
  private keys = new Float64Array(0);
  rowCount = 0;

  constructor(idCapacity: number) {
    this.rowOf = new Int32Array(idCapacity).fill(-1);
    this.ids = new Int32Array(16);
    this.rows = new Float64Array(16 * ROW_FIELDS);
  }

  /** Clears the batch for reuse as second `sec`. */
  reset(sec: number): void {
    for (let r = 0; r < this.rowCount; r++) this.rowOf[this.ids[r]!] = -1;
    this.rowCount = 0;
    this.sec = sec;
  }

  /** Offset of resource `id`'s row in `values`, creating the row if needed. */
  rowBase(id: number): number {
    let r = this.rowOf[id]!;
    if (r < 0) {
      r = this.rowCount++;
      if (r >= this.ids.length) this.grow();
      this.rowOf[id] = r;
      this.ids[r] = id;
      clearCounters(this.rows, r * ROW_FIELDS);
    }
    return r * ROW_FIELDS;
  }

  /**
   * The rows' storage. rowBase may replace it (a new row can grow the storage): call rowBase
   * first, then read values (`f(batch.values, batch.rowBase(id))` would write into the old array).
   */
  get values(): Float64Array {
    return this.rows;
  }

  idAt(row: number): number {
    return this.ids[row]!;
  }

  private grow(): void {
    const ids = new Int32Array(this.ids.length * 2);
    ids.set(this.ids);
    this.ids = ids;
    const rows = new Float64Array(this.rows.length * 2);
    rows.set(this.rows);
    this.rows = rows;
  }

  /**
   * The batch as metric-log lines, sorted by resource name: by `ranks` (id → place in name order,
   * equal names sharing one), rows of equal place in the order they were created.
   */
  toLines(nameOf: (id: number) => string, ranks: Int32Array): SecondLine[] {
    const n = this.rowCount;
    // One number per row, rank × span + row index, sorted as numbers: ranks and row indexes are
    // below the id capacity (the span), so the key is exact while the capacity is below 2^26.
    const span = this.rowOf.length;
    const keys = this.sortKeys(n);
    for (let r = 0; r < n; r++) keys[r] = ranks[this.ids[r]!]! * span + r;
    keys.sort();
    const lines: SecondLine[] = new Array<SecondLine>(n);
    const v = this.rows;
    const timestampMs = this.sec * 1000;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const r = key - Math.floor(key / span) * span;
      const b = r * ROW_FIELDS;
      const success = v[b + C_SUCCESS]!;
      const rt = v[b + C_RT]!;
      lines[i] = {
        timestampMs,
        resource: nameOf(this.ids[r]!),
        pass: v[b + C_PASS]!,
        block: v[b + C_BLOCK]!,
        success,
        exception: v[b + C_EXCEPTION]!,
        // Sentinel's MetricNode: integer RT ÷ success, raw RT when there was no success.
        rtMs: success > 0 ? Math.floor(rt / success) : rt,
        occupiedPass: 0,
        // Java clients never fill this column on the logging path (always 0); neither do we.
        concurrency: 0,
        classification: 0,
        rtSumMs: rt,
      };
    }
    return lines;
  }

  private sortKeys(n: number): Float64Array {
    if (this.keys.length < n) this.keys = new Float64Array(this.ids.length);
    return this.keys.subarray(0, n);
  }

  /** Rows as [resourceName, pass, block, success, exception, rtSum] for the checkpoint. */
  toRows(nameOf: (id: number) => string): Array<[string, number, number, number, number, number]> {
    const out: Array<[string, number, number, number, number, number]> = [];
    for (let r = 0; r < this.rowCount; r++) {
      const b = r * ROW_FIELDS;
      const v = this.rows;
      out.push([nameOf(this.ids[r]!), v[b + C_PASS]!, v[b + C_BLOCK]!, v[b + C_SUCCESS]!, v[b + C_EXCEPTION]!, v[b + C_RT]!]);
    }
    return out;
  }
}

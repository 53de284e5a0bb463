// Owns the store's staging of one half-second bucket: the halves of records that fall in the
// bucket being counted now, summed per node in one dense array (every node's counters of that
// bucket side by side, counters.ts's layout) instead of in each node's own ring and per-second
// row as they come. When the records move on to another bucket, or before anything reads a node,
// a row or a batch (flush, called through the store's pending writes and by NodeStats' reads),
// each node the stage touched gets its sums once: for a resource node, merged into its row of the
// bucket's second, and for every node kept as a pending merge of its ring bucket
// (pending-merges.ts), merged (NodeStats.mergeAt, with the ring's placement rules) when the node is
// read (settle), or dropped once no read can count it.
// The total node (sumsTo) gets the sum of the resource nodes' sums the same way: every record the
// store stages is on exactly one resource node, so that is its share of the total's bucket and row.
//
// Merging a node's sums for bucket B at once leaves its ring and row exactly as the records one by
// one would: sums commute, and for the ring slot of B what else was placed there meanwhile
// (directly: a record of another bucket, a late record, restored counts) can only be another lap
// of that slot, B ± k·60 s; whichever of B and it is newer holds the slot in the end either way
// (the older one's counts were reset away or refused), with the same counts.
// The stage holds only a bucket whose second is pending (after the last sealed second), and is
// emptied before a second is sealed or the sealed front moves (SecondBatches settles first), so its
// batch is never sealed or reused under it. Sums are added only while a bucket is staged: a caller
// that did anything which may have flushed (a lookup that reads the store) checks holds() again.
// Nodes' own direct writes (NodeStats.record, addCounts) bypass the stage: correct because merges
// commute with them, by the argument above.

import { addEntryHalf, addExitHalf, clearCounters, COUNTER_FIELDS, mergeCounters } from './counters.js';
import { RING_BUCKET_MS, type NodeStats } from './node-stats.js';
import { PendingMerges } from './pending-merges.js';
// Module-local names for imported constants the hot path reads (V8 folds these into the code;
// an imported binding is read from its cell at every use: ARCHITECTURE.md, "Constants on the hot path").
const FIELDS = COUNTER_FIELDS;
const BUCKET_MS = RING_BUCKET_MS;
import type { SecondBatch } from './second-batch.js';

const FIRST_CAPACITY = 64;

export class BucketStage {
  /** The staged bucket: [startMs, endMs), NaN when none. */
  private startMs = Number.NaN;
  private endMs = Number.NaN;
  /** The pending batch of the staged bucket's second (resource nodes' rows go there). */
  private batch: SecondBatch | null = null;
  /** By stage index: the node, and its row id (a resource's id; -1: no row, an origin node). */
  private readonly nodes: NodeStats[] = [];
  private rowIds = new Int32Array(FIRST_CAPACITY);
  /** By stage index: the node's sums for the staged bucket (current when its stamp is `stamp`). */
  private values = new Float64Array(FIRST_CAPACITY * FIELDS);
  private stamps = new Int32Array(FIRST_CAPACITY);
  private stamp = 1;
  /** The nodes' sums of buckets the stage has left, until the nodes are read (pending-merges.ts). */
  private readonly pending = new PendingMerges(this.nodes);
  /** Where the resource nodes' sums go as well (the total node and its row id), and their sum. */
  private total: NodeStats | null = null;
  private totalRowId = -1;
  private readonly totalSums = new Float64Array(FIELDS);
  /** Stage indexes touched since the last flush, in order. */
  private touched = new Int32Array(FIRST_CAPACITY);
  private touchedCount = 0;

  /** Gives `node` a stage index (its rows: row id `rowId`, or -1 for none); returns it. */
  register(node: NodeStats, rowId: number): number {
    const index = this.nodes.length;
    if (index === this.rowIds.length) this.grow();
    this.nodes.push(node);
    this.rowIds[index] = rowId;
    return index;
  }

  /** Gives `node` (row id `rowId`) the sum of the resource nodes' (row id ≥ 0) sums at every flush. */
  sumsTo(node: NodeStats, rowId: number): void {
    this.total = node;
    this.totalRowId = rowId;
  }

  /** Whether atMs falls in the staged bucket. */
  holds(atMs: number): boolean {
    return atMs >= this.startMs && atMs < this.endMs;
  }

  /** The store's clock is at nowMs: sums of buckets no read from nowMs − READ_LAG_MS on can count need never reach a ring. */
  observeNow(nowMs: number): void {
    this.pending.observeNow(nowMs);
  }

  /** Before node `index` is read or changed as a whole: flushes, and merges the node's pending sums into its ring. */
  settle(index: number): void {
    this.flush();
    this.pending.settle(index);
  }

  /** Flushes, then stages the bucket of atMs, whose second's pending batch is `batch`. */
  moveTo(atMs: number, batch: SecondBatch): void {
    this.flush();
    // The stage covers one ring bucket of the nodes.
    this.startMs = Math.floor(atMs / BUCKET_MS) * BUCKET_MS;
    this.endMs = this.startMs + BUCKET_MS;
    this.batch = batch;
  }

  /** A record's entry half (counters.ts) for node `index`, in the staged bucket (one must be staged: holds() was true). */
  addEntry(index: number, kind: number, count: number): void {
    addEntryHalf(this.values, this.baseOf(index), kind, count);
  }

  /** A record's exit half for node `index`, in the staged bucket (one must be staged). */
  addExit(index: number, kind: number, count: number, rtMs: number, error: boolean): void {
    addExitHalf(this.values, this.baseOf(index), kind, count, rtMs, error);
  }

  /** Applies the staged sums to the nodes' rings and rows, and stages nothing (no bucket, no sums). */
  flush(): void {
    const batch = this.batch;
    if (batch === null) {
      if (this.touchedCount > 0) throw new Error('BucketStage: sums added with no bucket staged');
      return;
    }
    const sums = this.totalSums;
    const summed = this.applyTouched(batch, sums);
    const total = this.total;
    if (summed && total !== null) {
      total.mergeAt(this.startMs, sums, 0);
      const row = batch.rowBase(this.totalRowId);
      mergeCounters(batch.values, row, sums, 0);
    }
    this.touchedCount = 0;
    if (++this.stamp === 0x7fffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
    this.startMs = Number.NaN;
    this.endMs = Number.NaN;
    this.batch = null;
  }

  /**
   * flush's loop: each touched node's sums kept as a pending merge and, for a resource node, merged
   * into its row of `batch` and into `sums` (cleared first). Whether any resource node was summed.
   * A method of its own, so that only a return follows the loop: when V8 compiled a long first
   * flush while it looped (on-stack replacement), before the code after the loop had ever run, the
   * compiled loop went back to the interpreter at its end on every later flush entered through it
   * (seen with synchronous compilation, node --single-threaded: 253 times in six benchmark rounds).
   */
  private applyTouched(batch: SecondBatch, sums: Float64Array): boolean {
    const n = this.touchedCount;
    const v = this.values;
    clearCounters(sums, 0);
    let summed = false;
    for (let k = 0; k < n; k++) {
      const index = this.touched[k]!;
      const base = index * FIELDS;
      this.pending.add(index, this.startMs, v, base);
      const rowId = this.rowIds[index]!;
      if (rowId >= 0) {
        const row = batch.rowBase(rowId); // first: making a row may replace batch.values
        mergeCounters(batch.values, row, v, base);
        mergeCounters(sums, 0, v, base);
        summed = true;
      }
    }
    return summed;
  }

  /** Base of `index`'s sums, cleared and listed as touched on its first use since the last flush. */
  private baseOf(index: number): number {
    const base = index * FIELDS;
    if (this.stamps[index] !== this.stamp) {
      this.stamps[index] = this.stamp;
      clearCounters(this.values, base);
      this.touched[this.touchedCount++] = index;
    }
    return base;
  }

  private grow(): void {
    const capacity = this.rowIds.length * 2;
    const rowIds = new Int32Array(capacity);
    rowIds.set(this.rowIds);
    this.rowIds = rowIds;
    const values = new Float64Array(capacity * FIELDS);
    values.set(this.values);
    this.values = values;
    const stamps = new Int32Array(capacity);
    stamps.set(this.stamps);
    this.stamps = stamps;
    const touched = new Int32Array(capacity);
    touched.set(this.touched);
    this.touched = touched;
  }
}

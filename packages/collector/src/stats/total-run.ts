// Owns the total node's batching: the total node takes every record, so one half of its records
// (entry halves, or exit halves: counters.ts) is summed here in runs of one half-second bucket of
// one batch (counters.ts's rule on a run buffer) and the run is applied to the node's windows and its row once, when a record for another bucket or
// batch comes. Applying a run at once leaves windows and rows exactly as record by record would:
// sums commute, and what else writes the total node in between (the bucket stage's sums, of the
// records it took) can only be of the same bucket or of another lap of its ring slot
// (bucket-stage.ts's argument); its concurrency is kept per record.
// Nothing reads a stale total: the registry and the per-second batches settle the run (flush)
// before every read of theirs (see their `settle` calls).

import { addEntryHalf, addExitHalf, clearCounters, concurrencyDelta, COUNTER_FIELDS, mergeCounters } from './counters.js';
import { RING_BUCKET_MS } from './node-stats.js';
// Module-local names for imported constants the hot path reads (V8 folds these into the code;
// an imported binding is read from its cell at every use: ARCHITECTURE.md, "Constants on the hot path").
const FIELDS = COUNTER_FIELDS;
const BUCKET_MS = RING_BUCKET_MS;
import type { ResourceEntry } from './registry.js';
import type { SecondBatch } from './second-batch.js';

/** A run covers one bucket of the node's ring. */
const RUN_MS = BUCKET_MS;

/** Something whose pending writes must be applied before its targets are read. */
export interface PendingWrites {
  flush(): void;
}

export class TotalRun implements PendingWrites {
  private readonly total: ResourceEntry;
  private readonly acc = new Float64Array(FIELDS);
  private startMs = Number.NaN;
  private endMs = Number.NaN;
  private batch: SecondBatch | null = null;
  /** Which half of each record this run takes. */
  private readonly exitHalves: boolean;

  constructor(total: ResourceEntry, half: 'entry' | 'exit') {
    this.total = total;
    this.exitHalves = half === 'exit';
    clearCounters(this.acc, 0);
  }

  /**
   * This run's half of one record, at atMs (the half's time), for the total node and its row in
   * `batch` (the half's second's). The concurrency change goes with the half of the kind that
   * has it (PASS: entry, EXIT: exit).
   */
  add(batch: SecondBatch, kind: number, atMs: number, count: number, rtMs: number, error: boolean): void {
    if (!(atMs >= this.startMs && atMs < this.endMs && batch === this.batch)) this.start(batch, atMs);
    this.total.node.concurrency += concurrencyDelta(kind, count);
    if (this.exitHalves) addExitHalf(this.acc, 0, kind, count, rtMs, error);
    else addEntryHalf(this.acc, 0, kind, count);
  }

  /** Applies the pending run to the node's windows and its row. */
  flush(): void {
    const batch = this.batch;
    if (batch === null) return;
    this.total.node.mergeAt(this.startMs, this.acc, 0);
    const row = batch.rowBase(this.total.id); // first: making a row may replace batch.values
    mergeCounters(batch.values, row, this.acc, 0);
    clearCounters(this.acc, 0);
    this.startMs = Number.NaN;
    this.endMs = Number.NaN;
    this.batch = null;
  }

  private start(batch: SecondBatch, tsMs: number): void {
    this.flush();
    this.startMs = Math.floor(tsMs / RUN_MS) * RUN_MS;
    this.endMs = this.startMs + RUN_MS;
    this.batch = batch;
  }
}

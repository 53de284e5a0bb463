// Owns the per-second rows not yet in the metric log and the sealing rule. A record's fate is
// decided by the second of its entry half (dt):
// - a second after `lastSealedSec` goes into that second's pending batch;
// - a second already sealed is *late*: it is counted (recordsLate) and goes into an extra batch
//   for its second, written at the next seal, unless it is more than `lateLimitSec` (default 60 s,
//   the minute window's span) behind the sealed front: then it is dropped (recordsLateDropped),
//   because neither the minute window nor a sane reader can place it.
// A CALL's exit half (dt + rtMs) goes into the batch of its own second, never earlier than its
// entry's, so never dropped: pending when that second is not sealed yet (it is then sealed with
// that second, and checkpointed with the pending rows until then), else a late extra; it is not
// counted late again. Each half is in exactly one batch, so a checkpoint neither loses nor
// repeats it.
// Batches are pooled: sealing returns them for reuse, so steady ingest allocates nothing.

import { SecondBatch } from './second-batch.js';
import type { FullHealthCounters } from './health.js';
import type { PendingWrites } from './total-run.js';
import type { SecondLine } from './types.js';

export const DEFAULT_LATE_LIMIT_SEC = 60;

/** One sealed second's lines; `late` lines are extras for a second whose lines were written before. */
export interface SealedSecond {
  sec: number;
  late: boolean;
  lines: SecondLine[];
}

export type CheckpointRow = [resource: string, pass: number, block: number, success: number, exception: number, rtSumMs: number];

export type BatchRows = Array<{ sec: number; rows: CheckpointRow[] }>;

export class SecondBatches {
  readonly lateLimitSec: number;
  /** Newest second whose lines are in the metric log; -1 before the first seal. */
  lastSealedSec = -1;
  /**
   * Seconds up to this one were in the metric log when the collector started without a usable
   * checkpoint: their records are skipped (recordsAlreadyLogged), not written again as late lines. -1: none.
   */
  alreadyLoggedThroughSec = -1;
  private readonly idCapacity: number;
  private readonly counters: FullHealthCounters;
  private readonly pending = new Map<number, SecondBatch>();
  private readonly late = new Map<number, SecondBatch>();
  private readonly pool: SecondBatch[] = [];
  private cacheSec = Number.NaN;
  private cacheBatch: SecondBatch | null = null;
  private pendingWrites: PendingWrites | null = null;

  constructor(idCapacity: number, counters: FullHealthCounters, lateLimitSec = DEFAULT_LATE_LIMIT_SEC) {
    this.idCapacity = idCapacity;
    this.counters = counters;
    this.lateLimitSec = lateLimitSec;
  }

  /** Writes (the total node's run) applied before any row is read or a batch is handed back. */
  settleWith(pending: PendingWrites): void {
    this.pendingWrites = pending;
  }

  /**
   * Moves the sealed front to `sec` (at least) for a start over a metric log written through it:
   * records of those seconds are then skipped (batchFor, recordsAlreadyLogged). Pending writes are
   * applied first, and the batch last handed out is forgotten (it may be of such a second now).
   */
  skipLoggedThrough(sec: number): void {
    this.settle();
    this.forgetCache();
    this.lastSealedSec = Math.max(this.lastSealedSec, sec);
    this.alreadyLoggedThroughSec = sec;
  }

  /** True when batchFor(sec) would drop the record as too late (nothing is counted or created here). */
  isTooLate(sec: number): boolean {
    return sec <= this.lastSealedSec && (sec < this.lastSealedSec - this.lateLimitSec || sec <= this.alreadyLoggedThroughSec);
  }

  /** The batch a record of second `sec` goes into (counting it late when it is); null when it is dropped as too late. */
  batchFor(sec: number): SecondBatch | null {
    if (sec === this.cacheSec) return this.cacheBatch!;
    if (sec > this.lastSealedSec) {
      const batch = this.batchIn(this.pending, sec);
      this.cacheSec = sec;
      this.cacheBatch = batch;
      return batch;
    }
    if (sec <= this.alreadyLoggedThroughSec) {
      this.counters.recordsAlreadyLogged++;
      return null;
    }
    this.counters.recordsLate++;
    if (sec < this.lastSealedSec - this.lateLimitSec) {
      this.counters.recordsLateDropped++;
      return null;
    }
    return this.batchIn(this.late, sec);
  }

  /**
   * The batch of a record's other half in second `sec` (≥ the second batchFor placed the record
   * in, so never too late to place): pending or a late extra like any record, not counted again.
   */
  halfBatchFor(sec: number): SecondBatch {
    if (sec === this.cacheSec) return this.cacheBatch!;
    if (sec > this.lastSealedSec) {
      const batch = this.batchIn(this.pending, sec);
      this.cacheSec = sec;
      this.cacheBatch = batch;
      return batch;
    }
    return this.batchIn(this.late, sec);
  }

  /** Seconds with pending rows, ascending. */
  pendingSeconds(): number[] {
    this.settle();
    return [...this.pending.keys()].sort((a, b) => a - b);
  }

  /**
   * Seals every second up to `throughSec`: returns the late extras first, then each newly sealed
   * second with activity, ascending, and advances lastSealedSec. The caller writes them out.
   * `ranks` gives the ids' places in name order (ResourceRegistry.nameRanks) for sorting lines.
   */
  sealThrough(throughSec: number, nameOf: (id: number) => string, ranks: () => Int32Array): SealedSecond[] {
    this.settle();
    const out: SealedSecond[] = [];
    for (const sec of [...this.late.keys()].sort((a, b) => a - b)) {
      const b = this.late.get(sec)!;
      out.push({ sec, late: true, lines: b.toLines(nameOf, ranks()) });
      this.late.delete(sec);
      this.pool.push(b);
    }
    if (throughSec > this.lastSealedSec) {
      for (const sec of [...this.pending.keys()].filter((s) => s <= throughSec).sort((a, b) => a - b)) {
        const b = this.pending.get(sec)!;
        out.push({ sec, late: false, lines: b.toLines(nameOf, ranks()) });
        this.pending.delete(sec);
        this.pool.push(b);
      }
      this.lastSealedSec = throughSec;
    }
    this.forgetCache();
    return out;
  }

  /** Pending and late rows by second, for the checkpoint. */
  exportRows(nameOf: (id: number) => string): { pending: BatchRows; late: BatchRows } {
    this.settle();
    const rowsOf = (m: Map<number, SecondBatch>): BatchRows => [...m.values()].sort((a, b) => a.sec - b.sec).map((b) => ({ sec: b.sec, rows: b.toRows(nameOf) }));
    return { pending: rowsOf(this.pending), late: rowsOf(this.late) };
  }

  /** The pending (late = false) or late batch of `sec`, created if needed: for loading a checkpoint. */
  restoredBatch(sec: number, late: boolean): SecondBatch {
    this.settle();
    this.forgetCache();
    return this.batchIn(late ? this.late : this.pending, sec);
  }

  private settle(): void {
    this.pendingWrites?.flush();
  }

  private forgetCache(): void {
    this.cacheSec = Number.NaN;
    this.cacheBatch = null;
  }

  private batchIn(m: Map<number, SecondBatch>, sec: number): SecondBatch {
    let b = m.get(sec);
    if (b === undefined) {
      b = this.pool.pop() ?? new SecondBatch(this.idCapacity);
      b.reset(sec);
      m.set(sec, b);
    }
    return b;
  }
}

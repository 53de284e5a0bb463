// Owns the collector's live statistics: one node per resource (cap 6000, as Sentinel) plus its
// per-origin nodes, the total node `__total_inbound_traffic__`, the per-second aggregates not yet
// written to the metric log (pending seconds, and late extras for seconds already written), and
// the health counters. `add` is the hot path: it allocates nothing for a known resource.
//
// Time rules (all by the record's own timestamp):
// - a record for a second after `lastSealedSec` goes into that second's pending batch;
// - a record for a second already sealed is *late*: it is counted (recordsLate) and goes into an
//   extra line for its second at the next seal, unless it is more than `lateLimitSec` (default
//   60 s, the minute window's span) behind the sealed front: then it is dropped
//   (recordsLateDropped), because neither the minute window nor a sane reader can place it;
// - a record stamped more than `maxFutureMs` after now is dropped (recordsFuture).

import { RecordKind, type FlowRecord } from '@sentinel-wasi/protocol';
import { NodeStats } from './node-stats.js';
import { R_BLOCK, R_EXCEPTION, R_PASS, R_RT, R_SUCCESS, SecondBatch } from './second-batch.js';
import type { HealthCounters, NodeSnapshot, SecondLine } from './types.js';

/** Sentinel's inbound entry node: every record, also those of resources beyond the cap. */
export const TOTAL_RESOURCE = '__total_inbound_traffic__';
export const DEFAULT_MAX_RESOURCES = 6000;
export const DEFAULT_MAX_ORIGIN_NODES = 6000;
export const DEFAULT_LATE_LIMIT_SEC = 60;
export const DEFAULT_MAX_FUTURE_MS = 60_000;
const MAX_PROBLEMS = 50;
/** The total node's runs (see StatsStore.acc): one half-second bucket, the second window's bucket. */
const TOTAL_RUN_MS = 500;

export interface StatsStoreOptions {
  maxResources?: number;
  maxOriginNodes?: number;
  lateLimitSec?: number;
  maxFutureMs?: number;
}

export interface ResourceEntry {
  id: number;
  name: string;
  node: NodeStats;
  origins: Map<string, NodeStats> | null;
}

export type FullHealthCounters = Required<HealthCounters>;

export function zeroCounters(): FullHealthCounters {
  return {
    recordsCounted: 0,
    recordsRejected: 0,
    recordsUnknownKind: 0,
    recordsLate: 0,
    framesRead: 0,
    framesSkipped: 0,
    bytesSkipped: 0,
    writerDroppedRecords: 0,
    writerDroppedFrames: 0,
    lagBytes: 0,
    resourcesOverflow: 0,
    segmentsActive: 0,
    segmentsDeleted: 0,
    segmentsBadName: 0,
    recordsLateDropped: 0,
    recordsFuture: 0,
    originsOverflow: 0,
    segmentsMissing: 0,
    segmentsReset: 0,
    segmentReadErrors: 0,
  };
}

/** One sealed second's lines; `late` lines are extras for a second whose lines were written before. */
export interface SealedSecond {
  sec: number;
  late: boolean;
  lines: SecondLine[];
}

export type CheckpointRow = [resource: string, pass: number, block: number, success: number, exception: number, rtSumMs: number];

/** The store's part of a checkpoint. */
export interface StoreState {
  lastSealedSec: number;
  counters: FullHealthCounters;
  pending: Array<{ sec: number; rows: CheckpointRow[] }>;
  late: Array<{ sec: number; rows: CheckpointRow[] }>;
  /** [resource, origin, concurrency] for every node whose concurrency is not 0. */
  concurrency: Array<[string, string, number]>;
}

export interface Problem {
  atMs: number;
  code: string;
  message: string;
  segment?: string;
}

export class StatsStore {
  readonly counters: FullHealthCounters = zeroCounters();
  readonly problems: Problem[] = [];
  readonly maxResources: number;
  readonly maxOriginNodes: number;
  readonly lateLimitSec: number;
  readonly maxFutureMs: number;
  /** Newest second whose lines are in the metric log; -1 before the first seal. */
  lastSealedSec = -1;

  private readonly entries = new Map<string, ResourceEntry>();
  private readonly byId: ResourceEntry[] = [];
  private readonly total: ResourceEntry;
  private originNodes = 0;
  private readonly pending = new Map<number, SecondBatch>();
  private readonly late = new Map<number, SecondBatch>();
  private readonly pool: SecondBatch[] = [];
  private cacheSec = Number.NaN;
  private cacheBatch: SecondBatch | null = null;

  constructor(options: StatsStoreOptions = {}) {
    this.maxResources = options.maxResources ?? DEFAULT_MAX_RESOURCES;
    this.maxOriginNodes = options.maxOriginNodes ?? DEFAULT_MAX_ORIGIN_NODES;
    this.lateLimitSec = options.lateLimitSec ?? DEFAULT_LATE_LIMIT_SEC;
    this.maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
    this.total = { id: this.maxResources, name: TOTAL_RESOURCE, node: new NodeStats(TOTAL_RESOURCE, ''), origins: null };
  }

  /** Counts one validated record (the scanner's reused FlowRecord: nothing of it is kept). */
  add(r: FlowRecord, nowMs: number): void {
    this.addResolved(r, r.kind === RecordKind.WRITER ? null : this.entryFor(r.name), nowMs);
  }

  /**
   * The resource entry for a name, created if the cap allows; null beyond the cap. Callers that
   * see the same name many times (a frame's name table) resolve it once and use addResolved.
   */
  entryFor(name: string): ResourceEntry | null {
    return this.entries.get(name) ?? this.createEntry(name);
  }

  /** add() with the record's resource entry already looked up (null: beyond the cap). */
  addResolved(r: FlowRecord, entry: ResourceEntry | null, nowMs: number): void {
    const c = this.counters;
    const kind = r.kind;
    if (kind === RecordKind.WRITER) {
      c.writerDroppedRecords += r.droppedRecords;
      c.writerDroppedFrames += r.droppedFrames;
      c.recordsCounted++;
      return;
    }
    const tsMs = r.tsMs;
    if (tsMs > nowMs + this.maxFutureMs) {
      c.recordsFuture++;
      return;
    }
    const sec = Math.floor(tsMs / 1000);
    let batch: SecondBatch;
    let late = false;
    if (sec === this.cacheSec) {
      batch = this.cacheBatch!;
    } else if (sec > this.lastSealedSec) {
      batch = this.batchFor(this.pending, sec);
      this.cacheSec = sec;
      this.cacheBatch = batch;
    } else {
      c.recordsLate++;
      if (sec < this.lastSealedSec - this.lateLimitSec) {
        c.recordsLateDropped++;
        return;
      }
      batch = this.batchFor(this.late, sec);
      late = true;
    }
    const count = r.count;
    const rtMs = r.rtMs;
    const error = r.error;
    if (late) {
      this.flushTotal();
      this.total.node.record(kind, tsMs, count, rtMs, error);
      addToRow(batch, this.total.id, kind, count, rtMs, error);
    } else {
      if (!(tsMs >= this.acc.startMs && tsMs < this.acc.endMs)) this.startTotalBucket(tsMs, batch);
      const a = this.acc;
      switch (kind) {
        case RecordKind.PASS:
          a.pass += count;
          this.total.node.concurrency += count;
          break;
        case RecordKind.BLOCK:
          a.block += count;
          break;
        case RecordKind.EXIT:
          this.total.node.concurrency -= count;
          a.success += count;
          if (error) a.exception += count;
          a.rtSum += rtMs;
          if (rtMs < a.minRt) a.minRt = rtMs;
          break;
        case RecordKind.CALL:
          a.pass += 1;
          a.success += 1;
          if (error) a.exception += 1;
          a.rtSum += rtMs;
          if (rtMs < a.minRt) a.minRt = rtMs;
          break;
      }
    }
    if (entry === null) {
      c.resourcesOverflow++;
    } else {
      entry.node.record(kind, tsMs, count, rtMs, error);
      addToRow(batch, entry.id, kind, count, rtMs, error);
      if (r.origin !== '') {
        const o = entry.origins?.get(r.origin) ?? this.createOrigin(entry, r.origin);
        if (o === null) c.originsOverflow++;
        else o.record(kind, tsMs, count, rtMs, error);
      }
    }
    c.recordsCounted++;
  }

  /**
   * The total node takes every record, in runs for one half-second bucket (the record's own
   * time): a run is summed here and applied to the node's windows and its second's row once, when
   * a record for another bucket comes, and before anything reads or seals (flushTotal). Applying a
   * run of one bucket at once leaves the windows and rows exactly as record by record would,
   * since nothing else writes the total node in between; its concurrency is kept per record.
   */
  private readonly acc = { startMs: Number.NaN, endMs: Number.NaN, batch: null as SecondBatch | null, pass: 0, block: 0, success: 0, exception: 0, rtSum: 0, minRt: Number.POSITIVE_INFINITY };

  private startTotalBucket(tsMs: number, batch: SecondBatch): void {
    this.flushTotal();
    const a = this.acc;
    a.startMs = Math.floor(tsMs / TOTAL_RUN_MS) * TOTAL_RUN_MS;
    a.endMs = a.startMs + TOTAL_RUN_MS;
    a.batch = batch;
  }

  /** Applies the total node's pending run (see acc). */
  private flushTotal(): void {
    const a = this.acc;
    if (a.batch === null) return;
    this.total.node.addCounts(a.startMs, a.pass, a.block, a.success, a.exception, a.rtSum, a.minRt);
    const base = a.batch.rowBase(this.total.id);
    const v = a.batch.values;
    v[base + R_PASS] = v[base + R_PASS]! + a.pass;
    v[base + R_BLOCK] = v[base + R_BLOCK]! + a.block;
    v[base + R_SUCCESS] = v[base + R_SUCCESS]! + a.success;
    v[base + R_EXCEPTION] = v[base + R_EXCEPTION]! + a.exception;
    v[base + R_RT] = v[base + R_RT]! + a.rtSum;
    a.startMs = Number.NaN;
    a.endMs = Number.NaN;
    a.batch = null;
    a.pass = 0;
    a.block = 0;
    a.success = 0;
    a.exception = 0;
    a.rtSum = 0;
    a.minRt = Number.POSITIVE_INFINITY;
  }

  /** Seconds with pending data (ascending): for tests and the health view. */
  pendingSeconds(): number[] {
    return [...this.pending.keys()].sort((a, b) => a - b);
  }

  /**
   * Seals every second up to `throughSec`: returns the late extras first, then each newly sealed
   * second with activity, ascending, and advances lastSealedSec. The caller writes them out.
   */
  sealThrough(throughSec: number): SealedSecond[] {
    this.flushTotal();
    const out: SealedSecond[] = [];
    const nameOf = (id: number): string => this.nameOf(id);
    for (const sec of [...this.late.keys()].sort((a, b) => a - b)) {
      const b = this.late.get(sec)!;
      out.push({ sec, late: true, lines: b.toLines(nameOf) });
      this.late.delete(sec);
      this.pool.push(b);
    }
    if (throughSec > this.lastSealedSec) {
      for (const sec of [...this.pending.keys()].filter((s) => s <= throughSec).sort((a, b) => a - b)) {
        const b = this.pending.get(sec)!;
        out.push({ sec, late: false, lines: b.toLines(nameOf) });
        this.pending.delete(sec);
        this.pool.push(b);
      }
      this.lastSealedSec = throughSec;
    }
    this.cacheSec = Number.NaN;
    this.cacheBatch = null;
    return out;
  }

  /** Problems reported since start (the list keeps only the newest). */
  problemsReported = 0;

  problem(p: Problem): void {
    this.problemsReported++;
    this.problems.push(p);
    if (this.problems.length > MAX_PROBLEMS) this.problems.splice(0, this.problems.length - MAX_PROBLEMS);
  }

  // --- queries -------------------------------------------------------------------------------

  resourcesAt(nowMs: number): NodeSnapshot[] {
    return [...this.entries.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((e) => e.node.snapshotAt(nowMs));
  }

  resourceAt(name: string, nowMs: number): { node: NodeSnapshot; origins: NodeSnapshot[] } | undefined {
    this.flushTotal();
    const e = name === TOTAL_RESOURCE ? this.total : this.entries.get(name);
    if (e === undefined) return undefined;
    const origins = e.origins === null ? [] : [...e.origins.values()].sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
    return { node: e.node.snapshotAt(nowMs), origins: origins.map((o) => o.snapshotAt(nowMs)) };
  }

  // --- checkpoint ----------------------------------------------------------------------------

  exportState(): StoreState {
    this.flushTotal();
    const nameOf = (id: number): string => this.nameOf(id);
    const rowsOf = (m: Map<number, SecondBatch>): StoreState['pending'] =>
      [...m.values()].sort((a, b) => a.sec - b.sec).map((b) => ({ sec: b.sec, rows: b.toRows(nameOf) }));
    const concurrency: StoreState['concurrency'] = [];
    for (const e of [this.total, ...this.byId]) {
      if (e.node.concurrency !== 0) concurrency.push([e.name, '', e.node.concurrency]);
      if (e.origins !== null) for (const o of e.origins.values()) if (o.concurrency !== 0) concurrency.push([e.name, o.origin, o.concurrency]);
    }
    return { lastSealedSec: this.lastSealedSec, counters: { ...this.counters }, pending: rowsOf(this.pending), late: rowsOf(this.late), concurrency };
  }

  /** Loads a checkpointed state into an empty store; pending rows are also replayed into the windows. */
  importState(state: StoreState): void {
    this.flushTotal();
    this.lastSealedSec = state.lastSealedSec;
    Object.assign(this.counters, zeroCounters(), state.counters);
    const load = (m: Map<number, SecondBatch>, list: StoreState['pending']): void => {
      for (const { sec, rows } of list) {
        const batch = this.batchFor(m, sec);
        for (const [name, pass, block, success, exception, rt] of rows) {
          const e = name === TOTAL_RESOURCE ? this.total : (this.entries.get(name) ?? this.createEntry(name));
          if (e === null) continue;
          const base = batch.rowBase(e.id);
          const v = batch.values;
          v[base + R_PASS] = v[base + R_PASS]! + pass;
          v[base + R_BLOCK] = v[base + R_BLOCK]! + block;
          v[base + R_SUCCESS] = v[base + R_SUCCESS]! + success;
          v[base + R_EXCEPTION] = v[base + R_EXCEPTION]! + exception;
          v[base + R_RT] = v[base + R_RT]! + rt;
          e.node.addCounts(sec * 1000, pass, block, success, exception, rt);
        }
      }
    };
    load(this.pending, state.pending);
    load(this.late, state.late);
    for (const [name, origin, value] of state.concurrency) {
      const e = name === TOTAL_RESOURCE ? this.total : (this.entries.get(name) ?? this.createEntry(name));
      if (e === null) continue;
      if (origin === '') e.node.concurrency = value;
      else {
        const o = e.origins?.get(origin) ?? this.createOrigin(e, origin);
        if (o !== null) o.concurrency = value;
      }
    }
    this.cacheSec = Number.NaN;
    this.cacheBatch = null;
  }

  /** Adds a sealed second's counts (read back from the metric log) to a node's windows only. */
  addSealedCounts(resource: string, tsMs: number, pass: number, block: number, success: number, exception: number, rtSumMs: number): void {
    this.flushTotal();
    const e = resource === TOTAL_RESOURCE ? this.total : this.entryFor(resource);
    e?.node.addCounts(tsMs, pass, block, success, exception, rtSumMs);
  }

  // --- internals -----------------------------------------------------------------------------

  private nameOf(id: number): string {
    return id === this.total.id ? TOTAL_RESOURCE : this.byId[id]!.name;
  }

  private createEntry(name: string): ResourceEntry | null {
    if (this.byId.length >= this.maxResources) return null;
    const e: ResourceEntry = { id: this.byId.length, name, node: new NodeStats(name, ''), origins: null };
    this.byId.push(e);
    this.entries.set(name, e);
    return e;
  }

  private createOrigin(e: ResourceEntry, origin: string): NodeStats | null {
    if (this.originNodes >= this.maxOriginNodes) return null;
    const o = new NodeStats(e.name, origin);
    (e.origins ??= new Map()).set(origin, o);
    this.originNodes++;
    return o;
  }

  private batchFor(m: Map<number, SecondBatch>, sec: number): SecondBatch {
    let b = m.get(sec);
    if (b === undefined) {
      b = this.pool.pop() ?? new SecondBatch(this.maxResources + 1);
      b.reset(sec);
      m.set(sec, b);
    }
    return b;
  }
}

function addToRow(batch: SecondBatch, id: number, kind: number, count: number, rtMs: number, error: boolean): void {
  const b = batch.rowBase(id);
  const v = batch.values;
  switch (kind) {
    case RecordKind.PASS:
      v[b + R_PASS] = v[b + R_PASS]! + count;
      return;
    case RecordKind.BLOCK:
      v[b + R_BLOCK] = v[b + R_BLOCK]! + count;
      return;
    case RecordKind.EXIT:
      v[b + R_SUCCESS] = v[b + R_SUCCESS]! + count;
      if (error) v[b + R_EXCEPTION] = v[b + R_EXCEPTION]! + count;
      v[b + R_RT] = v[b + R_RT]! + rtMs;
      return;
    case RecordKind.CALL:
      v[b + R_PASS] = v[b + R_PASS]! + 1;
      v[b + R_SUCCESS] = v[b + R_SUCCESS]! + 1;
      if (error) v[b + R_EXCEPTION] = v[b + R_EXCEPTION]! + 1;
      v[b + R_RT] = v[b + R_RT]! + rtMs;
      return;
  }
}

// Owns the collector's live statistics as one object: it routes each record to the nodes it
// counts on (its resource's node, its origin node, the total node) and to their per-second rows,
// applying the same rule (counters.ts) to all of them, and answers the query surfaces. The parts
// have files of their own: the nodes (registry.ts), the per-second rows and the late rule
// (second-batches.ts), the checkpointable state (store-state.ts) and the health (health.ts).
// `addColumns` (a frame's records as decoded columns) and `addResolved` (one record) are the hot
// paths: they allocate nothing for a known resource. A half that falls in the half-second bucket
// being counted now goes to the stage (bucket-stage.ts), which gives the total node and the rows
// their sums at once, and the nodes' rings theirs when a node is read (pending-merges.ts); the
// common record (a CALL or BLOCK of a tracked resource in that bucket) takes a shorter path there
// (stages, countStaged). Other halves are placed directly, the total node's in runs (total-run.ts).
// Reads are at the time they are asked for: one at a time more than READ_LAG_MS (2 s) before the
// newest `now` the store was given may miss buckets that started a minute before that now (they
// are dropped unmerged, pending-merges.ts). A read no earlier than that now − READ_LAG_MS, and no
// earlier than the newest time given to reclaimWindowsAt (which frees buckets, NodeStats.reclaimBefore), is exact.
//
// Each half of a record (counters.ts) goes to the nodes' windows and to the row of its own second:
// a CALL's pass where dt falls, its success, exception and RT where dt + rtMs falls. A record whose
// exit half (for a CALL dt + rtMs, else dt) is more than `maxFutureMs` after now is dropped whole
// (recordsFuture); for records of seconds already sealed see second-batches.ts. Before the first
// second is ever sealed (a first start), a record more than `firstStartHorizonMs` older than now is
// dropped as too late (recordsLateDropped). A record is checked against these rules before its
// resource entry is looked up, so a dropped record never creates a resource entry.
//
// PASS and EXIT records also open and close entries (open-entries.ts): an entry open longer than
// maxEntryAgeMs (a filter killed mid-request) is expired by expireEntriesAt, its concurrency taken back.

import { NAME_CACHE_SLOTS, RecordKind, type FlowRecord, type RecordColumns } from '@sentinel-wasi/protocol';
import { addEntryHalf, addExitHalf, concurrencyDelta, exitTimeOf, hasEntryHalf, hasExitHalf } from './counters.js';
import { HealthLog, type FullHealthCounters, type Problem } from './health.js';
import { ResourceRegistry, TOTAL_RESOURCE, type ResourceEntry } from './registry.js';
import { SecondBatches, type SealedSecond } from './second-batches.js';
import { exportStoreState, importStoreState, type StoreState } from './store-state.js';
import { FrameEntries, UNRESOLVED } from './frame-entries.js';
import { EXPIRED_KEPT_AGES, OpenEntries } from './open-entries.js';
import type { NodeStats } from './node-stats.js';
import type { SecondBatch } from './second-batch.js';
import { TotalRun } from './total-run.js';
import { BucketStage } from './bucket-stage.js';
// Module-local names for imported constants the hot path reads (V8 folds these into the code;
// an imported binding is read from its cell at every use: ARCHITECTURE.md, "Constants on the hot path").
const Kind = RecordKind;
import type { NodeSnapshot } from './types.js';

export { DEFAULT_MAX_ORIGIN_NODES, DEFAULT_MAX_RESOURCES, TOTAL_RESOURCE, type ResourceEntry } from './registry.js';
export { DEFAULT_LATE_LIMIT_SEC } from './second-batches.js';
export { zeroCounters, type FullHealthCounters, type Problem } from './health.js';
export type { SealedSecond } from './second-batches.js';
export type { StoreState } from './store-state.js';

export const DEFAULT_MAX_FUTURE_MS = 60_000;
/** An admitted entry still open this long after it began is taken as lost (its EXIT will not come): 10 minutes. */
export const DEFAULT_MAX_ENTRY_AGE_MS = 10 * 60 * 1000;
/** On a first start (nothing sealed yet), records older than this are dropped as too late. */
export const DEFAULT_FIRST_START_HORIZON_MS = 60 * 60 * 1000;
/** bySlot's numbers per name-cache slot (three used; four keep a slot's in one cache line). */
const SLOT_FIELDS = 4;

/** Looks up (creating if the cap allows) the resource entry of a record that is going to be counted. */
export type EntryLookup = (r: FlowRecord) => ResourceEntry | null;

export interface StatsStoreOptions {
  maxResources?: number;
  maxOriginNodes?: number;
  lateLimitSec?: number;
  maxFutureMs?: number;
  firstStartHorizonMs?: number;
  /** Open entries older than this are expired by expireEntriesAt (default 10 min; 0: never). */
  maxEntryAgeMs?: number;
  /** Where counters and problems go (a new HealthLog when not given). */
  health?: HealthLog;
}

export class StatsStore {
  readonly health: HealthLog;
  readonly maxFutureMs: number;
  readonly firstStartHorizonMs: number;
  readonly maxEntryAgeMs: number;
  /** The PASS entries still open, by node and entry time (open-entries.ts): what expireEntriesAt expires. */
  private readonly openEntries = new OpenEntries();
  private readonly lookupByName: EntryLookup = (r) => this.registry.entryFor(r.name);
  private readonly registry: ResourceRegistry;
  private readonly batches: SecondBatches;
  private readonly totalEntries: TotalRun;
  private readonly totalExits: TotalRun;
  /** Resource and origin nodes' halves in the bucket being counted now (bucket-stage.ts). */
  private readonly stage = new BucketStage();
  /** The total node, for its concurrency (kept per record, never staged or run): written without settling anything. */
  private readonly totalNode: NodeStats;
  /** addColumns' frame name table resolved to entries, by name index. */
  private readonly frameEntries = new FrameEntries();
  /**
   * By name-cache slot (RecordColumns.nameSlot), side by side from SLOT_FIELDS × slot: the key of
   * the name last resolved in that slot (RecordColumns.nameKey, -1 for none: the same key, the same
   * name), its entry's id and the stage index of the entry's node. A frame naming a resource whose
   * name is still cached reads one cache line of these (two slots share one) and no object.
   */
  private readonly bySlot = new Float64Array(SLOT_FIELDS * NAME_CACHE_SLOTS).fill(-1);

  constructor(options: StatsStoreOptions = {}) {
    this.health = options.health ?? new HealthLog();
    this.maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
    this.firstStartHorizonMs = options.firstStartHorizonMs ?? DEFAULT_FIRST_START_HORIZON_MS;
    this.maxEntryAgeMs = options.maxEntryAgeMs ?? DEFAULT_MAX_ENTRY_AGE_MS;
    this.registry = new ResourceRegistry(options.maxResources, options.maxOriginNodes, this.stage);
    this.batches = new SecondBatches(this.registry.idCapacity, this.health.counters, options.lateLimitSec);
    this.totalNode = this.registry.total.node;
    this.stage.sumsTo(this.totalNode, this.registry.totalId);
    this.totalEntries = new TotalRun(this.registry.total, 'entry');
    this.totalExits = new TotalRun(this.registry.total, 'exit');
    const runs = { flush: (): void => (this.stage.flush(), this.totalEntries.flush(), this.totalExits.flush()) };
    this.registry.settleWith(runs);
    this.batches.settleWith(runs);
  }

  get counters(): FullHealthCounters {
    return this.health.counters;
  }

  /** The resource cap (records beyond it count in resourcesOverflow). */
  get maxResources(): number {
    return this.registry.maxResources;
  }

  /** The origin-node cap (records beyond it count in originsOverflow). */
  get maxOriginNodes(): number {
    return this.registry.maxOriginNodes;
  }

  /** How far behind the sealed front a record may still be placed (beyond: recordsLateDropped). */
  get lateLimitSec(): number {
    return this.batches.lateLimitSec;
  }

  get problems(): readonly Problem[] {
    return this.health.problems;
  }

  /** Newest second whose lines are in the metric log; -1 before the first seal. */
  get lastSealedSec(): number {
    return this.batches.lastSealedSec;
  }

  /**
   * For a start without a usable checkpoint over a metric log whose newest second is `sec`: the
   * seconds up to it count as sealed, and records of them (the segments are read again from their
   * start) are skipped and counted in recordsAlreadyLogged instead of being written a second time.
   */
  skipAlreadyLogged(sec: number): void {
    if (sec < 0) return;
    this.batches.skipLoggedThrough(sec);
  }

  /** Counts one validated record (the scanner's reused FlowRecord: nothing of it is kept). */
  add(r: FlowRecord, nowMs: number): void {
    this.addResolved(r, this.lookupByName, nowMs);
  }

  /**
   * The resource entry for a name, created if the cap allows; null beyond the cap. Callers that
   * see the same name many times (a frame's name table) resolve it once (in the lookup they pass to addResolved).
   */
  entryFor(name: string): ResourceEntry | null {
    return this.registry.entryFor(name);
  }

  /** The resource entry of id `id` (an id an entry from entryFor has), null for -1 (none: beyond the cap). */
  entryAt(id: number): ResourceEntry | null {
    return this.registry.entryAt(id);
  }

  /** add() with the caller's entry lookup, called only once the record is known to be counted (null: beyond the cap). */
  addResolved(r: FlowRecord, lookup: EntryLookup, nowMs: number): void {
    this.stage.observeNow(nowMs);
    const kind = r.kind;
    if (kind === Kind.WRITER) {
      this.addWriter(r.droppedRecords, r.droppedFrames);
      return;
    }
    const tsMs = r.tsMs;
    // undefined: not looked up yet (a lookup is made once, and only for a record that is kept).
    let found: ResourceEntry | null | undefined;
    if (this.stages(kind, tsMs, r.rtMs, nowMs)) {
      found = lookup(r);
      // Again after the lookup: one that reads the store (a subclass's) has flushed the stage.
      if (found !== null && this.stage.holds(tsMs)) {
        this.countStaged(found, kind, tsMs, r.count, r.rtMs, r.error, r.origin);
        return;
      }
    }
    const sec = this.admit(kind, tsMs, r.rtMs, nowMs);
    if (sec < 0) return;
    // The entry first (creating one may grow the per-second rows), and only for a record that is kept.
    const entry = this.batches.isTooLate(sec) ? null : found === undefined ? lookup(r) : found;
    this.countAdmitted(entry, sec, kind, tsMs, r.count, r.rtMs, r.error, r.origin, entry === null && r.name === TOTAL_RESOURCE);
  }

  /**
   * Whether the Ingestor hands this store a fast-path frame as columns (addColumns) rather than
   * record by record (addResolved): true unless a subclass overrides addResolved (to see every
   * record) without overriding this too (the daemon's store, whose flow tap also takes columns).
   */
  get countsColumns(): boolean {
    return this.addResolved === StatsStore.prototype.addResolved;
  }

  /**
   * Counts a frame's valid records straight from its columns (frameColumns), with add()'s rules:
   * each name of the frame is resolved to its entry once, when a record naming it is first kept
   * (through the name cache's slot of the name when it is cached, else entryFor), and each origin
   * name to its origin number once; the common record (countStagedAt) then reads no entry or node
   * object, only the stage indexes of its nodes.
   */
  addColumns(c: RecordColumns, nowMs: number): void {
    this.stage.observeNow(nowMs);
    const entries = this.frameEntries;
    entries.nextFrame();
    const names = c.names;
    const n = c.accepted;
    for (let i = 0; i < n; i++) {
      const kind = c.kind[i]!;
      if (kind === Kind.WRITER) {
        this.addWriter(c.droppedRecords[i]!, c.droppedFrames[i]!);
        continue;
      }
      const tsMs = c.tsMs[i]!;
      const rtMs = c.rtMs[i]!;
      if (this.stages(kind, tsMs, rtMs, nowMs)) {
        const idx = c.nameIndex[i]!;
        if (!entries.has(idx)) this.resolveFrameName(c, idx);
        const index = entries.stageIndexOf(idx);
        // Again after the lookup: a subclass's entryFor that reads the store has flushed the stage.
        if (index >= 0 && this.stage.holds(tsMs)) {
          const o = c.originIndex[i]!;
          const originIndex = o < 0 ? -1 : this.originStageIndex(c, idx, o);
          this.countStagedAt(entries.idOf(idx), index, originIndex, kind, tsMs, c.count[i]!, rtMs, c.error[i] === 1, o < 0 ? '' : names[o]!);
          continue;
        }
      }
      const sec = this.admit(kind, tsMs, rtMs, nowMs);
      if (sec < 0) continue;
      let entry: ResourceEntry | null = null;
      if (!this.batches.isTooLate(sec)) {
        const idx = c.nameIndex[i]!;
        if (!entries.has(idx)) this.resolveFrameName(c, idx);
        entry = this.entryAt(entries.idOf(idx));
      }
      const o = c.originIndex[i]!;
      this.countAdmitted(entry, sec, kind, tsMs, c.count[i]!, rtMs, c.error[i] === 1, o < 0 ? '' : names[o]!, entry === null && names[c.nameIndex[i]!] === TOTAL_RESOURCE);
    }
  }

  /**
   * Resolves name index idx of the frame to its entry's id and its node's stage index (-1 for both
   * beyond the cap) for the rest of the frame: from bySlot when the name's cache slot still holds
   * this name (the same key), else through entryFor (then kept in bySlot).
   */
  private resolveFrameName(c: RecordColumns, idx: number): void {
    const slot = c.nameSlot[idx]!;
    const s = this.bySlot;
    const at = slot * SLOT_FIELDS;
    if (slot >= 0 && s[at] === c.nameKey[idx]) {
      this.frameEntries.setIds(idx, s[at + 1]!, s[at + 2]!);
      return;
    }
    const e = this.entryFor(c.names[idx]!);
    if (e === null) {
      this.frameEntries.setIds(idx, -1, -1);
      return;
    }
    const index = e.node.stageIndex;
    if (slot >= 0) {
      s[at] = c.nameKey[idx]!;
      s[at + 1] = e.id;
      s[at + 2] = index;
    }
    this.frameEntries.setIds(idx, e.id, index);
  }

  /**
   * The stage index of the origin node of (the frame's resolved entry of name index idx, the
   * origin named by index o), made if the cap allows; -1 beyond the cap (counted in originsOverflow).
   */
  private originStageIndex(c: RecordColumns, idx: number, o: number): number {
    const entries = this.frameEntries;
    const origins = this.registry.originIndex;
    let originNumber = entries.originNumberOf(o);
    if (originNumber === UNRESOLVED) originNumber = entries.setOriginNumber(o, origins.numberOf(c.names[o]!));
    if (originNumber >= 0) {
      const found = origins.find(entries.idOf(idx), originNumber);
      if (found >= 0) return found;
    }
    // No node of this resource and origin yet.
    const node = this.registry.originFor(this.entryAt(entries.idOf(idx))!, c.names[o]!);
    if (node === null) {
      this.health.counters.originsOverflow++;
      return -1;
    }
    // Making it may have numbered the origin.
    if (originNumber < 0) entries.setOriginNumber(o, origins.numberOf(c.names[o]!));
    return node.stageIndex;
  }

  /**
   * Whether a record is the common one countStaged counts: a CALL or BLOCK whose entry half is in
   * the staged bucket (so of a pending second: not late, its batch the stage's) and that admit
   * keeps (checked here, before its entry is looked up, as admit is).
   */
  private stages(kind: number, tsMs: number, rtMs: number, nowMs: number): boolean {
    if (!((kind === Kind.CALL || kind === Kind.BLOCK) && this.stage.holds(tsMs))) return false;
    const exitMs = kind === Kind.CALL ? tsMs + rtMs : tsMs;
    return exitMs <= nowMs + this.maxFutureMs && !(tsMs < nowMs - this.firstStartHorizonMs && this.batches.lastSealedSec < 0);
  }

  /** Counts a record `stages` took on a tracked resource's entry, as countAdmitted would, with less. */
  private countStaged(e: ResourceEntry, kind: number, tsMs: number, count: number, rtMs: number, error: boolean, origin: string): void {
    let originIndex = -1;
    if (origin !== '') {
      const o = this.registry.originFor(e, origin);
      if (o === null) this.health.counters.originsOverflow++;
      else originIndex = o.stageIndex;
    }
    this.countStagedAt(e.id, e.node.stageIndex, originIndex, kind, tsMs, count, rtMs, error, origin);
  }

  /**
   * countStaged with the entry's id, the stage indexes of its node (`index`) and of its origin node
   * (`originIndex`, -1 for none: no origin, or beyond the cap, counted already). Entry and origin
   * objects are read only for a CALL whose exit half falls outside the staged bucket.
   */
  private countStagedAt(id: number, index: number, originIndex: number, kind: number, tsMs: number, count: number, rtMs: number, error: boolean, origin: string): void {
    const stage = this.stage;
    stage.addEntry(index, kind, count);
    if (originIndex >= 0) stage.addEntry(originIndex, kind, count);
    if (kind === Kind.CALL) {
      const exitMs = tsMs + rtMs;
      if (stage.holds(exitMs)) {
        stage.addExit(index, kind, count, rtMs, error);
        if (originIndex >= 0) stage.addExit(originIndex, kind, count, rtMs, error);
      } else {
        const e = this.entryAt(id)!;
        const o = originIndex >= 0 ? this.registry.originFor(e, origin) : null;
        this.placeExit(e, o, exitMs, this.batches.halfBatchFor(Math.floor(exitMs / 1000)), kind, count, rtMs, error);
      }
    }
    this.health.counters.recordsCounted++;
  }

  private addWriter(droppedRecords: number, droppedFrames: number): void {
    const c = this.health.counters;
    c.writerDroppedRecords += droppedRecords;
    c.writerDroppedFrames += droppedFrames;
    c.recordsCounted++;
  }

  /**
   * The second of a (non-WRITER) record's entry half when the record may be counted; -1 when it
   * is dropped whole (too far in the future, or too old on a first start), counted in health.
   */
  private admit(kind: number, tsMs: number, rtMs: number, nowMs: number): number {
    // exitMs ≥ tsMs: a record whose exit half is too far ahead is dropped whole.
    if (exitTimeOf(kind, tsMs, rtMs) > nowMs + this.maxFutureMs) {
      this.health.counters.recordsFuture++;
      return -1;
    }
    if (tsMs < nowMs - this.firstStartHorizonMs && this.batches.lastSealedSec < 0) {
      this.health.counters.recordsLateDropped++;
      return -1;
    }
    return Math.floor(tsMs / 1000);
  }

  /**
   * Counts an admitted record (its entry half in second `sec`) on the total node, its entry (null:
   * beyond the cap, too late, or `namesTotal`: the record names the total node itself) and its origin node.
   */
  private countAdmitted(entry: ResourceEntry | null, sec: number, kind: number, tsMs: number, count: number, rtMs: number, error: boolean, origin: string, namesTotal: boolean): void {
    const batch = this.batches.batchFor(sec);
    if (batch === null) return;
    const c = this.health.counters;
    const exitMs = exitTimeOf(kind, tsMs, rtMs);
    const exitSec = Math.floor(exitMs / 1000);
    const exitBatch = exitSec === sec ? batch : this.batches.halfBatchFor(exitSec);
    if (entry === null) {
      if (hasEntryHalf(kind)) this.totalEntries.add(batch, kind, tsMs, count, rtMs, error);
      if (hasExitHalf(kind)) this.totalExits.add(exitBatch, kind, exitMs, count, rtMs, error);
      if (!namesTotal) c.resourcesOverflow++;
    } else {
      let o: NodeStats | null = null;
      if (origin !== '') {
        o = this.registry.originFor(entry, origin);
        if (o === null) c.originsOverflow++;
      }
      this.countOn(entry, o, sec, batch, exitMs, exitBatch, kind, tsMs, count, rtMs, error);
      if (kind === Kind.PASS || kind === Kind.EXIT) this.trackEntries(entry, o, kind, tsMs, count, rtMs);
    }
    c.recordsCounted++;
  }

  /**
   * One record on a resource entry, its origin node (o, or null) and the total node: their
   * concurrency, rings and the resource's and the total's rows (the entry half's in `batch`, the
   * exit half's in `exitBatch`). A half in the staged bucket goes to the stage (which gives the
   * total node the sum of its resource nodes' halves when it flushes); a record whose first half
   * is in another bucket of a pending second moves the stage there; any other half (a late
   * record's, a CALL's exit half in a later bucket) is placed directly, the total's in its runs.
   */
  private countOn(e: ResourceEntry, o: NodeStats | null, sec: number, batch: SecondBatch, exitMs: number, exitBatch: SecondBatch, kind: number, tsMs: number, count: number, rtMs: number, error: boolean): void {
    const node = e.node;
    const delta = concurrencyDelta(kind, count);
    if (delta !== 0) {
      node.concurrency += delta;
      if (o !== null) o.concurrency += delta;
    }
    const stage = this.stage;
    const pending = sec > this.batches.lastSealedSec;
    if (hasEntryHalf(kind)) {
      if (this.staged(tsMs, pending, batch)) {
        stage.addEntry(node.stageIndex, kind, count);
        if (o !== null) stage.addEntry(o.stageIndex, kind, count);
        if (delta !== 0) this.totalNode.concurrency += delta;
      } else {
        this.totalEntries.add(batch, kind, tsMs, count, rtMs, error);
        node.addEntryAt(kind, tsMs, count);
        if (o !== null) o.addEntryAt(kind, tsMs, count);
        const row = batch.rowBase(e.id); // first: making a row may replace batch.values
        addEntryHalf(batch.values, row, kind, count);
      }
    }
    if (hasExitHalf(kind)) {
      // A CALL's exit half never moves the stage (its entry half placed it); an EXIT's only half does.
      if (kind === Kind.EXIT ? this.staged(exitMs, pending, batch) : stage.holds(exitMs)) {
        stage.addExit(node.stageIndex, kind, count, rtMs, error);
        if (o !== null) stage.addExit(o.stageIndex, kind, count, rtMs, error);
        if (delta !== 0) this.totalNode.concurrency += delta;
      } else {
        this.placeExit(e, o, exitMs, exitBatch, kind, count, rtMs, error);
      }
    }
  }

  /**
   * Whether a half at atMs goes to the stage: when the stage holds its bucket, or when the half's
   * second is pending (`batch` its batch): then the stage moves to its bucket.
   */
  private staged(atMs: number, pending: boolean, batch: SecondBatch): boolean {
    if (this.stage.holds(atMs)) return true;
    if (!pending) return false;
    this.stage.moveTo(atMs, batch);
    return true;
  }

  /** A record's exit half placed directly (not staged): on the total's runs, the nodes' rings and the resource's row in `exitBatch`. */
  private placeExit(e: ResourceEntry, o: NodeStats | null, exitMs: number, exitBatch: SecondBatch, kind: number, count: number, rtMs: number, error: boolean): void {
    this.totalExits.add(exitBatch, kind, exitMs, count, rtMs, error);
    e.node.addExitAt(kind, exitMs, count, rtMs, error);
    if (o !== null) o.addExitAt(kind, exitMs, count, rtMs, error);
    const row = exitBatch.rowBase(e.id); // first: making a row may replace exitBatch.values
    addExitHalf(exitBatch.values, row, kind, count, rtMs, error);
  }

  /** Keeps the open entries a PASS opens and an EXIT closes (on the resource's node and its origin's). */
  private trackEntries(entry: ResourceEntry, o: NodeStats | null, kind: number, tsMs: number, count: number, rtMs: number): void {
    const open = this.openEntries;
    if (kind === Kind.PASS) {
      open.pass(entry.node, tsMs, count);
      if (o !== null) open.pass(o, tsMs, count);
      return;
    }
    // An EXIT began at tsMs − rtMs. One that closes an entry expired before gives back its decrement.
    const back = open.exit(entry.node, tsMs - rtMs, count);
    if (back > 0) {
      entry.node.concurrency += back;
      this.totalNode.concurrency += back;
    }
    if (o !== null) o.concurrency += open.exit(o, tsMs - rtMs, count);
  }

  /**
   * Expires the entries still open maxEntryAgeMs after they began (a filter killed mid-request never
   * writes their EXIT): their nodes' concurrency (and the total node's) goes down by them, counted
   * in entriesExpired. Returns how many entries it expired (on resource nodes).
   */
  expireEntriesAt(nowMs: number): number {
    const maxAgeMs = this.maxEntryAgeMs;
    if (!(maxAgeMs > 0)) return 0;
    let expired = 0;
    const total = this.registry.total.node;
    this.openEntries.expireBefore(nowMs - maxAgeMs, nowMs - EXPIRED_KEPT_AGES * maxAgeMs, (node, n, taken) => {
      if (node.origin !== '') return;
      expired += n;
      total.concurrency -= Math.min(taken, Math.max(0, total.concurrency));
    });
    this.health.counters.entriesExpired += expired;
    return expired;
  }

  /** Seconds with pending data (ascending). */
  pendingSeconds(): number[] {
    return this.batches.pendingSeconds();
  }

  /**
   * Seals every second up to `throughSec`: returns the late extras first, then each newly sealed
   * second with activity, ascending, and advances lastSealedSec. The caller writes them out.
   */
  sealThrough(throughSec: number): SealedSecond[] {
    return this.batches.sealThrough(throughSec, (id) => this.registry.nameOf(id), () => this.registry.nameRanks());
  }

  /** The names of the resources tracked (the total node's aside), in id order. */
  resourceNames(): string[] {
    return this.registry.allEntries().slice(1).map((e) => e.name);
  }

  /** Frees the window buckets no read at nowMs or later can count, in every node (NodeStats.reclaimBefore); returns how many. */
  reclaimWindowsAt(nowMs: number): number {
    this.stage.observeNow(nowMs);
    let freed = 0;
    for (const e of this.registry.allEntries()) {
      freed += e.node.reclaimBefore(nowMs);
      if (e.origins !== null) for (const o of e.origins.values()) freed += o.reclaimBefore(nowMs);
    }
    return freed;
  }

  problem(p: Problem): void {
    this.health.problem(p);
  }

  // --- queries -------------------------------------------------------------------------------

  resourcesAt(nowMs: number): NodeSnapshot[] {
    return this.registry.sortedEntries().map((e) => e.node.snapshotAt(nowMs));
  }

  resourceAt(name: string, nowMs: number): { node: NodeSnapshot; origins: NodeSnapshot[] } | undefined {
    const e = this.registry.find(name);
    if (e === undefined) return undefined;
    const origins = e.origins === null ? [] : [...e.origins.values()].sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
    return { node: e.node.snapshotAt(nowMs), origins: origins.map((o) => o.snapshotAt(nowMs)) };
  }

  // --- checkpoint and warm start -------------------------------------------------------------

  exportState(): StoreState {
    return exportStoreState(this.registry, this.batches, this.health, this.openEntries);
  }

  /**
   * Loads a checkpointed state into an empty store; pending rows are also replayed into the windows.
   * `checkpointAtMs`: when it was written; a node's in-flight entries the state does not list (a
   * checkpoint from before open entries were kept) count as opened then.
   */
  importState(state: StoreState, checkpointAtMs?: number): void {
    importStoreState(state, this.registry, this.batches, this.health, this.openEntries, checkpointAtMs);
  }

  /** Adds a sealed second's counts (read back from the metric log) to a node's windows only. */
  addSealedCounts(resource: string, tsMs: number, pass: number, block: number, success: number, exception: number, rtSumMs: number): void {
    this.registry.entryOrTotal(resource)?.node.addCounts(tsMs, pass, block, success, exception, rtSumMs);
  }
}

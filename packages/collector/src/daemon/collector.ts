// Owns one collector's state machine on a pin, without timers or signals (daemon/run.ts adds
// those): restore from the checkpoint, read passes, sealing seconds into the metric log,
// checkpoints, deleting consumed segments, and the StatsQuery the query surfaces read. Every step
// takes the time explicitly.
//
// One cycle: pass (read new bytes) → seal (append lines of seconds whose end + grace has passed
// and whose on-time writes have all been read) → checkpoint (metric log fsync, then offsets +
// pending aggregates + sealed front + metric-log position in one atomic file) → delete segments
// that checkpoint recorded as sealed and consumed. On restart the metric log is cut back to the
// checkpointed position, so lines appended after the last checkpoint are written again exactly once.
// The daemon checkpoints with checkpointAsyncAt: the same order, the state taken at one instant and
// the fsyncs done off the event loop, so reading segments goes on while the disk catches up; at most
// one is in flight, and a synchronous checkpoint (or a reload) drops one not yet renamed into place.

import { readCheckpoint, writeCheckpoint, writeCheckpointAsync, CheckpointError, type Checkpoint } from '../checkpoint/checkpoint.js';
import { setFileAside } from '../checkpoint/set-aside.js';
import { DropNotes } from './drop-notes.js';
import { Ingestor } from '../ingest/ingestor.js';
import { Tailer, type TailerFs } from '../ingest/tailer.js';
import { MetricLogWriter } from '../metriclog/writer.js';
import { ensurePin, type PinPaths } from '../pin/pin.js';
import { HealthLog, type FullHealthCounters, type HealthGauge } from '../stats/health.js';
import { DEFAULT_MAX_RESOURCES, StatsStore, type EntryLookup, type ResourceEntry, type StatsStoreOptions } from '../stats/store.js';
import type { FlowRecord, RecordColumns, ResourceIdResolver } from '@sentinel-wasi/protocol';
import { RunningTotals } from '../stats/running-totals.js';
import type { Health, NodeSnapshot, ResourceTotals, StatsQuery } from '../stats/types.js';
import { basename } from 'node:path';
import { formatDateTime } from '../metriclog/line.js';
import { warmStart } from './warm-start.js';

export const DEFAULT_GRACE_MS = 2000;
const GAUGES: ReadonlySet<string> = new Set<HealthGauge>(['lagBytes', 'segmentsActive', 'segmentsBadName']);
/** Bytes read per pass before sealing/checkpointing gets a turn. */
export const DEFAULT_PASS_BUDGET_BYTES = 16 * 1024 * 1024;
/** How often a cycle gives back the window buckets that left the minute (StatsStore.reclaimWindowsAt). */
export const RECLAIM_INTERVAL_MS = 10_000;

export interface CollectorOptions extends StatsStoreOptions {
  pinDir: string;
  /** App name for a new pin (an existing PIN's app wins). */
  app?: string;
  graceMs?: number;
  metricFileBytes?: number;
  metricFileCount?: number;
  /** Zone of metric-log dates, minutes east of UTC (default: the process's zone). */
  utcOffsetMinutes?: number;
  readBufferBytes?: number;
  passBudgetBytes?: number;
  /** File-system calls of the tailer (default: node:fs). */
  tailerFs?: TailerFs;
  /** Live segments whose descriptors the tailer keeps open between reads (default MAX_KEPT_DESCRIPTORS). */
  tailerMaxKeptDescriptors?: number;
  /** Sees every record the store is given (the flow-control traffic counts); none by default. */
  onRecord?: (r: FlowRecord) => void;
  /**
   * Sees every frame the store is given as columns (the fast path), after the store counted it: with
   * it the store takes such frames as columns and onRecord sees only the other frames' records;
   * without it, a store given onRecord takes every record one by one.
   */
  onColumns?: (c: RecordColumns) => void;
  /** Told each resource the ingestor counts, once per resource entry (the map gives it an id). */
  onResource?: (name: string) => void;
  /** Resolves the resource ids of version 2 and 3 frames (the map writer's table). */
  resolveId?: ResourceIdResolver;
  /** Resource names counted before (the map's id file): the warm start reads the metric log's escaped names back as them. */
  knownNames?: () => Iterable<string>;
}

/**
 * The store with a tap on every record, for the flow-control loop's per-tick traffic (a frame's
 * columns at once when a columns tap is given, else record by record), and on each new resource entry.
 */
class TappedStore extends StatsStore {
  /** Resource entries already announced, by entry id. */
  private readonly announced: Uint8Array;
  constructor(
    options: StatsStoreOptions,
    private readonly tap: (r: FlowRecord) => void,
    private readonly columnsTap: ((c: RecordColumns) => void) | undefined,
    private readonly onResource: (name: string) => void,
  ) {
    super(options);
    this.announced = new Uint8Array((options.maxResources ?? DEFAULT_MAX_RESOURCES) + 1);
  }

  override addResolved(r: FlowRecord, lookup: EntryLookup, nowMs: number): void {
    super.addResolved(r, lookup, nowMs);
    this.tap(r);
  }

  /** Frames come as columns when the tap takes columns too. */
  override get countsColumns(): boolean {
    return this.columnsTap !== undefined;
  }

  override addColumns(c: RecordColumns, nowMs: number): void {
    super.addColumns(c, nowMs);
    this.columnsTap!(c);
  }

  /** The ingestor's per-frame name lookup: a resource entry seen for the first time is announced. */
  override entryFor(name: string): ResourceEntry | null {
    const e = super.entryFor(name);
    if (e !== null && this.announced[e.id] === 0) {
      this.announced[e.id] = 1;
      this.onResource(e.name);
    }
    return e;
  }
}

export interface CycleResult {
  bytesRead: number;
  more: boolean;
  linesWritten: number;
  deleted: string[];
  checkpointed: boolean;
}

export class Collector implements StatsQuery {
  readonly paths: PinPaths;
  readonly app: string;
  readonly graceMs: number;
  /** Counters and problems of every part (store, ingestor, tailer). */
  readonly health = new HealthLog();
  readonly store: StatsStore;
  readonly ingestor: Ingestor;
  readonly tailer: Tailer;
  readonly metricLog: MetricLogWriter;
  private readonly passBudgetBytes: number;
  /** Pass, block, success, exception per resource over the seconds sealed since start (Prometheus counters). */
  private readonly totals = new RunningTotals();
  private checkpointAtMs = 0;
  private readonly dropNotes: DropNotes;
  private dirty = true;
  /** The checkpoint checkpointAsyncAt is making durable, if any. */
  private inFlight: { cancelled: boolean; done: Promise<unknown> } | null = null;
  private frontierBucketSec = Infinity;
  /** When window buckets were last reclaimed (-Infinity: never). */
  private reclaimedAtMs = -Infinity;
  /** Counters of the collector this one replaced (a reload): health answers never go below them. */
  private counterFloor: Partial<FullHealthCounters> = {};
  /** What restore found, for the daemon's log. */
  readonly restored: {
    fromCheckpoint: boolean;
    removedMetricFiles: string[];
    truncatedMetricBytes: number;
    warmStartLines: number;
    /** Started without a checkpoint over a metric log written up to this second (records up to it skipped). */
    alreadyLoggedThroughSec?: number;
    invalidCheckpoint?: string;
  };

  constructor(options: CollectorOptions, nowMs: number) {
    const pin = ensurePin(options.pinDir, options.app);
    this.paths = pin.paths;
    this.app = pin.header.app;
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.passBudgetBytes = options.passBudgetBytes ?? DEFAULT_PASS_BUDGET_BYTES;
    /** The store, its ingestor and the tailer, empty (made again when a checkpoint cannot be loaded). */
    const parts = (): { store: StatsStore; ingestor: Ingestor; tailer: Tailer } => {
      const store =
        options.onRecord === undefined && options.onColumns === undefined && options.onResource === undefined
          ? new StatsStore({ ...options, health: this.health })
          : new TappedStore({ ...options, health: this.health }, options.onRecord ?? (() => undefined), options.onColumns ?? (options.onRecord === undefined ? () => undefined : undefined), options.onResource ?? (() => undefined));
      const ingestor = new Ingestor(store, this.health, options.resolveId);
      const tailer = new Tailer({ logDir: this.paths.logDir, ingestor, health: this.health, graceMs: this.graceMs, ...(options.readBufferBytes === undefined ? {} : { readBufferBytes: options.readBufferBytes }), ...(options.tailerFs === undefined ? {} : { fs: options.tailerFs }), ...(options.tailerMaxKeptDescriptors === undefined ? {} : { maxKeptDescriptors: options.tailerMaxKeptDescriptors }) });
      return { store, ingestor, tailer };
    };
    ({ store: this.store, ingestor: this.ingestor, tailer: this.tailer } = parts());
    this.metricLog = new MetricLogWriter({
      dir: this.paths.metricDir,
      app: this.app,
      ...(options.metricFileBytes === undefined ? {} : { maxFileBytes: options.metricFileBytes }),
      ...(options.metricFileCount === undefined ? {} : { maxFiles: options.metricFileCount }),
      ...(options.utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes: options.utcOffsetMinutes }),
    });
    let checkpoint: Checkpoint | null = null;
    let invalidCheckpoint: string | undefined;
    const setAside = (reason: string): void => {
      // Never written by us (we replace it atomically): keep it aside and start over.
      const { aside, removed } = setFileAside(this.paths.checkpoint, nowMs);
      const pruned = removed.length === 0 ? '' : ` (${removed.length} older set-aside checkpoint${removed.length === 1 ? '' : 's'} removed: ${removed.map((p) => basename(p)).join(', ')})`;
      invalidCheckpoint = `${reason}; moved aside to ${basename(aside)}${pruned}`;
    };
    try {
      checkpoint = readCheckpoint(this.paths.checkpoint);
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      setAside(err.message);
    }
    if (checkpoint !== null) {
      try {
        this.store.importState(checkpoint.store, checkpoint.atMs);
        this.tailer.restore(checkpoint.segments, nowMs);
        this.checkpointAtMs = checkpoint.atMs;
      } catch (err) {
        // Sound JSON of the right shape whose rows or entries cannot be loaded (edited by hand, or
        // damaged inside): as unreadable, never a start that fails the same way every time.
        this.tailer.close();
        this.health.restore({});
        ({ store: this.store, ingestor: this.ingestor, tailer: this.tailer } = parts());
        setAside(`E_CHECKPOINT_INVALID: ${this.paths.checkpoint}: its contents cannot be loaded (${(err as Error).message})`);
        checkpoint = null;
      }
    }
    const cut = this.metricLog.open(checkpoint === null ? undefined : checkpoint.metricLog);
    // No usable checkpoint (removed, or invalid and moved aside) over a metric log that has lines:
    // the segments still in log/ are read again from their start, and the seconds the log already
    // holds are not written twice (their records are skipped and counted in recordsAlreadyLogged).
    const alreadyLoggedThroughSec = checkpoint === null ? this.metricLog.newestIndexedSec() : -1;
    this.store.skipAlreadyLogged(alreadyLoggedThroughSec);
    const known = options.knownNames?.() ?? [];
    const warmLines = checkpoint !== null ? warmStart(this.store, this.paths.metricDir, checkpoint.metricLog, nowMs, known) : alreadyLoggedThroughSec >= 0 ? warmStart(this.store, this.paths.metricDir, this.metricLog.position(), nowMs, known) : 0;
    this.restored = {
      fromCheckpoint: checkpoint !== null,
      removedMetricFiles: cut.removedFiles,
      truncatedMetricBytes: cut.truncatedBytes,
      warmStartLines: warmLines,
      ...(alreadyLoggedThroughSec >= 0 ? { alreadyLoggedThroughSec } : {}),
      ...(invalidCheckpoint === undefined ? {} : { invalidCheckpoint }),
    };
    if (invalidCheckpoint !== undefined) {
      this.health.problem({ atMs: nowMs, code: 'E_CHECKPOINT_INVALID', message: `${invalidCheckpoint}; ${restartedWithout(alreadyLoggedThroughSec)}` });
    } else if (alreadyLoggedThroughSec >= 0) {
      this.health.problem({ atMs: nowMs, code: 'E_CHECKPOINT_MISSING', message: `no checkpoint, but the metric log has lines; ${restartedWithout(alreadyLoggedThroughSec)}` });
    }
    // Without a checkpoint, record the starting point at once: a crash before the first periodic
    // checkpoint must cut the metric log back to here, not leave lines a restart writes again.
    if (checkpoint === null) this.checkpointAt(nowMs, true);
    // After the counters were restored: what they hold now was reported by the collector before.
    this.dropNotes = new DropNotes(this.health, this.store);
  }

  /** Reads new bytes of every segment (up to the pass budget). */
  passAt(nowMs: number): { bytesRead: number; more: boolean } {
    const doneBefore = this.tailer.doneNames().size;
    const r = this.tailer.passAt(nowMs, this.passBudgetBytes);
    this.frontierBucketSec = r.frontierBucketSec;
    if (r.bytesRead > 0 || this.tailer.doneNames().size !== doneBefore) this.dirty = true;
    return { bytesRead: r.bytesRead, more: r.more };
  }

  /**
   * Reads the new bytes of one live segment right away (the log watcher saw it change); null when
   * it is not one to read this way (the next pass reads it). Sealing and checkpoints stay with the cycle.
   */
  readSegmentAt(name: string, nowMs: number): { bytesRead: number; more: boolean } | null {
    const r = this.tailer.readNamedAt(name, nowMs, this.passBudgetBytes);
    if (r === null) return null;
    if (r.behindBucketSec < this.frontierBucketSec) this.frontierBucketSec = r.behindBucketSec;
    if (r.bytesRead > 0) this.dirty = true;
    return { bytesRead: r.bytesRead, more: r.behindBucketSec !== Infinity };
  }

  /** Newest second that may be sealed at nowMs: its end plus grace has passed and everything written by then has been read. */
  sealableThroughSec(nowMs: number): number {
    const limitMs = Math.min(nowMs, this.frontierBucketSec * 1000);
    return Math.floor((limitMs - this.graceMs) / 1000) - 1;
  }

  /** Seals due seconds into the metric log; returns the number of lines written. */
  sealAt(nowMs: number): number {
    const through = this.sealableThroughSec(nowMs);
    const advances = through > this.store.lastSealedSec;
    const sealed = this.store.sealThrough(Math.max(through, this.store.lastSealedSec));
    let lines = 0;
    for (const s of sealed) {
      this.metricLog.writeSecond(s.sec, s.lines, s.late);
      this.totals.addLines(s.lines);
      lines += s.lines.length;
    }
    if (sealed.length > 0 || advances) this.dirty = true;
    return lines;
  }

  /** Writes a checkpoint (metric log made durable first), then deletes segments it records as consumed. */
  checkpointAt(nowMs: number, force = false): { written: boolean; deleted: string[] } {
    this.dropCheckpointInFlight();
    if (!this.dirty && !force) return { written: false, deleted: [] };
    this.metricLog.sync();
    const done = this.tailer.doneNames();
    writeCheckpoint(this.paths.checkpoint, this.checkpointState(nowMs));
    this.checkpointAtMs = nowMs;
    this.dirty = false;
    const deleted = this.tailer.deleteConsumed(done, nowMs);
    if (deleted.length > 0) this.dirty = true;
    return { written: true, deleted };
  }

  /**
   * checkpointAt without holding the event loop during the fsyncs: the state (offsets, metric-log
   * position, store) is taken now; then the metric log is made durable up to at least that
   * position, the checkpoint file is written, fsynced and renamed into place, and only then are
   * the segments it records as consumed deleted. Resolves `written: false` when nothing changed
   * since the last checkpoint, when one is already in flight, or when a synchronous checkpoint or
   * dropCheckpointInFlight() overtook it before its rename. Rejects with the I/O error (the state
   * stays due for the next checkpoint).
   */
  checkpointAsyncAt(nowMs: number): Promise<{ written: boolean; deleted: string[] }> {
    if (this.inFlight !== null || !this.dirty) return Promise.resolve({ written: false, deleted: [] });
    const done = this.tailer.doneNames();
    const text = JSON.stringify(this.checkpointState(nowMs));
    this.dirty = false;
    const flight: { cancelled: boolean; done: Promise<unknown> } = { cancelled: false, done: Promise.resolve() };
    const run = async (): Promise<{ written: boolean; deleted: string[] }> => {
      try {
        await this.metricLog.syncAsync();
        if (!(await writeCheckpointAsync(this.paths.checkpoint, text, () => !flight.cancelled))) return { written: false, deleted: [] };
        if (flight.cancelled) return { written: true, deleted: [] }; // a newer checkpoint is on disk: it deletes what it records
        this.checkpointAtMs = nowMs;
        const deleted = this.tailer.deleteConsumed(done, nowMs);
        if (deleted.length > 0) this.dirty = true;
        return { written: true, deleted };
      } catch (err) {
        this.dirty = true;
        throw err;
      } finally {
        if (this.inFlight === flight) this.inFlight = null;
      }
    };
    const promise = run();
    flight.done = promise.catch(() => undefined);
    this.inFlight = flight;
    return promise;
  }

  /** A checkpoint from checkpointAsyncAt is being made durable. */
  get checkpointInFlight(): boolean {
    return this.inFlight !== null;
  }

  /** Resolves once no checkpoint is in flight (a failed one included). */
  async checkpointSettled(): Promise<void> {
    while (this.inFlight !== null) await this.inFlight.done;
  }

  /** An asynchronous checkpoint not yet renamed into place is dropped (a reload or a newer checkpoint supersedes it). */
  dropCheckpointInFlight(): void {
    if (this.inFlight === null) return;
    this.inFlight.cancelled = true;
    this.inFlight = null;
    this.dirty = true;
  }

  private checkpointState(nowMs: number): Checkpoint {
    return {
      version: 1,
      atMs: nowMs,
      segments: this.tailer.exportState(),
      metricLog: this.metricLog.position(),
      store: this.store.exportState(),
    };
  }

  /** One full cycle: pass, seal, and a checkpoint when `checkpoint` is true. */
  cycleAt(nowMs: number, checkpoint: boolean): CycleResult {
    const pass = this.passAt(nowMs);
    const linesWritten = this.sealAt(nowMs);
    // Records the store dropped or could not place on a node since the last cycle become problems.
    this.dropNotes.noteAt(nowMs);
    // Entries whose EXIT has not come maxEntryAgeMs after they began are taken as lost.
    this.store.expireEntriesAt(nowMs);
    // Window buckets that left the minute go back (reads are at the clock, which goes forward).
    if (nowMs - this.reclaimedAtMs >= RECLAIM_INTERVAL_MS) {
      this.store.reclaimWindowsAt(nowMs);
      this.reclaimedAtMs = nowMs;
    }
    let deleted: string[] = [];
    let checkpointed = false;
    if (checkpoint) {
      const c = this.checkpointAt(nowMs);
      deleted = c.deleted;
      checkpointed = c.written;
    }
    return { bytesRead: pass.bytesRead, more: pass.more, linesWritten, deleted, checkpointed };
  }

  /** Final steps on a clean stop: read what is there, seal what is due, checkpoint. */
  closeAt(nowMs: number): void {
    let more = true;
    for (let i = 0; i < 64 && more; i++) more = this.passAt(nowMs).more;
    this.sealAt(nowMs);
    // Segments are deleted after the checkpoint that records them consumed; when some were, one
    // more checkpoint keeps their count (segmentsDeleted) for the next start.
    if (this.checkpointAt(nowMs, true).deleted.length > 0) this.checkpointAt(nowMs);
    this.metricLog.close();
    this.tailer.close();
  }

  // --- StatsQuery -------------------------------------------------------------------------------

  resourcesAt(nowMs: number): NodeSnapshot[] {
    return this.store.resourcesAt(nowMs);
  }

  resourceAt(name: string, nowMs: number): { node: NodeSnapshot; origins: NodeSnapshot[] } | undefined {
    return this.store.resourceAt(name, nowMs);
  }

  resourceNames(): string[] {
    return this.store.resourceNames();
  }

  resourceTotalsAt(resource: string, _nowMs: number): ResourceTotals | undefined {
    return this.totals.of(resource);
  }

  /** Newest second whose lines are all in the metric log (-1 before the first seal). */
  sealedThroughSecAt(_nowMs: number): number {
    return this.store.lastSealedSec;
  }

  /** Makes `previous`'s counters (as it answers them) a floor of this one's health answers: a reload re-counts from the checkpoint. */
  keepCountersOf(previous: Collector): void {
    const counters = previous.healthAt(0).counters as FullHealthCounters;
    const floor: Partial<FullHealthCounters> = {};
    for (const k of Object.keys(counters) as Array<keyof FullHealthCounters>) if (!GAUGES.has(k)) floor[k] = counters[k];
    this.counterFloor = floor;
  }

  healthAt(_nowMs: number): Health {
    const counters = { ...this.health.counters };
    for (const [k, v] of Object.entries(this.counterFloor) as Array<[keyof FullHealthCounters, number]>) if (counters[k] < v) counters[k] = v;
    return {
      counters,
      checkpointAtMs: this.checkpointAtMs,
      segments: this.tailer.segmentList(),
      recentProblems: this.health.problems.map((p) => ({ ...p })),
    };
  }
}

/** What a start without a usable checkpoint does, for its problem report. */
function restartedWithout(alreadyLoggedThroughSec: number): string {
  if (alreadyLoggedThroughSec < 0) return 'the segments in log/ are read from their start';
  return `the segments in log/ are read from their start, and their records of seconds up to ${formatDateTime(alreadyLoggedThroughSec * 1000)} (already in the metric log) are skipped, counted in recordsAlreadyLogged`;
}

// Owns turning segment bytes into counted records: frame scanning (native CRC), record
// validation, and the store update: a frame the fast path read goes to the store as columns
// (StatsStore.addColumns), any other frame record by record into one reused FlowRecord
// (deliverRecords), each of a frame's names resolved to its entry once per frame either way; resource ids of version 2 and 3 frames resolve through the map
// writer's id table; what is read and skipped is reported to a HealthSink. No file I/O
// here, so a benchmark can feed bytes from memory.

import { deliverRecords, emptyFlowRecord, frameColumns, scanFrames, type DecodedFrame, type FlowRecord, type FrameVisitor, type ResourceIdResolver, type ScanResult, type ScanSkip } from '@sentinel-wasi/protocol';
import { nodeCrc32 } from '@sentinel-wasi/protocol/node';
import { FrameEntries } from '../stats/frame-entries.js';
import type { HealthSink } from '../stats/health.js';
import type { ResourceEntry, StatsStore } from '../stats/store.js';

export interface IngestOptions {
  /** File offset of bytes[start] (reported offsets and nextOffset use it). */
  baseOffset?: number;
  /** True only when no more bytes will ever follow (a sealed segment). */
  final?: boolean;
  /** Called for every skipped damaged run (for problem reports). */
  onSkip?: (skip: ScanSkip) => void;
}

export class Ingestor {
  readonly store: StatsStore;
  private readonly health: HealthSink;
  private readonly scratch: FlowRecord = emptyFlowRecord();
  private nowMs = 0;
  private onSkip: ((skip: ScanSkip) => void) | undefined;
  private readonly visitor: FrameVisitor = {
    frame: (frame: DecodedFrame): void => this.frame(frame),
    skip: (skip: ScanSkip): void => this.onSkip?.(skip),
  };
  /** Record by record (see frame()): the current frame's name table resolved to resource entries, by name index. */
  private readonly frameEntries = new FrameEntries();
  /** Name index of the record being counted (read by `lookup`). */
  private nameIdx = 0;
  /** The current record's entry, resolved at most once per name per frame; the store calls it only for records it counts. */
  private readonly lookup = (r: FlowRecord): ResourceEntry | null => {
    const nameIdx = this.nameIdx;
    const entries = this.frameEntries;
    return entries.has(nameIdx) ? this.store.entryAt(entries.idOf(nameIdx)) : entries.set(nameIdx, this.store.entryFor(r.name));
  };
  private readonly sink = (r: FlowRecord, nameIdx: number): void => {
    this.nameIdx = nameIdx;
    this.store.addResolved(r, this.lookup, this.nowMs);
  };

  /** Counts into `store`; reports frames read, skipped and rejected to `health` (the store's own HealthLog when not given). */
  constructor(store: StatsStore, health: HealthSink = store.health, resolveId?: ResourceIdResolver) {
    this.store = store;
    this.health = health;
    this.resolveId = resolveId;
  }

  /** Resource ids of version 2 and 3 frames (the map writer's table); without it their records are rejected. */
  private readonly resolveId: ResourceIdResolver | undefined;

  /**
   * Counts a frame's records: straight from the fast path's columns (the store resolves each name
   * once per frame), or record by record, resolving names once per frame: a frame the reference
   * decoder read, or any frame when the store takes each record through addResolved.
   */
  private frame(frame: DecodedFrame): void {
    const columns = this.store.countsColumns ? frameColumns(frame) : null;
    if (columns !== null) {
      this.store.addColumns(columns, this.nowMs);
      return;
    }
    this.frameEntries.nextFrame();
    const tally = deliverRecords(frame, this.sink, this.scratch);
    if (tally.rejected > 0) this.health.count('recordsRejected', tally.rejected);
    if (tally.unknownKind > 0) this.health.count('recordsUnknownKind', tally.unknownKind);
  }

  /**
   * Scans bytes[start, end) and counts every valid record at time nowMs (the clock for "too far in
   * the future"). Returns the scanner's result: resume at nextOffset; `incomplete` means the tail
   * is a frame still being written (read it again later).
   */
  ingestBytes(bytes: Uint8Array, start: number, end: number, nowMs: number, options: IngestOptions = {}): ScanResult {
    this.nowMs = nowMs;
    this.onSkip = options.onSkip;
    const result = scanFrames(bytes, start, end, this.visitor, {
      final: options.final ?? false,
      baseOffset: options.baseOffset ?? start,
      ...(nodeCrc32 === undefined ? {} : { crc32: nodeCrc32 }),
      ...(this.resolveId === undefined ? {} : { resolveId: this.resolveId }),
    });
    this.health.count('framesRead', result.framesRead);
    if (result.framesSkipped > 0) this.health.count('framesSkipped', result.framesSkipped);
    if (result.bytesSkipped > 0) this.health.count('bytesSkipped', result.bytesSkipped);
    this.onSkip = undefined;
    return result;
  }
}

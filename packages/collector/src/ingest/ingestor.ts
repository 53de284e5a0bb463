// Owns turning segment bytes into counted records: frame scanning (native CRC), record
// validation into one reused FlowRecord, and the store update; what is skipped is counted in the
// store's health counters. No file I/O here, so a benchmark can feed bytes from memory.

import { emptyFlowRecord, ProtocolErrorCode, readRecord, RecordKind, scanFrames, type DecodedFrame, type FlowRecord, type FrameVisitor, type ScanResult, type ScanSkip } from '@sentinel-wasi/protocol';
import { nodeCrc32 } from '@sentinel-wasi/protocol/node';
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
  private readonly scratch: FlowRecord = emptyFlowRecord();
  private nowMs = 0;
  private onSkip: ((skip: ScanSkip) => void) | undefined;
  /** The frame's name table resolved to resource entries (each name looked up once per frame). */
  private frameEntries: Array<ResourceEntry | null | undefined> = [];
  private readonly visitor: FrameVisitor = {
    frame: (frame: DecodedFrame): void => this.frame(frame),
    skip: (skip: ScanSkip): void => this.onSkip?.(skip),
  };

  constructor(store: StatsStore) {
    this.store = store;
  }

  /** Validates each record of a frame (readRecord) and counts it, resolving names once per frame. */
  private frame(frame: DecodedFrame): void {
    const { payload, baseTsMs, names } = frame;
    const store = this.store;
    const c = store.counters;
    const r = this.scratch;
    const entries = this.frameEntries;
    if (entries.length < names.length) entries.length = names.length;
    entries.fill(undefined, 0, names.length);
    for (let i = 2; i < payload.length; i++) {
      const raw = payload[i];
      const rejection = readRecord(raw, baseTsMs, names, r);
      if (rejection !== null) {
        if (rejection === ProtocolErrorCode.UNKNOWN_KIND) c.recordsUnknownKind++;
        else c.recordsRejected++;
        continue;
      }
      if (r.kind === RecordKind.WRITER) {
        store.addResolved(r, null, this.nowMs);
        continue;
      }
      // readRecord accepted it, so raw[2] is a valid index into names.
      const nameIdx = (raw as number[])[2]!;
      let entry = entries[nameIdx];
      if (entry === undefined) entry = entries[nameIdx] = store.entryFor(r.name);
      store.addResolved(r, entry, this.nowMs);
    }
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
    });
    const c = this.store.counters;
    c.framesRead += result.framesRead;
    c.framesSkipped += result.framesSkipped;
    c.bytesSkipped += result.bytesSkipped;
    this.onSkip = undefined;
    return result;
  }
}

// Owns the plain-object form of records and batch encoding of many of them into frames: the
// convenient (allocating) API for tests, tools and benchmarks. Hot paths use FrameBuilder directly.

import { RecordKind } from './constants.js';
import { FrameBuilder, type FrameBuilderOptions } from './frame-builder.js';
import type { FlowRecord } from './records.js';

export type FlowEvent =
  | { kind: typeof RecordKind.PASS | typeof RecordKind.BLOCK; tsMs: number; name: string; count?: number; origin?: string }
  | { kind: typeof RecordKind.EXIT; tsMs: number; name: string; rtMs: number; error: boolean; count?: number; origin?: string }
  | { kind: typeof RecordKind.CALL; tsMs: number; name: string; rtMs: number; error: boolean; origin?: string }
  | { kind: typeof RecordKind.WRITER; tsMs: number; name: string; droppedRecords: number; droppedFrames: number };

/** Adds one event to a builder; false when it does not fit (see FrameBuilder). */
export function addEvent(builder: FrameBuilder, e: FlowEvent): boolean {
  switch (e.kind) {
    case RecordKind.PASS:
      return builder.addPass(e.tsMs, e.name, e.count, e.origin);
    case RecordKind.BLOCK:
      return builder.addBlock(e.tsMs, e.name, e.count, e.origin);
    case RecordKind.EXIT:
      return builder.addExit(e.tsMs, e.name, e.rtMs, e.error, e.count, e.origin);
    case RecordKind.CALL:
      return builder.addCall(e.tsMs, e.name, e.rtMs, e.error, e.origin);
    case RecordKind.WRITER:
      return builder.addWriter(e.tsMs, e.name, e.droppedRecords, e.droppedFrames);
  }
}

/** Encodes events, in order, into as few frames as fit; each returned frame is its own copy. */
export function encodeFrames(events: Iterable<FlowEvent>, options: FrameBuilderOptions = {}): Uint8Array[] {
  const builder = new FrameBuilder(options);
  const frames: Uint8Array[] = [];
  for (const e of events) {
    if (!addEvent(builder, e)) {
      frames.push(builder.finish().slice());
      addEvent(builder, e);
    }
  }
  if (!builder.isEmpty) frames.push(builder.finish().slice());
  return frames;
}

/** The plain-object form of a validated record (copies the reused FlowRecord). */
export function toFlowEvent(r: FlowRecord): FlowEvent {
  const origin = r.origin === '' ? {} : { origin: r.origin };
  switch (r.kind) {
    case RecordKind.PASS:
    case RecordKind.BLOCK:
      return { kind: r.kind, tsMs: r.tsMs, name: r.name, count: r.count, ...origin };
    case RecordKind.EXIT:
      return { kind: r.kind, tsMs: r.tsMs, name: r.name, rtMs: r.rtMs, error: r.error, count: r.count, ...origin };
    case RecordKind.CALL:
      return { kind: r.kind, tsMs: r.tsMs, name: r.name, rtMs: r.rtMs, error: r.error, ...origin };
    case RecordKind.WRITER:
      return { kind: r.kind, tsMs: r.tsMs, name: r.name, droppedRecords: r.droppedRecords, droppedFrames: r.droppedFrames };
  }
}

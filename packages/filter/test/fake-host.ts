// Test helper: an in-memory FilterHost (segments as byte arrays, a settable clock, injectable
// write failures), in-memory pin files for positioned reads (counted, with injectable failures),
// resource maps with their id tables, and decoding of what the SDK wrote, with the protocol's
// scanner (resource ids resolved with the tables of the maps written here); and what a call threw.

import { Unpackr } from 'msgpackr';
import { decodeRecords, scanFrames, toFlowEvent, MAX_FRAME_BYTES, type FlowEvent, type ResourceIdResolver } from '@sentinel-wasi/protocol';
import { encodeMapHeader, encodeSlot, epochTagOf, mapFileBytes, MapSlotTable, slotOffset, type VerdictKind } from '@sentinel-wasi/protocol/encode';
import type { FilterHost } from '../src/host.js';
import type { MapReaderHost, PinFile } from '../src/map-reader.js';

export const T0 = 1_764_120_000_000;

/** What fn threw, as its caller sees it ('nothing thrown' if it returned): null included. */
export function thrownBy(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return 'nothing thrown';
}

export class MemoryHost implements FilterHost, MapReaderHost {
  clockMs = T0;
  /** Pin files by path. */
  readonly files = new Map<string, Uint8Array>();
  /** Opens and positioned reads performed (as [path, offset, length]). */
  readonly opens: string[] = [];
  readonly reads: Array<[string, number, number]> = [];
  /** When true, every positioned read fails; when true, opening throws (a host breaking its promise). */
  failingReads = false;
  /** The most bytes one positioned read returns (a host that caps reads). */
  maxReadBytes = Number.POSITIVE_INFINITY;
  throwingOpen = false;
  /** When true, every append fails (a full disk, a missing pin). */
  failing = false;
  /** Appends attempted, including failed ones, with the size of each. */
  readonly attempts: Array<{ segment: string; bytes: number; ok: boolean }> = [];
  readonly segments = new Map<string, Uint8Array[]>();

  nowMs(): number {
    return this.clockMs;
  }

  appendFrame(segmentFile: string, frame: Uint8Array): boolean {
    const ok = !this.failing;
    this.attempts.push({ segment: segmentFile, bytes: frame.length, ok });
    if (!ok) return false;
    const list = this.segments.get(segmentFile) ?? [];
    list.push(frame.slice()); // the SDK reuses its buffer
    this.segments.set(segmentFile, list);
    return true;
  }

  openPinFile(path: string): PinFile | null {
    if (this.throwingOpen) throw new Error('open failed');
    this.opens.push(path);
    // The handle keeps the array it opened: writes into it are seen (positioned writes), a new
    // array set under the path later is not (a file replaced by rename).
    const bytes = this.files.get(path);
    if (bytes === undefined) return null;
    let open = true;
    return {
      readAt: (offsetBytes, lengthBytes) => {
        this.reads.push([path, offsetBytes, lengthBytes]);
        if (!open || this.failingReads) return null;
        return bytes.slice(offsetBytes, offsetBytes + Math.min(lengthBytes, this.maxReadBytes));
      },
      close: () => {
        open = false;
      },
    };
  }

  /** All bytes appended to one segment, concatenated. */
  bytesOf(segmentFile: string): Uint8Array {
    const frames = this.segments.get(segmentFile) ?? [];
    const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let p = 0;
    for (const f of frames) {
      out.set(f, p);
      p += f.length;
    }
    return out;
  }
}

export interface Decoded {
  events: FlowEvent[];
  frames: number;
  skipped: number;
  rejected: number;
  /** The version of each frame (2: it names resources by id). */
  versions: number[];
}

/** Resource id tables of the maps writeMap made, by epoch (what a collector would resolve frames with). */
const idTables = new Map<number, Map<number, string>>();

/** Resolves ids of the maps writeMap made. */
export const resolveTestIds: ResourceIdResolver = (epoch, id) => idTables.get(epoch)?.get(id) ?? null;

/**
 * A map file of `slotCount` home slots and epoch `epoch` with a slot (and id, from 1 in the order
 * given) per name; its ids are registered for resolveTestIds.
 */
export function writeMap(verdicts: Record<string, [VerdictKind, number]>, refreshMs: number, epoch: number, slotCount = 64): Uint8Array {
  const table = new MapSlotTable(slotCount);
  const bytes = new Uint8Array(mapFileBytes(slotCount));
  bytes.set(encodeMapHeader({ slotCount, epoch }));
  const ids = new Map<number, string>();
  for (const [name, [kind, param]] of Object.entries(verdicts)) {
    const p = table.place(name)!;
    ids.set(p.resourceId, name);
    bytes.set(encodeSlot({ hash: p.hash, resourceId: p.resourceId, kind, param, refreshMs, sequence: 1, epochTag: epochTagOf(epoch) }), slotOffset(p.slot));
  }
  idTables.set(epoch, ids);
  return bytes;
}

/** Decodes a segment with scanFrames/decodeRecords; also checks each frame with msgpackr directly. */
export function decodeSegment(bytes: Uint8Array): Decoded {
  const unpackr = new Unpackr({ useRecords: false });
  const events: FlowEvent[] = [];
  const versions: number[] = [];
  let rejected = 0;
  const result = scanFrames(
    bytes,
    0,
    bytes.length,
    {
      frame(frame) {
        if (frame.frameBytes > MAX_FRAME_BYTES) throw new Error(`frame of ${frame.frameBytes} bytes`);
        const payload = unpackr.unpack(bytes.subarray(frame.offsetBytes + 8, frame.offsetBytes + frame.frameBytes)) as unknown[];
        if (payload.length !== frame.payload.length) throw new Error('msgpackr disagrees with the scanner');
        versions.push(frame.version);
        const tally = decodeRecords(frame, (r) => events.push(toFlowEvent(r)));
        rejected += tally.rejected + tally.unknownKind;
      },
    },
    { final: true, resolveId: resolveTestIds },
  );
  return { events, frames: result.framesRead, skipped: result.framesSkipped, rejected, versions };
}

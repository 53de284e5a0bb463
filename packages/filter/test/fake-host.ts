// Test helper: an in-memory FilterHost (segments as byte arrays, a settable clock, injectable
// write failures), in-memory pin files for positioned reads (counted, with injectable failures),
// and decoding of what the SDK wrote, with the protocol's scanner.

import { Unpackr } from 'msgpackr';
import { decodeRecords, scanFrames, toFlowEvent, MAX_FRAME_BYTES, type FlowEvent } from '@sentinel-wasi/protocol';
import type { FilterHost } from '../src/host.js';
import type { MapReaderHost, PinFile } from '../src/map-reader.js';

export const T0 = 1_764_120_000_000;

export class MemoryHost implements FilterHost, MapReaderHost {
  clockMs = T0;
  /** Pin files by path. */
  readonly files = new Map<string, Uint8Array>();
  /** Opens and positioned reads performed (as [path, offset, length]). */
  readonly opens: string[] = [];
  readonly reads: Array<[string, number, number]> = [];
  /** When true, every positioned read fails; when true, opening throws (a host breaking its promise). */
  failingReads = false;
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
        return bytes.slice(offsetBytes, offsetBytes + lengthBytes);
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
}

/** Decodes a segment with scanFrames/decodeRecords; also checks each frame with msgpackr directly. */
export function decodeSegment(bytes: Uint8Array): Decoded {
  const unpackr = new Unpackr({ useRecords: false });
  const events: FlowEvent[] = [];
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
        const tally = decodeRecords(frame, (r) => events.push(toFlowEvent(r)));
        rejected += tally.rejected + tally.unknownKind;
      },
    },
    { final: true },
  );
  return { events, frames: result.framesRead, skipped: result.framesSkipped, rejected };
}

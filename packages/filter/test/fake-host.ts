// Test helper: an in-memory FilterHost (segments as byte arrays, a settable clock, injectable
// write failures) and decoding of what the SDK wrote, with the protocol's scanner.

import { Unpackr } from 'msgpackr';
import { decodeRecords, scanFrames, toFlowEvent, MAX_FRAME_BYTES, type FlowEvent } from '@sentinel-wasi/protocol';
import type { FilterHost } from '../src/host.js';

export const T0 = 1_764_120_000_000;

export class MemoryHost implements FilterHost {
  clockMs = T0;
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

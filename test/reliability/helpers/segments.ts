// Owns writing segments into a pin the way filters do (one write per frame, O_APPEND), and the
// byte-level faults a writer or an operator leaves behind: half frames, torn tails, garbage.

import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFrames, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';

export function segmentPath(pin: string, bucketSec: number, writer: string): string {
  return join(pin, 'log', segmentName(bucketSec, writer));
}

/** Creates `<pin>/log` (0700) when missing, as a writer that comes first would need it. */
export function ensureLogDir(pin: string): void {
  mkdirSync(join(pin, 'log'), { recursive: true, mode: 0o700 });
}

/** Appends events as frames, one append each; returns the frames written. */
export function appendEvents(path: string, events: FlowEvent[]): Uint8Array[] {
  const frames = encodeFrames(events);
  for (const f of frames) appendFileSync(path, f);
  return frames;
}

/** Appends raw bytes (a torn tail, garbage) with one write. */
export function appendBytes(path: string, bytes: Uint8Array): void {
  appendFileSync(path, bytes);
}

/** Resource names used by the tests (no `|`, which the metric log rewrites). */
export const NAMES = ['GET /orders', 'POST /pay', '资源', 'svc.a/b-c', 'alpha', 'beta'] as const;

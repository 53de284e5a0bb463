// Test helpers: random events, and raw frame wrapping. The seeded PRNG and SW_SEED are the shared
// test/helpers/seeded.ts, re-exported here.

import { pack } from 'msgpackr';
import { crc32, FRAME_MARKER, FRAME_VERSION, RecordKind, type FlowEvent } from '../src/index.js';

export { prng, testSeed } from '../../../test/helpers/seeded.js';

const NAMES = ['GET /', 'POST /api/orders', '资源-订单', 'emoji-🚀-route', 'a|b|c', 'x', 'ключ', 'k'.repeat(40)];
const ORIGINS = ['app-a', 'app-b', '来源'];

export function randomEvents(rand: () => number, count: number, startTsMs = 1_764_120_000_000): FlowEvent[] {
  const events: FlowEvent[] = [];
  let ts = startTsMs;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  for (let i = 0; i < count; i++) {
    ts += Math.floor(rand() * 300);
    const name = pick(NAMES);
    const origin = rand() < 0.3 ? pick(ORIGINS) : undefined;
    const r = rand();
    const rtMs = Math.floor(rand() * (rand() < 0.05 ? 100_000 : 200));
    const count = rand() < 0.8 ? 1 : 1 + Math.floor(rand() * 70_000);
    const withOrigin = origin === undefined ? {} : { origin };
    if (r < 0.3) events.push({ kind: RecordKind.CALL, tsMs: ts, name, rtMs, error: rand() < 0.1, ...withOrigin });
    else if (r < 0.5) events.push({ kind: RecordKind.PASS, tsMs: ts, name, count, ...withOrigin });
    else if (r < 0.65) events.push({ kind: RecordKind.BLOCK, tsMs: ts, name, count, ...withOrigin });
    else if (r < 0.95) events.push({ kind: RecordKind.EXIT, tsMs: ts, name, rtMs, error: rand() < 0.1, count, ...withOrigin });
    else events.push({ kind: RecordKind.WRITER, tsMs: ts, name: 'shared', droppedRecords: Math.floor(rand() * 1000), droppedFrames: Math.floor(rand() * 10) });
  }
  return events;
}

/** The normalised form decoding yields: count filled in, origin absent when none. */
export function normalise(e: FlowEvent): FlowEvent {
  switch (e.kind) {
    case RecordKind.PASS:
    case RecordKind.BLOCK:
    case RecordKind.EXIT:
      return { ...e, count: e.count ?? 1 };
    default:
      return e;
  }
}

/** Wraps payload bytes in a header (version 1 unless given) with a correct CRC. */
export function wrapPayload(payload: Uint8Array, version: number = FRAME_VERSION): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const crc = crc32(payload, 0, payload.length);
  out[0] = FRAME_MARKER;
  out[1] = version;
  out[2] = payload.length & 0xff;
  out[3] = payload.length >>> 8;
  new DataView(out.buffer).setUint32(4, crc, true);
  out.set(payload, 8);
  return out;
}

/** A frame whose payload is msgpackr's encoding of `value`. */
export function frameOf(value: unknown): Uint8Array {
  return wrapPayload(pack(value));
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

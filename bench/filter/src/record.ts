// Owns the modes every benchmark component shares: noop (make the event, drop it), encode (the
// protocol's FrameBuilder alone, no SDK, no write), buffered (the SDK batching across events, one
// append per full frame), unbuffered (the SDK with one append per event).

import { createSentinel, type Sentinel } from '@sentinel-wasi/filter';
import { FrameBuilder, utf8Length } from '@sentinel-wasi/protocol/encode';
import { eventAt } from './events.js';

let buffered: Sentinel | null = null;
let unbuffered: Sentinel | null = null;

export function noop(n: number): number {
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const e = eventAt(i);
    sink += e.rtMs + e.name.length + e.outcome;
  }
  return sink > 0 ? n : 0;
}

function record(s: Sentinel, i: number): void {
  const e = eventAt(i);
  if (e.outcome === 2) s.recordBlock(e.name);
  else s.recordCall(e.name, e.rtMs, { error: e.outcome === 1 });
}

export function recordBuffered(n: number): number {
  const s = (buffered ??= createSentinel({ writer: 'bench-buffered', flushOnIdle: false }));
  const before = s.stats().recordsWritten;
  for (let i = 0; i < n; i++) record(s, i);
  s.flush();
  return s.stats().recordsWritten - before;
}

export function recordUnbuffered(n: number): number {
  const s = (unbuffered ??= createSentinel({ writer: 'bench-unbuffered', flushOnIdle: false }));
  const before = s.stats().recordsWritten;
  for (let i = 0; i < n; i++) {
    record(s, i);
    s.flush();
  }
  return s.stats().recordsWritten - before;
}

/** The protocol encoder alone (no SDK, no write): a full frame is finished and dropped. */
export function encodeOnly(n: number): number {
  const b = new FrameBuilder();
  let frames = 0;
  const add = (i: number): boolean => {
    const e = eventAt(i);
    const ts = Date.now();
    return e.outcome === 2 ? b.addBlock(ts, e.name) : b.addCall(ts, e.name, e.rtMs, e.outcome === 1);
  };
  for (let i = 0; i < n; i++) {
    if (!add(i)) {
      b.finish();
      frames++;
      add(i);
    }
  }
  b.finish();
  return frames >= 0 ? n : 0;
}

/** One piece of the encoder's per-record work alone: the UTF-8 length of the name. */
export function utf8LengthOnly(n: number): number {
  let sink = 0;
  for (let i = 0; i < n; i++) sink += utf8Length(eventAt(i).name);
  return sink > 0 ? n : 0;
}

/** Another piece alone: a Map lookup of the name (the builder interns every record's name). */
const index = new Map<string, number>();
export function mapGetOnly(n: number): number {
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const name = eventAt(i).name;
    const k = index.get(name);
    if (k === undefined) index.set(name, index.size);
    else sink += k;
  }
  return sink >= 0 ? n : 0;
}

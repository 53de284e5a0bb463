// A writer process for the load tests: appends `events` seeded random records as frames, one
// write per frame through an O_APPEND descriptor, each frame into the shared segment or the
// writer's own one (chosen per frame), spread over `durationMs`. It prints one JSON line with what
// it wrote: records, frames and the per-(second, resource) sums.
// Run: node --import tsx writer-process.ts '<json options>'

import { closeSync, openSync, writeSync } from 'node:fs';
import { bucketSecOf, encodeFrames, RecordKind, type FlowEvent } from '@sentinel-wasi/protocol';
import { addEvents, type SumMap } from './model.js';
import { NAMES, segmentPath } from './segments.js';
import { rand } from './seed.js';

interface Options {
  pin: string;
  writer: string;
  events: number;
  seed: number;
  durationMs: number;
}

const o = JSON.parse(process.argv[2]!) as Options;
const r = rand(o.seed);
const sums: SumMap = new Map();
const fds = new Map<string, number>();
let openBucketSec = -1;
let written = 0;
let frames = 0;
const startMs = Date.now();
while (written < o.events) {
  const n = Math.min(o.events - written, r.int(10, 60));
  const now = Date.now();
  const events: FlowEvent[] = [];
  for (let i = 0; i < n; i++) {
    const name = r.pick(NAMES);
    const k = r.int(0, 3);
    if (k === 0) events.push({ kind: RecordKind.PASS, tsMs: now, name, count: r.int(1, 3) });
    else if (k === 1) events.push({ kind: RecordKind.BLOCK, tsMs: now, name });
    else if (k === 2) events.push({ kind: RecordKind.EXIT, tsMs: now, name, rtMs: r.int(0, 50), error: r.chance(0.2), count: r.int(1, 3) });
    else events.push({ kind: RecordKind.CALL, tsMs: now, name, rtMs: r.int(0, 50), error: r.chance(0.2) });
  }
  const bucketSec = bucketSecOf(now);
  if (bucketSec !== openBucketSec) {
    // A new bucket: the old bucket's segments are done (the collector deletes them once sealed).
    for (const old of fds.values()) closeSync(old);
    fds.clear();
    openBucketSec = bucketSec;
  }
  const path = segmentPath(o.pin, bucketSec, r.chance(0.5) ? 'shared' : o.writer);
  let fd = fds.get(path);
  if (fd === undefined) {
    fd = openSync(path, 'a');
    fds.set(path, fd);
  }
  for (const f of encodeFrames(events)) {
    const n = writeSync(fd, f);
    if (n !== f.length) throw new Error(`short write ${n} of ${f.length}`);
    frames++;
  }
  addEvents(sums, events);
  written += n;
  // Pace: the writer's share of the duration so far.
  const dueMs = startMs + (o.durationMs * written) / o.events;
  const waitMs = dueMs - Date.now();
  if (waitMs > 0) await new Promise((res) => setTimeout(res, waitMs));
}
for (const fd of fds.values()) closeSync(fd);
process.stdout.write(`${JSON.stringify({ writer: o.writer, records: written, frames, sums: [...sums] })}\n`);

// Owns a diagnostic of the freshness figure's daemon side: what the work of the log directory's
// watch callback — Collector.readSegmentAt reading one append — costs warm and cold. In its own
// process (run through bench/lib/child.js, so the collector's sources import directly), on a real
// pin: a Collector and a segment appended as a filter appends (one write of a frame holding a PASS
// and a CALL). Each sample times that read three ways: right after another read (warm); after the
// process slept gapMs (cold, as the daemon between two appends); and after it spun gapMs on
// arithmetic that touches no memory (it kept its core the whole time). The same three timings of a
// plain JavaScript workload that has nothing to do with the collector (Map lookups over 1 000
// objects, about as long as the read when warm) say how much of the difference is the machine's.
// Every timed read must have read exactly its frame, or the diagnostic fails: it never times a no-op.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameBuilder } from '@sentinel-wasi/protocol/encode';
import { makeAppender } from './segments.js';
import { latencyRow } from './stats.js';

const COLLECTOR_SRC = new URL('../../packages/collector/src/daemon/collector.ts', import.meta.url).href;
const REFERENCE_OBJECTS = 1000;
/** What the spins and the reference workload computed, kept (module state) so that neither is optimised away. */
let sink = 0;

/** The reference workload: a Map lookup and two field reads for each of REFERENCE_OBJECTS objects. */
function makeReference() {
  const objects = Array.from({ length: REFERENCE_OBJECTS }, (_, i) => ({ key: `resource-${i}`, pass: i, rt: [i, i + 1] }));
  const byKey = new Map(objects.map((o) => [o.key, o]));
  return {
    run() {
      let s = 0;
      for (let i = 0; i < objects.length; i++) {
        const o = byKey.get(objects[i].key);
        s += o.pass + o.rt[1];
      }
      sink ^= s;
    },
  };
}

/** Keeps the core for gapMs on register arithmetic (no memory touched); returns a value so it is not optimised away. */
function spin(gapMs) {
  const end = performance.now() + gapMs;
  let x = 1;
  while (performance.now() < end) for (let k = 0; k < 1000; k++) x = (x * 31 + k) | 0;
  return x;
}

/**
 * `samples` samples of the watch callback's read and of the reference workload, each timed warm,
 * after a sleep of gapMs and after a spin of gapMs (ms). Resolves to their percentiles (ms).
 */
export async function coldRead({ samples = 300, gapMs = 10 } = {}) {
  const { Collector } = await import(COLLECTOR_SRC);
  const root = mkdtempSync(join(tmpdir(), 'sw-bench-cold-read-'));
  const pin = join(root, 'pin');
  const collector = new Collector({ pinDir: pin, app: 'cold-read' }, Date.now());
  const builder = new FrameBuilder();
  const reference = makeReference();
  const read = { warm: [], afterSleep: [], afterSpin: [] };
  const ref = { warm: [], afterSleep: [], afterSpin: [] };
  const appender = makeAppender(pin, 'cold-read');
  const appendAndRead = (into) => {
    const nowMs = Date.now();
    builder.addPass(nowMs, 'fresh');
    builder.addCall(nowMs, 'fresh', 1, false);
    const frame = builder.finish();
    const name = appender.append(frame, nowMs);
    const t0 = performance.now();
    const r = collector.readSegmentAt(name, nowMs);
    into.push(performance.now() - t0);
    if (r === null || r.bytesRead !== frame.length) throw new Error(`read ${r === null ? 'nothing (null)' : `${r.bytesRead} bytes`} of a ${frame.length}-byte append to ${name}`);
  };
  const timeReference = (into) => {
    const t0 = performance.now();
    reference.run();
    into.push(performance.now() - t0);
  };
  try {
    for (let i = 0; i < 200; i++) {
      appendAndRead([]);
      timeReference([]);
    }
    for (let i = 0; i < samples; i++) {
      await sleep(gapMs);
      appendAndRead(read.afterSleep);
      appendAndRead(read.warm);
      sink ^= spin(gapMs);
      appendAndRead(read.afterSpin);
      await sleep(gapMs);
      timeReference(ref.afterSleep);
      timeReference(ref.warm);
      sink ^= spin(gapMs);
      timeReference(ref.afterSpin);
      collector.cycleAt(Date.now(), false); // the daemon's periodic work, untimed
    }
    const counted = collector.healthAt(Date.now()).counters.recordsCounted;
    const reads = 200 + 3 * samples;
    if (counted !== 2 * reads) throw new Error(`${counted} records counted for ${reads} appends of 2`);
    return {
      samples,
      gapMs,
      read: { warm: latencyRow(read.warm), afterSleep: latencyRow(read.afterSleep), afterSpin: latencyRow(read.afterSpin) },
      reference: { objects: REFERENCE_OBJECTS, warm: latencyRow(ref.warm), afterSleep: latencyRow(ref.afterSleep), afterSpin: latencyRow(ref.afterSpin) },
      recordsCounted: counted,
    };
  } finally {
    appender.close();
    collector.closeAt(Date.now());
    rmSync(root, { recursive: true, force: true });
  }
}

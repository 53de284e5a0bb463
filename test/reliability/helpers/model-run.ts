// The model test of the whole collector process (see model.test.ts): one seed's run against a
// real collector and its assertions, shared by the files that split the seeds between them so that
// they run side by side.

import type { Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bucketSecOf, encodeFrames, RecordKind, type FlowEvent } from '@sentinel-wasi/protocol';
import { Collector, sleep, until, type HealthCounters } from './collector.js';
import { addEvents, parseThinLines, readMetricLog, sumsObject, type SumMap } from './model.js';
import { appendBytes, appendEvents, ensureLogDir, NAMES, segmentPath } from './segments.js';
import { setFileTimeLimit, LONG, rand, seeds, size, type Rand } from './seed.js';

const GRACE_MS = 300;
const TICK_MS = 80;
const OPS = size(16, 120);
/** How long the warm-up may wait for its record to be sealed and checkpointed. */
const WARM_UP_DEADLINE_MS = 60_000;
const PARALLEL = LONG ? 4 : 5;
/** Names only ever used by records that must not be counted (minutes late, far future). */
const ANCIENT_NAME = 'ancient-only';
const FUTURE_NAME = 'future-only';

/** The counters the model predicts exactly. */
type Expected = Pick<HealthCounters, 'recordsCounted' | 'recordsRejected' | 'recordsLateDropped' | 'recordsFuture' | 'bytesSkipped' | 'writerDroppedRecords'>;

interface SeedResult {
  seed: number;
  trace: string[];
  want: SumMap;
  expected: Expected;
  /** After the sequence, once the collector caught up (or the deadline passed). */
  got: SumMap;
  counters: Expected;
  badLines: string[];
  caughtUp: boolean;
  stopCodes: (number | null | 'hung')[];
  /** After one more clean restart. */
  gotAfterRestart: SumMap;
  /** `/metric` over the seconds written, before the stop. */
  gotHttp: SumMap;
  countersAfterRestart: Expected;
  resourceNames: string[];
  faults: number;
  records: number;
  /** Time spent on the operations and on waiting for the collector to catch up. */
  opsMs: number;
  catchUpMs: number;
  output: string;
}

function pickCounters(c: HealthCounters): Expected {
  return {
    recordsCounted: c.recordsCounted,
    recordsRejected: c.recordsRejected,
    recordsLateDropped: c.recordsLateDropped,
    recordsFuture: c.recordsFuture,
    bytesSkipped: c.bytesSkipped,
    writerDroppedRecords: c.writerDroppedRecords,
  };
}

function randomEvents(r: Rand, n: number, tsMs: () => number, name?: string): FlowEvent[] {
  const out: FlowEvent[] = [];
  for (let i = 0; i < n; i++) {
    const nm = name ?? r.pick(NAMES);
    const ts = tsMs();
    switch (r.int(0, 3)) {
      case 0:
        out.push({ kind: RecordKind.PASS, tsMs: ts, name: nm, count: r.int(1, 3) });
        break;
      case 1:
        out.push({ kind: RecordKind.BLOCK, tsMs: ts, name: nm, count: r.int(1, 3) });
        break;
      case 2:
        out.push({ kind: RecordKind.EXIT, tsMs: ts, name: nm, rtMs: r.int(0, 200), error: r.chance(0.3), count: r.int(1, 2) });
        break;
      default:
        out.push({ kind: RecordKind.CALL, tsMs: ts, name: nm, rtMs: r.int(0, 200), error: r.chance(0.3) });
    }
  }
  // Frames need ascending time from their base; encodeFrames starts a new frame otherwise.
  return out;
}

async function runSeed(seed: number): Promise<SeedResult> {
  const r = rand(seed);
  const pin = await mkdtemp(join(tmpdir(), 'sw-model-'));
  const trace: string[] = [];
  const want: SumMap = new Map();
  const expected: Expected = { recordsCounted: 0, recordsRejected: 0, recordsLateDropped: 0, recordsFuture: 0, bytesSkipped: 0, writerDroppedRecords: 0 };
  const stopCodes: (number | null | 'hung')[] = [];
  const outputs: string[] = [];
  let faults = 0;
  let records = 0;
  let collector: Collector | null = null;
  let frozen = false;
  let nextWriter = 0;
  const writers: string[] = [];
  let lastBucketSec = 0;
  let maxTsMs = 0;

  const newWriter = (): string => {
    const id = `w${nextWriter++}`;
    writers.push(id);
    return id;
  };
  const pathFor = (writer: string): string => {
    const b = bucketSecOf(Date.now());
    lastBucketSec = Math.max(lastBucketSec, b);
    return segmentPath(pin, b, writer);
  };
  const counted = (events: FlowEvent[]): void => {
    addEvents(want, events);
    expected.recordsCounted += events.length;
    records += events.length;
    for (const e of events) maxTsMs = Math.max(maxTsMs, e.tsMs);
  };
  /** The running collector (a function, so the type checker does not narrow it across awaits). */
  const current = (): Collector | null => collector;
  const start = async (): Promise<void> => {
    collector = await Collector.start(pin, { graceMs: GRACE_MS, tickMs: TICK_MS });
    frozen = false;
  };
  const retire = async (c: Collector): Promise<void> => {
    await c.exited;
    outputs.push(c.output.join(''));
  };
  /** Ends the running collector, if any, as a fault: SIGKILL, or SIGTERM (its exit code kept). */
  const end = async (signal: 'SIGKILL' | 'SIGTERM'): Promise<void> => {
    const c = current();
    if (c === null) return;
    if (signal === 'SIGKILL') await c.kill();
    else stopCodes.push(await c.stop());
    await retire(c);
    collector = null;
    trace.push(`${signal} collector`);
    faults++;
  };

  try {
    ensureLogDir(pin);
    await start();
    newWriter();
    newWriter();
    // Warm-up: one record, seen sealed in the metric log and then a checkpoint written after it,
    // so the sealed front is past the start even for a collector SIGKILLed by the first operation
    // (a restart cuts the metric log back to its checkpoint), and "minutes late" below means late
    // for the collector too. Waited for as long as a loaded machine needs; a collector that never
    // gets there fails the seed here rather than leaving the model's premise unmet.
    const warm: FlowEvent[] = [{ kind: RecordKind.CALL, tsMs: Date.now(), name: NAMES[0], rtMs: 1, error: false }];
    appendEvents(pathFor(writers[0]!), warm);
    counted(warm);
    const warmKey = `${Math.floor(warm[0]!.tsMs / 1000)}|${NAMES[0]}`;
    if (!(await until(() => readMetricLog(pin).sums.has(warmKey), WARM_UP_DEADLINE_MS))) {
      throw new Error(`warm-up: the warm record's second not in the metric log after ${WARM_UP_DEADLINE_MS} ms`);
    }
    const sealSeenMs = Date.now();
    const warmCollector = collector as unknown as Collector;
    if (!(await until(async () => (await warmCollector.health()).checkpointAtMs >= sealSeenMs, WARM_UP_DEADLINE_MS))) {
      throw new Error(`warm-up: no checkpoint written in the ${WARM_UP_DEADLINE_MS} ms after the warm record was sealed`);
    }

    const opsStartMs = Date.now();
    let lastOpMs = opsStartMs;
    for (let op = 0; op < OPS; op++) {
      const opStartMs = Date.now();
      if (op > 0 && opStartMs - lastOpMs > 1000) trace[trace.length - 1] += ` (${opStartMs - lastOpMs} ms)`;
      lastOpMs = opStartMs;
      const x = r.next();
      const w = r.pick(writers);
      const now = Date.now();
      if (x < 0.28) {
        const ev = randomEvents(r, r.int(1, 40), () => now - r.int(0, 50)).sort((a, b) => a.tsMs - b.tsMs);
        appendEvents(pathFor(w), ev);
        counted(ev);
        trace.push(`append ${w} ${ev.length}`);
      } else if (x < 0.36) {
        const ev = randomEvents(r, r.int(1, 30), () => now).sort((a, b) => a.tsMs - b.tsMs);
        const [frame] = encodeFrames(ev);
        const cut = r.int(1, frame!.length - 1);
        const path = pathFor(w);
        appendBytes(path, frame!.subarray(0, cut));
        await sleep(r.int(0, 80));
        appendBytes(path, frame!.subarray(cut));
        counted(ev.slice(0, ev.length));
        trace.push(`half-frame ${w} cut ${cut}/${frame!.length}`);
        faults++;
      } else if (x < 0.42) {
        const garbage = r.bytes(r.int(1, 64));
        appendBytes(pathFor(w), garbage);
        expected.bytesSkipped += garbage.length;
        trace.push(`garbage ${w} ${garbage.length}`);
        faults++;
      } else if (x < 0.48) {
        const ev = randomEvents(r, r.int(1, 30), () => now);
        const [frame] = encodeFrames(ev);
        const keep = r.int(1, frame!.length - 1);
        appendBytes(pathFor(w), frame!.subarray(0, keep));
        expected.bytesSkipped += keep;
        records += ev.length;
        const continues = r.chance(0.5);
        if (!continues) {
          writers.splice(writers.indexOf(w), 1);
          newWriter();
        }
        trace.push(`torn-tail ${w} ${keep}/${frame!.length} ${continues ? 'continued' : 'forever'}`);
        faults++;
      } else if (x < 0.51) {
        trace.push(`new-segment ${newWriter()}`);
      } else if (x < 0.55) {
        const ev = randomEvents(r, r.int(1, 10), () => now - r.int(3000, 30000)).sort((a, b) => a.tsMs - b.tsMs);
        appendEvents(pathFor(w), ev);
        counted(ev);
        trace.push(`late ${w} ${ev.length}`);
      } else if (x < 0.57) {
        const ev = randomEvents(r, r.int(1, 10), () => now - r.int(300_000, 3_600_000), ANCIENT_NAME).sort((a, b) => a.tsMs - b.tsMs);
        appendEvents(pathFor(w), ev);
        expected.recordsLateDropped += ev.length;
        records += ev.length;
        trace.push(`minutes-late ${w} ${ev.length}`);
        faults++;
      } else if (x < 0.59) {
        const ev = randomEvents(r, r.int(1, 10), () => now + r.int(600_000, 3_600_000), FUTURE_NAME).sort((a, b) => a.tsMs - b.tsMs);
        appendEvents(pathFor(w), ev);
        expected.recordsFuture += ev.length;
        records += ev.length;
        trace.push(`far-future ${w} ${ev.length}`);
        faults++;
      } else if (x < 0.62) {
        const ev = randomEvents(r, r.int(1, 10), () => now + r.int(0, 1500)).sort((a, b) => a.tsMs - b.tsMs);
        appendEvents(pathFor(w), ev);
        counted(ev);
        trace.push(`near-future ${w} ${ev.length}`);
      } else if (x < 0.65) {
        const dropped = r.int(0, 50);
        appendEvents(pathFor(w), [{ kind: RecordKind.WRITER, tsMs: now, name: w, droppedRecords: dropped, droppedFrames: r.int(0, 3) }]);
        expected.recordsCounted += 1;
        expected.writerDroppedRecords += dropped;
        records += 1;
        trace.push(`writer-record ${w} dropped ${dropped}`);
      } else if (x < 0.71) {
        await end('SIGKILL');
      } else if (x < 0.76) {
        const c = current();
        if (c !== null && !frozen) {
          c.signal('SIGSTOP');
          frozen = true;
          trace.push('SIGSTOP collector');
          faults++;
        } else if (c !== null && frozen) {
          c.signal('SIGCONT');
          frozen = false;
          trace.push('SIGCONT collector');
        }
      } else if (x < 0.79) {
        await end('SIGTERM');
      } else if (x < 0.88) {
        const c = current();
        if (c === null) {
          await start();
          trace.push('restart collector');
        } else if (frozen) {
          c.signal('SIGCONT');
          frozen = false;
          trace.push('SIGCONT collector');
        }
      } else {
        const ms = r.int(0, 300);
        await sleep(ms);
        trace.push(`sleep ${ms}`);
      }
    }

    if (collector === null) {
      await start();
      trace.push('restart collector');
    } else if (frozen) {
      (collector as Collector).signal('SIGCONT');
      frozen = false;
      trace.push('SIGCONT collector');
    }
    const live = collector as unknown as Collector;
    const catchUpStartMs = Date.now();
    const opsMs = catchUpStartMs - opsStartMs;
    // Every second is sealed after its end plus the grace period, a torn segment once its 10 s
    // bucket is; the deadline leaves several seconds more on a busy machine.
    const deadline = Math.max((lastBucketSec + 10) * 1000, Math.ceil(maxTsMs / 1000) * 1000) + GRACE_MS + 30_000;
    const wantObj = sumsObject(want);
    let got = readMetricLog(pin);
    let counters = pickCounters((await live.health()).counters);
    let caughtUp = false;
    while (Date.now() < deadline) {
      got = readMetricLog(pin);
      counters = pickCounters((await live.health()).counters);
      if (JSON.stringify(sumsObject(got.sums)) === JSON.stringify(wantObj) && JSON.stringify(counters) === JSON.stringify(expected)) {
        caughtUp = true;
        break;
      }
      await sleep(200);
    }
    const catchUpMs = Date.now() - catchUpStartMs;
    const secs = [...want.keys()].map((k) => Number(k.split('|')[0]));
    const gotHttp = parseThinLines(await live.text(`/metric?startTime=${Math.min(...secs) * 1000}&endTime=${Math.max(...secs) * 1000}`));
    const resources = await live.json<{ resources: { resource?: string; name?: string }[] }>('/api/v1/resources');
    const resourceNames = resources.resources.map((x) => x.resource ?? x.name ?? '');
    stopCodes.push(await live.stop());
    await retire(live);
    // One more clean restart: nothing may be counted again.
    const again = await Collector.start(pin, { graceMs: GRACE_MS, tickMs: TICK_MS });
    await sleep(700);
    const countersAfterRestart = pickCounters((await again.health()).counters);
    stopCodes.push(await again.stop());
    await retire(again);
    const after = readMetricLog(pin);
    return {
      seed, trace, want, expected, got: got.sums, counters, badLines: [...got.badLines, ...after.badLines], caughtUp, stopCodes,
      gotAfterRestart: after.sums, gotHttp, countersAfterRestart, resourceNames, faults, records, opsMs, catchUpMs, output: outputs.join(''),
    };
  } finally {
    if (collector !== null) {
      (collector as Collector).signal('SIGKILL');
      await (collector as Collector).exited;
    }
    await rm(pin, { recursive: true, force: true });
  }
}

/** A seed whose run threw (e.g. a collector that never started): reported as that seed's failure. */
function failedSeed(seed: number, e: Error): SeedResult {
  const none: Expected = { recordsCounted: -1, recordsRejected: -1, recordsLateDropped: -1, recordsFuture: -1, bytesSkipped: -1, writerDroppedRecords: -1 };
  return {
    seed, trace: [`run failed: ${e.stack ?? e.message}`], want: new Map(), expected: none, got: new Map([['error', { pass: -1, block: 0, success: 0, exception: 0 }]]),
    counters: none, badLines: [], caughtUp: false, stopCodes: [], gotAfterRestart: new Map(), gotHttp: new Map(), countersAfterRestart: none, resourceNames: [],
    faults: 0, records: 0, opsMs: 0, catchUpMs: 0, output: e.message,
  };
}

/** Asserts one seed's result in its own subtest. */
function check(t: Test, res: SeedResult): void {
  void t.test(`seed ${res.seed} (SW_SEED=${res.seed})`, (t) => {
    t.same(sumsObject(res.got), sumsObject(res.want), 'metric-log sums per second and resource equal the model');
    t.same(res.counters, res.expected, 'health counters equal the model (counted, rejected, late dropped, future, bytes skipped, writer drops)');
    t.ok(res.caughtUp, 'caught up before the deadline');
    t.same(res.badLines, [], 'every metric-log line has Sentinel\'s 11 fields');
    t.ok(res.stopCodes.every((c) => c === 0), `every SIGTERM ends with exit code 0 (${res.stopCodes.join(',')})`);
    t.same(sumsObject(res.gotHttp), sumsObject(res.want), '/metric answers the same sums over HTTP');
    t.same(sumsObject(res.gotAfterRestart), sumsObject(res.want), 'after one more clean restart the metric log is unchanged');
    t.same(res.countersAfterRestart, res.expected, 'after one more clean restart the counters are unchanged');
    const phantom = res.resourceNames.filter((n) => n === ANCIENT_NAME || n === FUTURE_NAME);
    t.same(phantom, [], 'records dropped as minutes late or far future create no resource');
    t.comment(`${res.trace.length} operations in ${res.opsMs} ms, caught up in ${res.catchUpMs} ms`);
    if (!t.passing()) t.comment(`operations: ${res.trace.join('; ')}\n${res.output.slice(-4000)}`);
    t.end();
  });
}

/**
 * The model test of one file: `seedCount` seeds (SW_SEED alone when set) from a fresh base seed,
 * PARALLEL at a time, each asserted in its own subtest as soon as it ends.
 */
export function modelTest(t: Test, seedCount: number): void {
  setFileTimeLimit(t);
  const SEEDS = seeds(seedCount);
  void t.test(`model: ${SEEDS.length} seeds × ${OPS} operations against a real collector`, async (t) => {
    t.comment(`seeds ${SEEDS.join(' ')} (replay one: SW_SEED=<seed>)`);
    let next = 0;
    let done = 0;
    let faults = 0;
    let records = 0;
    // Each seed is checked as soon as it ends, so a time-out still shows the seeds that finished.
    await Promise.all(Array.from({ length: Math.min(PARALLEL, SEEDS.length) }, async () => {
      while (next < SEEDS.length) {
        const seed = SEEDS[next++]!;
        const res = await runSeed(seed).catch((e: Error) => failedSeed(seed, e));
        done++;
        faults += res.faults;
        records += res.records;
        check(t, res);
      }
    }));
    t.comment(`${done} seeds, ${faults} faults injected, ${records} records written and checked`);
  });
}

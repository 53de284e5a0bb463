// Load on a real collector process:
// - 8 concurrent writer PROCESSES append seeded records (one write per frame, O_APPEND) into the
//   shared segment and their own ones; the collector is frozen with SIGSTOP while they go on, then
//   continued: every record is counted once (exact metric-log sums and counters), no frame is torn
//   or interleaved (nothing skipped or rejected), and `/metric` answers the same sums.
// - 5 000 segments in one pin: all counted and deleted, while the collector's open descriptors,
//   resident memory and idle CPU stay under stated bounds (sampled from /proc).
// CI: 8 × 20 000 records, a 5 s freeze; SW_LONG=1: 8 × 1 000 000 records, a 30 s freeze, 20 000
// segments. Replay with SW_SEED=<seed>.

import t from 'tap';
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bucketSecOf, encodeFrames, RecordKind, type FlowEvent } from '@sentinel-wasi/protocol';
import { tempDir } from '../helpers/repo.js';
import { Collector, sleep, until } from './helpers/collector.js';
import { addEvents, mergeSums, parseThinLines, readMetricLog, sumsObject, totalOf, type Sums, type SumMap } from './helpers/model.js';
import { cpuMs, openFds, rssBytes } from './helpers/proc.js';
import { ensureLogDir, NAMES, segmentPath } from './helpers/segments.js';
import { setFileTimeLimit, oneSeed, size } from './helpers/seed.js';

setFileTimeLimit(t);

const WRITER = fileURLToPath(new URL('./helpers/writer-process.ts', import.meta.url));
const WRITERS = 8;
const EVENTS_PER_WRITER = size(20_000, 1_000_000);
const FREEZE_MS = size(5_000, 30_000);
const WRITE_DURATION_MS = size(9_000, 120_000);
const SEGMENTS = size(5_000, 20_000);
/** Bounds for the many-segments run: generous, but finite. */
const MAX_FDS = 256;
const MAX_RSS_BYTES = 768 * 1024 * 1024;
const MAX_IDLE_CPU_SHARE = 0.5;

interface WriterReport {
  writer: string;
  records: number;
  frames: number;
  sums: [string, Sums][];
}

function runWriter(pin: string, writer: string, seed: number): Promise<WriterReport> {
  return new Promise((resolve, reject) => {
    const opts = { pin, writer, events: EVENTS_PER_WRITER, seed, durationMs: WRITE_DURATION_MS };
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`writer ${writer} exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as WriterReport);
    });
  });
}

t.test(`${WRITERS} writer processes × ${EVENTS_PER_WRITER} records, collector frozen ${FREEZE_MS} ms`, async (t) => {
  const seed = oneSeed();
  t.comment(`seed ${seed} (replay: SW_SEED=${seed})`);
  const pin = await tempDir(t, 'load');
  ensureLogDir(pin);
  const collector = await Collector.start(pin, { graceMs: 2000, tickMs: 100, checkpointMs: 500 });
  t.teardown(() => collector.kill());
  const writers = Array.from({ length: WRITERS }, (_, i) => runWriter(pin, `w${i}`, seed + i));
  // Freeze the collector while the writers go on (once they have started), then let it catch up.
  await until(() => readdirSync(`${pin}/log`).length > 0, 120_000);
  await sleep(Math.min(1500, WRITE_DURATION_MS / 4));
  collector.signal('SIGSTOP');
  await sleep(FREEZE_MS);
  const frozenHealth = await Promise.race([collector.health().then(() => 'answered'), sleep(300).then(() => 'no answer')]);
  collector.signal('SIGCONT');
  t.equal(frozenHealth, 'no answer', 'the collector was really stopped (its HTTP did not answer)');
  const reports = await Promise.all(writers);

  const want: SumMap = new Map();
  let records = 0;
  for (const rep of reports) {
    mergeSums(want, new Map(rep.sums));
    records += rep.records;
  }
  t.equal(records, WRITERS * EVENTS_PER_WRITER, 'every writer wrote its records');
  const wantObj = JSON.stringify(sumsObject(want));
  let got = readMetricLog(pin);
  let health = await collector.health();
  const deadline = Date.now() + 120_000 + FREEZE_MS;
  while (Date.now() < deadline) {
    got = readMetricLog(pin);
    health = await collector.health();
    if (health.counters.lagBytes === 0 && JSON.stringify(sumsObject(got.sums)) === wantObj && health.counters.recordsCounted >= records) break;
    await sleep(250);
  }
  const c = health.counters;
  t.equal(c.recordsCounted, records, `${records} records written, each counted once`);
  t.same(
    { recordsRejected: c.recordsRejected, framesSkipped: c.framesSkipped, bytesSkipped: c.bytesSkipped, recordsLateDropped: c.recordsLateDropped, recordsFuture: c.recordsFuture },
    { recordsRejected: 0, framesSkipped: 0, bytesSkipped: 0, recordsLateDropped: 0, recordsFuture: 0 },
    'no frame torn or interleaved: nothing skipped, rejected or dropped',
  );
  t.same(sumsObject(got.sums), sumsObject(want), 'metric-log sums per second and resource equal what the writers wrote');
  t.equal(totalOf(got.sums, 'pass') + totalOf(got.sums, 'block'), totalOf(want, 'pass') + totalOf(want, 'block'), 'total pass + block');
  const secs = [...want.keys()].map((k) => Number(k.split('|')[0]));
  const thin = await collector.text(`/metric?startTime=${Math.min(...secs) * 1000}&endTime=${Math.max(...secs) * 1000}&maxLines=1000000`);
  const fromHttp = parseThinLines(thin);
  const perResource = new Map([...want].filter(([k]) => !k.endsWith('|__total_inbound_traffic__')));
  const httpResources = new Map([...fromHttp].filter(([k]) => !k.endsWith('|__total_inbound_traffic__')));
  t.same(sumsObject(httpResources), sumsObject(perResource), '/metric answers the same per-resource sums over HTTP');
  t.equal(await collector.stop(), 0, 'clean stop');
  t.comment(`${records} records from ${WRITERS} processes in ${reports.reduce((n, r) => n + r.frames, 0)} frames; collector frozen ${FREEZE_MS} ms`);
});

t.test(`${SEGMENTS} segments: descriptors, memory and CPU bounded`, async (t) => {
  const pin = await tempDir(t, 'segments');
  ensureLogDir(pin);
  const nowMs = Date.now();
  // A bucket already sealed: each segment is complete, so it is read, counted and deleted.
  const bucketSec = bucketSecOf(nowMs) - 30;
  let records = 0;
  const want: SumMap = new Map();
  for (let i = 0; i < SEGMENTS; i++) {
    const events: FlowEvent[] = [
      { kind: RecordKind.CALL, tsMs: nowMs - (i % 2000), name: NAMES[i % NAMES.length]!, rtMs: i % 30, error: i % 7 === 0 },
      { kind: RecordKind.PASS, tsMs: nowMs - (i % 2000) + 1, name: NAMES[(i + 1) % NAMES.length]!, count: 1 + (i % 3) },
    ];
    writeFileSync(segmentPath(pin, bucketSec, `s${i}`), Buffer.concat(encodeFrames(events)));
    records += events.length;
    addEvents(want, events);
  }
  const collector = await Collector.start(pin, { graceMs: 300, tickMs: 200, checkpointMs: 500 });
  t.teardown(() => collector.kill());
  const pid = collector.pid;
  let maxFds = 0;
  let maxRss = 0;
  const startFds = openFds(pid) ?? 0;
  let health = await collector.health();
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    maxFds = Math.max(maxFds, openFds(pid) ?? 0);
    maxRss = Math.max(maxRss, rssBytes(pid) ?? 0);
    health = await collector.health();
    if (health.counters.recordsCounted >= records && readdirSync(`${pin}/log`).length === 0) break;
    await sleep(100);
  }
  const leftSegments = readdirSync(`${pin}/log`).length;
  // Idle now: CPU time over 3 s of wall time.
  const cpu0 = cpuMs(pid) ?? 0;
  const wall0 = Date.now();
  await sleep(3000);
  const idleShare = ((cpuMs(pid) ?? 0) - cpu0) / (Date.now() - wall0);
  const got = readMetricLog(pin);
  t.equal(health.counters.recordsCounted, records, `${records} records in ${SEGMENTS} segments, each counted once`);
  t.same(sumsObject(got.sums), sumsObject(want), 'metric-log sums equal what the segments hold');
  t.equal(leftSegments, 0, 'every sealed, consumed segment was deleted');
  t.ok(maxFds <= MAX_FDS, `open descriptors peaked at ${maxFds} (at start ${startFds}; bound ${MAX_FDS})`);
  t.ok(maxRss <= MAX_RSS_BYTES, `resident memory peaked at ${Math.round(maxRss / 1048576)} MB (bound ${MAX_RSS_BYTES / 1048576} MB)`);
  t.ok(idleShare <= MAX_IDLE_CPU_SHARE, `idle CPU afterwards ${(idleShare * 100).toFixed(1)} % of one core (bound ${MAX_IDLE_CPU_SHARE * 100} %)`);
  t.equal(await collector.stop(), 0, 'clean stop');
});

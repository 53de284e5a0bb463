// Owns the benchmarks that need a running collector daemon (`sentinel-wasi collector`, the real
// binary, in its own process): freshness (a frame appended to a segment, the way a filter appends
// it, until the event shows in GET /api/v1/resources) and the collector's RSS with 10 000 live
// resources. The daemon runs with its defaults unless a figure needs otherwise (said in results).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { FrameBuilder } from '@sentinel-wasi/protocol/encode';
import { openHttp1 } from './lib/http1-client.js';
import { startPlainServer } from './lib/plain-server.js';
import { cpuMs, freshnessStages, monoMs } from './lib/freshness-stages.js';
import { latencyRow } from './lib/stats.js';
import { threadCpuMs, threadCpuRate } from './lib/thread-cpu.js';
import { makeAppender, writeSegments } from './lib/segments.js';
import { STANDARD, generate, makeNames, makeRng } from './lib/workload.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'packages/cli/bin/sentinel-wasi.js');
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `sentinel-wasi collector` on a fresh pin; resolves when address.json names its URL. */
async function startDaemon(extraArgs = [], { memProbe = false, stageProbe = false } = {}) {
  const pin = mkdtempSync(join(tmpdir(), 'sw-bench-daemon-'));
  const probeOut = join(tmpdir(), `sw-bench-mem-${process.pid}-${Date.now()}.json`);
  const stageOut = join(tmpdir(), `sw-bench-stages-${process.pid}-${Date.now()}.json`);
  const args = [BIN, 'collector', '--pin', pin, '--port', '0', '--log-level', 'warn', ...extraArgs];
  // SW_BENCH_DAEMON_NODE_ARGS: extra Node options for the daemon (e.g. --cpu-prof, --trace-gc), space-separated.
  const extraNodeArgs = (process.env.SW_BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const nodeArgs = [...extraNodeArgs, ...(memProbe ? ['--import', join(ROOT, 'bench/lib/mem-probe.js')] : []), ...(stageProbe ? ['--import', join(ROOT, 'bench/lib/stage-probe.js')] : [])];
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SW_BENCH_MEM_PROBE_OUT: probeOut, ...(stageProbe ? { SW_BENCH_STAGE_PROBE_OUT: stageOut } : {}) } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = null;
  child.on('exit', (code, signal) => (exited = code ?? signal));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) throw new Error(`the collector exited ${exited}: ${stderr.trim()}`);
    try {
      const address = JSON.parse(readFileSync(join(pin, 'collector', 'address.json'), 'utf8'));
      mkdirSync(join(pin, 'log'), { recursive: true });
      return {
        pin,
        pid: child.pid,
        url: address.url,
        argv: ['sentinel-wasi', ...args.slice(1)].join(' '),
        /** process.memoryUsage() and heap spaces of the daemon (needs memProbe). */
        async memory() {
          rmSync(probeOut, { force: true });
          child.kill('SIGUSR2');
          for (let i = 0; i < 100; i++) {
            try {
              return JSON.parse(readFileSync(probeOut, 'utf8'));
            } catch {
              await sleep(20);
            }
          }
          throw new Error('the memory probe did not answer');
        },
        /** Stops the daemon; resolves to the stage probe's timings (needs stageProbe and a clean exit), else null. */
        async stop() {
          if (exited === null) {
            child.kill('SIGTERM');
            for (let i = 0; i < 100 && exited === null; i++) await sleep(50);
            if (exited === null) child.kill('SIGKILL');
          }
          let stages = null;
          try {
            if (stageProbe) stages = JSON.parse(readFileSync(stageOut, 'utf8'));
          } catch {
            stages = null;
          }
          rmSync(pin, { recursive: true, force: true });
          rmSync(probeOut, { force: true });
          rmSync(stageOut, { force: true });
          return stages;
        },
      };
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the collector wrote no address.json within 30 s: ${stderr.trim()}`);
      }
      await sleep(20);
    }
  }
}

/** GET through node:http with a keep-alive Agent; resolves to the body as text. */
function getText(url) {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { agent }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolvePromise(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function getJson(url) {
  return JSON.parse(await getText(url));
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? null : Number(m[1]) / 1024;
}

/**
 * Makes `count` other resources live in the daemon (one CALL each, stamped now, from another
 * writer), waits until it counted them all, then OTHERS_SETTLE_MS more (the one-time work of
 * resources new to the daemon: their first seconds sealed, their ids published in the map): the
 * periodic work (cycles, control ticks, the checkpoint's state export) then runs over that many
 * resources while the figure is measured.
 */
async function addOtherResources(daemon, count, rng) {
  const names = makeNames(rng, count);
  const appender = makeAppender(daemon.pin, 'others');
  const builder = new FrameBuilder();
  const before = (await getJson(`${daemon.url}/api/v1/health`)).counters.recordsCounted;
  for (let i = 0; i < count; i++) {
    const nowMs = Date.now();
    if (!builder.addCall(nowMs, names[i], 1 + (i % 50), false)) {
      appender.append(builder.finish(), nowMs);
      builder.addCall(nowMs, names[i], 1 + (i % 50), false);
    }
  }
  appender.append(builder.finish(), Date.now());
  appender.close();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const health = await getJson(`${daemon.url}/api/v1/health`);
    if (health.counters.recordsCounted >= before + count) break;
    if (Date.now() > deadline) throw new Error(`the collector counted ${health.counters.recordsCounted - before} of ${count} records in 60 s`);
    await sleep(50);
  }
  const total = (await getJson(`${daemon.url}/api/v1/resources?limit=0`)).total;
  if (total !== count) throw new Error(`${total} resources tracked, expected ${count}`);
  await sleep(OTHERS_SETTLE_MS);
}

/** After other resources are counted, the figure waits this long: their first seconds are sealed, their ids published. */
const OTHERS_SETTLE_MS = 5000;

/** GC pauses from the stage probe ([kind, startMs, ms]): scavenges ('minor') apart from the other collections. */
function gcRows(pauses) {
  const of = (kind) => {
    const ms = pauses.filter((p) => p[0] === kind).map((p) => p[2]);
    return { pauses: ms.length, totalMs: ms.reduce((a, b) => a + b, 0), ...latencyRow(ms) };
  };
  return { minor: of('minor'), other: of('other') };
}


/**
 * The stage probe's figures over the timed samples (events from timedStartMs on the monotonic
 * clock; the warm-up's left out): each watch callback, each answer, the GC pauses, and each lean
 * sample split into the stages of its path.
 */
function timedStages(events, timedStartMs, leanSamples) {
  const timed = (xs, startAt = 0) => xs.filter((e) => e[startAt] >= timedStartMs);
  const watch = timed(events.watch);
  const answer = timed(events.answer);
  const gc = timed(events.gc, 1);
  return {
    watchRead: latencyRow(watch.map((e) => e[1])),
    answer: latencyRow(answer.map((e) => e[1])),
    gc: gcRows(gc),
    path: freshnessStages(leanSamples, { watch, answer, timer: timed(events.timer), gc }),
  };
}

/**
 * Freshness: `samples` times, append one frame (PASS + CALL of resource `fresh`, as a filter
 * flushes a request) and poll GET /api/v1/resources until that resource's concurrency (a plain
 * counter, +1 per PASS, no window) shows the new total. Gaps between samples are random (0–20 ms
 * by default) so appends do not fall in step with the daemon's timer. Polls are ~1 ms apart (setTimeout), so
 * a sample that needs a second poll carries up to ~1 ms of polling granularity; `firstPollShare`
 * says how many needed none. The figure polls through a lean HTTP/1.1 client (bench/lib/http1-client.js:
 * one keep-alive connection, Content-Length bodies); with `pollClient` 'alternate', every other
 * sample polls through node:http with a keep-alive Agent instead (`nodeHttpPoll`: the figure as
 * node:http sees it, interleaved with the lean client's in the same run). In the middle of each
 * gap, in a random order, four references are timed: the same GET
 * without an append (`roundTrip`: one round trip to the same daemon under the same load); the
 * same client against a plain node:http server in its own process answering a body of the same
 * size (`floor`: the machine's round trip); and both again through node:http with a keep-alive
 * Agent (`nodeHttp`, `nodeHttpFloor`: what the client library adds). With `warmupSamples`, as many
 * untimed samples come first (appends 0–`warmupGapMaxMs` ms apart, the same polls and references):
 * V8 compiles the daemon's hot code on background threads over its first seconds of traffic, and
 * the timed samples are then those of a running collector; `daemonCpu` gives the daemon's CPU a
 * second by thread over each phase (bench/lib/thread-cpu.js). With `stageProbe`, the daemon's own
 * timings over the timed samples, and each lean sample split into the stages of its path.
 */
export async function freshness({ samples, seed, daemonArgs = [], pollGapMs = 1, gapMinMs = 0, gapMaxMs = 20, pollClient = 'lean', otherResources = 0, stageProbe = false, warmupSamples = 0, warmupGapMaxMs = 2 }) {
  if (pollClient !== 'lean' && pollClient !== 'alternate') throw new Error(`pollClient must be "lean" or "alternate", got ${pollClient}`);
  const daemon = await startDaemon(otherResources > 0 ? ['--max-resources', String(otherResources + 1), ...daemonArgs] : daemonArgs, { stageProbe });
  let stages = null;
  const rng = makeRng(seed);
  const appender = makeAppender(daemon.pin, 'fresh');
  const builder = new FrameBuilder();
  // With other live resources the whole list is a large answer: the figure reads the one resource.
  const resourcesPath = otherResources > 0 ? '/api/v1/resources/fresh' : '/api/v1/resources';
  const concurrencyIn = (body) => (otherResources > 0 ? body.node?.concurrency : body.resources.find((x) => x.resource === 'fresh')?.concurrency) ?? 0;
  const latencies = [];
  const nodeHttpLatencies = [];
  // The lean samples on the monotonic clock the daemon's stage probe uses: { startMs, latencyMs, clientCpuMs }.
  // Their times are read from it (monoMs), not converted from performance.now(): an offset taken by
  // reading the two clocks one after the other is off by however long the process was preempted between them.
  const leanSamples = [];
  const refs = { roundTrip: [], floor: [], nodeHttp: [], nodeHttpFloor: [] };
  let polls = 0;
  let firstPoll = 0;
  let loadAvgAtStart = loadavg();
  // The daemon's CPU by thread (bench/lib/thread-cpu.js) over the warm-up and over the timed samples.
  let warmStartMs = 0;
  let cpuAtWarm = null;
  let warmedMs = 0;
  let cpuAtTimed = null;
  let timedStartMs = 0;
  let cpuAtEnd = null;
  let timedMs = 0;
  let client = null;
  let plainClient = null;
  let plain = null;
  let bodyBytes = null;
  try {
    // (Before the connection opens: the settle would outlast the daemon's keep-alive timeout.)
    if (otherResources > 0) await addOtherResources(daemon, otherResources, rng);
    client = await openHttp1(daemon.url);
    const leanBody = async () => {
      const res = await client.get(resourcesPath);
      if (res.status !== 200) throw new Error(`GET ${resourcesPath}: ${res.status} ${res.body}`);
      return res.body;
    };
    const nodeHttpBody = () => getText(`${daemon.url}${resourcesPath}`);
    const concurrencyOf = async (viaNodeHttp = false) => concurrencyIn(JSON.parse(await (viaNodeHttp ? nodeHttpBody() : leanBody())));
    // One untimed append first, so that every timed answer (and the floor's body) lists the resource.
    const primeMs = Date.now();
    builder.addPass(primeMs, 'fresh');
    builder.addCall(primeMs, 'fresh', 1, false);
    appender.append(builder.finish(), primeMs);
    for (let t0 = performance.now(); (await client.get(resourcesPath)).status !== 200 || (await concurrencyOf()) < 1; await sleep(5)) {
      if (performance.now() - t0 > 10_000) throw new Error('the priming append was not visible after 10 s');
    }
    const sameSizeBody = (await client.get(resourcesPath)).body;
    bodyBytes = Buffer.byteLength(sameSizeBody, 'utf8');
    plain = await startPlainServer(sameSizeBody);
    plainClient = await openHttp1(plain.url);
    const timed = {
      roundTrip: () => client.get(resourcesPath),
      floor: () => plainClient.get(resourcesPath),
      nodeHttp: () => getText(`${daemon.url}${resourcesPath}`),
      nodeHttpFloor: () => getText(`${plain.url}${resourcesPath}`),
    };
    const order = Object.keys(timed);
    for (const name of order) await timed[name](); // warm every connection once
    let appended = 1; // the priming append
    warmStartMs = performance.now();
    cpuAtWarm = threadCpuMs(daemon.pid);
    // Warm-up (i < 0): the same appends, polls and references, untimed and 0–warmupGapMaxMs apart.
    for (let i = -warmupSamples; i < samples; i++) {
      const warm = i < 0;
      if (i === 0) {
        warmedMs = performance.now() - warmStartMs;
        cpuAtTimed = threadCpuMs(daemon.pid);
        loadAvgAtStart = loadavg();
        timedStartMs = monoMs();
      }
      const gapMs = warm ? Math.floor(rng() * warmupGapMaxMs) : gapMinMs + Math.floor(rng() * (gapMaxMs - gapMinMs));
      await sleep(Math.floor(gapMs / 2));
      for (let k = order.length - 1; k > 0; k--) {
        const j = Math.floor(rng() * (k + 1));
        [order[k], order[j]] = [order[j], order[k]];
      }
      for (const name of order) {
        const r0 = performance.now();
        await timed[name]();
        if (!warm) refs[name].push(performance.now() - r0);
      }
      await sleep(gapMs - Math.floor(gapMs / 2));
      const nowMs = Date.now();
      builder.addPass(nowMs, 'fresh');
      builder.addCall(nowMs, 'fresh', 1 + (appended % 20), false);
      const frame = builder.finish();
      const expected = ++appended; // every PASS so far, this sample's included
      const viaNodeHttp = pollClient === 'alternate' && (i & 1) === 1;
      const c0 = cpuMs();
      const t0 = monoMs();
      appender.append(frame, nowMs);
      for (let poll = 1; ; poll++) {
        const concurrency = await concurrencyOf(viaNodeHttp);
        if (!warm) polls++;
        if (concurrency >= expected) {
          if (concurrency !== expected) throw new Error(`concurrency ${concurrency} after ${expected} PASS records`);
          if (poll === 1 && !warm) firstPoll++;
          break;
        }
        if (monoMs() - t0 > 10_000) throw new Error(`sample ${i}: not visible after 10 s`);
        await sleep(pollGapMs); // ~1 ms between polls: fine enough, and no request storm against the daemon
      }
      const latencyMs = monoMs() - t0;
      if (warm) continue;
      (viaNodeHttp ? nodeHttpLatencies : latencies).push(latencyMs);
      if (!viaNodeHttp) leanSamples.push({ startMs: t0, latencyMs, clientCpuMs: cpuMs() - c0 });
    }
    cpuAtEnd = threadCpuMs(daemon.pid);
    timedMs = monoMs() - timedStartMs;
  } finally {
    appender.close();
    client?.close();
    plainClient?.close();
    plain?.stop();
    stages = await daemon.stop();
  }
  return {
    ...latencyRow(latencies),
    minMs: Math.min(...latencies),
    pollsPerSample: polls / samples,
    firstPollShare: firstPoll / samples,
    client: 'lean HTTP/1.1 over one keep-alive loopback connection (bench/lib/http1-client.js)',
    pollClient,
    nodeHttpPoll: nodeHttpLatencies.length === 0 ? null : latencyRow(nodeHttpLatencies),
    roundTrip: latencyRow(refs.roundTrip),
    floor: latencyRow(refs.floor),
    nodeHttp: latencyRow(refs.nodeHttp),
    nodeHttpFloor: latencyRow(refs.nodeHttpFloor),
    bodyBytes,
    otherResources,
    path: resourcesPath,
    // The daemon's own timings (stage probe), over the timed samples: each log-directory watch callback
    // (the read of an append), each HTTP answer (request event to finish), each GC pause.
    // Each lean sample split into the stages of its path by those events (bench/lib/freshness-stages.js).
    daemonStages: stages === null ? null : timedStages(stages, timedStartMs, leanSamples),
    // The daemon's CPU a second by thread: its main thread, and all the others (V8's background compiler and GC helpers, libuv's pool).
    daemonCpu: { warmup: threadCpuRate(cpuAtWarm, cpuAtTimed, warmedMs), timed: threadCpuRate(cpuAtTimed, cpuAtEnd, timedMs) },
    warmupSamples,
    warmupGapMaxMs,
    loadAvg: { atStart: loadAvgAtStart, atEnd: loadavg() },
    pollGapMs,
    gapMs: [gapMinMs, gapMaxMs],
    daemon: daemon.argv,
  };
}

/**
 * RSS of the collector process with `resources` live resources: events spread over that many
 * names (every name at least once, 20 % with an origin) stamped over `spreadMs` up to 3 s after
 * the current time (default 3 s: a few buckets per resource; 57 s: most of each resource's ring),
 * then RSS once the daemon has counted all of them (and is still within their minute window). The daemon's cap is raised to fit (its default is 6000, as Sentinel's).
 */
export async function rss({ resources = 10_000, eventsPerResource = 20, seed, spreadMs = 3000 }) {
  const daemon = await startDaemon(['--max-resources', String(resources)], { memProbe: true });
  try {
    await sleep(500);
    const idleMb = rssMb(daemon.pid);
    const idleMemory = await daemon.memory();
    const rng = makeRng(seed);
    const names = makeNames(rng, resources);
    const appender = makeAppender(daemon.pin, 'rss');
    const builder = new FrameBuilder();
    const total = resources * eventsPerResource;
    const start = Date.now();
    const pairs = new Set();
    for (let i = 0; i < total; i++) {
      const nowMs = start + 3000 - spreadMs + Math.floor((i * spreadMs) / total); // spread over spreadMs of timestamps, up to 3 s ahead
      const name = names[i % resources];
      const origin = rng() < 0.2 ? `app-${Math.floor(rng() * 5)}` : undefined;
      if (origin !== undefined) pairs.add(`${i % resources}/${origin}`);
      if (!builder.addCall(nowMs, name, 1 + (i % 50), i % 20 === 0, origin)) {
        appender.append(builder.finish(), nowMs);
        builder.addCall(nowMs, name, 1 + (i % 50), i % 20 === 0, origin);
      }
    }
    appender.append(builder.finish(), Date.now());
    appender.close();
    let counted = 0;
    let health = null;
    const deadline = Date.now() + 60_000;
    while (counted < total) {
      health = await getJson(`${daemon.url}/api/v1/health`);
      counted = health.counters.recordsCounted;
      if (Date.now() > deadline) throw new Error(`the collector counted ${counted} of ${total} records in 60 s`);
      if (counted < total) await sleep(100);
    }
    const loadedMb = rssMb(daemon.pid);
    await sleep(1000);
    const settledMb = rssMb(daemon.pid);
    const loadedMemory = await daemon.memory();
    const live = (await getJson(`${daemon.url}/api/v1/resources?limit=0`)).total;
    // Listing every resource builds a large JSON answer: its RSS is reported apart.
    const listed = (await getJson(`${daemon.url}/api/v1/resources`)).resources.length;
    if (listed !== live) throw new Error(`${listed} resources listed, ${live} tracked`);
    if (live !== resources) throw new Error(`${live} resources listed, expected ${resources}`);
    const afterListingMb = rssMb(daemon.pid);
    return { resources, live, events: total, spreadMs, idleMb, loadedMb, settledMb, afterListingMb, rssMb: Math.max(loadedMb, settledMb), idleMemory, loadedMemory, resourceOriginPairs: pairs.size, originsOverflow: health.counters.originsOverflow, daemon: daemon.argv };
  } finally {
    await daemon.stop();
  }
}

/**
 * The real daemon catching up a backlog: `events` standard-workload events (stamped 5–15 s in the
 * future, so no second is sealed under the reader) are written as segments beside the pin, then
 * renamed into its log directory at once; the time until /api/v1/health counts them all is the
 * daemon's end-to-end ingest (watcher, tailer, decode, windows, per-second rows, checkpoints).
 */
export async function catchUp({ events, seed }) {
  const daemon = await startDaemon();
  const stage = mkdtempSync(join(tmpdir(), 'sw-bench-backlog-'));
  try {
    const spanMs = 10_000;
    const startMs = Date.now() + 5000;
    const w = generate({ ...STANDARD, startMs, ratePerSec: Math.ceil((events * 1000) / spanMs) }, events, seed);
    const seg = writeSegments(w, stage);
    const names = readdirSync(join(stage, 'log'));
    const t0 = performance.now();
    for (const name of names) renameSync(join(stage, 'log', name), join(daemon.pin, 'log', name));
    let counted = 0;
    let polls = 0;
    while (counted < events) {
      await sleep(5);
      const h = await getJson(`${daemon.url}/api/v1/health`);
      polls++;
      counted = h.counters.recordsCounted;
      if (performance.now() - t0 > 120_000) throw new Error(`the collector counted ${counted} of ${events} in 120 s`);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (counted !== events) throw new Error(`the collector counted ${counted}, expected ${events}`);
    return { events, segmentBytes: seg.bytes, segmentFiles: names.length, seconds, eventsPerSec: events / seconds, polls, daemon: daemon.argv };
  } finally {
    rmSync(stage, { recursive: true, force: true });
    await daemon.stop();
  }
}

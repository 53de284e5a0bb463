// Owns the `serve` benchmark: the http-gateway example served by `sentinel-wasi serve` (a real
// child process on 127.0.0.1), driven by a small keep-alive load generator at a fixed concurrency
// with a bounded request count. Measured in the same run: the default instance pool, the baseline
// `--fresh-instance-per-request` (an instantiation per request), and the ceiling of this machine
// for the same load generator: a plain node:http server in its own process answering "ok" (no
// component, no shim). Every answer's status is checked, and the pin must hold a PASS and an EXIT
// record per request, undamaged. Beside requests/s (which on a loaded machine measures the share
// of the CPUs a process gets as much as its own cost), each server's CPU time per request is read
// from /proc (Linux): user + system time of the whole server process, all its threads.
// The filter's added cost per request: the same gateway with the SDK's calls taken out
// (bench/serve-nosdk/http.ts, built once and cached under .cache/bench) served under the same pool
// and load, in interleaved rounds with the real one; the difference of their CPU ms per request.

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeRecords, scanFrames } from '@sentinel-wasi/protocol';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'packages/cli/bin/sentinel-wasi.js');
const COMPONENT = join(ROOT, 'examples/http-gateway/dist/http-gateway.wasm');
const CACHE_DIR = join(ROOT, '.cache', 'sentinel-wasi');
/** The gateway answers this path 200 and records a PASS and an EXIT for it. */
const TARGET = '/api/users';
/** USER_HZ of /proc/<pid>/stat times (100 on Linux). */
const CLOCK_TICKS_PER_SEC = 100;

/** Builds (or reuses) the gateway without the SDK's calls; returns { path, cached, buildSeconds }. */
export function buildNoSdkGateway() {
  const h = createHash('sha256');
  const files = (dir) => readdirSync(join(ROOT, dir)).sort().map((n) => join(dir, n)).filter((p) => statSync(join(ROOT, p)).isFile());
  for (const f of [...files('bench/serve-nosdk'), ...files('examples/http-gateway/src'), ...files('examples/http-gateway/wit'), ...files('packages/filter/src'), ...files('packages/protocol/src'), 'package-lock.json']) {
    h.update(f);
    h.update(readFileSync(join(ROOT, f)));
  }
  const cache = join(ROOT, '.cache', 'bench');
  const out = join(cache, `http-gateway-nosdk-${h.digest('hex').slice(0, 16)}.wasm`);
  if (existsSync(out)) return { path: out, cached: true, buildSeconds: 0 };
  mkdirSync(cache, { recursive: true });
  const t0 = Date.now();
  const tmp = `${out}.${process.pid}.tmp.wasm`;
  execFileSync(process.execPath, [BIN, 'build', 'bench/serve-nosdk/http.ts', '--world', 'http', '--wit', 'examples/http-gateway/wit', '--world-name', 'http-gateway', '-o', tmp], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  // The source map first (the host finds it as <component>.map), then the component.
  if (existsSync(`${tmp}.map`)) renameSync(`${tmp}.map`, `${out}.map`);
  renameSync(tmp, out);
  rmSync(`${tmp}.map`, { force: true });
  return { path: out, cached: false, buildSeconds: (Date.now() - t0) / 1000 };
}

/** Starts `sentinel-wasi serve` on a free port; resolves once it listens. */
function startServe(pin, extraArgs, nodeArgs = [], component = COMPONENT) {
  // serve writes only into a pin (a directory with its PIN file): make the temporary directory one.
  execFileSync(process.execPath, [BIN, 'init', '--pin', pin], { cwd: ROOT, stdio: 'ignore' });
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', component, '--pin', pin, '--port', '0', '--cache-dir', CACHE_DIR, ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise((r) => child.on('close', (code) => r(code)));
  return new Promise((resolvePromise, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
      if (m && child.port === undefined) {
        child.port = Number(m[1]);
        resolvePromise({
          port: child.port,
          pid: child.pid,
          async stop() {
            child.kill('SIGTERM');
            const code = await exited;
            return { code, stderr };
          },
        });
      }
    });
    void exited.then((code) => {
      if (child.port === undefined) reject(new Error(`serve exited ${code} before listening: ${stderr}`));
    });
  });
}

/** A plain node:http server in a child process, announcing its port on stdout. */
function startPlainServer() {
  const code = "const s=require('node:http').createServer((q,r)=>{r.writeHead(200,{'content-type':'text/plain'});r.end('ok\\n')});" +
    "s.listen(0,'127.0.0.1',()=>process.stdout.write(s.address().port+'\\n'));process.on('SIGTERM',()=>s.close(()=>process.exit(0)));";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.on('close', (c) => r(c)));
  return new Promise((resolvePromise) => {
    child.stdout.setEncoding('utf8').once('data', (d) => resolvePromise({ port: Number(d.trim()), pid: child.pid, stop: async () => { child.kill('SIGTERM'); await exited; } }));
  });
}

/** CPU time (user + system, all threads) a process has used so far, in ms; NaN where /proc is missing. */
function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SEC;
  } catch {
    return NaN;
  }
}

/** Sends `count` GETs with `concurrency` keep-alive connections; returns the time and the statuses. */
async function load(port, count, concurrency) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = {};
  let sent = 0;
  const one = () =>
    new Promise((resolveOne) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: TARGET, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          resolveOne();
        });
      });
      req.on('error', (e) => {
        statuses[e.code ?? 'error'] = (statuses[e.code ?? 'error'] ?? 0) + 1;
        resolveOne();
      });
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < count) {
        sent++;
        await one();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { seconds, statuses };
}

/** PASS + EXIT records (WRITER records excluded) in `<pin>/log`, and damaged bytes. */
function countRecords(pin) {
  let records = 0;
  let bytesSkipped = 0;
  const dir = join(pin, 'log');
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const bytes = readFileSync(join(dir, name));
    const r = scanFrames(bytes, 0, bytes.length, {
      frame(f) {
        decodeRecords(f, (rec) => {
          if (rec.kind !== 8) records++;
        });
      },
    }, { final: true });
    bytesSkipped += r.bytesSkipped;
  }
  return { records, bytesSkipped };
}

/**
 * One server mode: warm-up requests (untimed), then `requests` timed ones; checked against the pin
 * (`recordsPerRequest` records each: PASS and EXIT for the gateway, none without the SDK).
 */
async function measure(label, extraArgs, { requests, warmup, concurrency, component = COMPONENT, recordsPerRequest = 2 }) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-serve-'));
  try {
    const server = await startServe(dir, extraArgs, [], component);
    let stopped;
    try {
      const warm = await load(server.port, warmup, concurrency);
      const cpuBeforeMs = cpuMsOf(server.pid);
      const timed = await load(server.port, requests, concurrency);
      const cpuMs = cpuMsOf(server.pid) - cpuBeforeMs;
      stopped = await server.stop();
      const pin = countRecords(dir);
      const ok = (timed.statuses[200] ?? 0) + (warm.statuses[200] ?? 0);
      const total = requests + warmup;
      if (ok !== total) throw new Error(`${label}: ${ok} of ${total} requests answered 200 (${JSON.stringify(timed.statuses)})`);
      if (pin.records !== recordsPerRequest * total || pin.bytesSkipped !== 0) throw new Error(`${label}: ${pin.records} records in the pin for ${total} requests, ${pin.bytesSkipped} bytes skipped`);
      const summary = /stopped after .*/.exec(stopped.stderr)?.[0] ?? '';
      return { label, args: extraArgs, requests, warmup, concurrency, seconds: timed.seconds, requestsPerSec: requests / timed.seconds, cpuMsPerRequest: cpuMs / requests, recordsInPin: pin.records, serverSummary: summary };
    } finally {
      if (stopped === undefined) await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where a sampled frame's code lives: the split of the serve profile. */
function serveCategoryOf(frame) {
  const url = frame.url;
  if (frame.functionName === '(garbage collector)') return 'garbage collector';
  if (url.startsWith('wasm://')) return 'the component (wasm: StarlingMonkey running the gateway)';
  if (/transpiled\/.*component\.js$/.test(url)) return "jco's generated glue (lifting, lowering, task bookkeeping per call)";
  if (/preview2-shim/.test(url)) return 'preview2-shim (clocks, fields, worker round trips)';
  if (/packages\/host\//.test(url)) return 'the host (http-server, append-fs, pool)';
  if (frame.functionName === 'writev' || frame.functionName === 'writeBuffer' || frame.functionName === 'writeUtf8String') return 'socket and file writes (syscalls)';
  if (url.startsWith('node:') || url === '') return 'Node internals (HTTP parsing, streams, timers)';
  return 'other';
}

/**
 * The pool under `node --cpu-prof`: `requests` timed requests, and the profile's samples taken
 * while they ran (V8 and process.hrtime share the monotonic clock), self time by frame and by
 * where the code lives. (idle) samples are left out: they are time waiting for the next request.
 */
async function profilePool({ requests, warmup, concurrency }) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-serve-prof-'));
  const profDir = join(dir, 'prof');
  try {
    const server = await startServe(dir, [], ['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
    let startUs;
    let endUs;
    let timed;
    try {
      await load(server.port, warmup, concurrency);
      startUs = Number(process.hrtime.bigint() / 1000n);
      timed = await load(server.port, requests, concurrency);
      endUs = Number(process.hrtime.bigint() / 1000n);
    } finally {
      await server.stop();
    }
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const selfUs = new Map();
    const byCategory = new Map();
    let all = 0;
    let t = prof.startTime;
    for (let i = 0; i < prof.samples.length; i++) {
      t += prof.timeDeltas[i] ?? 0;
      if (t < startUs || t > endUs) continue;
      const node = byId.get(prof.samples[i]);
      const f = node.callFrame;
      if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
      const dt = prof.timeDeltas[i + 1] ?? 0;
      all += dt;
      const url = f.url.startsWith('file://') ? relative(ROOT, fileURLToPath(f.url)).replace(/^\.cache\/sentinel-wasi\/transpiled\/[^/]+\/[0-9a-f]{8}[0-9a-f]*/, '<transpiled>') : f.url;
      const key = `${f.functionName || '(anonymous)'} ${url}`;
      selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
      const cat = serveCategoryOf(f);
      byCategory.set(cat, (byCategory.get(cat) ?? 0) + dt);
    }
    const pct = (us) => (100 * us) / all;
    return {
      requests,
      requestsPerSec: requests / timed.seconds,
      sampledMs: all / 1000,
      sampledMsPerRequest: all / 1000 / requests,
      rows: [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([frame, us]) => ({ frame, selfPct: pct(us) })),
      categories: [...byCategory].sort((a, b) => b[1] - a[1]).map(([category, us]) => ({ category, selfPct: pct(us) })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * The filter's added cost per request: the gateway and the gateway without the SDK's calls, each
 * under the default pool with the same load, in `rounds` interleaved rounds (alternating which goes
 * first); medians of CPU ms per request and requests/s, and their difference.
 */
async function sdkCost({ requests, concurrency, rounds }) {
  const build = buildNoSdkGateway();
  const withSdk = [];
  const withoutSdk = [];
  const opts = { requests, warmup: Math.min(100, requests), concurrency };
  for (let r = 0; r < rounds; r++) {
    const a = () => measure('gateway', [], opts).then((x) => withSdk.push(x));
    const b = () => measure('gateway without the SDK', [], { ...opts, component: build.path, recordsPerRequest: 0 }).then((x) => withoutSdk.push(x));
    if (r % 2 === 0) {
      await a();
      await b();
    } else {
      await b();
      await a();
    }
  }
  const cpu = (xs) => median(xs.map((x) => x.cpuMsPerRequest));
  const rate = (xs) => median(xs.map((x) => x.requestsPerSec));
  return {
    rounds,
    requests,
    build: { ...build, path: relative(ROOT, build.path) },
    withSdkCpuMsPerRequest: cpu(withSdk),
    withoutSdkCpuMsPerRequest: cpu(withoutSdk),
    addedCpuMsPerRequest: cpu(withSdk) - cpu(withoutSdk),
    withSdkRequestsPerSec: rate(withSdk),
    withoutSdkRequestsPerSec: rate(withoutSdk),
    withSdk,
    withoutSdk,
  };
}

/** The pool (default) against fresh instances per request, same component, same load generator. */
export async function serveBench({ poolRequests, freshRequests, concurrency = 8, sdkCostRounds = 3 }) {
  if (!existsSync(COMPONENT)) throw new Error(`${COMPONENT} is missing: npm run build:examples`);
  const pool = await measure('pool', [], { requests: poolRequests, warmup: Math.min(100, poolRequests), concurrency });
  const profile = await profilePool({ requests: poolRequests, warmup: Math.min(100, poolRequests), concurrency });
  const fresh = await measure('fresh', ['--fresh-instance-per-request'], { requests: freshRequests, warmup: concurrency, concurrency });
  const plain = await startPlainServer();
  let ceiling;
  try {
    await load(plain.port, Math.min(100, poolRequests), concurrency);
    const cpuBeforeMs = cpuMsOf(plain.pid);
    const timed = await load(plain.port, poolRequests, concurrency);
    const cpuMs = cpuMsOf(plain.pid) - cpuBeforeMs;
    if (timed.statuses[200] !== poolRequests) throw new Error(`plain server: ${JSON.stringify(timed.statuses)}`);
    ceiling = { label: 'plain node:http', requests: poolRequests, seconds: timed.seconds, requestsPerSec: poolRequests / timed.seconds, cpuMsPerRequest: cpuMs / poolRequests };
  } finally {
    await plain.stop();
  }
  return {
    concurrency,
    poolRequestsPerSec: pool.requestsPerSec,
    freshRequestsPerSec: fresh.requestsPerSec,
    poolOverFresh: pool.requestsPerSec / fresh.requestsPerSec,
    plainNodeRequestsPerSec: ceiling.requestsPerSec,
    poolOverPlainNode: pool.requestsPerSec / ceiling.requestsPerSec,
    poolCpuMsPerRequest: pool.cpuMsPerRequest,
    plainNodeCpuMsPerRequest: ceiling.cpuMsPerRequest,
    /** Requests/s the pool's CPU time per request allows on one core of its own (the server handles requests one at a time). */
    poolRequestsPerCpuSecond: 1000 / pool.cpuMsPerRequest,
    /** The filter's added cost per request (the gateway against itself without the SDK's calls). */
    sdkCost: await sdkCost({ requests: poolRequests, concurrency, rounds: sdkCostRounds }),
    pool,
    fresh,
    ceiling,
    profile,
  };
}

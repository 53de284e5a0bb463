// Owns the `serve` benchmark: the http-gateway example served by `sentinel-wasi serve` (a real
// child process on 127.0.0.1), driven by a small keep-alive load generator at a fixed concurrency
// with a bounded request count. Measured in the same run: the default instance pool, the baseline
// `--fresh-instance-per-request` (an instantiation per request), and the ceiling of this machine
// for the same load generator: a plain node:http server in its own process answering "ok" (no
// component, no shim). Every answer's status is checked, and the pin must hold a PASS and an EXIT
// record per request, undamaged.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeRecords, scanFrames } from '@sentinel-wasi/protocol';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'packages/cli/bin/sentinel-wasi.js');
const COMPONENT = join(ROOT, 'examples/http-gateway/dist/http-gateway.wasm');
const CACHE_DIR = join(ROOT, '.cache', 'sentinel-wasi');
/** The gateway answers this path 200 and records a PASS and an EXIT for it. */
const TARGET = '/api/users';

/** Starts `sentinel-wasi serve` on a free port; resolves once it listens. */
function startServe(pin, extraArgs) {
  const child = spawn(process.execPath, [BIN, 'serve', COMPONENT, '--pin', pin, '--port', '0', '--cache-dir', CACHE_DIR, ...extraArgs], {
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
    child.stdout.setEncoding('utf8').once('data', (d) => resolvePromise({ port: Number(d.trim()), stop: async () => { child.kill('SIGTERM'); await exited; } }));
  });
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

/** One server mode: warm-up requests (untimed), then `requests` timed ones; checked against the pin. */
async function measure(label, extraArgs, { requests, warmup, concurrency }) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-serve-'));
  try {
    const server = await startServe(dir, extraArgs);
    let stopped;
    try {
      const warm = await load(server.port, warmup, concurrency);
      const timed = await load(server.port, requests, concurrency);
      stopped = await server.stop();
      const pin = countRecords(dir);
      const ok = (timed.statuses[200] ?? 0) + (warm.statuses[200] ?? 0);
      const total = requests + warmup;
      if (ok !== total) throw new Error(`${label}: ${ok} of ${total} requests answered 200 (${JSON.stringify(timed.statuses)})`);
      if (pin.records !== 2 * total || pin.bytesSkipped !== 0) throw new Error(`${label}: ${pin.records} records in the pin for ${total} requests, ${pin.bytesSkipped} bytes skipped`);
      const summary = /stopped after .*/.exec(stopped.stderr)?.[0] ?? '';
      return { label, args: extraArgs, requests, warmup, concurrency, seconds: timed.seconds, requestsPerSec: requests / timed.seconds, recordsInPin: pin.records, serverSummary: summary };
    } finally {
      if (stopped === undefined) await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The pool (default) against fresh instances per request, same component, same load generator. */
export async function serveBench({ poolRequests, freshRequests, concurrency = 8 }) {
  if (!existsSync(COMPONENT)) throw new Error(`${COMPONENT} is missing: npm run build:examples`);
  const pool = await measure('pool', [], { requests: poolRequests, warmup: Math.min(100, poolRequests), concurrency });
  const fresh = await measure('fresh', ['--fresh-instance-per-request'], { requests: freshRequests, warmup: concurrency, concurrency });
  const plain = await startPlainServer();
  let ceiling;
  try {
    await load(plain.port, Math.min(100, poolRequests), concurrency);
    const timed = await load(plain.port, poolRequests, concurrency);
    if (timed.statuses[200] !== poolRequests) throw new Error(`plain server: ${JSON.stringify(timed.statuses)}`);
    ceiling = { label: 'plain node:http', requests: poolRequests, seconds: timed.seconds, requestsPerSec: poolRequests / timed.seconds };
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
    pool,
    fresh,
    ceiling,
  };
}

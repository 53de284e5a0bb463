// Shared parts of the flow-control end-to-end tests: a real collector process on a pin (its URL and
// token from the pin), the http-gateway served by the Node host, a paced load generator over
// keep-alive HTTP that timestamps every answer, condition-based waits, and reading one verdict
// from `<pin>/map` the way a filter does.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { decodeMapHeader, decodeSlot, epochTagOf, lookupInWindow, MAP_HEADER_BYTES, MAP_SLOT_BYTES, MAP_WINDOW_BYTES, nameHash, windowOffset, type MapSlot, type MapVerdict, type NameHash } from '@sentinel-wasi/protocol/encode';
import { CLI_BIN, exampleComponent } from '../helpers/repo.js';
import { startServe, type ServingHost } from '../helpers/node-host.js';

export interface RunningCollector {
  url: string;
  token: string;
  child: ChildProcess;
  /** stdout so far (pino JSON lines). */
  log(): string;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function startCollector(pin: string, extraArgs: string[] = []): Promise<RunningCollector> {
  const address = join(pin, 'collector', 'address.json');
  const child = spawn(process.execPath, [CLI_BIN, 'collector', '--pin', pin, '--port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number>((r) => child.on('close', (code, signal) => r(code ?? (signal ? 128 : 1))));
  const url = await waitFor('the collector to listen', () => {
    if (child.exitCode !== null) throw new Error(`collector exited: ${out}`);
    if (!existsSync(address)) return undefined;
    try {
      const a = JSON.parse(readFileSync(address, 'utf8')) as { url: string; pid: number };
      return a.pid === child.pid ? a.url : undefined;
    } catch {
      return undefined;
    }
  });
  const token = readFileSync(join(pin, 'collector', 'token'), 'utf8').trim();
  return {
    url,
    token,
    child,
    log: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function serveGateway(pin: string): Promise<ServingHost> {
  // Instances reused (the fastest serve option the host offers): one instance per request cannot
  // sustain 200 requests/s on a loaded 2-core machine.
  return startServe({ component: exampleComponent('http-gateway'), pin, extraArgs: ['--max-instance-reuse-count', '1000000'] });
}

/** The collector's /api/v1/health, typed as far as the caller reads it. */
export async function healthOf<T>(c: RunningCollector): Promise<T> {
  return (await (await fetch(`${c.url}/api/v1/health`)).json()) as T;
}

/** The map's bytes, `key`'s name hash, where its probe window starts and the epoch tag of the map's epoch; undefined when there is no map. */
function mapWindow(pin: string, key: string): { bytes: Buffer; hash: NameHash; offset: number; epochTag: number } | undefined {
  const path = join(pin, 'map');
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  const header = decodeMapHeader(bytes.subarray(0, MAP_HEADER_BYTES))!;
  const hash = nameHash(key);
  return { bytes, hash, offset: windowOffset(hash, header.slotCount), epochTag: epochTagOf(header.epoch) };
}

/** The verdict a filter would read for `key` now (PASS with the reason when none). */
export function mapVerdict(pin: string, key: string, nowMs = Date.now()): MapVerdict & { present: boolean } {
  const w = mapWindow(pin, key);
  if (w === undefined) return { kind: 0, param: 0, resourceId: 0, refreshMs: 0, outcome: 'miss', tornSlots: 0, present: false };
  const v = lookupInWindow(w.bytes.subarray(w.offset, w.offset + MAP_WINDOW_BYTES), w.hash, nowMs, { epochTag: w.epochTag });
  return { ...v, present: true };
}

/**
 * The slot of `key` in `<pin>/map` as written (its sequence and refresh time too), undefined when
 * it has none (or no map). A slot read while the collector rewrites it (torn) is read again, up to 100 times.
 */
export function mapSlot(pin: string, key: string): MapSlot | undefined {
  for (let attempt = 0; attempt < 100; attempt++) {
    const w = mapWindow(pin, key);
    if (w === undefined) return undefined;
    let torn = false;
    for (let at = w.offset; at < w.offset + MAP_WINDOW_BYTES; at += MAP_SLOT_BYTES) {
      const slot = decodeSlot(w.bytes, at);
      if (slot === 'torn') torn = true;
      else if (slot !== 'empty' && slot.hash.lo === w.hash.lo && slot.hash.hi === w.hash.hi && slot.epochTag === w.epochTag) return slot;
    }
    if (!torn) return undefined;
  }
  return undefined;
}

export interface Answer {
  path: string;
  status: number;
  body: string;
  /** When the request was sent and answered, ms since the run started. */
  sentMs: number;
  answeredMs: number;
}

/**
 * One request; resolves with status and body (status 0 on a transport error, its code as the body).
 * A request that fails with ECONNRESET/EPIPE on a reused keep-alive socket is sent again once, as
 * Node's documentation advises: the server closed that idle connection as the request went out, so
 * the request never reached it (the PASS/BLOCK counts the tests compare would show it if it had).
 * The retry goes on a connection of its own: the pool's other idle sockets may be closing too (a
 * stall of the machine can leave several past the server's keep-alive timeout at once).
 */
export function send(agent: Agent, base: string, path: string, retried = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(`${base}${path}`, { agent: retried ? false : agent, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, body: `response: ${err.code ?? err.message}` }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const keepAliveRace = req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      if (keepAliveRace && !retried) resolve(send(agent, base, path, true));
      else resolve({ status: 0, body: `request: ${err.code ?? err.message}${req.reusedSocket ? ' (reused socket)' : ''}` });
    });
    req.end();
  });
}

/** Offers `perSec` requests a second to each path for durationMs (paced by elapsed time, not by answers). */
export async function offer(base: string, paths: Record<string, number>, durationMs: number): Promise<Answer[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const t0 = Date.now();
  const sent = new Map<string, number>(Object.keys(paths).map((p) => [p, 0]));
  const answers: Promise<Answer>[] = [];
  await new Promise<void>((done) => {
    const iv = setInterval(() => {
      const elapsed = Math.min(Date.now() - t0, durationMs);
      for (const [path, perSec] of Object.entries(paths)) {
        const due = Math.floor((elapsed * perSec) / 1000);
        for (let n = sent.get(path)!; n < due; n++) {
          const sentMs = Date.now() - t0;
          answers.push(send(agent, base, path).then((r) => ({ path, ...r, sentMs, answeredMs: Date.now() - t0 })));
        }
        sent.set(path, due);
      }
      if (elapsed >= durationMs) {
        clearInterval(iv);
        done();
      }
    }, 2);
  });
  const all = await Promise.all(answers);
  agent.destroy();
  return all;
}

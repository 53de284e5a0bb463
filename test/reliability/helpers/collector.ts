// Owns running the real collector as a child process: the `sentinel-wasi collector` command from
// CLI_BIN on a pin, its HTTP address taken from its own start-up log, signals (SIGKILL, SIGSTOP,
// SIGCONT, SIGTERM), and JSON answers from its HTTP surface.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { CLI_BIN } from '../../helpers/repo.js';
import type { HealthCounters as CollectorHealthCounters } from '../../../packages/collector/src/stats/types.js';

export interface CollectorOptions {
  graceMs?: number;
  tickMs?: number;
  checkpointMs?: number;
  /** More command-line options. */
  args?: string[];
}

/** The collector's own health counters (every one present in `/api/v1/health`). */
export type HealthCounters = Required<CollectorHealthCounters>;

export interface Health {
  nowMs: number;
  counters: HealthCounters;
  checkpointAtMs: number | null;
  segments: unknown[];
  recentProblems: { atMs: number; code: string; message: string; [k: string]: unknown }[];
}

/** How long a SIGTERMed collector may take to exit before stop() calls it hung. */
export const STOP_DEADLINE_MS = 60_000;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One running collector process. */
export class Collector {
  /** Everything the process wrote to stdout and stderr, across its life. */
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  url = '';
  private exitedState: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitedState = { code, signal };
        resolve(this.exitedState);
      });
    });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => this.output.push(d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => this.output.push(d));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitedState === null;
  }

  /** Starts `sentinel-wasi collector --pin <pin> --port 0 …` and waits until its HTTP listens. */
  static async start(pin: string, options: CollectorOptions = {}): Promise<Collector> {
    const args = [
      CLI_BIN, 'collector', '--pin', pin, '--port', '0',
      '--grace-ms', String(options.graceMs ?? 300),
      '--tick-ms', String(options.tickMs ?? 40),
      '--checkpoint-ms', String(options.checkpointMs ?? 150),
      ...(options.args ?? []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
    const c = new Collector(child);
    // Generous: a loaded machine can take many seconds to start a Node process.
    const deadline = Date.now() + 90_000;
    while (c.url === '') {
      const m = /"url":"(http:\/\/[^"]+)","msg":"http listening"/.exec(c.output.join(''));
      if (m) c.url = m[1]!;
      else if (!c.running) throw new Error(`collector exited before listening: ${c.output.join('')}`);
      else if (Date.now() > deadline) throw new Error(`collector not listening after 90 s: ${c.output.join('')}`);
      else await sleep(20);
    }
    return c;
  }

  async json<T = unknown>(path: string): Promise<T> {
    const res = await fetch(this.url + path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async text(path: string): Promise<string> {
    const res = await fetch(this.url + path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res.text();
  }

  health(): Promise<Health> {
    return this.json<Health>('/api/v1/health');
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  /**
   * SIGTERM (SIGCONT first, in case it is stopped) and wait; returns the exit code. A collector
   * still running STOP_DEADLINE_MS later is killed and the answer is 'hung' (its last output is
   * kept in `output`), so that a stop that never ends fails the test instead of stalling it.
   */
  async stop(): Promise<number | null | 'hung'> {
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    // The deadline's timer is cleared once the process exits: a pending timer would keep the test
    // process alive for up to STOP_DEADLINE_MS after its last stop.
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => {
      timer = setTimeout(() => resolve('hung'), STOP_DEADLINE_MS);
    });
    const ended = await Promise.race([this.exited, hung]);
    clearTimeout(timer);
    if (ended !== 'hung') return ended.code;
    this.output.push(`\n[test] collector pid ${this.pid} still running ${STOP_DEADLINE_MS} ms after SIGTERM: killed\n`);
    await this.kill();
    return 'hung';
  }

  /** JSON log lines (the collector logs JSON lines on stdout); others are skipped. */
  logLines(): { msg?: string; [k: string]: unknown }[] {
    const out: { msg?: string }[] = [];
    for (const line of this.output.join('').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as { msg?: string });
      } catch {
        // a line cut by the kill
      }
    }
    return out;
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it became true. */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

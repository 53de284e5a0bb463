// Owns ending a `serve` process whose request never returns. A request runs to completion in one
// synchronous call on the process's one JS thread, so a filter that loops forever holds the thread:
// nothing on it (other requests, SIGTERM's handler) runs again, and nothing can interrupt the
// component. A worker thread watches the start time the main thread sets around each request and,
// once a request has run longer than the limit, writes one line on stderr and kills the process
// (SIGKILL), for a supervisor to restart it: a process that says why it ended beats one that hangs.

import { Worker } from 'node:worker_threads';

/** The default limit on one request's run, ms (`--max-request-ms`; 0: no limit). */
export const DEFAULT_MAX_REQUEST_MS = 60_000;

// Run in the worker (CommonJS, eval): state[0] is the running request's start (epoch ms, 0: none).
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { state, limitMs, message } = workerData;
setInterval(() => {
  const started = Number(Atomics.load(state, 0));
  if (started > 0 && Date.now() - started > limitMs) {
    try { writeSync(2, message.replace('{ms}', String(Date.now() - started))); } catch {}
    process.kill(process.pid, 'SIGKILL');
  }
}, Math.min(1000, Math.max(20, Math.floor(limitMs / 4))));
`;

export class RequestWatchdog {
  readonly #state = new BigInt64Array(new SharedArrayBuffer(8));
  readonly #worker: Worker;

  /** `message`: the line written before the kill ('{ms}' is replaced by how long the request ran). */
  constructor(limitMs: number, message: string) {
    this.#worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { state: this.#state, limitMs, message } });
    this.#worker.unref(); // never what keeps the process alive
  }

  /** A request starts running on the main thread. */
  begin(nowMs: number): void {
    Atomics.store(this.#state, 0, BigInt(nowMs));
  }

  /** The request returned. */
  end(): void {
    Atomics.store(this.#state, 0, 0n);
  }

  close(): void {
    void this.#worker.terminate();
  }
}

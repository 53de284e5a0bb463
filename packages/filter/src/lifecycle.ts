// Owns the ends of a run and of a request: a registry of the recorders a component made, and
// wrappers for the wasi:cli/run and wasi:http/incoming-handler exports that flush them all when
// the run or request ends, however it ends.

import type { Sentinel } from './sentinel.js';

const recorders: Sentinel[] = [];

/** Adds a recorder to those flushAll() flushes; returns it. */
export function register(sentinel: Sentinel): Sentinel {
  recorders.push(sentinel);
  return sentinel;
}

/** Flushes every registered recorder (runtime faults are counted, never thrown). */
export function flushAll(): void {
  for (const r of recorders) r.flush();
}

/**
 * Wraps a command's body as the `wasi:cli/run` export: `export const run = command(() => {...})`.
 * Everything recorded is flushed when the body ends. Returning false ends the run with `err`
 * (exit code 1); a thrown error propagates (a trap, with its message).
 */
export function command(main: () => boolean | void): { run(): void } {
  return {
    run(): void {
      let ok: boolean | void;
      try {
        ok = main();
      } finally {
        flushAll();
      }
      // wasi:cli/run's error is unit: throwing null returns `err` under both engines (QuickJS
      // traps on an Error object there).
      if (ok === false) throw null;
    },
  };
}

/**
 * Wraps a `wasi:http/incoming-handler` handle function: `export const incomingHandler =
 * httpHandler((request, responseOut) => {...})`. Everything recorded is flushed when the request
 * ends, even when the handler throws or leaves an entry open.
 */
export function httpHandler<Request, ResponseOut>(
  handle: (request: Request, responseOut: ResponseOut) => void,
): { handle(request: Request, responseOut: ResponseOut): void } {
  return {
    handle(request: Request, responseOut: ResponseOut): void {
      try {
        handle(request, responseOut);
      } finally {
        flushAll();
      }
    },
  };
}

// Owns the ends of a run and of a request: a registry of the recorders a component made, and
// wrappers for the wasi:cli/run and wasi:http/incoming-handler exports that, when the run or
// request ends, however it ends, exit the entries it left open in every recorder (error: true when
// the body threw) and then flush them all.

import { entryMark, type Sentinel } from './sentinel.js';

const recorders: Sentinel[] = [];

/** Adds a recorder to those flushAll() flushes (and the wrappers close entries of); returns it. */
export function register(sentinel: Sentinel): Sentinel {
  recorders.push(sentinel);
  return sentinel;
}

/** Flushes every registered recorder (runtime faults are counted, never thrown). */
export function flushAll(): void {
  for (const r of recorders) r.flush();
}

/**
 * The end of a request or run that started at `mark` (an entryMark()): every registered recorder
 * exits the admitted entries opened since then and still open (a PASS without its EXIT would
 * leave the collector's concurrency up for good), marked as errors when the body threw; then all
 * are flushed. Neither step throws.
 */
function endOf(mark: number, threw: boolean): void {
  for (const r of recorders) r.exitOpenEntries(threw, mark);
  flushAll();
}

/**
 * Wraps a command's body as the `wasi:cli/run` export: `export const run = command(() => {...})`.
 * When the body ends, the entries it left open are exited (error: true if it threw, RT to that
 * moment) and everything recorded is flushed. Returning false ends the run with `err` (exit
 * code 1); a thrown error propagates, unchanged (a trap, with its message).
 */
export function command(main: () => boolean | void): { run(): void } {
  return {
    run(): void {
      const mark = entryMark();
      let threw = true;
      let ok: boolean | void;
      try {
        ok = main();
        threw = false;
      } finally {
        endOf(mark, threw);
      }
      // wasi:cli/run's error is unit: throwing null returns `err` under both engines (QuickJS
      // traps on an Error object there).
      if (ok === false) throw null;
    },
  };
}

/**
 * Wraps a `wasi:http/incoming-handler` handle function: `export const incomingHandler =
 * httpHandler((request, responseOut) => {...})`. When the request ends, the entries the handler
 * left open are exited (error: true if it threw, RT to that moment) and everything recorded is
 * flushed; a thrown error then propagates, unchanged.
 */
export function httpHandler<Request, ResponseOut>(
  handle: (request: Request, responseOut: ResponseOut) => void,
): { handle(request: Request, responseOut: ResponseOut): void } {
  return {
    handle(request: Request, responseOut: ResponseOut): void {
      const mark = entryMark();
      let threw = true;
      try {
        handle(request, responseOut);
        threw = false;
      } finally {
        endOf(mark, threw);
      }
    },
  };
}

// Owns the ends of a run and of a request: a registry of the recorders a component made, and
// wrappers for the wasi:cli/run and wasi:http/incoming-handler exports that, when the run or
// request ends, however it ends, exit the entries it left open in every recorder (error: true when
// the body threw) and then flush them all. A command whose body threw says what it threw on
// stderr and ends with wasi:cli/run's err (exit code 1), in both engines, rather than trapping.

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
 * Runs the body of a request or run, then ends it however the body ends: every registered
 * recorder exits the admitted entries the body opened and left open (a PASS without its EXIT would
 * leave the collector's concurrency up for good), marked as errors when the body threw; then all
 * are flushed (neither step throws), and the body's result or error is passed on unchanged.
 */
function asRequest<T>(body: () => T): T {
  const mark = entryMark();
  let threw = true;
  try {
    const result = body();
    threw = false;
    return result;
  } finally {
    for (const r of recorders) r.exitOpenEntries(threw, mark);
    flushAll();
  }
}

/**
 * Wraps a command's body as the `wasi:cli/run` export: `export const run = command(() => {...})`.
 * When the body ends, the entries it left open are exited (error: true if it threw, RT to that
 * moment) and everything recorded is flushed. Returning false ends the run with `err` (exit
 * code 1); so does a throw, after one text on stderr (console.error) saying what was thrown,
 * with its stack: `sentinel-wasi filter: command() body threw TypeError: …`.
 */
export function command(main: () => boolean | void): { run(): void } {
  return {
    run(): void {
      let ok: boolean | void;
      try {
        ok = asRequest(main);
      } catch (err) {
        sayThrown(err);
        ok = false;
      }
      // wasi:cli/run's error is unit: throwing null returns `err` under both engines (QuickJS
      // traps on an Error object there, printing its runtime's panic).
      if (ok === false) throw null;
    },
  };
}

/** What a command() body threw, as its text says it: `Name: message` and the stack's lines, or the value. */
export function thrownText(err: unknown): string {
  try {
    if (err instanceof Error) {
      const header = `${err.name}: ${err.message}`;
      let stack = typeof err.stack === 'string' ? err.stack.trimEnd() : '';
      if (stack.startsWith(header)) stack = stack.slice(header.length).replace(/^\n/, ''); // V8 leads with the header
      // QuickJS's frames are `    at …` lines; SpiderMonkey's `fn@file:line:col`: indented alike.
      const frames = stack === '' ? [] : stack.split('\n').map((l) => (l.startsWith(' ') ? l : `    ${l}`));
      return [header, ...frames].join('\n');
    }
    return typeof err === 'string' ? JSON.stringify(err) : String(err);
  } catch {
    return 'a value that cannot be shown as text';
  }
}

function sayThrown(err: unknown): void {
  try {
    console.error(`sentinel-wasi filter: command() body threw ${thrownText(err)}`);
  } catch {
    // No console, or its write failed: the run still ends with err.
  }
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
      asRequest(() => handle(request, responseOut));
    },
  };
}

// Owns the ends of a run and of a request: a registry of the recorders a component made, and
// wrappers for the wasi:cli/run and wasi:http/incoming-handler exports that, when the run or
// request ends, however it ends, exit the entries it left open in every recorder (error: true when
// the body threw) and then flush them all. A body that threw says what it threw on stderr rather
// than trapping: a command then ends with wasi:cli/run's err (exit code 1), in both engines; a
// request handler returns, and the host answers the request as it was left (no response set, or a
// body not finished: a failed request, 500), with the instance kept.

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
        sayThrown('command()', err);
        ok = false;
      }
      // wasi:cli/run's error is unit: throwing null returns `err` under both engines (QuickJS
      // traps on an Error object there, printing its runtime's panic).
      if (ok === false) throw null;
    },
  };
}

/** An Error, or an object shaped as one (the WIT bindings' ComponentError is an Error of another realm). */
interface ErrorLike {
  name?: unknown;
  message: string;
  stack?: unknown;
}

function isErrorLike(err: unknown): err is ErrorLike {
  return err instanceof Error || (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string');
}

/** What a body threw, as its text says it: `Name: message` and the stack's lines, or the value. */
export function thrownText(err: unknown): string {
  try {
    if (isErrorLike(err)) {
      const header = `${typeof err.name === 'string' ? err.name : 'Error'}: ${err.message}`;
      let stack = typeof err.stack === 'string' ? err.stack.trimEnd() : '';
      if (stack.startsWith(header)) stack = stack.slice(header.length).replace(/^\n/, ''); // V8 leads with the header
      // QuickJS's frames are `    at …` lines; SpiderMonkey's `fn@file:line:col`: indented alike.
      const frames = stack === '' ? [] : stack.split('\n').map((l) => (l.startsWith(' ') ? l : `    ${l}`));
      // A WIT error result thrown by the bindings carries its value as `payload` (e.g. a stream's { tag: 'closed' }).
      const payload = 'payload' in err ? `; payload ${payloadText((err as { payload: unknown }).payload)}` : '';
      return [header + payload, ...frames].join('\n');
    }
    return typeof err === 'string' ? JSON.stringify(err) : String(err);
  } catch {
    return 'a value that cannot be shown as text';
  }
}

function payloadText(payload: unknown): string {
  try {
    return JSON.stringify(payload) ?? String(payload);
  } catch {
    return 'that cannot be shown as text';
  }
}

/** One text on stderr: `sentinel-wasi filter: <wrapper> body threw <what>`. */
function sayThrown(wrapper: string, err: unknown): void {
  try {
    console.error(`sentinel-wasi filter: ${wrapper} body threw ${thrownText(err)}`);
  } catch {
    // No console, or its write failed: the run or request still ends as it would.
  }
}

/**
 * Wraps a `wasi:http/incoming-handler` handle function: `export const incomingHandler =
 * httpHandler((request, responseOut) => {...})`. When the request ends, the entries the handler
 * left open are exited (error: true if it threw, RT to that moment) and everything recorded is
 * flushed. A thrown error is then said on stderr (console.error: `sentinel-wasi filter:
 * httpHandler() body threw RangeError: …`, with its stack) and the handler returns: the host
 * answers the request as the handler left it (no response set, or a body not finished: 500; a
 * response already finished is sent) and the instance serves on, where a trap would have ended it.
 */
export function httpHandler<Request, ResponseOut>(
  handle: (request: Request, responseOut: ResponseOut) => void,
): { handle(request: Request, responseOut: ResponseOut): void } {
  return {
    handle(request: Request, responseOut: ResponseOut): void {
      try {
        asRequest(() => handle(request, responseOut));
      } catch (err) {
        sayThrown('httpHandler()', err);
      }
    },
  };
}

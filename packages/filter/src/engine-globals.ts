// Owns the Web globals the QuickJS engine lacks and a filter may expect: `console` (every method
// writes one line to wasi:cli/stderr) and a UTF-8 `TextEncoder` / `TextDecoder` (text-globals.ts).
// `sentinel-wasi build` puts this module first in every QuickJS component, so the same filter
// source runs under both engines; where a global already exists (StarlingMonkey, Node) it is left
// alone. Writing to stderr never throws into the filter: a failed write is dropped.

import { formatLine, Utf8TextDecoder, Utf8TextEncoder, wellFormed } from './text-globals.js';
import { writeStderr } from './stderr-line.js';

function makeConsole(): Console {
  const write = (...args: unknown[]): void => writeStderr(wellFormed(formatLine(args)));
  const methods = ['log', 'info', 'debug', 'warn', 'error', 'trace'];
  const c: Record<string, (...args: unknown[]) => void> = {};
  for (const m of methods) c[m] = write;
  return c as unknown as Console;
}

/** Defines console, TextEncoder and TextDecoder on globalThis where the engine has none. */
export function installEngineGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.console !== 'object' || g.console === null) g.console = makeConsole();
  if (typeof g.TextEncoder !== 'function') g.TextEncoder = Utf8TextEncoder;
  if (typeof g.TextDecoder !== 'function') g.TextDecoder = Utf8TextDecoder;
}

installEngineGlobals();

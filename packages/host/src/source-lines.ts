// Owns naming a filter's own source lines in what a component prints: `sentinel-wasi build` writes
// `<component>.wasm.map`, a source map of the JS bundle the engine runs, and a component that
// throws prints a stack in bundle positions: QuickJS as `at parse (/entry.ts:621:64)`,
// StarlingMonkey as `parse@gw.js:2210:31`. This module reads that map (source-map-js) and rewrites
// such positions to the filter's file, line and column (`at parse (src/filter.ts:8:42)`,
// `parse@src/gw.ts:40:31`), line by line; anything it cannot map is left as it was.
// The wasmtime runner (scripts/wasmtime-run.js) uses it too.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import sourceMap from 'source-map-js';

/**
 * A position in the bundle as an engine prints it: the bundle's file name, a 1-based line and a
 * 1-based column. jco names the bundle after the filter's entry module, and the engines print that
 * name in two ways:
 * - QuickJS at the root of the guest's namespace, in V8-like frames: `at parse (/entry.ts:621:64)`;
 * - StarlingMonkey bare, in SpiderMonkey's frames `name@file:line:col` (the `.ts` entry's name made
 *   `.js`): `parse@gw.js:2210:31`, `incomingHandler<@gw.js:2210:31`, `@gw.js:1:5` (top level).
 * A path with more than one component is a real file (StarlingMonkey's own
 * `…$handle@/tmp/…/initializer.js:12845:15`) and is left alone, as is a bare name outside a frame.
 */
const BUNDLE_POSITION = /(?:(?<![\w./-])\/|(?<=@))([\w.-]+\.[cm]?[jt]sx?):(\d+):(\d+)/g;

/** The source map `sentinel-wasi build` writes next to a component. */
export function sourceMapPath(componentPath: string): string {
  return `${componentPath}.map`;
}

export class SourceLines {
  readonly #consumer: sourceMap.SourceMapConsumer;
  readonly #mapDir: string;
  readonly #cwd: string;

  /** @param cwd the directory the printed source paths are relative to */
  constructor(mapJson: string, mapDir: string, cwd: string = process.cwd()) {
    this.#consumer = new sourceMap.SourceMapConsumer(JSON.parse(mapJson));
    this.#mapDir = mapDir;
    this.#cwd = cwd;
  }

  /** The component's map, or undefined when it has none (built without one) or it is unreadable. */
  static forComponent(componentPath: string, cwd: string = process.cwd()): SourceLines | undefined {
    const mapPath = sourceMapPath(componentPath);
    try {
      return new SourceLines(readFileSync(mapPath, 'utf8'), dirname(resolve(mapPath)), cwd);
    } catch {
      return undefined;
    }
  }

  /** Rewrites every bundle position in text to `<source>:<line>:<column>` (1-based) where the map has one. */
  rewrite(text: string): string {
    return text.replace(BUNDLE_POSITION, (whole, _file: string, line: string, column: string) => {
      const pos = this.#consumer.originalPositionFor({ line: Number(line), column: Math.max(0, Number(column) - 1) });
      if (pos.source === null || pos.line === null || pos.column === null) return whole;
      const absolute = isAbsolute(pos.source) ? pos.source : resolve(this.#mapDir, pos.source);
      const shown = relative(this.#cwd, absolute) || absolute;
      return `${shown}:${pos.line}:${pos.column + 1}`;
    });
  }
}

/**
 * Passes text through to write, whole lines rewritten: a position split over two writes is still
 * mapped. flush() writes what is left of an unfinished line.
 */
export class LineRewriter {
  #pending = '';
  readonly #decoder = new TextDecoder();

  constructor(
    private readonly lines: SourceLines,
    private readonly write: (text: string) => void,
  ) {}

  push(chunk: Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    const all = this.#pending + text;
    const end = all.lastIndexOf('\n');
    if (end < 0) {
      this.#pending = all;
      return;
    }
    this.#pending = all.slice(end + 1);
    this.write(this.lines.rewrite(all.slice(0, end + 1)));
  }

  flush(): void {
    const rest = this.#pending + this.#decoder.decode();
    this.#pending = '';
    if (rest !== '') this.write(this.lines.rewrite(rest));
  }
}

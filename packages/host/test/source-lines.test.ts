// The rewriting of bundle positions to the filter's lines (source-lines.ts) on lines as the engines
// print them: StarlingMonkey's frames (`parseLimit@x.js:340:33`, SpiderMonkey's `name@file:line:col`
// with the bundle named by its bare file name) next to QuickJS's (`at f (/entry.ts:2:1)`), with
// source maps made here whose mappings the test chooses; and finding the map next to a component.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sourceMap from 'source-map-js';
import t from 'tap';
import { mappedStderr, type MappedStderrStream } from '../src/mapped-stderr.js';
import { LineRewriter, SourceLines } from '../src/source-lines.js';

/** One mapping: bundle line and column to source, line and column (all 1-based, as engines print them). */
type Mapping = [bundleLine: number, bundleColumn: number, source: string, line: number, column: number];

function mapOf(mappings: Mapping[]): string {
  const map = new sourceMap.SourceMapGenerator({ file: 'x.wasm' });
  for (const [bundleLine, bundleColumn, source, line, column] of mappings) {
    map.addMapping({ generated: { line: bundleLine, column: bundleColumn - 1 }, original: { line, column: column - 1 }, source });
  }
  return map.toString();
}

// The map of /proj/dist/x.wasm (built from /proj/src/x.ts), read in /proj: the positions of the
// stack below, as StarlingMonkey printed it for a request whose handler threw.
const X_MAP = mapOf([
  [340, 33, '../src/x.ts', 4, 34],
  [344, 12, '../src/x.ts', 10, 5],
  [2, 1, '../src/x.ts', 5, 4],
]);
const x = new SourceLines(X_MAP, '/proj/dist', '/proj');

t.test('StarlingMonkey: a stack as serve printed it names the filter\'s lines; the engine\'s own frame is left alone', async (t) => {
  const printed = [
    'not a limit: many',
    'Stack:',
    '  parseLimit@x.js:340:33',
    '  handle@x.js:344:12',
    '  export_incomingHandler_0_2_12$handle@/tmp/54e97c8c4f9b/sources/initializer.js:12845:15',
    '',
  ].join('\n');
  t.equal(
    x.rewrite(printed),
    [
      'not a limit: many',
      'Stack:',
      '  parseLimit@src/x.ts:4:34',
      '  handle@src/x.ts:10:5',
      '  export_incomingHandler_0_2_12$handle@/tmp/54e97c8c4f9b/sources/initializer.js:12845:15',
      '',
    ].join('\n'),
  );
});

t.test('StarlingMonkey: the frame a user reported, incomingHandler<@gw.js:2210:31, with a map saying gw.ts:40:31', async (t) => {
  const gw = new SourceLines(mapOf([[2210, 31, 'gw.ts', 40, 31]]), '/proj', '/proj');
  t.equal(gw.rewrite('  incomingHandler<@gw.js:2210:31\n'), '  incomingHandler<@gw.ts:40:31\n');
});

t.test('StarlingMonkey: every frame form; what is not the bundle, or not in the map, is left alone', async (t) => {
  t.equal(x.rewrite('@x.js:340:33'), '@src/x.ts:4:34', 'top-level code (no function name)');
  t.equal(x.rewrite('async*handle@x.js:344:12'), 'async*handle@src/x.ts:10:5', 'an async frame');
  t.equal(x.rewrite('stack: parseLimit@x.js:340:33\nrun@x.js:344:12'), 'stack: parseLimit@src/x.ts:4:34\nrun@src/x.ts:10:5', 'err.stack a filter printed (run)');
  t.equal(x.rewrite('f@dist/x.js:340:33'), 'f@dist/x.js:340:33', 'a path with a directory is a real file');
  t.equal(x.rewrite('f@/x.js:340:33'), 'f@src/x.ts:4:34', 'a file at the root of the namespace (QuickJS\'s form) after @');
  t.equal(x.rewrite('f@x.js:1:1'), 'f@x.js:1:1', 'a line the map does not have');
  t.equal(x.rewrite('see x.js:340:33'), 'see x.js:340:33', 'a bare file name outside a frame');
  t.equal(x.rewrite('mail me@x.js:340'), 'mail me@x.js:340', 'no column, no position');
});

t.test('QuickJS\'s form is still mapped, next to StarlingMonkey\'s', async (t) => {
  t.equal(x.rewrite('    at parseLimit (/entry.ts:340:33)\n    at f@x.js:344:12'), '    at parseLimit (src/x.ts:4:34)\n    at f@src/x.ts:10:5');
  t.equal(x.rewrite('at f (/work/x/entry.ts:2:1)'), 'at f (/work/x/entry.ts:2:1)', 'a real file path is left alone');
});

t.test('a StarlingMonkey frame split over writes is mapped once its line is whole', async (t) => {
  let out = '';
  const rewriter = new LineRewriter(x, (text) => (out += text));
  for (const piece of ['  parseLimit@', 'x.js:34', '0:33\n  handle', '@x.js:344:1', '2']) rewriter.push(Buffer.from(piece));
  t.equal(out, '  parseLimit@src/x.ts:4:34\n');
  rewriter.flush();
  t.equal(out, '  parseLimit@src/x.ts:4:34\n  handle@src/x.ts:10:5');
});

t.test('the mapped stderr stream takes zero writes within what check-write permits, and refuses larger ones before making them', async (t) => {
  let out = '';
  const stream = mappedStderr(x, { write: (text: string) => ((out += text), true) } as unknown as NodeJS.WritableStream).cli.getStderr() as MappedStderrStream;
  t.throws(() => stream.writeZeroes(1n << 40n), /write-zeroes of 1099511627776 bytes is more than check-write permits \(1048576\)/);
  t.throws(() => stream.blockingWriteZeroesAndFlush(1n << 40n), /more than check-write permits/);
  stream.writeZeroes(2n);
  stream.blockingWriteAndFlush(Buffer.from('x\n'));
  t.equal(out, '\0\0x\n');
});

t.test('forComponent reads <component>.map next to the component; none without it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-source-lines-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const component = join(dir, 'dist', 'gw.wasm');
  t.equal(SourceLines.forComponent(component, dir), undefined, 'no map: nothing to rewrite with');
  mkdirSync(join(dir, 'dist'));
  writeFileSync(component, '');
  writeFileSync(`${component}.map`, mapOf([[2210, 31, '../src/gw.ts', 40, 31]]));
  t.equal(SourceLines.forComponent(component, dir)?.rewrite('incomingHandler<@gw.js:2210:31'), 'incomingHandler<@src/gw.ts:40:31');
});

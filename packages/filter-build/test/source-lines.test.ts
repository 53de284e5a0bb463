// Run-time errors name the filter's own lines: a build writes <out>.map next to the component, and
// a filter that throws at thrower.ts line 8 (called from line 14) prints those lines, not the
// bundle's (`/entry.ts:621:64`), under the Node host (`sentinel-wasi run`) and under the wasmtime
// runner (scripts/wasmtime-run.js). The rewriting itself: positions split over writes, paths that
// are not the bundle's, and positions the map does not have.

import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFilter } from '../src/componentize.js';
import { LineRewriter, SourceLines } from '../../host/src/source-lines.js';
import { hostRunner } from '../../../test/helpers/hosts.js';
import { REPO_ROOT, runProcess, tempPin } from '../../../test/helpers/repo.js';
import { HOW_TO_GET_WASMTIME } from '../../../test/helpers/wasmtime.js';

t.setTimeout(900_000);

const FIXTURE = fileURLToPath(new URL('./fixtures/thrower/thrower.ts', import.meta.url));
/** The fixture as printed relative to the repository root (where both runners are started). */
const SHOWN = 'packages/filter-build/test/fixtures/thrower/thrower.ts';

/** The stack frames a trap's text names, in order. */
function frames(stderr: string): string[] {
  return [...stderr.matchAll(/at (\S+) \(([^()]+)\)/g)].map((m) => `${m[1]} ${m[2]}`);
}

t.test('a QuickJS filter that throws names thrower.ts:8 and :14 under both hosts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-source-lines-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pin = await tempPin(t, 'source-lines-pin');
  const component = join(dir, 'thrower.wasm');
  await buildFilter({ source: FIXTURE, out: component, world: 'command', backend: 'quickjs' });

  const map = JSON.parse(readFileSync(`${component}.map`, 'utf8')) as { version: number; sources: string[]; sourcesContent?: unknown; file: string };
  t.equal(map.version, 3);
  t.equal(map.file, 'thrower.wasm');
  t.equal(map.sourcesContent, undefined, 'the sources themselves are not copied');
  t.ok(map.sources.some((s) => join(dir, s) === FIXTURE), 'sources are relative to the map');

  const expected = [`parseLimit ${SHOWN}:8:42`, `<anonymous> ${SHOWN}:14:3`];
  const node = await hostRunner('node')({ component, pin });
  t.equal(node.code, 1);
  t.match(node.stderr, 'not a limit: many');
  t.same(frames(node.stderr).slice(0, 2), expected, 'Node host');
  t.notMatch(node.stderr, /\/entry\.ts:/, 'no bundle positions left');

  try {
    hostRunner('wasmtime');
  } catch (err) {
    t.skip(`no wasmtime engine: ${(err as Error).message.split('\n')[0]} (${HOW_TO_GET_WASMTIME})`);
    return;
  }
  const w = await runProcess(process.execPath, [join(REPO_ROOT, 'scripts/wasmtime-run.js'), '--pin', pin, component], { cwd: REPO_ROOT });
  t.equal(w.code, 1);
  t.match(w.stderr, 'not a limit: many');
  t.same(frames(w.stderr).slice(0, 2), expected, 'wasmtime runner');
  t.notMatch(w.stderr, /\/entry\.ts:/, 'no bundle positions left');

  // Without the map, the bundle's positions are what there is (nothing is guessed).
  rmSync(`${component}.map`);
  t.notOk(existsSync(`${component}.map`));
  const bare = await hostRunner('node')({ component, pin });
  t.match(bare.stderr, /at parseLimit \(\/entry\.ts:\d+:\d+\)/);
});

t.test('rewriting: split writes, other paths and unmapped positions', async (t) => {
  // A map of a two-line bundle whose line 2, column 0 (0-based) comes from src/a.ts line 5, column 3.
  const mapJson = JSON.stringify({ version: 3, sources: ['src/a.ts'], names: [], mappings: ';AAIG' });
  const lines = new SourceLines(mapJson, '/proj/dist', '/proj');
  t.equal(lines.rewrite('at f (/entry.ts:2:1)'), 'at f (dist/src/a.ts:5:4)');
  t.equal(lines.rewrite('at f (/work/x/entry.ts:2:1)'), 'at f (/work/x/entry.ts:2:1)', 'a real file path is left alone');
  t.equal(lines.rewrite('at f (/entry.ts:1:1)'), 'at f (/entry.ts:1:1)', 'a line the map does not have is left alone');
  let out = '';
  const rewriter = new LineRewriter(lines, (text) => (out += text));
  for (const piece of ['at f (/en', 'try.ts:2', ':1)\nat g (/entry', '.ts:2:1)']) rewriter.push(Buffer.from(piece));
  t.equal(out, 'at f (dist/src/a.ts:5:4)\n', 'a whole line is written once complete');
  rewriter.flush();
  t.equal(out, 'at f (dist/src/a.ts:5:4)\nat g (dist/src/a.ts:5:4)', 'the rest is written by flush');
});

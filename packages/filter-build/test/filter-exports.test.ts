// The build refuses a filter that does not export what its world needs (E_FILTER_EXPORTS, exit 1,
// nothing written): a command filter whose `run` is a plain function, or that has no `run`, an HTTP
// filter without its incomingHandler object, a JavaScript filter, and a filter built against its
// own world (--wit) that lacks that world's extra export. The documented shapes build, and the
// exports each world needs are read from the world itself.

import t from 'tap';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { main } from '../../cli/src/main.js';
import { runBuild } from './run-build.js';
import { stageWit } from '../src/componentize.js';
import { typecheckFilter } from '../src/typecheck.js';
import { sdkWorldExports, worldExports, type WorldExport } from '../src/world-exports.js';
import { REPO_ROOT } from '../../../test/helpers/repo.js';

// Real builds (QuickJS, a few seconds each on an idle machine).
t.setTimeout(600_000);


// Inside the repository (so the SDK resolves), a project of its own: no tsconfig, strict defaults.
const project = join(REPO_ROOT, '.cache', `filter-exports-${process.pid}`);
mkdirSync(project, { recursive: true });
t.teardown(() => rmSync(project, { recursive: true, force: true }));
writeFileSync(join(project, 'package.json'), '{ "name": "filter-exports-fixture", "private": true, "type": "module" }');

/** Writes a filter source into the project; returns its path and how the build prints it. */
function filter(name: string, text: string): { source: string; shown: string } {
  const source = join(project, name);
  writeFileSync(source, text);
  return { source, shown: relative(process.cwd(), source) };
}

const HEADER = (world: string): string => `sentinel-wasi build: the filter does not export what its world (${world}) needs (nothing built):\n`;

t.test('a command filter whose run is a plain function fails with E_FILTER_EXPORTS naming run, and writes nothing', async (t) => {
  const { source, shown } = filter('plain.ts', "import { recordPass } from '@sentinel-wasi/filter';\n\nexport function run() {\n  recordPass('orders');\n}\n");
  const out = join(project, 'plain.wasm');
  const r = await runBuild([source, '-o', out]);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    HEADER('filter-command') +
      `${shown}:3:17 - error: export 'run' is not the object with a run() method that wasi:cli/run@0.2.12 needs; ` +
      "write `export const run = command(() => { ... })`. Type '() => void' is not assignable to type '{ run(): void; }'. (E_FILTER_EXPORTS)\n",
  );
  t.equal(r.stdout, '');
  t.notOk(existsSync(out), 'nothing built');
  t.notOk(existsSync(`${out}.map`), 'no source map either');
});

t.test('a command filter without a run export fails the same way', async (t) => {
  const { source, shown } = filter('norun.ts', "import { recordPass } from '@sentinel-wasi/filter';\n\nexport function main() {\n  recordPass('orders');\n}\n");
  const out = join(project, 'norun.wasm');
  const r = await runBuild([source, '-o', out]);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    HEADER('filter-command') +
      `${shown} - error: no export 'run', the object with a run() method that wasi:cli/run@0.2.12 needs; ` +
      'add `export const run = command(() => { ... })`. (E_FILTER_EXPORTS)\n',
  );
  t.notOk(existsSync(out), 'nothing built');
});

t.test('the documented shape, export const run = command(...), builds', async (t) => {
  const { source } = filter('documented.ts', "import { command, recordPass } from '@sentinel-wasi/filter';\n\nexport const run = command(() => {\n  recordPass('orders');\n});\n");
  const out = join(project, 'documented.wasm');
  const r = await runBuild([source, '-o', out]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^built .*documented\.wasm \(command world, quickjs\)/);
  t.ok(existsSync(out));
});

t.test('a type error is still reported as E_TYPECHECK, before the exports', async (t) => {
  const { source, shown } = filter('both.ts', "const n: number = 'x';\nexport function run() { return n; }\n");
  const r = await runBuild([source, '-o', join(project, 'both.wasm')]);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    `sentinel-wasi build: the filter does not type-check (nothing built):\n${shown}:1:7 - error TS2322: Type 'string' is not assignable to type 'number'. (E_TYPECHECK)\n`,
  );
});

t.test('an HTTP filter must export incomingHandler = { handle(request, responseOut) }', async (t) => {
  const { source, shown } = filter('handler.ts', 'export function incomingHandler(request: unknown, responseOut: unknown): void {}\n');
  const out = join(project, 'handler.wasm');
  const r = await runBuild([source, '-o', out, '--world', 'http']);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    HEADER('filter-http') +
      `${shown}:1:17 - error: export 'incomingHandler' is not the object with a handle(request, responseOut) method that wasi:http/incoming-handler@0.2.12 needs; ` +
      "write `export const incomingHandler = httpHandler((request, responseOut) => { ... })`. " +
      "Type '(request: unknown, responseOut: unknown) => void' is not assignable to type '{ handle(request: unknown, responseOut: unknown): void; }'. (E_FILTER_EXPORTS)\n",
  );
  t.notOk(existsSync(out));

  // What the SDK's httpHandler returns, and a hand-written object, are accepted (checked, not built).
  const http = sdkWorldExports('http');
  const sdk = filter('sdk-handler.ts', "import { httpHandler } from '@sentinel-wasi/filter';\nimport type { IncomingRequest, ResponseOutparam } from 'wasi:http/types@0.2.12';\n\nexport const incomingHandler = httpHandler((request: IncomingRequest, responseOut: ResponseOutparam) => {\n  void request;\n  void responseOut;\n});\n");
  t.same(typecheckFilter(sdk.source, 'http', project, false, http), { errors: [], exportErrors: [] });
  const byHand = filter('by-hand.ts', "import type { IncomingRequest, ResponseOutparam } from 'wasi:http/types@0.2.12';\n\nexport const incomingHandler = {\n  handle: (request: IncomingRequest, responseOut: ResponseOutparam): void => {\n    void request;\n    void responseOut;\n  },\n};\n");
  t.same(typecheckFilter(byHand.source, 'http', project, false, http), { errors: [], exportErrors: [] });
});

t.test('a JavaScript filter is checked for its exports too', async (t) => {
  const { source, shown } = filter('plain.js', 'export function run() {}\n');
  const out = join(project, 'plain-js.wasm');
  const r = await runBuild([source, '-o', out]);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    HEADER('filter-command') +
      `${shown}:1:17 - error: export 'run' is not the object with a run() method that wasi:cli/run@0.2.12 needs; ` +
      "write `export const run = command(() => { ... })`. Type '() => void' is not assignable to type '{ run(): void; }'. (E_FILTER_EXPORTS)\n",
  );
  t.notOk(existsSync(out));
  const ok = filter('object.js', 'export const run = { run() {} };\n');
  t.same(typecheckFilter(ok.source, 'command', project, false, sdkWorldExports('command')), { errors: [], exportErrors: [] });
});

t.test("a filter built against its own world (--wit) must export that world's extra interface", async (t) => {
  const wit = join(project, 'wit');
  mkdirSync(wit, { recursive: true });
  writeFileSync(
    join(wit, 'world.wit'),
    'package test:exports@0.1.0;\n\ninterface loop {\n  run-events: func(n: u32) -> u32;\n}\n\nworld with-loop {\n  include sentinel-wasi:filter/filter-command@0.1.0;\n  export loop;\n}\n',
  );
  const { source, shown } = filter('no-loop.ts', "import { command } from '@sentinel-wasi/filter';\n\nexport const run = command(() => {});\n");
  const out = join(project, 'no-loop.wasm');
  const r = await runBuild([source, '-o', out, '--wit', wit, '--world-name', 'with-loop']);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    HEADER('with-loop') +
      `${shown} - error: no export 'loop', the object with functions runEvents that test:exports/loop@0.1.0 needs; ` +
      'add `export const loop = { runEvents(...) { ... } }`. (E_FILTER_EXPORTS)\n',
  );
  t.notOk(existsSync(out));

  const empty = filter('empty-loop.ts', "import { command } from '@sentinel-wasi/filter';\n\nexport const run = command(() => {});\nexport const loop = {};\n");
  const r2 = await runBuild([empty.source, '-o', out, '--wit', wit, '--world-name', 'with-loop']);
  t.equal(r2.code, 1);
  t.equal(
    r2.stderr,
    HEADER('with-loop') +
      `${empty.shown}:4:14 - error: export 'loop' is not the object with functions runEvents that test:exports/loop@0.1.0 needs; ` +
      "write `export const loop = { runEvents(...) { ... } }`. Property 'runEvents' is missing in type '{}' but required in type '{ runEvents: Function; }'. (E_FILTER_EXPORTS)\n",
  );
  t.notOk(existsSync(out));
});

t.test("the exports are read from the world: the SDK's, the examples' and the benchmark's", async (t) => {
  const names = (exports: { name: string; of: string }[]): string[] => exports.map((e) => `${e.name} ${e.of}`);
  t.same(names(sdkWorldExports('command')), ['run wasi:cli/run@0.2.12']);
  t.same(names(sdkWorldExports('http')), ['incomingHandler wasi:http/incoming-handler@0.2.12']);
  /** The world's exports as the build reads them: from the WIT staged with the SDK's. */
  const read = async (wit: string, world: string): Promise<WorldExport[]> => {
    const stage = join(project, `stage-${world}`);
    mkdirSync(join(stage, 'wit'), { recursive: true });
    await stageWit(join(REPO_ROOT, wit), join(stage, 'wit'));
    return worldExports(join(stage, 'wit'), world, stage);
  };
  t.same(names(await read('examples/http-gateway/wit', 'http-gateway')), ['incomingHandler wasi:http/incoming-handler@0.2.12']);
  t.same(names(await read('examples/http-gateway/wit', 'http-gateway-cli')), ['run wasi:cli/run@0.2.12']);
  t.same(names(await read('examples/replay/wit', 'replay')), ['run wasi:cli/run@0.2.12']);
  const bench = await read('bench/filter/wit', 'bench-http');
  t.same(names(bench), ['loop sentinel-wasi-bench:filter/loop@0.1.0', 'run wasi:cli/run@0.2.12']);
  t.equal(bench[0]!.type, '{ runEvents: Function }');
  t.same(typecheckFilter(join(REPO_ROOT, 'bench/filter/src/bench-http.ts'), 'command', REPO_ROOT, true, bench), { errors: [], exportErrors: [] });
});

// `sentinel-wasi build`: argument errors (exit 2, clear message, nothing built), the defaults the
// parser picks, and the jco flags each world and backend gets.

import t from 'tap';
import { mkdtempSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBuild } from './run-build.js';
import { parseBuildArgs } from '../src/commands/build.js';
import { jcoArgs, buildFilter, BuildError } from '../src/componentize.js';
import { typecheckFilter } from '../src/typecheck.js';


const dir = mkdtempSync(join(tmpdir(), 'sw-build-args-'));
const src = join(dir, 'f.ts');
writeFileSync(src, 'export const run = { run() { return { tag: "ok" }; } };\n');

t.test('argument errors exit 2 with the reason and build nothing', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /missing the filter source/],
    [['-o', join(dir, 'x.wasm')], /missing the filter source/],
    [[src], /missing -o <out.wasm>/],
    [[src, 'g.ts', '-o', join(dir, 'x.wasm')], /expected one filter source, got 2/],
    [[join(dir, 'f.txt'), '-o', join(dir, 'x.wasm')], /must be a .ts or .js file/],
    [[src, '-o', join(dir, 'x.bin')], /output must end in .wasm/],
    [[src, '-o', join(dir, 'x.wasm'), '--world', 'proxy'], /--world must be command or http, got "proxy"/],
    [[src, '-o', join(dir, 'x.wasm'), '--backend', 'v8'], /--backend must be quickjs \(qjs\) or starlingmonkey \(sm\), got "v8"/],
    [[src, '-o', join(dir, 'x.wasm'), '--world', 'http', '--backend', 'qjs'], /QuickJS backend cannot build the wasi:http world/],
    [[src, '-o', join(dir, 'x.wasm'), '--wit', dir], /--wit and --world-name go together/],
    [[src, '-o', join(dir, 'x.wasm'), '--world-name', 'w'], /--wit and --world-name go together/],
    [[src, '-o', join(dir, 'x.wasm'), '--frobnicate'], /Unknown option '--frobnicate'/],
    [[src, '-o'], /argument missing/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await runBuild(argv);
    t.equal(r.code, 2, `exit 2 for ${argv.join(' ')}`);
    t.match(r.stderr, pattern);
    t.match(r.stderr, /\(E_USAGE\)/);
  }
  t.notOk(existsSync(join(dir, 'x.wasm')));
});

t.test('--help prints usage and exits 0', async (t) => {
  const r = await runBuild(['--help']);
  t.equal(r.code, 0);
  t.match(r.stdout, /Usage: sentinel-wasi build <filter.ts> -o <out.wasm>/);
});

t.test('a source that does not exist fails with E_BUILD, exit 1, and writes nothing', async (t) => {
  const r = await runBuild([join(dir, 'missing.ts'), '-o', join(dir, 'y.wasm')]);
  t.equal(r.code, 1);
  t.match(r.stderr, /source .*missing\.ts is not a readable file \(E_BUILD\)/);
  t.notOk(existsSync(join(dir, 'y.wasm')));
  await t.rejects(buildFilter({ source: join(dir, 'missing.ts'), out: join(dir, 'y.wasm'), world: 'command', backend: 'quickjs' }), BuildError);
});

t.test('defaults: command world with QuickJS; http with StarlingMonkey', async (t) => {
  t.same(parseBuildArgs([src, '-o', 'a.wasm']), { source: src, out: 'a.wasm', world: 'command', backend: 'quickjs' });
  t.same(parseBuildArgs([src, '-o', 'a.wasm', '--world', 'http']), { source: src, out: 'a.wasm', world: 'http', backend: 'starlingmonkey' });
  t.same(parseBuildArgs([src, '-o', 'a.wasm', '--backend', 'sm', '--wit', 'wit', '--world-name', 'w']), {
    source: src, out: 'a.wasm', world: 'command', backend: 'starlingmonkey', wit: 'wit', worldName: 'w',
  });
});

t.test('jco flags per world and backend', async (t) => {
  const base = { source: src, out: 'a.wasm' };
  const tail = (a: string[]): string[] => a.slice(8);
  t.same(tail(jcoArgs({ ...base, world: 'command', backend: 'quickjs' }, '/w', 'filter-command', '/o.wasm')), ['--backend', 'quickjs', '--backend-qjs-disable-async']);
  t.same(tail(jcoArgs({ ...base, world: 'command', backend: 'starlingmonkey' }, '/w', 'filter-command', '/o.wasm')), ['-d', 'http', '-d', 'fetch-event']);
  t.same(tail(jcoArgs({ ...base, world: 'http', backend: 'starlingmonkey' }, '/w', 'filter-http', '/o.wasm')), ['-d', 'fetch-event']);
  t.same(jcoArgs({ ...base, world: 'http', backend: 'starlingmonkey' }, '/w', 'filter-http', '/o.wasm').slice(2, 7), ['--wit', '/w', '--world-name', 'filter-http', '-o']);
});

t.test('a type error fails the build with the source file:line:column, exit 1, before jco runs', async (t) => {
  // Inside the repository (so the SDK resolves), a project of its own: no tsconfig, strict defaults.
  const project = join(fileURLToPath(new URL('../../../.cache/', import.meta.url)), `typecheck-${process.pid}`);
  mkdirSync(project, { recursive: true });
  t.teardown(() => rmSync(project, { recursive: true, force: true }));
  writeFileSync(join(project, 'package.json'), '{ "name": "typecheck-fixture", "private": true }');
  const source = join(project, 'filter.ts');
  writeFileSync(source, "import { command } from '@sentinel-wasi/filter';\n\nconst n: number = 'x';\nexport const run = command(() => n > 0);\n");
  const out = join(project, 'filter.wasm');
  const r = await runBuild([source, '-o', out]);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    'sentinel-wasi build: the filter does not type-check (nothing built):\n' +
      `${relative(process.cwd(), source)}:3:7 - error TS2322: Type 'string' is not assignable to type 'number'. (E_TYPECHECK)\n`,
  );
  t.notOk(existsSync(out), 'nothing built');
  t.same(typecheckFilter(source, 'command').errors, [`${relative(process.cwd(), source)}:3:7 - error TS2322: Type 'string' is not assignable to type 'number'.`]);

  writeFileSync(source, "import { command } from '@sentinel-wasi/filter';\nimport { getStdout } from 'wasi:cli/stdout@0.2.12';\n\nexport const run = command(() => {\n  getStdout().blockingWriteAndFlush(new TextEncoder().encode('hi'));\n  console.log(new TextDecoder().decode(new Uint8Array([104])));\n});\n");
  t.same(typecheckFilter(source, 'command').errors, [], 'the wasi:* declarations and the build-given globals are seen');
  t.same(typecheckFilter(join(project, 'f.js'), 'command').errors, [], 'JavaScript is not type-checked');
});

t.test("the repository's own filters type-check as build checks them", async (t) => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  t.same(typecheckFilter(join(root, 'packages/filter/bench/event-cost.ts'), 'command').errors, [], 'outside its tsconfig rootDir');
  t.same(typecheckFilter(join(root, 'bench/filter/src/bench.ts'), 'command', root, true).errors, []);
  t.same(typecheckFilter(join(root, 'bench/filter/src/bench-http.ts'), 'http', root, true).errors, [], 'its own world imports wasi:http/outgoing-handler (--wit)');
  t.match(typecheckFilter(join(root, 'bench/filter/src/bench-http.ts'), 'http', root, false).errors, [/TS2307: Cannot find module 'wasi:http\/outgoing-handler@0\.2\.12'/], 'without --wit that module is unknown');
});

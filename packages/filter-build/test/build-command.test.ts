// `sentinel-wasi build`: argument errors (exit 2, clear message, nothing built), the defaults the
// parser picks, and the jco flags each world and backend gets.

import t from 'tap';
import { mkdtempSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
    [[src, '-o', join(dir, 'x.wasm'), '--frobnicate'], /Unknown option '--frobnicate' \(E_USAGE\)/],
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
  t.match(r.stdout, /\nExit codes: 0 built, 1 not built \(E_TYPECHECK,[^]*\), 2 bad usage \(E_USAGE: /);
});

t.test('an unknown option: one line, its quotes closed; exit 2', async (t) => {
  const r = await runBuild([src, '-o', join(dir, 'x.wasm'), '--frobnicate']);
  t.same(r, { code: 2, stdout: '', stderr: "sentinel-wasi build: Unknown option '--frobnicate' (E_USAGE)\nRun 'sentinel-wasi build --help' for usage.\n" });
});

t.test('a source that does not exist, or is a directory, is a usage error (E_USAGE, exit 2), and nothing is written', async (t) => {
  const missing = join(dir, 'missing.ts');
  const folder = join(dir, 'folder.ts');
  mkdirSync(folder, { recursive: true });
  for (const source of [missing, folder, 'nope.ts']) {
    const r = await runBuild([source, '-o', join(dir, 'y.wasm')]);
    t.same(r, { code: 2, stdout: '', stderr: `sentinel-wasi build: source file not found: ${source} (E_USAGE)\nRun 'sentinel-wasi build --help' for usage.\n` }, source);
  }
  t.notOk(existsSync(join(dir, 'y.wasm')));
  await t.rejects(buildFilter({ source: missing, out: join(dir, 'y.wasm'), world: 'command', backend: 'quickjs' }), { name: 'BuildError', code: 'E_USAGE' });
  await t.rejects(buildFilter({ source: missing, out: join(dir, 'y.wasm'), world: 'command', backend: 'quickjs' }), BuildError);
});

t.test('an output that cannot be written: E_BUILD_OUTPUT naming it and the reason, no staging paths, exit 1', async (t) => {
  // Its directory cannot be made (a file is in the way): found before jco runs.
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const under = join(file, 'out.wasm');
  const r = await runBuild([src, '-o', under]);
  t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi build: cannot write ${under}: ${file} is not a directory (E_BUILD_OUTPUT)\n` });

  // A directory where the component would go: found when the built component is moved there.
  const taken = join(dir, 'taken.wasm');
  mkdirSync(join(taken, 'inside'), { recursive: true });
  const r2 = await runBuild([src, '-o', taken]);
  t.same(r2, { code: 1, stdout: '', stderr: `sentinel-wasi build: cannot write ${taken}: illegal operation on a directory (E_BUILD_OUTPUT)\n` });
  t.same(readdirSync(taken), ['inside'], 'the directory is left as it was');
  t.same(readdirSync(dir).filter((f) => f.includes('.tmp') || f.endsWith('.map')), [], 'no temporary file or map left beside it');
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

  writeFileSync(source, "import { command } from '@sentinel-wasi/filter';\nimport { Fields } from 'wasi:http/types@0.2.12';\n\nexport const run = command(() => { void Fields; });\n");
  t.same(
    typecheckFilter(source, 'command').errors,
    [
      `${relative(process.cwd(), source)}:2:24 - error TS2307: Cannot find module 'wasi:http/types@0.2.12' or its corresponding type declarations. ` +
        "The SDK's filter-command world does not import it; its filter-http world does (--world http), and a world of your own may (--wit).",
    ],
    "a wasi:* module of the other world: the hint names it",
  );
});

t.test("the repository's own filters type-check as build checks them", async (t) => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  t.same(typecheckFilter(join(root, 'packages/filter/bench/event-cost.ts'), 'command').errors, [], 'outside its tsconfig rootDir');
  t.same(typecheckFilter(join(root, 'bench/filter/src/bench.ts'), 'command', root, true).errors, []);
  t.same(typecheckFilter(join(root, 'bench/filter/src/bench-http.ts'), 'http', root, true).errors, [], 'its own world imports wasi:http/outgoing-handler (--wit)');
  t.same(
    typecheckFilter(join(root, 'bench/filter/src/bench-http.ts'), 'http', root, false).errors,
    [
      "bench/filter/src/bench-http.ts:5:24 - error TS2307: Cannot find module 'wasi:http/outgoing-handler@0.2.12' or its corresponding type declarations. " +
        "The SDK's filter-http world does not import it: build against a world of your own that does (--wit).",
    ],
    'without --wit that module is unknown, and the hint says how to get it',
  );
});

// A `--wit` the build cannot use is one line with E_WIT, exit 1, nothing written: jco's cause
// without its JavaScript stack, the staging directory's paths put back as the user's --wit, and,
// when a world is not found (a wrong --world-name, a typo in an include), the worlds its package
// has. The same line with --no-typecheck (componentize reads the WIT then). A --wit directory that
// does not exist is a usage error, as a missing source is.

import t, { type Test } from 'tap';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBuild } from './run-build.js';
import { jcoCause, worldsByPackage } from '../src/wit-errors.js';
import { REPO_ROOT } from '../../../test/helpers/repo.js';

t.setTimeout(300_000);

// Inside the repository (so the SDK resolves), a project of its own.
const project = join(REPO_ROOT, '.cache', `wit-errors-${process.pid}`);
mkdirSync(project, { recursive: true });
t.teardown(() => rmSync(project, { recursive: true, force: true }));
writeFileSync(join(project, 'package.json'), '{ "name": "wit-errors-fixture", "private": true, "type": "module" }');
const source = join(project, 'gate.ts');
writeFileSync(source, "import { command } from '@sentinel-wasi/filter';\n\nexport const run = command(() => {});\n");
const out = join(project, 'gate.wasm');

/** A --wit directory holding one world.wit. */
function wit(name: string, text: string): string {
  const dir = join(project, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'world.wit'), text);
  return dir;
}

const GOOD = 'package nu1:gate@0.1.0;\n\nworld gate {\n  include sentinel-wasi:filter/filter-command@0.1.0;\n}\n';

/** Builds with and without the type check; both must print `line` (then E_WIT), exit 1, and write nothing. */
async function expectWitError(t: Test, witDir: string, worldName: string, line: string): Promise<void> {
  for (const extra of [[], ['--no-typecheck']]) {
    const r = await runBuild([source, '-o', out, '--wit', witDir, '--world-name', worldName, ...extra]);
    t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi build: ${line} (E_WIT)\n` }, extra.join(' ') || 'type-checked');
    t.notOk(existsSync(out), 'nothing built');
  }
}

t.test('a --world-name the package does not have: one line naming the worlds it has', async (t) => {
  const dir = wit('wit-good', GOOD);
  await expectWitError(t, dir, 'gatex', `--world-name gatex: no world gatex in package nu1:gate@0.1.0 (--wit ${dir}), which has: gate (nothing built)`);
});

t.test("a typo in an include's world: one line naming the worlds of the SDK's package", async (t) => {
  const dir = wit('wit-world-typo', GOOD.replace('filter-command', 'filter-comand'));
  await expectWitError(
    t,
    dir,
    'gate',
    `the WIT in ${dir} does not resolve: no world filter-comand in package sentinel-wasi:filter@0.1.0, which has: imports, filter-command, filter-http (nothing built)`,
  );
});

t.test("a typo in an include's package: one line naming the packages there", async (t) => {
  const dir = wit('wit-package-typo', GOOD.replace('sentinel-wasi:filter/', 'sentinel-wasi:filtr/'));
  await expectWitError(
    t,
    dir,
    'gate',
    `the WIT in ${dir} does not resolve: no package sentinel-wasi:filtr@0.1.0; the packages there: nu1:gate@0.1.0, sentinel-wasi:filter@0.1.0, ` +
      'wasi:cli@0.2.12, wasi:clocks@0.2.12, wasi:filesystem@0.2.12, wasi:http@0.2.12, wasi:io@0.2.12, wasi:random@0.2.12, wasi:sockets@0.2.12 (nothing built)',
  );
});

t.test("a syntax error: the parser's words, the user's path", async (t) => {
  const dir = wit('wit-syntax', GOOD.replace('@0.1.0;\n}', '@0.1.0\n}'));
  await expectWitError(t, dir, 'gate', `the WIT in ${dir} does not resolve: failed to parse package: ${dir}: expected ';', found '}' (nothing built)`);
});

t.test('a --wit directory that does not exist is a usage error (exit 2)', async (t) => {
  const dir = join(project, 'no-such-wit');
  const r = await runBuild([source, '-o', out, '--wit', dir, '--world-name', 'gate']);
  t.same(r, { code: 2, stdout: '', stderr: `sentinel-wasi build: --wit directory not found: ${dir} (E_USAGE)\nRun 'sentinel-wasi build --help' for usage.\n` });
});

t.test("jco's account read: the cause and its chain, no stack; the worlds of each package", async (t) => {
  const output =
    '(jco guestTypes) ComponentError: reading WIT dir at [/tmp/s/wit]\n\nCaused by:\n    0: failed to parse package: /tmp/s/wit\n    1: expected \';\', found \'}\'\n' +
    '    at fn (file:///x/wasm-tools.js:1:1)\n    at async file:///x/jco.js:340:17\n';
  t.equal(jcoCause(output), "reading WIT dir at [/tmp/s/wit]: failed to parse package: /tmp/s/wit: expected ';', found '}'");
  t.equal(
    jcoCause("(jco componentize) ComponentError: package 'a:b@0.1.0' not found. known packages:\n    nu1:gate@0.1.0\n    nu1:other@0.1.0\n    at fn (x)\n"),
    "package 'a:b@0.1.0' not found. known packages: nu1:gate@0.1.0, nu1:other@0.1.0",
  );
  t.equal(jcoCause('Error: something else\n'), undefined);
  const dir = wit('wit-two-worlds', 'package nu1:two@0.1.0;\n\n// world commented {}\nworld one {\n}\n/* world hidden { } */\nworld two {\n  export run: func();\n}\n');
  t.same(worldsByPackage(dir), new Map([['nu1:two@0.1.0', ['one', 'two']]]));
});

// Filter projects with a tsconfig.json, as packages/filter/README.md tells a user to set one up: the
// tsconfig it documents (read from that README) builds a filter that uses console.log,
// TextEncoder and a wasi:* import, and the component runs. Left out of it, the SDK's `globals`
// fail the type check on console and TextEncoder, and its `types` on the wasi:* import, each with
// a hint that says what to add. The check covers the filter and what it imports (with the
// tsconfig's declaration files), not every file the tsconfig includes.

import t from 'tap';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runBuild } from './run-build.js';
import { typecheckFilter } from '../src/typecheck.js';
import { runUnderNode } from '../../../test/helpers/node-host.js';
import { REPO_ROOT } from '../../../test/helpers/repo.js';

// One real build (QuickJS, a few seconds on an idle machine).
t.setTimeout(600_000);

/** The tsconfig packages/filter/README.md shows under "Types for `wasi:*` imports". */
function documentedTsconfig(): { compilerOptions: Record<string, unknown>; include: string[] } {
  const readme = readFileSync(join(REPO_ROOT, 'packages/filter/README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Types for `wasi:*` imports'));
  const block = /```json\n([\s\S]*?)```/.exec(section);
  if (block === null) throw new Error('packages/filter/README.md shows no tsconfig under "Types for `wasi:*` imports"');
  return JSON.parse(block[1]!) as { compilerOptions: Record<string, unknown>; include: string[] };
}

// A project as a user has it: the SDK installed at node_modules/@sentinel-wasi/filter (here a link
// to the workspace's), the filter under src/. Inside the repository, so the build's own imports resolve.
const project = join(REPO_ROOT, '.cache', `tsconfig-projects-${process.pid}`);
mkdirSync(join(project, 'src'), { recursive: true });
mkdirSync(join(project, 'node_modules', '@sentinel-wasi'), { recursive: true });
symlinkSync(join(REPO_ROOT, 'packages', 'filter'), join(project, 'node_modules', '@sentinel-wasi', 'filter'), 'dir');
t.teardown(() => rmSync(project, { recursive: true, force: true }));
writeFileSync(join(project, 'package.json'), '{ "name": "tsconfig-project", "private": true, "type": "module" }');
const source = join(project, 'src', 'filter.ts');
writeFileSync(
  source,
  "import { command } from '@sentinel-wasi/filter';\n" +
    "import { getArguments } from 'wasi:cli/environment@0.2.12';\n\n" +
    'export const run = command(() => {\n' +
    "  const bytes = new TextEncoder().encode(getArguments().slice(1).join(' '));\n" +
    "  console.log('encoded', bytes.length, 'bytes');\n" +
    '});\n',
);
const shown = relative(process.cwd(), source);
const tsconfigShown = relative(process.cwd(), join(project, 'tsconfig.json'));

function writeTsconfig(config: { compilerOptions: Record<string, unknown>; include: string[] }): void {
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(config, null, 2));
}

t.test('the documented tsconfig builds a filter using console.log, TextEncoder and a wasi:* import; it runs', async (t) => {
  const config = documentedTsconfig();
  t.same(config.include, ['src', 'node_modules/@sentinel-wasi/filter/types', 'node_modules/@sentinel-wasi/filter/globals'], 'the includes the README shows');
  writeTsconfig(config);
  t.same(typecheckFilter(source, 'command'), { errors: [], exportErrors: [], tsconfig: join(project, 'tsconfig.json') });
  const out = join(project, 'filter.wasm');
  const r = await runBuild([source, '-o', out]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '');
  t.match(r.stdout, /^built \S+filter\.wasm \(command world, quickjs\)/);
  const ran = await runUnderNode({ component: out, pin: undefined, args: ['héllo', 'wasi'] });
  t.same(ran, { code: 0, stdout: '', stderr: 'encoded 11 bytes\n' }, 'console.log writes one line on stderr; é is 2 bytes');
});

t.test('without the SDK globals: console (TS2584) and TextEncoder (TS2304) fail, each with the include to add', async (t) => {
  const config = documentedTsconfig();
  writeTsconfig({ ...config, include: config.include.filter((i) => !i.endsWith('/globals')) });
  const out = join(project, 'no-globals.wasm');
  const r = await runBuild([source, '-o', out]);
  const hint = `The build gives every filter console, TextEncoder and TextDecoder, declared in node_modules/@sentinel-wasi/filter/globals: add "node_modules/@sentinel-wasi/filter/globals" to "include" in ${tsconfigShown}.`;
  t.same(r, {
    code: 1,
    stdout: '',
    stderr:
      'sentinel-wasi build: the filter does not type-check (nothing built):\n' +
      `${shown}:5:21 - error TS2304: Cannot find name 'TextEncoder'. ${hint}\n` +
      `${shown}:6:3 - error TS2584: Cannot find name 'console'. Do you need to change your target library? Try changing the 'lib' compiler option to include 'dom'. ${hint} (E_TYPECHECK)\n`,
  });
  t.notOk(existsSync(out), 'nothing built');
});

t.test('without the SDK types: the wasi:* import fails (TS2307) with the include to add', async (t) => {
  const config = documentedTsconfig();
  writeTsconfig({ ...config, include: config.include.filter((i) => !i.endsWith('/types')) });
  const r = await runBuild([source, '-o', join(project, 'no-types.wasm')]);
  t.same(r, {
    code: 1,
    stdout: '',
    stderr:
      'sentinel-wasi build: the filter does not type-check (nothing built):\n' +
      `${shown}:2:30 - error TS2307: Cannot find module 'wasi:cli/environment@0.2.12' or its corresponding type declarations. ` +
      'The SDK declares it in node_modules/@sentinel-wasi/filter/types: add "node_modules/@sentinel-wasi/filter/types" ' +
      `(and "node_modules/@sentinel-wasi/filter/globals", for console, TextEncoder and TextDecoder) to "include" in ${tsconfigShown}. (E_TYPECHECK)\n`,
  });
});

t.test('a wasi:* module the SDK declares at another version, or not at all: the hint says which', async (t) => {
  writeTsconfig(documentedTsconfig());
  const other = join(project, 'src', 'versions.ts');
  writeFileSync(
    other,
    "import { command } from '@sentinel-wasi/filter';\nimport { getArguments } from 'wasi:cli/environment@0.2.3';\nimport { handle } from 'wasi:http/outgoing-handler@0.2.12';\n\n" +
      'export const run = command(() => { void getArguments; void handle; });\n',
  );
  t.teardown(() => rmSync(other, { force: true }));
  const rel = relative(process.cwd(), other);
  t.same(typecheckFilter(other, 'command').errors, [
    `${rel}:2:30 - error TS2307: Cannot find module 'wasi:cli/environment@0.2.3' or its corresponding type declarations. The SDK declares wasi:cli/environment@0.2.12: import that version.`,
    `${rel}:3:24 - error TS2307: Cannot find module 'wasi:http/outgoing-handler@0.2.12' or its corresponding type declarations. ` +
      "The SDK's types do not declare it (only the interfaces of its worlds): declare it in a .d.ts of your own (declare module 'wasi:http/outgoing-handler@0.2.12';) and build against a world that imports it (--wit).",
  ]);
});

t.test("only the filter and what it imports are checked: another file's error does not block it, an imported file's does", async (t) => {
  writeTsconfig(documentedTsconfig());
  const unrelated = join(project, 'src', 'other.ts');
  writeFileSync(unrelated, "export const n: number = 'not a number';\n");
  const declared = join(project, 'src', 'env.d.ts');
  writeFileSync(declared, 'declare const BUILD_TAG: string;\n');
  const entry = join(project, 'src', 'tagged.ts');
  writeFileSync(entry, "import { command } from '@sentinel-wasi/filter';\n\nexport const run = command(() => { console.log(BUILD_TAG); });\n");
  t.teardown(() => [unrelated, declared, entry].forEach((f) => rmSync(f, { force: true })));
  t.same(typecheckFilter(entry, 'command').errors, [], "other.ts's error is not this filter's; the tsconfig's env.d.ts is seen");
  t.same(typecheckFilter(unrelated, 'command').errors, [`${relative(process.cwd(), unrelated)}:1:14 - error TS2322: Type 'string' is not assignable to type 'number'.`], 'other.ts itself is checked when it is built');

  writeFileSync(entry, "import { command } from '@sentinel-wasi/filter';\nimport { n } from './other.js';\n\nexport const run = command(() => { console.log(n, BUILD_TAG); });\n");
  t.same(typecheckFilter(entry, 'command').errors, [`${relative(process.cwd(), unrelated)}:1:14 - error TS2322: Type 'string' is not assignable to type 'number'.`], 'an imported file is checked');
});

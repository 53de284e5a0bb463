// The packages as npm would publish them: `npm pack` of every workspace package, the tarballs
// installed into an empty project (from the local npm cache: --prefer-offline), and the installed
// `sentinel-wasi` used the way a new user would: --version, init, build of a filter, run.
// It takes one to two minutes (the install); SW_PACKAGING=0 skips it for a quick local run.

import t from 'tap';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runProcess, tempDir } from '../helpers/repo.js';

// Builds components (a StarlingMonkey build alone can take minutes on a loaded machine).
t.setTimeout(900_000);

const PACKAGES = ['packages/protocol', 'packages/filter', 'packages/filter-build', 'packages/collector', 'packages/host', 'packages/cli'];
const SKIP = process.env.SW_PACKAGING === '0' ? 'SW_PACKAGING=0: packing and installing every package skipped' : false;

const FILTER = `import { command, createSentinel, resourceName } from '@sentinel-wasi/filter';

const sentinel = createSentinel();
export const run = command(() => {
  const entry = sentinel.entry(resourceName('GET /orders\\u0000'));
  console.log('recorded', entry.resource);
  entry.exit({ error: false });
  return true;
});
`;

t.test('packed tarballs install and work: --version, init, build, run', { skip: SKIP }, async (t) => {
  const dir = await tempDir(t, 'packaging');
  const tarballs = join(dir, 'tarballs');
  const project = join(dir, 'project');
  mkdirSync(tarballs);
  mkdirSync(project);

  const pack = await runProcess('npm', ['pack', '--pack-destination', tarballs, ...PACKAGES.flatMap((p) => ['-w', p])]);
  t.equal(pack.code, 0, pack.code === 0 ? 'npm pack' : pack.stderr);
  const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz')).sort();
  t.equal(files.length, PACKAGES.length, `one tarball per package: ${files.join(', ')}`);

  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'packaging-check', private: true, type: 'module' }));
  // The README's step: this repository's overrides, set in the project (tarballs do not carry them).
  const overrides = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).overrides as Record<string, string>;
  const set = await runProcess('npm', ['pkg', 'set', 'overrides.@bytecodealliance/componentize-js=0.23.0', 'overrides.@bytecodealliance/preview2-shim=0.26.0'], { cwd: project });
  t.equal(set.code, 0, set.stderr);
  t.same(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).overrides, overrides, "the README's npm pkg set gives the repository's overrides");
  const install = await runProcess('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...files.map((f) => join(tarballs, f))], { cwd: project });
  t.equal(install.code, 0, install.code === 0 ? 'npm install of the tarballs' : install.stderr);

  const names = ['@sentinel-wasi/protocol', '@sentinel-wasi/filter', '@sentinel-wasi/filter-build', '@sentinel-wasi/collector', '@sentinel-wasi/host', 'sentinel-wasi'];
  t.same(names.filter((name) => !existsSync(join(project, 'node_modules', name, 'package.json'))), [], 'every package is installed');
  for (const [name, version] of Object.entries(overrides)) {
    const found = [join(project, 'node_modules', name, 'package.json'), join(project, 'node_modules', '@bytecodealliance', 'jco', 'node_modules', name, 'package.json')].filter(existsSync);
    t.same(found.map((f) => JSON.parse(readFileSync(f, 'utf8')).version as string), [version], `${name} ${version}, and only it`);
  }
  const installed = names.filter((name) => existsSync(join(project, 'node_modules', name, 'dist', 'tsconfig.tsbuildinfo')));
  t.same(installed, [], 'no package ships its build-info file');

  const bin = join(project, 'node_modules', '.bin', 'sentinel-wasi');
  t.ok(existsSync(bin), 'the sentinel-wasi binary is installed');
  const version = JSON.parse(readFileSync(join(REPO_ROOT, 'packages', 'cli', 'package.json'), 'utf8')).version as string;
  const v = await runProcess(bin, ['--version'], { cwd: project });
  t.same([v.code, v.stdout], [0, `${version}\n`]);

  const init = await runProcess(bin, ['init', '--pin', './pin'], { cwd: project });
  t.equal(init.code, 0, init.stderr);
  t.ok(existsSync(join(project, 'pin', 'PIN')), 'init made a pin');

  mkdirSync(join(project, 'src'));
  writeFileSync(join(project, 'src', 'filter.ts'), FILTER);
  const build = await runProcess(bin, ['build', 'src/filter.ts', '-o', 'dist/filter.wasm'], { cwd: project });
  t.equal(build.code, 0, build.stderr);
  t.match(build.stdout, /^built .*dist\/filter\.wasm \(command world, quickjs\)/);

  const run = await runProcess(bin, ['run', 'dist/filter.wasm', '--pin', './pin'], { cwd: project });
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stderr, 'recorded GET /orders_\n', 'console.log from the installed SDK, the name made valid');
  t.equal(readdirSync(join(project, 'pin', 'log')).filter((f) => f.endsWith('.seg')).length, 1, 'its records reached the pin');
});

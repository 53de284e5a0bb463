// The `sentinel-wasi` dispatcher: each command loads only the package that provides it (seen by
// recording every module the real binary resolves), and the collector's and the filter SDK's
// dependencies, followed through the workspace, include neither jco, componentize nor preview2-shim.
// No command at all, or help for an unknown one, is a usage error (exit 2); --help is not.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CLI_BIN, REPO_ROOT, runProcess, tempDir } from '../../../test/helpers/repo.js';
import { COMMAND_SOURCES } from '../src/commands.js';

const REGISTER_HOOKS = join(REPO_ROOT, 'packages/cli/test/fixtures/register-hooks.mjs');

/** Runs the built binary with `argv` and returns its exit code and every module URL it resolved. */
async function resolvedBy(t: Parameters<typeof tempDir>[0], argv: string[]): Promise<{ code: number; urls: string[] }> {
  const dir = await tempDir(t, 'dispatch');
  const log = join(dir, 'resolved.txt');
  const r = await runProcess(process.execPath, ['--import', REGISTER_HOOKS, CLI_BIN, ...argv], { env: { ...process.env, SW_RESOLVE_LOG: log } });
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    // nothing resolved
  }
  return { code: r.code, urls: text.split('\n').filter((l) => l !== '') };
}

function loaded(urls: string[], fragment: string): string[] {
  return urls.filter((u) => u.includes(fragment));
}

t.test('every command is provided by exactly one package, in --help order', async (t) => {
  const names = COMMAND_SOURCES.flatMap((s) => s.names);
  t.same(names, ['init', 'collector', 'stats', 'top', 'metric', 'build', 'run', 'serve']);
  for (const source of COMMAND_SOURCES) {
    const commands = await source.load();
    t.same(
      commands.map((c) => c.name),
      source.names,
      `${source.packageName} provides what the dispatcher lists`,
    );
  }
});

t.test('no command is a usage error: the help on stderr, exit 2; --help prints it on stdout, exit 0', async (t) => {
  const none = await runProcess(process.execPath, [CLI_BIN]);
  t.equal(none.code, 2);
  t.equal(none.stdout, '');
  t.match(none.stderr, /^sentinel-wasi: no command given \(E_USAGE\)\n\nsentinel-wasi: Sentinel-style flow statistics[\s\S]*\nUsage: sentinel-wasi <command> \[options\]\n[\s\S]*\n  serve +serve an HTTP filter/);
  const help = await runProcess(process.execPath, [CLI_BIN, '--help']);
  t.same([help.code, help.stderr], [0, '']);
  t.equal(help.stdout, none.stderr.slice(none.stderr.indexOf('\n\n') + 2), 'the same help');
  const unknown = await runProcess(process.execPath, [CLI_BIN, 'help', 'sever']);
  t.same([unknown.code, unknown.stdout], [2, '']);
  t.equal(unknown.stderr, `sentinel-wasi: unknown command "sever" (E_USAGE)\n\n${help.stdout}`, 'help for an unknown command: a usage error too');
  const known = await runProcess(process.execPath, [CLI_BIN, 'help', 'serve']);
  t.same([known.code, known.stderr], [0, '']);
  t.match(known.stdout, /^Usage: sentinel-wasi serve /);
});

t.test('stats --help loads the collector, not the host, the toolchain, jco or the shim', async (t) => {
  const { code, urls } = await resolvedBy(t, ['stats', '--help']);
  t.equal(code, 0);
  t.not(loaded(urls, '/packages/collector/dist/').length, 0, 'the collector was loaded');
  t.same(loaded(urls, '/packages/host/'), []);
  t.same(loaded(urls, '/packages/filter-build/'), []);
  t.same(loaded(urls, '@bytecodealliance'), []);
});

t.test('run --help loads the host commands only: no collector, no jco, no preview2-shim', async (t) => {
  const { code, urls } = await resolvedBy(t, ['run', '--help']);
  t.equal(code, 0);
  t.not(loaded(urls, '/packages/host/dist/commands/').length, 0, 'the host commands were loaded');
  t.same(loaded(urls, '/packages/collector/'), []);
  t.same(loaded(urls, '/packages/filter-build/'), []);
  t.same(loaded(urls, '@bytecodealliance'), []);
});

t.test('build --help loads the toolchain only: no collector, no host, no jco', async (t) => {
  const { code, urls } = await resolvedBy(t, ['build', '--help']);
  t.equal(code, 0);
  t.not(loaded(urls, '/packages/filter-build/dist/').length, 0, 'the toolchain was loaded');
  t.same(loaded(urls, '/packages/collector/'), []);
  t.same(loaded(urls, '/packages/host/'), []);
  t.same(loaded(urls, '@bytecodealliance'), []);
});

/** Workspace directory of each workspace package, by name. */
const WORKSPACE: Record<string, string> = {
  '@sentinel-wasi/protocol': 'packages/protocol',
  '@sentinel-wasi/filter': 'packages/filter',
  '@sentinel-wasi/filter-build': 'packages/filter-build',
  '@sentinel-wasi/collector': 'packages/collector',
  '@sentinel-wasi/host': 'packages/host',
  'sentinel-wasi': 'packages/cli',
};

/** Every dependency a package pulls in, following workspace packages through their package.json. */
function dependencyClosure(name: string, seen: Set<string> = new Set()): Set<string> {
  if (seen.has(name)) return seen;
  seen.add(name);
  const dir = WORKSPACE[name];
  if (dir === undefined) return seen; // a registry package: the jco/shim names are what matter
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies ?? {})) dependencyClosure(dep, seen);
  return seen;
}

const HEAVY = ['@bytecodealliance/jco', '@bytecodealliance/componentize-js', 'componentize-qjs', '@bytecodealliance/preview2-shim'];

t.test('installing the collector or the filter SDK pulls in no jco, componentize or preview2-shim', async (t) => {
  for (const name of ['@sentinel-wasi/collector', '@sentinel-wasi/filter', '@sentinel-wasi/protocol']) {
    const deps = [...dependencyClosure(name)];
    t.same(deps.filter((d) => HEAVY.includes(d)), [], `${name}: ${deps.join(', ')}`);
  }
  t.ok(dependencyClosure('@sentinel-wasi/host').has('@bytecodealliance/preview2-shim'), 'the host brings the shim');
  t.ok(dependencyClosure('@sentinel-wasi/filter-build').has('@bytecodealliance/jco'), 'the toolchain brings jco');
  const cli = dependencyClosure('sentinel-wasi');
  t.ok(['@sentinel-wasi/collector', '@sentinel-wasi/host', '@sentinel-wasi/filter-build'].every((d) => cli.has(d)), 'the binary brings all three');
});

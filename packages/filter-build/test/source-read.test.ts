// E_SOURCE_READ: `build` given a source that is there but cannot be read. The tests run as root,
// for whom permission bits do not make a file unreadable, so `build` runs as a child process of
// the unprivileged user `nobody` (as root) or of the user the tests run as (otherwise): a source it
// may not read (mode 000) and one in a directory it may not search (mode 700, root's) each give one
// line, `cannot read source <path>: permission denied (E_SOURCE_READ)`, exit 1, nothing written,
// before the type check or jco. What root reaches instead, a dangling symlink, is a source that is
// not there (E_USAGE, exit 2), as a directory is (build-command.test.ts).

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runBuild } from './run-build.js';
import { CLI_BIN, REPO_ROOT, tempDir, type ProcessResult } from '../../../test/helpers/repo.js';

/** As root: the unprivileged `nobody` (65534), for whom permission bits count. */
const UNPRIVILEGED = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** `sentinel-wasi <argv>` as that user, without NODE_OPTIONS (tap's process tracking, set in every child, writes under .tap/). */
function cliAsUser(argv: string[]): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI_BIN, ...argv], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...UNPRIVILEGED });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

const SOURCE = "export const run = { run() {} };\n";

t.test('a source this user may not read, or may not reach: one line with E_SOURCE_READ, exit 1, nothing written', async (t) => {
  const probe = await cliAsUser(['--version']);
  if (probe.code !== 0) {
    t.pass('not run', { skip: `the unprivileged user cannot run the command line here (exit ${probe.code}: ${probe.stderr.trim()})` });
    return;
  }
  const dir = await tempDir(t, 'source-read');
  chmodSync(dir, 0o777); // mkdtemp's 700: the user must reach the sources, and could write the output
  const unreadable = join(dir, 'unreadable.ts');
  writeFileSync(unreadable, SOURCE);
  chmodSync(unreadable, 0o000);
  const closed = join(dir, 'closed');
  mkdirSync(closed, { mode: 0o700 });
  const unreachable = join(closed, 'filter.ts');
  writeFileSync(unreachable, SOURCE);
  for (const source of [unreadable, unreachable]) {
    const out = join(dir, 'out.wasm');
    const r = await cliAsUser(['build', source, '-o', out]);
    t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi build: cannot read source ${source}: permission denied (E_SOURCE_READ)\n` }, source);
    t.notOk(existsSync(out), 'nothing written');
  }
  t.same(readdirSync(dir).sort(), ['closed', 'unreadable.ts'], 'no map, no staging files beside the output');
});

t.test('a dangling symlink is a source that is not there: E_USAGE, exit 2', async (t) => {
  const dir = await tempDir(t, 'source-read-link');
  const dangling = join(dir, 'filter.ts');
  symlinkSync(join(dir, 'gone.ts'), dangling);
  const r = await runBuild([dangling, '-o', join(dir, 'out.wasm')]);
  t.same(r, { code: 2, stdout: '', stderr: `sentinel-wasi build: source file not found: ${dangling} (E_USAGE)\nRun 'sentinel-wasi build --help' for usage.\n` });
  t.same(readdirSync(dir), ['filter.ts'], 'nothing written');
});

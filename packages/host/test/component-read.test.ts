// E_COMPONENT_READ: `run` and `serve` given a component file that is there but cannot be read, as
// real child processes. The tests run as root, for whom permission bits do not make a file
// unreadable, so the command runs as the unprivileged user `nobody` (as root) or as the user the
// tests run as (otherwise): a file it may not read (mode 000) and a file in a directory it may not
// search (mode 700, root's) each give one line, `cannot read component <path>: permission denied
// (E_COMPONENT_READ)`, exit 1, nothing run. What root can reach is the API: loadComponent (which
// run and serve share) on a directory or a dangling symlink (the command line refuses those first,
// E_USAGE, run-command.test.ts).

import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { HostError, loadComponent } from '../src/transpile-cache.js';
import { fixtureComponent } from '../../../test/helpers/fixtures.js';
import { CLI_BIN, REPO_ROOT, tempDir, type ProcessResult } from '../../../test/helpers/repo.js';

/** As root: the unprivileged `nobody` (65534), for whom permission bits count. */
const UNPRIVILEGED = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/**
 * `node <args>` without NODE_OPTIONS: tap loads its process tracking into every child through it
 * (set as the child is spawned), and that writes under .tap/, which `nobody` may not.
 */
const NODE_WITHOUT_TAP = ['env', ['-u', 'NODE_OPTIONS', process.execPath]] as const;

/** `sentinel-wasi <argv>` as that user, to its end; a `serve` that starts listening (it should not) is stopped. */
function cliAsUser(argv: string[]): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE_WITHOUT_TAP[0], [...NODE_WITHOUT_TAP[1], CLI_BIN, ...argv], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...UNPRIVILEGED });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (/listening on http:/.test(stderr)) child.kill('SIGTERM');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

t.test('run and serve: a component file this user may not read, or may not reach, is one line with E_COMPONENT_READ, exit 1', async (t) => {
  const probe = await cliAsUser(['--version']);
  if (probe.code !== 0) {
    t.pass('not run', { skip: `the unprivileged user cannot run the command line here (exit ${probe.code}: ${probe.stderr.trim()})` });
    return;
  }
  const dir = await tempDir(t, 'component-read');
  chmodSync(dir, 0o755); // mkdtemp's 700: the user must reach what is in it
  const component = fixtureComponent('append-cli');
  const unreadable = join(dir, 'unreadable.wasm');
  copyFileSync(component, unreadable);
  chmodSync(unreadable, 0o000);
  const closed = join(dir, 'closed');
  mkdirSync(closed, { mode: 0o700 });
  const unreachable = join(closed, 'filter.wasm');
  copyFileSync(component, unreachable);
  for (const command of ['run', 'serve'] as const) {
    const extra = command === 'serve' ? ['--port', '0'] : [];
    for (const path of [unreadable, unreachable]) {
      const r = await cliAsUser([command, path, '--no-pin', ...extra]);
      t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi ${command}: cannot read component ${path}: permission denied (E_COMPONENT_READ)\n` }, `${command} ${path}`);
    }
  }
});

t.test('loadComponent: a directory or a dangling symlink is E_COMPONENT_READ with the system reason, no errno name, no stack', async (t) => {
  const dir = await tempDir(t, 'component-read-api');
  const folder = join(dir, 'folder.wasm');
  mkdirSync(folder);
  const dangling = join(dir, 'dangling.wasm');
  symlinkSync(join(dir, 'gone.wasm'), dangling);
  const cases: Array<[string, string]> = [
    [folder, 'illegal operation on a directory'],
    [dangling, 'no such file or directory'],
  ];
  for (const [path, reason] of cases) {
    const err = await loadComponent(path, join(dir, 'cache')).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err instanceof HostError, path);
    t.same({ code: (err as HostError).code, message: (err as HostError).message }, { code: 'E_COMPONENT_READ', message: `cannot read component ${path}: ${reason}` }, path);
  }
});

// E_COMPONENT_READ: `run` and `serve` given a component file that is there but cannot be read, as
// real child processes. The tests run as root, for whom permission bits do not make a file
// unreadable, so the command runs as the unprivileged user `nobody` (as root) or as the user the
// tests run as (otherwise): a file it may not read (mode 000) and a file in a directory it may not
// search (mode 700, root's) each give one line, `cannot read component <path>: permission denied
// (E_COMPONENT_READ)`, exit 1, nothing run. What root can reach is the API: loadComponent (which
// run and serve share) on a directory or a dangling symlink (the command line refuses those first,
// E_USAGE, run-command.test.ts).

import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { HostError, loadComponent } from '../src/transpile-cache.js';
import { fixtureComponent } from '../../../test/helpers/fixtures.js';
import { runCliUnprivileged, tempDir, unreadableCopies } from '../../../test/helpers/repo.js';

t.test('run and serve: a component file this user may not read, or may not reach, is one line with E_COMPONENT_READ, exit 1', async (t) => {
  const files = await unreadableCopies(t, 'component-read', 'filter.wasm', readFileSync(fixtureComponent('append-cli')));
  if (files === null) return;
  const { unreadable, unreachable } = files;
  for (const command of ['run', 'serve'] as const) {
    const extra = command === 'serve' ? ['--port', '0'] : [];
    for (const path of [unreadable, unreachable]) {
      const r = await runCliUnprivileged([command, path, '--no-pin', ...extra]);
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

t.test('loadComponent: a transpile cache that cannot be made is E_CACHE_DIR, naming the cache and SENTINEL_WASI_CACHE', async (t) => {
  const dir = await tempDir(t, 'component-cache-dir');
  const notADir = join(dir, 'cache-is-a-file');
  writeFileSync(notADir, '');
  const err = await loadComponent(fixtureComponent('append-cli'), notADir).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof HostError);
  t.equal((err as HostError).code, 'E_CACHE_DIR');
  t.match((err as HostError).message, new RegExp(`^cannot make the transpile cache under ${notADir}: ENOTDIR: not a directory, mkdir '.*'; set SENTINEL_WASI_CACHE to a directory this user can write$`));
});

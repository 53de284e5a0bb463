// E_SOURCE_READ: `build` given a source that is there but cannot be read. The tests run as root,
// for whom permission bits do not make a file unreadable, so `build` runs as a child process of
// the unprivileged user `nobody` (as root) or of the user the tests run as (otherwise): a source it
// may not read (mode 000) and one in a directory it may not search (mode 700, root's) each give one
// line, `cannot read source <path>: permission denied (E_SOURCE_READ)`, exit 1, nothing written,
// before the type check or jco. What root reaches instead, a dangling symlink, is a source that is
// not there (E_USAGE, exit 2), as a directory is (build-command.test.ts).

import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runBuild } from './run-build.js';
import { runCliUnprivileged, tempDir, unreadableCopies } from '../../../test/helpers/repo.js';

const SOURCE = "export const run = { run() {} };\n";

t.test('a source this user may not read, or may not reach: one line with E_SOURCE_READ, exit 1, nothing written', async (t) => {
  // 777: the user could write the output too (nothing must be written)
  const files = await unreadableCopies(t, 'source-read', 'filter.ts', SOURCE, 0o777);
  if (files === null) return;
  const { dir, unreadable, unreachable } = files;
  for (const source of [unreadable, unreachable]) {
    const out = join(dir, 'out.wasm');
    const r = await runCliUnprivileged(['build', source, '-o', out]);
    t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi build: cannot read source ${source}: permission denied (E_SOURCE_READ)\n` }, source);
    t.notOk(existsSync(out), 'nothing written');
  }
  t.same(readdirSync(dir).sort(), ['closed', 'unreadable-filter.ts'], 'no map, no staging files beside the output');
});

t.test('a dangling symlink is a source that is not there: E_USAGE, exit 2', async (t) => {
  const dir = await tempDir(t, 'source-read-link');
  const dangling = join(dir, 'filter.ts');
  symlinkSync(join(dir, 'gone.ts'), dangling);
  const r = await runBuild([dangling, '-o', join(dir, 'out.wasm')]);
  t.same(r, { code: 2, stdout: '', stderr: `sentinel-wasi build: source file not found: ${dangling} (E_USAGE)\nRun 'sentinel-wasi build --help' for usage.\n` });
  t.same(readdirSync(dir), ['filter.ts'], 'nothing written');
});

// The wasmtime lane's compile cache: a component is compiled once, serialized to
// <sha256>-wasmtime-49.cwasm, and later runs deserialize it instead of compiling again.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { fixtureComponent } from '../helpers/fixtures.js';
import { runProcess, tempDir } from '../helpers/repo.js';
import { VENV_PYTHON, WASMTIME_RUNNER, wasmtimeLane } from '../helpers/wasmtime.js';

t.test('the first run compiles and caches; the next ones load the cached .cwasm', async (t) => {
  const lane = wasmtimeLane();
  if (lane.kind !== 'python') {
    t.skip('the wasmtime CLI keeps its own compilation cache');
    return;
  }
  const component = fixtureComponent('append-cli');
  const cacheDir = await tempDir(t, 'cwasm');
  const compileOnly = () => runProcess(VENV_PYTHON, [WASMTIME_RUNNER, '--cache-dir', cacheDir, '--timing', '--compile-only', component]);
  const first = await compileOnly();
  t.equal(first.code, 0, first.stderr);
  t.match(first.stderr, /^timing: compile \d+ ms\n$/);
  const hash = createHash('sha256').update(readFileSync(component)).digest('hex');
  t.same(readdirSync(cacheDir), [`${hash}-wasmtime-49.cwasm`]);
  const second = await compileOnly();
  t.match(second.stderr, /^timing: deserialize \d+ ms\n$/);
  const run = await runProcess(VENV_PYTHON, [WASMTIME_RUNNER, '--cache-dir', cacheDir, component, '--', 'echo'], { stdin: 'cached' });
  t.same({ code: run.code, stdout: run.stdout }, { code: 0, stdout: 'echo:cached' });
  t.same(readdirSync(cacheDir), [`${hash}-wasmtime-49.cwasm`], 'still one file');
});

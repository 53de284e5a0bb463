// E_INSTANTIATE: components that transpile but cannot be instantiated under the Node host, given
// to `run` and `serve` as real child processes. Each is a few hundred bytes of component text
// (jco parse, milliseconds): one that imports an interface the host does not provide (as a filter
// built against a world of its own that imports one would), and one whose core module traps while
// it is instantiated (its start function executes `unreachable`). Each is one line with
// E_INSTANTIATE, exit 1, nothing run; serve never listens (it instantiates once before it does).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from '@bytecodealliance/jco';
import { NODE_HOST_CACHE } from '../../../test/helpers/node-host.js';
import { CLI_BIN, runProcess, SERVE_LISTENING, tempDir, type ProcessResult } from '../../../test/helpers/repo.js';

/** The run export every case has: wasi:cli/run's run, lifted from the core module's `run`. */
const RUN_EXPORT = `
  (func $run (result (result)) (canon lift (core func $i "run")))
  (instance $run-instance (export "run" (func $run)))
  (export "wasi:cli/run@0.2.12" (instance $run-instance))`;

/** Imports sentinel-test:absent/thing (a function `ping`, which its run calls): no host provides it. */
const IMPORTS_ABSENT = `(component
  (import "sentinel-test:absent/thing@0.1.0" (instance $thing (export "ping" (func))))
  (core func $ping (canon lower (func $thing "ping")))
  (core module $m
    (import "thing" "ping" (func $ping))
    (func (export "run") (result i32) (call $ping) (i32.const 0)))
  (core instance $i (instantiate $m (with "thing" (instance (export "ping" (func $ping))))))${RUN_EXPORT}
)`;

/** Imports nothing; its core module's start function traps, so instantiating it fails. */
const TRAPS_AT_START = `(component
  (core module $m
    (func $start unreachable)
    (start $start)
    (func (export "run") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))${RUN_EXPORT}
)`;

/** `sentinel-wasi <argv>` to its end; a `serve` that starts listening (it should not) is stopped. */
function cli(argv: string[]): Promise<ProcessResult> {
  return runProcess(process.execPath, [CLI_BIN, ...argv, '--cache-dir', NODE_HOST_CACHE], { stopWhen: SERVE_LISTENING });
}

async function component(dir: string, name: string, wat: string): Promise<string> {
  const path = join(dir, `${name}.wasm`);
  writeFileSync(path, await parse(wat));
  return path;
}

t.test('a component importing an interface the host does not provide: E_INSTANTIATE naming it, exit 1', async (t) => {
  const dir = await tempDir(t, 'instantiate');
  const path = await component(dir, 'imports-absent', IMPORTS_ABSENT);
  for (const command of ['run', 'serve'] as const) {
    const r = await cli(command === 'run' ? ['run', path, '--no-pin'] : ['serve', path, '--no-pin', '--port', '0']);
    t.same(
      r,
      { code: 1, stdout: '', stderr: `sentinel-wasi ${command}: cannot instantiate ${path}: the component imports sentinel-test:absent/thing, which the Node host does not provide (E_INSTANTIATE)\n` },
      command,
    );
  }
});

t.test('a component that traps while it is instantiated: E_INSTANTIATE with the trap, exit 1', async (t) => {
  const dir = await tempDir(t, 'instantiate-trap');
  const path = await component(dir, 'traps-at-start', TRAPS_AT_START);
  for (const command of ['run', 'serve'] as const) {
    const r = await cli(command === 'run' ? ['run', path, '--no-pin'] : ['serve', path, '--no-pin', '--port', '0']);
    t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi ${command}: cannot instantiate ${path}: RuntimeError: unreachable (E_INSTANTIATE)\n` }, command);
  }
});

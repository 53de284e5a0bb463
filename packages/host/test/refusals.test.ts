// `run` and `serve` refuse what they cannot use before running anything, as real child processes on
// real files: a --pin directory that is not a pin (E_NO_PIN, and nothing is created in it), a file
// that is not WebAssembly (E_NOT_WASM: a .ts source, a 48 KB source map, random bytes), a core
// module rather than a component (E_NOT_COMPONENT). Each is one short line, whatever the input.

import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fixtureComponent } from '../../../test/helpers/fixtures.js';
import { NODE_HOST_CACHE } from '../../../test/helpers/node-host.js';
import { CLI_BIN, exampleComponent, REPO_ROOT, runProcess, SERVE_LISTENING, tempDir, tempPin, type ProcessResult } from '../../../test/helpers/repo.js';

const BUCKET = 1764000000;
const MAX_STDERR = 2048;

/** `sentinel-wasi <argv>` to its end; a `serve` that starts listening (it should not) is stopped. */
function cli(argv: string[]): Promise<ProcessResult> {
  return runProcess(process.execPath, [CLI_BIN, ...argv, '--cache-dir', NODE_HOST_CACHE], { stopWhen: SERVE_LISTENING });
}

/** `run` with the append fixture's arguments, or `serve` on a free port. */
function hostArgs(command: 'run' | 'serve', component: string, pinArgs: string[]): string[] {
  return command === 'run'
    ? ['run', component, ...pinArgs, '--', 'append', 'w1', '10', 'res', String(BUCKET)]
    : ['serve', component, ...pinArgs, '--port', '0'];
}

const components = { run: fixtureComponent('append-cli'), serve: fixtureComponent('append-http') };

for (const command of ['run', 'serve'] as const) {
  t.test(`${command} against an empty directory: exit 1, E_NO_PIN, and the directory stays empty`, async (t) => {
    const dir = await tempDir(t, `not-a-pin-${command}`);
    const expected = `sentinel-wasi ${command}: pin ${dir} is not a pin directory (no PIN file), so no collector would read what is written there ` +
      `(make it one with: sentinel-wasi init --pin ${dir}, or start the collector on it: sentinel-wasi collector --pin ${dir}) (E_NO_PIN)\n`;
    for (const pinArgs of [['--pin', dir], ['--pin', dir, '--pin-read-only']]) {
      const r = await cli(hostArgs(command, components[command], pinArgs));
      t.same(r, { code: 1, stdout: '', stderr: expected }, pinArgs.join(' '));
      t.same(readdirSync(dir), [], 'nothing created in the directory');
    }
  });

  t.test(`${command}: a PIN file that is not a pin header is refused with E_BAD_PIN`, async (t) => {
    const dir = await tempDir(t, `bad-pin-${command}`);
    writeFileSync(join(dir, 'PIN'), 'not json\n');
    const r = await cli(hostArgs(command, components[command], ['--pin', dir]));
    t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi ${command}: pin ${dir} is not a usable pin: PIN is not a JSON object (E_BAD_PIN)\n` });
    t.same(readdirSync(dir), ['PIN'], 'nothing created in the directory');
  });
}

t.test('files that are not components: one line with a stable code, exit 1, nothing run', async (t) => {
  const pin = await tempPin(t, 'not-a-component');
  const dir = await tempDir(t, 'inputs');
  const source = join(REPO_ROOT, 'examples/replay/src/replay.ts');
  const sourceMap = `${exampleComponent('replay')}.map`;
  const random = join(dir, 'random.wasm');
  const bytes = randomBytes(64 * 1024);
  bytes[0] = 0xff; // never the \0asm magic by chance
  writeFileSync(random, bytes);
  const core = join(dir, 'core.wasm');
  writeFileSync(core, Buffer.from('\0asm\x01\0\0\0', 'latin1')); // the smallest valid core module
  const empty = join(dir, 'empty.wasm');
  writeFileSync(empty, '');
  const notWasm = (path: string): string =>
    `${path} is not a WebAssembly file (it does not start with \\0asm): build the filter with sentinel-wasi build <filter.ts> -o <out.wasm> and run the .wasm it writes (E_NOT_WASM)`;
  const cases: Array<[string, string]> = [
    [source, notWasm(source)],
    [sourceMap, notWasm(sourceMap)],
    [random, notWasm(random)],
    [empty, notWasm(empty)],
    [core, `${core} is a core WebAssembly module, not a component (its version bytes are 01 00 00 00; a component's are 0d 00 01 00): ` +
      'build the filter with sentinel-wasi build <filter.ts> -o <out.wasm>, or make a component of the module with wasm-tools component new (E_NOT_COMPONENT)'],
  ];
  for (const command of ['run', 'serve'] as const) {
    for (const [file, message] of cases) {
      const r = await cli(hostArgs(command, file, ['--pin', pin]));
      t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi ${command}: ${message}\n` }, `${command} ${file}`);
      t.ok(r.stderr.length < MAX_STDERR, `${command} ${file}: ${r.stderr.length} bytes on stderr`);
    }
  }
  t.same(readdirSync(join(pin, 'log')), [], 'nothing was appended to the pin');
});

// scripts/wasmtime-run.js, the supported way to run a command filter under the wasmtime engine
// without the wasmtime CLI (the wasmtime lane of the tests runs through the same script's set-up
// and runner): its help, a real run of the replay example into a pin (from another directory), a
// component that returns an error or traps (one line with E_RUN_ERROR, E_TRAP), the input it
// refuses before Python starts with the codes and words of `sentinel-wasi run` (a pin that is
// missing or is not a pin, neither --pin nor --no-pin, a file that is not a component, usage
// errors), an explicit --no-pin, and the refusals of the Python runner itself: one line, no traceback.

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import t from 'tap';
import { REPO_ROOT, UNPRIVILEGED, exampleComponent, runProcess, tempDir, tempPin } from '../helpers/repo.js';
import { scanPin } from '../helpers/segments.js';
import { sdkCommandFilter } from '../helpers/sdk-filter.js';
import { ensureWasmtimeVenv, WASMTIME_RUNNER } from '../../scripts/wasmtime-run.js';

const SCRIPT = join(REPO_ROOT, 'scripts', 'wasmtime-run.js');
const replay = exampleComponent('replay');
const USAGE_HINT = "Run 'node scripts/wasmtime-run.js --help' for usage.\n";
const BUILD_HINT = 'build the filter with sentinel-wasi build <filter.ts> -o <out.wasm>';

const script = (args: string[], stdin?: string) => runProcess(process.execPath, [SCRIPT, ...args], { stdin });

t.test('--help: usage, options and how the engine is installed; exit 0', async (t) => {
  const r = await script(['--help']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^Usage: node scripts\/wasmtime-run\.js --pin DIR\|--no-pin \[options\] <component\.wasm> \[-- args\.\.\.\]\n/);
  t.match(r.stdout, /pip install wasmtime==49\.0\.0/);
  t.match(r.stdout, '(required, unless --no-pin or\n                     --compile-only;');
  for (const option of ['--pin DIR', '--no-pin', '--pin-read-only', '--env NAME=VALUE', '--cache-dir DIR', '--compile-only', '--setup']) t.match(r.stdout, option);
  t.match(r.stdout, '(E_NO_PIN, E_BAD_PIN, E_PIN_NOT_DIRECTORY)');
});

t.test('the replay example under the wasmtime engine, run from another directory: its records in the pin, its summary on stderr', async (t) => {
  const pin = await tempPin(t, 'wasmtime-run');
  const nowMs = Date.now();
  const stdin = `${nowMs}\tGET /orders\t12\tok\n${nowMs}\tGET /orders\t40\terror\tmobile\n${nowMs}\tPOST /pay\t5\tblock\n`;
  const r = await runProcess(process.execPath, [SCRIPT, '--pin', basename(pin), replay, '--', '--writer', 'w1'], { stdin, cwd: dirname(pin) });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, 'replay: 3 lines, 3 records, 0 bad lines, 1 frames written, 0 records dropped\n');
  const scan = scanPin(pin);
  t.same({ frames: scan.framesRead, skipped: scan.framesSkipped, records: scan.recordsAccepted }, { frames: 1, skipped: 0, records: 3 });
  t.same(scan.records.map((x) => x.name), ['GET /orders', 'GET /orders', 'POST /pay']);
  t.ok(scan.segments.every((s) => s.endsWith('-w1.seg')), scan.segments.join(', '));
});

t.test("a component that returns an error exits 1 with sentinel-wasi run's line after its own output", async (t) => {
  const pin = await tempPin(t, 'wasmtime-run');
  const r = await script(['--pin', pin, replay, '--', '--bogus']);
  t.equal(r.code, 1);
  const lines = r.stderr.trimEnd().split('\n');
  t.equal(lines[0], 'replay: unknown argument "--bogus"');
  t.equal(
    lines.at(-1),
    'wasmtime-run: the component failed: wasi:cli/run returned an error (a command() body that returned false or threw, or a thrown error the engine turned into one) (E_RUN_ERROR)',
  );
});

t.test("a component that traps exits 1: the engine's account of the exception, then one line with E_TRAP", async (t) => {
  const thrower = sdkCommandFilter('throws-raw', "export const run = { run(): void { throw new Error('boom'); } };\n");
  const r = await script(['--no-pin', thrower]);
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.match(r.stderr, 'Exception { message: Some("boom")');
  t.equal(r.stderr.trimEnd().split('\n').at(-1), 'wasmtime-run: the component failed: wasm trap: wasm `unreachable` instruction executed (E_TRAP)');
  t.notMatch(r.stderr, /wasm backtrace|Caused by/, "not the engine's backtrace");
});

t.test('no --pin: refused as sentinel-wasi run refuses it (E_USAGE, exit 2), before Python starts; --no-pin runs without one, --pin-read-only with a read-only pin', async (t) => {
  const stdin = `${Date.now()}\tGET /orders\t12\tok\n`;
  const bare = await script([replay], stdin);
  t.same(
    { code: bare.code, stdout: bare.stdout, stderr: bare.stderr },
    { code: 2, stdout: '', stderr: `wasmtime-run: --pin DIR is required (or --no-pin) (E_USAGE)\n${USAGE_HINT}` },
  );
  const pin = await tempPin(t, 'wasmtime-run');
  const both = await script(['--pin', pin, '--no-pin', replay], stdin);
  t.same(
    { code: both.code, stdout: both.stdout, stderr: both.stderr },
    { code: 2, stdout: '', stderr: `wasmtime-run: --pin and --no-pin cannot be given together (E_USAGE)\n${USAGE_HINT}` },
  );
  const noPin = await script(['--no-pin', replay], stdin);
  t.same(
    { code: noPin.code, stdout: noPin.stdout, stderr: noPin.stderr },
    { code: 0, stdout: '', stderr: `${dropLine('no pin preopened at /pin')}replay: 1 lines, 1 records, 0 bad lines, 0 frames written, 1 records dropped\n` },
    'the filter finds no /pin, says so once and counts its drop',
  );
  const readOnly = await script(['--pin', pin, '--pin-read-only', replay], stdin);
  t.same(
    { code: readOnly.code, stdout: readOnly.stdout, stderr: readOnly.stderr },
    { code: 0, stdout: '', stderr: `${dropLine('the pin refused it: not-permitted')}replay: 1 lines, 1 records, 0 bad lines, 0 frames written, 1 records dropped\n` },
    'a read-only pin: the engine\'s reason',
  );
  t.same(readdirSync(join(pin, 'log')), [], 'nothing written');
});

/** The SDK's one line about records it could not write (the reason as the engine gave it). */
function dropLine(reason: string): string {
  return `sentinel-wasi filter: writer "shared" could not append a frame of 1 record to the pin's log (${reason}): ` +
    'records that cannot be written are dropped and counted (stats().recordsDropped; the collector is told in a WRITER record once a write succeeds); said once per recorder\n';
}

t.test('a user who can neither use the venv nor make one is told so at once (never a wait for a lock that is not there)', { skip: UNPRIVILEGED.uid === undefined && 'needs root to run as nobody' }, async (t) => {
  // As nobody the checkout's .cache is not writable; the venv's python may not be runnable either
  // (a python under /root): then the script must say it cannot make the venv, not spin on its lock.
  const r = await runProcess('env', ['-u', 'NODE_OPTIONS', process.execPath, SCRIPT, '--no-pin', replay], { ...UNPRIVILEGED });
  if (r.code === 0) t.pass('this machine lets nobody run the venv: it ran');
  else {
    t.equal(r.code, 2, r.stderr);
    t.match(r.stderr, /^wasmtime-run: cannot make the wasmtime venv in .*\.cache: EACCES: permission denied, mkdir '.*wasmtime-venv\.lock'\n/);
    t.match(r.stderr, /needs the `wasmtime` CLI on PATH, or its Python embedding/);
  }
});

t.test('a pin that is not a pin is refused before Python starts, as sentinel-wasi run refuses it; nothing is written', async (t) => {
  const dir = await tempDir(t, 'wasmtime-run');
  const plain = join(dir, 'plain');
  mkdirSync(plain);
  const noPin = await script(['--pin', plain, replay], 'x\n');
  t.same(
    { code: noPin.code, stdout: noPin.stdout, stderr: noPin.stderr },
    {
      code: 1,
      stdout: '',
      stderr:
        `wasmtime-run: pin ${plain} is not a pin directory (no PIN file), so no collector would read what is written there ` +
        `(make it one with: sentinel-wasi init --pin ${plain}, or start the collector on it: sentinel-wasi collector --pin ${plain}) (E_NO_PIN)\n`,
    },
  );
  t.same(readdirSync(plain), [], 'no log/ directory, no segment');

  const missing = join(dir, 'not-created');
  const gone = await script(['--pin', missing, replay]);
  t.same(
    { code: gone.code, stderr: gone.stderr },
    { code: 1, stderr: `wasmtime-run: pin ${missing} does not exist (create it with: sentinel-wasi init --pin ${missing}) (E_NO_PIN)\n` },
  );
  t.notOk(existsSync(missing), 'not created');

  const bad = join(dir, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'PIN'), '{"format":"x"}\n');
  const badPin = await script(['--pin', bad, replay]);
  t.same(
    { code: badPin.code, stderr: badPin.stderr },
    { code: 1, stderr: `wasmtime-run: pin ${bad} is not a usable pin: PIN format is "x", expected "sentinel-wasi-pin" (E_BAD_PIN)\n` },
  );
  t.same(readdirSync(bad), ['PIN']);

  const file = join(dir, 'file');
  writeFileSync(file, '');
  const notDir = await script(['--pin', file, replay]);
  t.same({ code: notDir.code, stderr: notDir.stderr }, { code: 1, stderr: `wasmtime-run: pin ${file} is not a directory (E_PIN_NOT_DIRECTORY)\n` });
});

t.test('usage errors and files that are not components: one line with a code (and, for E_USAGE, where the usage is)', async (t) => {
  const pin = await tempPin(t, 'wasmtime-run');
  const dir = await tempDir(t, 'wasmtime-run-files');
  const source = join(dir, 'filter.ts');
  writeFileSync(source, 'export {};\n');
  const core = join(dir, 'core.wasm');
  writeFileSync(core, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
  const short = join(dir, 'short.wasm');
  writeFileSync(short, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d]));
  const nope = join(dir, 'nope.wasm');
  const cases: { name: string; args: string[]; code: number; stderr: string }[] = [
    { name: 'neither --pin nor --no-pin', args: [replay], code: 2, stderr: `wasmtime-run: --pin DIR is required (or --no-pin) (E_USAGE)\n${USAGE_HINT}` },
    { name: 'no arguments', args: [], code: 2, stderr: `wasmtime-run: expected a component file, got none (E_USAGE)\n${USAGE_HINT}` },
    { name: 'a component that does not exist', args: ['--pin', pin, nope], code: 2, stderr: `wasmtime-run: component file not found: ${nope} (E_USAGE)\n${USAGE_HINT}` },
    { name: '--compile-only, no such file', args: ['--compile-only', nope], code: 2, stderr: `wasmtime-run: component file not found: ${nope} (E_USAGE)\n${USAGE_HINT}` },
    { name: 'a directory as the component', args: ['--pin', pin, dir], code: 2, stderr: `wasmtime-run: component file not found: ${dir} (E_USAGE)\n${USAGE_HINT}` },
    { name: '--env without =', args: ['--pin', pin, '--env', 'FOO', replay], code: 2, stderr: `wasmtime-run: --env expects NAME=VALUE, got "FOO" (E_USAGE)\n${USAGE_HINT}` },
    { name: 'an unknown option', args: ['--pin', pin, '--bogus', replay], code: 2, stderr: `wasmtime-run: unknown option --bogus (E_USAGE)\n${USAGE_HINT}` },
    { name: 'an option without its value', args: ['--pin'], code: 2, stderr: `wasmtime-run: --pin needs a value: --pin DIR (E_USAGE)\n${USAGE_HINT}` },
    {
      name: 'a TypeScript source',
      args: ['--pin', pin, source],
      code: 1,
      stderr: `wasmtime-run: ${source} is not a WebAssembly file (it does not start with \\0asm): ${BUILD_HINT} and run the .wasm it writes (E_NOT_WASM)\n`,
    },
    {
      name: 'a file cut short',
      args: ['--pin', pin, short],
      code: 1,
      stderr: `wasmtime-run: ${short} is cut short: it starts with \\0asm but ends after 5 bytes, before its version bytes (E_NOT_WASM)\n`,
    },
    {
      name: 'a core module',
      args: ['--pin', pin, core],
      code: 1,
      stderr:
        `wasmtime-run: ${core} is a core WebAssembly module, not a component (its version bytes are 01 00 00 00; a component's are 0d 00 01 00): ` +
        `${BUILD_HINT}, or make a component of the module with wasm-tools component new (E_NOT_COMPONENT)\n`,
    },
  ];
  for (const c of cases) {
    const r = await script(c.args);
    t.same({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: c.code, stdout: '', stderr: c.stderr }, c.name);
  }
});

t.test('the Python runner refuses what reaches it with one line and a code, naming the script the user ran', async (t) => {
  const python = ensureWasmtimeVenv();
  const asScript = { ...process.env, WASMTIME_RUN_PROG: 'node scripts/wasmtime-run.js' };
  const bare = await runProcess(python, [WASMTIME_RUNNER], { env: asScript });
  t.same(
    { code: bare.code, stderr: bare.stderr },
    { code: 2, stderr: `wasmtime-run: the following arguments are required: component (E_USAGE)\n${USAGE_HINT}` },
    'no arguments: only the component is required',
  );
  const both = await runProcess(python, [WASMTIME_RUNNER, '--pin', '/tmp', '--no-pin', replay], { env: asScript });
  t.same({ code: both.code, stderr: both.stderr }, { code: 2, stderr: `wasmtime-run: --pin and --no-pin cannot be given together (E_USAGE)\n${USAGE_HINT}` });
  const env = await runProcess(python, [WASMTIME_RUNNER, '--env', 'FOO', replay], { env: asScript });
  t.same({ code: env.code, stderr: env.stderr }, { code: 2, stderr: `wasmtime-run: --env expects NAME=VALUE, got "FOO" (E_USAGE)\n${USAGE_HINT}` });

  const dir = await tempDir(t, 'wasmtime-run-py');
  const nope = join(dir, 'nope.wasm');
  const missing = await runProcess(python, [WASMTIME_RUNNER, '--cache-dir', join(dir, 'cache'), '--compile-only', nope]);
  t.same(
    { code: missing.code, stderr: missing.stderr },
    { code: 2, stderr: `wasmtime-run: component file not found: ${nope} (E_USAGE)\nRun 'wasmtime-run.py --help' for usage.\n` },
  );
  const core = join(dir, 'core.wasm');
  writeFileSync(core, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
  const compile = await runProcess(python, [WASMTIME_RUNNER, '--cache-dir', join(dir, 'cache'), '--compile-only', core]);
  t.same(
    { code: compile.code, stderr: compile.stderr },
    { code: 1, stderr: `wasmtime-run: cannot compile ${core}: failed to parse WebAssembly module: attempted to parse a wasm module with a component parser (E_COMPILE)\n` },
  );

  const pin = await tempPin(t, 'wasmtime-run');
  const gateway = exampleComponent('http-gateway');
  const httpCache = join(dir, 'cache-http');
  const http = await script(['--pin', pin, '--cache-dir', httpCache, gateway]);
  t.same(
    { code: http.code, stderr: http.stderr },
    { code: 1, stderr: `wasmtime-run: ${gateway} does not export wasi:cli/run (is it an HTTP component? serve it: sentinel-wasi serve or wasmtime serve) (E_NOT_COMMAND)\n` },
    'an HTTP component',
  );
  t.equal(existsSync(httpCache), false, 'refused from its export section, before the compile: nothing compiled into the cache');
});

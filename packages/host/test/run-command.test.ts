// `sentinel-wasi run`: a command component under the Node host, as a real child process: stdio and
// exit codes passed through, the pin at /pin, usage errors, and the transpile cache.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadComponent, readJcoDebugOnce, sha256Hex } from '../src/transpile-cache.js';
import { fixtureComponent } from '../../../test/helpers/fixtures.js';
import { NODE_HOST_CACHE, runUnderNode } from '../../../test/helpers/node-host.js';
import { CLI_BIN, runProcess, tempDir, tempPin } from '../../../test/helpers/repo.js';
import { scanPin } from '../../../test/helpers/segments.js';
import { sdkCommandFilter } from '../../../test/helpers/sdk-filter.js';

const component = fixtureComponent('append-cli');
const BUCKET = 1764000000;

t.test('stdin reaches the component and its stdout comes back; exit code 0', async (t) => {
  const pin = await tempPin(t, 'run');
  const r = await runUnderNode({ component, pin, args: ['echo'], stdin: 'line one\nline two' });
  t.same(r, { code: 0, stdout: 'echo:line one\nline two', stderr: '' });
});

t.test('a component that throws (a trap under QuickJS): exit code 1, its exception, then one line with E_TRAP', async (t) => {
  const pin = await tempPin(t, 'run');
  const r = await runUnderNode({ component, pin, args: ['fail'] });
  t.equal(r.code, 1);
  t.equal(r.stdout, 'failing on purpose\n');
  t.match(r.stderr, 'Exception { message: Some("fail requested")', "the engine's account first");
  t.equal(r.stderr.trimEnd().split('\n').at(-1), 'sentinel-wasi run: the component failed: RuntimeError: wasm trap: wasm `unreachable` instruction executed (E_TRAP)');
  t.ok(r.stderr.endsWith('(E_TRAP)\n'), 'the last line, once');
});

t.test("a command() body that returns false: exit code 1, and one line that says so", async (t) => {
  const pin = await tempPin(t, 'run');
  const failing = sdkCommandFilter('returns-false', "import { command } from '@sentinel-wasi/filter';\n\nexport const run = command(() => false);\n");
  const r = await runUnderNode({ component: failing, pin });
  t.same(r, {
    code: 1,
    stdout: '',
    stderr: 'sentinel-wasi run: the component failed: wasi:cli/run returned an error (a command() body that returned false or threw, or a thrown error the engine turned into one) (E_RUN_ERROR)\n',
  });
});

t.test('appends go to the pin as whole frames', async (t) => {
  const pin = await tempPin(t, 'run');
  const r = await runUnderNode({ component, pin, args: ['append', 'w1', '250', 'res', String(BUCKET)] });
  t.same({ code: r.code, stdout: r.stdout }, { code: 0, stdout: 'appended 250 dropped 0\n' });
  const scan = scanPin(pin);
  t.same(scan.segments, [`${BUCKET}-w1.seg`]);
  t.same({ frames: scan.framesRead, skipped: scan.framesSkipped, records: scan.recordsAccepted }, { frames: 250, skipped: 0, records: 250 });
  t.same(scan.records.map((r) => r.rtMs), [...Array(250).keys()], 'in order, none missing');
});

t.test('a pin that does not exist: exit 1 with one line (E_NO_PIN), nothing run, nothing created', async (t) => {
  const dir = await tempDir(t, 'run');
  const pin = join(dir, 'not-created');
  const r = await runProcess(process.execPath, [CLI_BIN, 'run', component, '--pin', pin, '--cache-dir', NODE_HOST_CACHE, '--', 'append', 'w1', '10', 'res', String(BUCKET)]);
  t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi run: pin ${pin} does not exist (create it with: sentinel-wasi init --pin ${pin}) (E_NO_PIN)\n` });
  t.notOk(existsSync(pin));
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const notDir = await runProcess(process.execPath, [CLI_BIN, 'run', component, '--pin', file, '--cache-dir', NODE_HOST_CACHE]);
  t.same(notDir, { code: 1, stdout: '', stderr: `sentinel-wasi run: pin ${file} is not a directory (E_PIN_NOT_DIRECTORY)\n` });
});

t.test('--no-pin: nothing preopened; the component finds no pin and counts its drops, the host counts no failures', async (t) => {
  const r = await runUnderNode({ component, pin: undefined, args: ['append', 'w1', '10', 'res', String(BUCKET)] });
  t.same(r, { code: 0, stdout: 'appended 0 dropped 10\n', stderr: '' });
});

t.test('a read-only pin: the host reports the failed operations once, at exit', async (t) => {
  const pin = await tempPin(t, 'run');
  const r = await runUnderNode({ component, pin, pinReadOnly: true, args: ['append', 'w1', '3', 'res', String(BUCKET)] });
  t.same(r, { code: 0, stdout: 'appended 0 dropped 3\n', stderr: 'sentinel-wasi run: 2 operations on the pin failed (not-permitted 2)\n' });
  t.same(readdirSync(join(pin, 'log')), []);
});

t.test('usage errors exit 2 with the reason', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['run'], /expected exactly one component file, got 0/],
    [['run', component], /--pin DIR is required \(or --no-pin\)/],
    [['run', component, '--pin', '/tmp', '--no-pin'], /--pin and --no-pin cannot be given together/],
    [['serve', component, '--pin', '/tmp', '--port', '0', '--instances', '0'], /--instances must be a positive integer, got "0"/],
    [['serve', component, '--pin', '/tmp', '--port', '0', '--fresh-instance-per-request', '--max-instance-reuse-count', '2'], /cannot be given together/],
    [['run', join(tmpdir(), 'sw-none.wasm'), '--pin', '/tmp'], /component file not found/],
    [['run', component, '--pin', '/tmp', '--env', 'NOEQUALS'], /--env expects K=V/],
    [['run', component, '--pin', '/tmp', '--bogus'], /Unknown option '--bogus' \(arguments for the component go after --, as in '-- --bogus'\)/],
    [['run', component, '--pin', '/tmp', 'mobile', 'web'], /expected exactly one component file, got 3 \(arguments for the component go after --, as in '-- mobile web'\)/],
    [['serve', component, '--pin', '/tmp'], /--port N is required/],
    [['serve', component, '--pin', '/tmp', '--port', '70000'], /--port must be an integer in \[0, 65535\]/],
    [['serve', component, '--pin', '/tmp', '--port', '0', '--max-instance-reuse-count', '0'], /--max-instance-reuse-count must be a positive integer, got "0"/],
  ];
  for (const [argv, message] of cases) {
    const r = await runProcess(process.execPath, [CLI_BIN, ...argv]);
    t.equal(r.code, 2, argv.join(' '));
    t.match(r.stderr, message);
    t.match(r.stderr, /\(E_USAGE\)/);
  }
});

t.test("an unknown option: one line, its quotes closed, and where the component's arguments go; exit 2", async (t) => {
  for (const command of ['run', 'serve']) {
    const r = await runProcess(process.execPath, [CLI_BIN, command, component, '--pin', '/tmp', '--frobnicate']);
    t.same(r, {
      code: 2,
      stdout: '',
      stderr:
        `sentinel-wasi ${command}: Unknown option '--frobnicate' (arguments for the component go after --, as in '-- --frobnicate') (E_USAGE)\n` +
        `Run 'sentinel-wasi ${command} --help' for usage.\n`,
    }, command);
  }
});

t.test('a component file that does not exist or is a directory is a usage error (E_USAGE, exit 2), as the README says', async (t) => {
  const dir = await tempDir(t, 'run-missing');
  const missing = join(dir, 'nonexist.wasm');
  const pin = await tempPin(t, 'run');
  for (const [command, extra] of [['run', []], ['serve', ['--port', '0']]] as const) {
    for (const path of [missing, dir]) {
      const r = await runProcess(process.execPath, [CLI_BIN, command, path, '--pin', pin, ...extra]);
      t.same(
        r,
        { code: 2, stdout: '', stderr: `sentinel-wasi ${command}: component file not found: ${path} (E_USAGE)\nRun 'sentinel-wasi ${command} --help' for usage.\n` },
        `${command} ${path}`,
      );
    }
  }
});

t.test('an HTTP component given to run is refused with E_NOT_COMMAND', async (t) => {
  const pin = await tempPin(t, 'run');
  const r = await runUnderNode({ component: fixtureComponent('append-http'), pin, args: [] });
  t.equal(r.code, 1);
  t.match(r.stderr, /does not export wasi:cli\/run.*\(E_NOT_COMMAND\)/);
});

t.test('the transpiled component is cached by content hash and reused', async (t) => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'sw-cache-'));
  t.teardown(() => rmSync(cacheDir, { recursive: true, force: true }));
  const first = await loadComponent(component, cacheDir);
  t.equal(first.hash, sha256Hex(await readFile(component)));
  t.equal(first.transpiled, true);
  const second = await loadComponent(component, cacheDir);
  t.equal(second.transpiled, false);
  t.equal(second.transpileMs, 0);
  t.equal(second.dir, first.dir);
  t.same(readdirSync(join(first.dir, '..')), [first.hash], 'one entry, named by the hash');
  // jco's debug logger reads JCO_DEBUG once, at load, not on every import call.
  const js = readFileSync(join(first.dir, 'component.js'), 'utf8');
  t.match(js, 'const _debugLog = globalThis?.process?.env?.JCO_DEBUG ? (...args) => console.debug(...args) : () => {};');
  t.notMatch(js, 'if (!globalThis?.process?.env?.JCO_DEBUG) { return; }');
  t.equal(readJcoDebugOnce('const x = 1;\n'), 'const x = 1;\n', 'other output is left as it is');
});

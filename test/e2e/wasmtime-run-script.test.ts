// scripts/wasmtime-run.js, the supported way to run a command filter under the wasmtime engine
// without the wasmtime CLI (the wasmtime lane of the tests runs through the same script's set-up
// and runner): its help, a real run of the replay example into a pin, the exit code of a failing
// component, and a pin that does not exist.

import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT, exampleComponent, runProcess, tempDir } from '../helpers/repo.js';
import { scanPin } from '../helpers/segments.js';

const SCRIPT = join(REPO_ROOT, 'scripts', 'wasmtime-run.js');
const replay = exampleComponent('replay');

t.test('--help: usage, options and how the engine is installed; exit 0', async (t) => {
  const r = await runProcess(process.execPath, [SCRIPT, '--help']);
  t.equal(r.code, 0);
  t.match(r.stdout, /^Usage: node scripts\/wasmtime-run\.js \[options\] <component\.wasm> \[-- args\.\.\.\]/);
  t.match(r.stdout, /pip install wasmtime==49\.0\.0/);
  for (const option of ['--pin DIR', '--pin-read-only', '--env K=V', '--cache-dir DIR', '--compile-only', '--setup']) t.match(r.stdout, option);
});

t.test('the replay example under the wasmtime engine: its records in the pin, its summary on stderr', async (t) => {
  const pin = await tempDir(t, 'wasmtime-run');
  const nowMs = Date.now();
  const stdin = `${nowMs}\tGET /orders\t12\tok\n${nowMs}\tGET /orders\t40\terror\tmobile\n${nowMs}\tPOST /pay\t5\tblock\n`;
  const r = await runProcess(process.execPath, [SCRIPT, '--pin', pin, replay, '--', '--writer', 'w1'], { stdin });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, 'replay: 3 lines, 3 records, 0 bad lines, 1 frames written, 0 records dropped\n');
  const scan = scanPin(pin);
  t.same({ frames: scan.framesRead, skipped: scan.framesSkipped, records: scan.recordsAccepted }, { frames: 1, skipped: 0, records: 3 });
  t.same(scan.records.map((x) => x.name), ['GET /orders', 'GET /orders', 'POST /pay']);
  t.ok(scan.segments.every((s) => s.endsWith('-w1.seg')), scan.segments.join(', '));
});

t.test('a component that returns an error exits 1; a pin that does not exist exits 2 with one line', async (t) => {
  const pin = await tempDir(t, 'wasmtime-run');
  const bad = await runProcess(process.execPath, [SCRIPT, '--pin', pin, replay, '--', '--bogus']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /replay: unknown argument "--bogus"/);
  const missing = join(pin, 'not-created');
  const r = await runProcess(process.execPath, [SCRIPT, '--pin', missing, replay]);
  t.equal(r.code, 2);
  t.match(r.stderr, new RegExp(`^wasmtime-run: cannot preopen ${missing}: `));
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
});

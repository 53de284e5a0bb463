// `sentinel-wasi init` and `collector`: the pin's shape and mode, idempotence, usage errors, the
// lock (a live holder is a clear error, a dead one is taken over), address.json while running.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { main } from '../../../cli/src/main.js';
import { runDaemon } from '../../src/daemon/run.js';
import type { DaemonAddress } from '../../src/stats/types.js';

function capture(): { io: { stdout: Writable; stderr: Writable }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stream = (f: (s: string) => void): Writable => new Writable({ write(chunk, _enc, cb) { f(String(chunk)); cb(); } });
  return { io: { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)) }, out: () => out, err: () => err };
}

t.test('init creates a 0700 pin with its header and directories, and is idempotent', async (t) => {
  const pin = join(t.testdir(), 'pin');
  let c = capture();
  t.equal(await main(['init', '--pin', pin, '--app', 'shop'], c.io), 0);
  t.match(c.out(), /^created .*pin \(app shop\)\n$/);
  t.equal(statSync(pin).mode & 0o777, 0o700);
  t.same(JSON.parse(readFileSync(join(pin, 'PIN'), 'utf8')), { format: 'sentinel-wasi-pin', version: 1, app: 'shop' });
  for (const d of ['log', 'rules', 'collector']) t.equal(statSync(join(pin, d)).isDirectory(), true, d);
  const before = readFileSync(join(pin, 'PIN'));
  c = capture();
  t.equal(await main(['init', '--pin', pin, '--app', 'other'], c.io), 0);
  t.match(c.out(), /^exists /);
  t.match(c.err(), /already belongs to app "shop"/);
  t.same(readFileSync(join(pin, 'PIN')), before, 'an existing PIN is never rewritten');
  writeFileSync(join(pin, 'PIN'), '{"format":"other"}');
  c = capture();
  t.equal(await main(['init', '--pin', pin], c.io), 1);
  t.match(c.err(), /E_BAD_PIN/);
});

t.test('init on an existing directory without a PIN makes it private', async (t) => {
  const pin = t.testdir({ pin: {} }) + '/pin';
  chmodSync(pin, 0o755);
  t.equal(await main(['init', '--pin', pin], capture().io), 0);
  t.equal(statSync(pin).mode & 0o777, 0o700);
  t.equal(JSON.parse(readFileSync(join(pin, 'PIN'), 'utf8')).app, 'pin', 'app defaults to the directory name');
});

t.test('usage errors exit 2', async (t) => {
  for (const argv of [['init'], ['collector'], ['collector', '--pin', 'x', '--port', 'http'], ['collector', '--pin', 'x', '--bogus']]) {
    const c = capture();
    t.equal(await main(argv, c.io), 2, argv.join(' '));
    t.match(c.err(), /E_USAGE/);
  }
});

t.test('the lock: a live holder is a clear error; a dead one is taken over; address.json while running', async (t) => {
  const pin = t.testdir();
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
  // A lock left by a process that no longer exists (a SIGKILLed collector).
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  await main(['init', '--pin', pin], capture().io);
  writeFileSync(join(pin, 'collector', 'lock'), `${dead.stdout}\n`);
  const daemon = await runDaemon({ pinDir: pin, logger, port: 0, graceMs: 100 });
  t.equal((JSON.parse(readFileSync(join(pin, 'collector', 'lock'), 'utf8')) as { pid: number }).pid, process.pid, 'stale lock taken over');
  const c = capture();
  t.equal(await main(['collector', '--pin', pin, '--port', '0'], c.io), 1);
  t.match(c.err(), new RegExp(`another collector \\(pid ${process.pid}\\) holds .*lock.*\\(E_LOCKED\\)`));
  t.equal(c.err().split('E_LOCKED').length - 1, 1, 'the code said once, at the end');
  if (daemon.url !== undefined) {
    const address = JSON.parse(readFileSync(join(pin, 'collector', 'address.json'), 'utf8')) as DaemonAddress;
    t.same([address.url, address.pid, address.app], [daemon.url, process.pid, daemon.collector.app]);
  } else {
    t.ok(lines.some((l) => l.includes('http server did not start')), 'a failing HTTP start is logged and collecting goes on');
  }
  await daemon.stop();
  t.equal(existsSync(join(pin, 'collector', 'lock')), false);
  t.equal(existsSync(join(pin, 'collector', 'address.json')), false);
  t.equal(existsSync(join(pin, 'collector', 'checkpoint.json')), true, 'final checkpoint');
  t.ok(lines.some((l) => l.includes('"final checkpoint written"')));
});

t.test('a lock held by another live process stops a second collector with E_LOCKED', async (t) => {
  const pin = t.testdir();
  await main(['init', '--pin', pin], capture().io);
  writeFileSync(join(pin, 'collector', 'lock'), `${process.ppid}\n`); // the test runner: alive, not us
  const c = capture();
  t.equal(await main(['collector', '--pin', pin, '--port', '0'], c.io), 1);
  t.match(c.err(), new RegExp(`another collector \\(pid ${process.ppid}\\) holds .*\\(E_LOCKED\\)`));
  t.equal(readFileSync(join(pin, 'collector', 'lock'), 'utf8'), `${process.ppid}\n`, 'the holder keeps its lock');
});

t.test('a failing HTTP start is logged and the collector keeps collecting', async (t) => {
  const pin = t.testdir();
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
  const daemon = await runDaemon({ pinDir: pin, logger, port: 0, startHttp: async () => { throw Object.assign(new Error('E_NOT_IMPLEMENTED: no server'), { code: 'E_NOT_IMPLEMENTED' }); } });
  t.equal(daemon.url, undefined);
  t.ok(lines.some((l) => l.includes('"code":"E_NOT_IMPLEMENTED"') && l.includes('collecting goes on')));
  t.equal(existsSync(join(pin, 'collector', 'address.json')), false);
  await daemon.stop();
  t.ok(lines.some((l) => l.includes('"collector stopped"')));
});

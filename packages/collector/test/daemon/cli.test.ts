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
  t.equal(c.err(), `sentinel-wasi init: ${join(pin, 'PIN')}: PIN format is "other", expected "sentinel-wasi-pin" (E_BAD_PIN)\n`, 'the file named, the code said once');
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

t.test('collector --log-level takes pino\'s levels only', async (t) => {
  const c = capture();
  t.equal(await main(['collector', '--pin', t.testdir(), '--log-level', 'loud'], c.io), 2);
  t.match(c.err(), /^sentinel-wasi collector: --log-level must be one of fatal, error, warn, info, debug, trace, silent, got "loud" \(E_USAGE\)\n/);
});

t.test('collector --token shorter than 16 characters (or SENTINEL_WASI_TOKEN) is refused before anything starts', async (t) => {
  const pin = join(t.testdir(), 'pin');
  const c = capture();
  t.equal(await main(['collector', '--pin', pin, '--token', 'abc'], c.io), 2);
  t.equal(c.err().split('\n')[0], 'sentinel-wasi collector: --token (or SENTINEL_WASI_TOKEN) must be at least 16 characters: a short token is guessed; leave it out to use DIR/collector/token (64 random hex digits) (E_USAGE)');
  const before = process.env.SENTINEL_WASI_TOKEN;
  process.env.SENTINEL_WASI_TOKEN = '123456789012345';
  t.teardown(() => (before === undefined ? delete process.env.SENTINEL_WASI_TOKEN : (process.env.SENTINEL_WASI_TOKEN = before)));
  const e = capture();
  t.equal(await main(['collector', '--pin', pin], e.io), 2, 'from the environment too');
  t.match(e.err(), /at least 16 characters/);
  t.notOk(existsSync(pin), 'nothing was made');
});

t.test('collector --trust-dashboard-address: an IP address a request can come from (not a host name, not 0.0.0.0 or ::)', async (t) => {
  const pin = join(t.testdir(), 'pin');
  const refused = async (address: string): Promise<string> => {
    const c = capture();
    t.equal(await main(['collector', '--pin', pin, '--trust-dashboard-address', address], c.io), 2, address);
    return c.err().split('\n')[0]!;
  };
  t.equal(await refused('dashboard.local'), 'sentinel-wasi collector: --trust-dashboard-address must be an IP address as requests come from it (e.g. 127.0.0.1 or ::1), got "dashboard.local" (E_USAGE)');
  for (const address of ['0.0.0.0', '::', '0:0::0', '::ffff:0.0.0.0']) {
    t.equal(await refused(address), `sentinel-wasi collector: --trust-dashboard-address ${address} is the unspecified address, which no request comes from: give the dashboard's own address (127.0.0.1 for one on this machine) (E_USAGE)`);
  }
  t.notOk(existsSync(pin), 'nothing was made');
});

t.test('an option given twice: the query commands refuse it; the collector says which one it uses (npm start -- --pin DIR)', async (t) => {
  const c = capture();
  const dir = t.testdir();
  t.equal(await main(['collector', '--pin', join(dir, 'a'), '--pin', join(dir, 'b'), '--token', 'abc'], c.io), 2, 'stopped by the short token, after the warning');
  t.equal(c.err().split('\n')[0], `sentinel-wasi collector: --pin is given more than once; the last one is used: ${join(dir, 'b')}`);
  const s = capture();
  t.equal(await main(['stats', '--pin', 'x', '--json', '--json'], s.io), 2);
  t.match(s.err(), /--json is given more than once/);
});

t.test('--app for a pin of another app is ignored with a warning, as init says it', async (t) => {
  const pin = t.testdir();
  await main(['init', '--pin', pin, '--app', 'shop'], capture().io);
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
  const daemon = await runDaemon({ pinDir: pin, app: 'other', logger, http: false });
  t.equal(daemon.collector.app, 'shop');
  const warned = lines.map((l) => JSON.parse(l) as { level: number; code?: string; msg: string }).filter((l) => l.code === 'E_APP_IGNORED');
  t.same(warned.map((l) => [l.level, l.msg]), [[40, `${pin} already belongs to app "shop"; --app "other" ignored (make a new pin with init --pin DIR --app NAME for another app)`]]);
  await daemon.stop();
  // The same app, or a new pin: nothing to say.
  lines.length = 0;
  const same = await runDaemon({ pinDir: pin, app: 'shop', logger, http: false });
  await same.stop();
  const fresh = await runDaemon({ pinDir: join(t.testdir(), 'new'), app: 'other', logger, http: false });
  t.equal(fresh.collector.app, 'other');
  await fresh.stop();
  t.notOk(lines.some((l) => l.includes('E_APP_IGNORED')));
});

t.test('--map-slots for a pin whose map has another size is ignored with a warning, as --app is', async (t) => {
  const pin = t.testdir();
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
  const first = await runDaemon({ pinDir: pin, mapSlots: 64, logger, http: false });
  await first.stop();
  const again = await runDaemon({ pinDir: pin, mapSlots: 128, logger, http: false });
  await again.stop();
  const warned = lines.map((l) => JSON.parse(l) as { level: number; code?: string; msg: string }).filter((l) => l.code === 'E_MAP_SLOTS_IGNORED');
  t.same(warned.map((l) => [l.level, l.msg]), [[40, `${pin}'s map already has 64 slots; --map-slots 128 ignored (it sizes a new map: make a new pin, or remove ${join(pin, 'map')} while no collector runs, for a new map and new ids)`]]);
  // The same size, or none given: nothing to say.
  lines.length = 0;
  await (await runDaemon({ pinDir: pin, mapSlots: 64, logger, http: false })).stop();
  await (await runDaemon({ pinDir: pin, logger, http: false })).stop();
  t.notOk(lines.some((l) => l.includes('E_MAP_SLOTS_IGNORED')));
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

t.test('requireHttp: a failing HTTP start stops the daemon (final checkpoint, lock released) and runDaemon rejects', async (t) => {
  const pin = t.testdir();
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
  const failure = Object.assign(new Error('cannot listen on 127.0.0.1:1: no'), { code: 'E_HTTP_LISTEN' });
  await t.rejects(runDaemon({ pinDir: pin, logger, port: 0, requireHttp: true, startHttp: async () => { throw failure; } }), failure);
  const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; code?: string; err?: string });
  const start = logged.find((l) => l.msg.startsWith('http server did not start'));
  t.same([start?.level, start?.code, start?.err, start?.msg], [50, 'E_HTTP_LISTEN', 'cannot listen on 127.0.0.1:1: no', 'http server did not start; the collector stops']);
  t.notOk(lines.some((l) => l.includes('collecting goes on')), 'never "collecting goes on"');
  t.same(logged.slice(-2).map((l) => l.msg), ['final checkpoint written', 'collector stopped']);
  t.equal(existsSync(join(pin, 'collector', 'lock')), false, 'the lock is released');
  t.equal(existsSync(join(pin, 'collector', 'address.json')), false);
});

t.test('collector --host that cannot be listened on: exit 1 with E_HTTP_START before anything starts', async (t) => {
  const hint = 'give --host an address of this machine (default 127.0.0.1), or run without HTTP with --no-http (E_HTTP_START)';
  const cases: Array<[string[], RegExp]> = [
    [['--host', '192.0.2.1', '--port', '0'], /^sentinel-wasi collector: cannot listen on 192\.0\.2\.1:0: listen EADDRNOTAVAIL: address not available 192\.0\.2\.1; /],
    [['--host', '999.1.1.1'], /^sentinel-wasi collector: cannot listen on 999\.1\.1\.1:8719: getaddrinfo (ENOTFOUND|EAI_AGAIN) 999\.1\.1\.1; /],
    [['--host', 'example.invalid', '--port', '0'], /^sentinel-wasi collector: cannot listen on example\.invalid:0: getaddrinfo (ENOTFOUND|EAI_AGAIN) example\.invalid; /],
  ];
  for (const [args, start] of cases) {
    const pin = join(t.testdir(), 'pin');
    const c = capture();
    t.equal(await main(['collector', '--pin', pin, ...args], c.io), 1, args.join(' '));
    t.match(c.err(), start);
    t.ok(c.err().endsWith(`; ${hint}\n`), `the hint and the code: ${c.err()}`);
    t.equal(c.out(), '', 'nothing logged: the daemon never started');
    t.equal(existsSync(join(pin, 'collector', 'lock')), false, 'the pin is not locked');
  }
});

t.test('collector --help names the rule files, that they are reloaded on change, and the exit codes', async (t) => {
  const c = capture();
  t.equal(await main(['collector', '--help'], c.io), 0);
  const help = c.out().replace(/\s+/g, ' ');
  t.match(help, 'Rules: flow and degrade rules (Sentinel\'s JSON arrays, at most 2048 each) are read from DIR/rules/flow.json and DIR/rules/degrade.json at start and again whenever they change');
  t.match(help, 'Exit codes: 0 stopped by SIGTERM, SIGINT or SIGHUP, 1 could not start (E_ADDRINUSE, E_HTTP_START, E_LOCKED, E_PIN_UNSAFE, …), 2 bad usage (E_USAGE).');
  t.match(help, '--host ADDR HTTP address (default 127.0.0.1); one that cannot be listened on stops the collector at once: exit 1, E_HTTP_START');
});

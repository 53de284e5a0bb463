// Start-up refuses a pin others can write or that another user owns (E_PIN_UNSAFE, with the
// command that fixes it), accepts a group-readable 0750 pin and, with --allow-shared-pin, a
// shared one; a symlink in log/ pointing out of the pin is not read.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { runDaemon } from '../../src/daemon/run.js';
import { loadOrCreateToken } from '../../src/daemon/token.js';
import { MetricLogWriter } from '../../src/metriclog/writer.js';
import { ensurePin } from '../../src/pin/pin.js';
import { runCli } from '../cli/run-cli.js';

const silent = pino({ level: 'silent' });

async function refused(t: { equal: (a: unknown, b: unknown, m?: string) => void; match: (a: unknown, b: unknown) => void }, pin: string, expected: RegExp): Promise<void> {
  const r = await runCli('collector', '--pin', pin, '--port', '0');
  t.equal(r.code, 1, r.stderr);
  t.match(r.stderr, expected);
  t.match(r.stderr, /--allow-shared-pin/);
  t.match(r.stderr, /\(E_PIN_UNSAFE\)\n$/);
}

t.test('a pin writable by others is refused with the chmod to run', async (t) => {
  const pin = join(t.testdir(), 'pin');
  ensurePin(pin, 'app');
  chmodSync(pin, 0o777);
  await refused(t, pin, new RegExp(`${pin} is writable by group and others \\(mode 0777\\)\\. Run \`chmod 700 ${pin}\``));
});

for (const sub of ['log', 'rules', 'collector']) {
  t.test(`a group-writable ${sub}/ is refused`, async (t) => {
    const pin = join(t.testdir(), 'pin');
    ensurePin(pin, 'app');
    chmodSync(join(pin, sub), 0o770);
    await refused(t, pin, new RegExp(`${join(pin, sub)} is writable by group \\(mode 0770\\)\\. Run \`chmod 700 ${join(pin, sub)}\``));
  });
}

t.test('a sub-directory that is a symlink is refused even with --allow-shared-pin', async (t) => {
  const root = t.testdir({ elsewhere: {} });
  const pin = join(root, 'pin');
  ensurePin(pin, 'app');
  rmSync(join(pin, 'rules'), { recursive: true });
  symlinkSync(join(root, 'elsewhere'), join(pin, 'rules'));
  const r = await runCli('collector', '--pin', pin, '--port', '0', '--allow-shared-pin');
  t.equal(r.code, 1);
  t.match(r.stderr, `${join(pin, 'rules')} is a symbolic link`);
});

t.test('collector/metrics replaced by a link is refused at start, and the metric log never writes through one', async (t) => {
  const root = t.testdir({ elsewhere: {} });
  const pin = join(root, 'pin');
  const { paths } = ensurePin(pin, 'app');
  rmSync(paths.metricDir, { recursive: true });
  symlinkSync(join(root, 'elsewhere'), paths.metricDir);
  const r = await runCli('collector', '--pin', pin, '--port', '0', '--allow-shared-pin');
  t.equal(r.code, 1);
  t.match(r.stderr, `${paths.metricDir} is a symbolic link`);
  const writer = new MetricLogWriter({ dir: paths.metricDir, app: 'app', utcOffsetMinutes: 0 });
  t.throws(() => writer.open(undefined), { code: 'E_UNSAFE_PATH' });
  t.same(readdirSync(join(root, 'elsewhere')), [], 'nothing written outside the pin');
});

t.test('the token file: a file others can read, another user\'s, a FIFO or a link stops the start (E_TOKEN_UNSAFE), a short one too (E_TOKEN_SHORT); a new one is 0600', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'token');
  const made = loadOrCreateToken(dir);
  t.match(made, /^[0-9a-f]{64}$/);
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.equal(loadOrCreateToken(dir), made, 'read back');
  const cases: Array<[string, () => void, RegExp]> = [
    ['mode 0644', () => (writeFileSync(path, 'abc\n'), chmodSync(path, 0o644)), /can be read or written by others \(mode 0644\).*`chmod 600 /],
    ['a FIFO', () => execFileSync('mkfifo', [path]), /is not a regular file: delete it/],
    ['a link', () => symlinkSync('/etc/hostname', path), /is a symbolic link/],
  ];
  if (process.geteuid!() === 0) cases.push(['another user\'s', () => (writeFileSync(path, 'abc\n', { mode: 0o600 }), chownSync(path, 4321, 4321)), /is owned by uid 4321, not by this user \(uid 0\).*`chown 0 /]);
  for (const [name, make, message] of cases) {
    rmSync(path, { force: true });
    make();
    t.throws(() => loadOrCreateToken(dir), { code: 'E_TOKEN_UNSAFE', message }, name);
  }
  // A token of its user's, 0600, but short (as --token is refused under 16 characters) or empty.
  rmSync(path, { force: true });
  writeFileSync(path, 'tooshort\n', { mode: 0o600 });
  t.throws(() => loadOrCreateToken(dir), { code: 'E_TOKEN_SHORT', message: `E_TOKEN_SHORT: ${path} holds a token of 8 characters, and a short token is guessed: put one of at least 16 in it, or delete it (a new one of 64 random hex digits is made at start)` });
  writeFileSync(path, '0123456789abcdef\n', { mode: 0o600 });
  t.equal(loadOrCreateToken(dir), '0123456789abcdef', '16 characters are taken');
  writeFileSync(path, ' \n', { mode: 0o600 });
  t.throws(() => loadOrCreateToken(dir), { code: 'E_TOKEN_EMPTY' });
});

t.test('a pin owned by another user is refused (root runs only on a root-owned pin)', { skip: process.geteuid!() !== 0 && 'needs root to chown' }, async (t) => {
  const pin = join(t.testdir(), 'pin');
  ensurePin(pin, 'app');
  chownSync(join(pin, 'collector'), 4321, 4321);
  await refused(t, pin, new RegExp(`${join(pin, 'collector')} is owned by uid 4321, not by this user \\(uid 0\\)`));
  chownSync(join(pin, 'collector'), 0, 0);
  chownSync(pin, 4321, 4321);
  await refused(t, pin, /is owned by uid 4321/);
});

t.test('--allow-shared-pin: log/ and rules/ may be another user\'s; the pin itself and collector/, where the collector writes, may not', { skip: process.geteuid!() !== 0 && 'needs root to chown' }, async (t) => {
  const pin = join(t.testdir(), 'pin');
  ensurePin(pin, 'app');
  chownSync(join(pin, 'log'), 4321, 4321);
  chownSync(join(pin, 'rules'), 4321, 4321);
  const d = await runDaemon({ pinDir: pin, port: 0, logger: silent, allowSharedPin: true, token: 'tok' });
  t.ok(d.url, 'log/ and rules/ of another user: it starts');
  const push = await fetch(`${d.url}/setRules`, { method: 'POST', headers: { authorization: 'Bearer tok', 'content-type': 'application/x-www-form-urlencoded' }, body: 'type=flow&data=%5B%5D' });
  t.same([push.status, await push.text()], [400, `cannot write ${join(pin, 'rules', 'flow.json')}: ${join(pin, 'rules')} is owned by uid 4321, not by this user (uid 0) (E_RULES_WRITE); the rules in force are unchanged`], 'a push cannot write into a rules/ of another user');
  await d.stop();
  // Refused at start whether the map is there already (it is, from the run above) or not.
  for (const [dir, what] of [[join(pin, 'collector'), 'its checkpoint, lock and metric log'], [pin, 'the resource map']] as const) {
    chownSync(dir, 4321, 4321);
    const r = await runCli('collector', '--pin', pin, '--port', '0', '--allow-shared-pin');
    t.equal(r.code, 1, r.stderr);
    t.equal(r.stderr, `sentinel-wasi collector: ${dir} is owned by uid 4321, not by this user (uid 0): the collector writes ${what} there and writes only into its own directories, also with --allow-shared-pin. Run the collector as its owner (or \`chown 0 ${dir}\`). (E_PIN_UNSAFE)\n`);
    chownSync(dir, 0, 0);
  }
});

t.test('a group-readable 0750 pin starts; a shared one starts with allowSharedPin', async (t) => {
  const pin = join(t.testdir(), 'pin');
  const { paths } = ensurePin(pin, 'app');
  for (const d of [pin, paths.logDir, paths.rulesDir, paths.collectorDir]) chmodSync(d, 0o750);
  const a = await runDaemon({ pinDir: pin, port: 0, logger: silent });
  await a.stop();
  chmodSync(pin, 0o777);
  await t.rejects(runDaemon({ pinDir: pin, port: 0, logger: silent }), { code: 'E_PIN_UNSAFE' });
  const b = await runDaemon({ pinDir: pin, port: 0, logger: silent, allowSharedPin: true });
  t.ok(b.url);
  await b.stop();
});

t.test('a symlink in log/ pointing out of the pin is not read', async (t) => {
  const root = t.testdir({ outside: {} });
  const pin = join(root, 'pin');
  const { paths } = ensurePin(pin, 'app');
  const sec = Math.floor(Date.now() / 10_000) * 10;
  const call = (name: string): FlowEvent => ({ kind: RecordKind.CALL, tsMs: sec * 1000, name, rtMs: 1, error: false });
  writeFileSync(join(root, 'outside', 'x.seg'), Buffer.concat(encodeFrames([call('outside'), call('outside'), call('outside')])));
  symlinkSync(join(root, 'outside', 'x.seg'), join(paths.logDir, segmentName(sec, 'planted')));
  writeFileSync(join(paths.logDir, segmentName(sec, 'real')), Buffer.concat(encodeFrames([call('inside')])));
  const d = await runDaemon({ pinDir: pin, port: 0, logger: silent, tickMs: 20 });
  try {
    for (let i = 0; i < 200 && d.collector.store.counters.recordsCounted < 1; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200)); // a few more passes: the link would be read by now
    const c = d.collector.store.counters;
    t.equal(c.recordsCounted, 1, 'only the real segment is counted');
    t.equal(c.segmentReadErrors, 1, 'the link is reported as a read error');
    t.same(d.collector.resourcesAt(Date.now()).map((r) => r.resource).filter((n) => n !== '__total_inbound_traffic__'), ['inside']);
  } finally {
    await d.stop();
  }
});

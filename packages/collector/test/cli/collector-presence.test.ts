// `stats`, `top` and `metric` find a collector that runs without HTTP through the pin's lock (held
// here by this process, as a collector holds it), and word the metric-log source for it: "the
// collector runs without HTTP", or "the collector does not answer" when its address.json names a
// server that is gone; neither says a collector stopped, nor names its checkpoint's seconds or its
// unread segments (a running collector writes and reads them itself). An address.json left by an
// earlier collector whose pid now names another live process is not taken for this one's.
process.env.TZ = 'UTC';
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePinHeader, segmentName } from '@sentinel-wasi/protocol';
import { startHttpServer } from '../../src/http/server.js';
import { metricLogBaseName } from '../../src/metriclog/line.js';
import { acquireLock } from '../../src/pin/lock.js';
import { FixedStatsQuery } from '../http/fixed-query.js';
import { line, writeMetricFile } from '../metriclog-read/fixture.js';
import { runCli } from './run-cli.js';

const T = 1764120000000; // 2025-11-26 01:20:00 UTC
const root = mkdtempSync(join(tmpdir(), 'sw-presence-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** A pin with one logged second, a checkpoint holding an open second and a segment with unread bytes, and its lock held by this process. */
function runningPin(t: { teardown(fn: () => void): void }, name: string, logged = true): string {
  const pin = join(root, name);
  mkdirSync(join(pin, 'collector', 'metrics'), { recursive: true });
  mkdirSync(join(pin, 'log'));
  writeFileSync(join(pin, 'PIN'), JSON.stringify(makePinHeader('demo.app')));
  if (logged) writeMetricFile(join(pin, 'collector', 'metrics'), `${metricLogBaseName('demo.app')}.2025-11-26`, [line(T, 'a', 3, { rtMs: 10 })]);
  const store = { lastSealedSec: T / 1000, pending: [{ sec: T / 1000 + 1, rows: [['a', 1, 0, 1, 0, 2]] }], late: [] };
  writeFileSync(join(pin, 'collector', 'checkpoint.json'), JSON.stringify({ version: 1, atMs: T + 1500, segments: [], metricLog: null, store }));
  writeFileSync(join(pin, 'log', segmentName(T / 1000, 'w1')), Buffer.alloc(70));
  const lock = acquireLock(join(pin, 'collector', 'lock'));
  t.teardown(() => lock.release());
  return pin;
}

const TABLE_HEAD = 'resource  pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception';

t.test('a collector without HTTP (no address.json): found through the lock, the source says so, no note', async (t) => {
  const pin = runningPin(t, 'no-http');
  const stats = await runCli('stats', '--pin', pin);
  t.same([stats.code, stats.stderr], [0, '']);
  t.equal(stats.stdout.split('\n').slice(0, 2).join('\n'), `source: metric log (the collector runs without HTTP), second 2025-11-26 01:20:00\n${TABLE_HEAD}`);
  const top = await runCli('top', '--pin', pin, '--once');
  t.same([top.code, top.stderr], [0, '']);
  t.equal(top.stdout.split('\n')[0], 'source: metric log (the collector runs without HTTP), second 2025-11-26 01:20:00; 1 resources, top 1');
  const metric = await runCli('metric', '--pin', pin, '--from', String(T), '--to', String(T + 5000));
  t.same([metric.code, metric.stderr], [0, ''], 'metric names nothing either');
  const json = JSON.parse((await runCli('stats', '--pin', pin, '--json')).stdout) as { source: string };
  t.equal(json.source, 'metric-log');
});

t.test('a collector without HTTP and an empty metric log: E_NO_DATA says it runs', async (t) => {
  const pin = runningPin(t, 'no-http-empty', false);
  const r = await runCli('stats', '--pin', pin);
  t.same([r.code, r.stdout, r.stderr], [1, '', `sentinel-wasi stats: the collector of ${pin} runs without HTTP and its metric log (${join(pin, 'collector', 'metrics')}) is empty (E_NO_DATA)\n`]);
});

t.test('a running collector whose server does not answer: the log, worded so, without a stopped note', async (t) => {
  const pin = runningPin(t, 'silent');
  const gone = await startHttpServer({ query: new FixedStatsQuery([]), app: 'x', metricDir: root, host: '127.0.0.1', port: 0, nowMs: () => 0 });
  const url = gone.url;
  await gone.close();
  writeFileSync(join(pin, 'collector', 'address.json'), JSON.stringify({ url, pid: process.pid, startedAtMs: T, app: 'demo.app' }));
  const r = await runCli('stats', '--pin', pin);
  t.same([r.code, r.stderr], [0, `sentinel-wasi stats: no collector answers at ${url} (ECONNREFUSED); reading the metric log instead\n`]);
  t.equal(r.stdout.split('\n')[0], 'source: metric log (the collector does not answer), second 2025-11-26 01:20:00');
});

t.test("an address.json naming another live process than the lock's holder is an earlier collector's: not asked", async (t) => {
  const pin = runningPin(t, 'stale-address');
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => {
    other.kill('SIGKILL');
  });
  await new Promise((r) => other.once('spawn', r));
  writeFileSync(join(pin, 'collector', 'address.json'), JSON.stringify({ url: 'http://127.0.0.1:9', pid: other.pid, startedAtMs: T, app: 'demo.app' }));
  const r = await runCli('stats', '--pin', pin);
  t.same([r.code, r.stderr], [0, ''], 'no "no collector answers" note: the address was not tried');
  t.equal(r.stdout.split('\n')[0], 'source: metric log (the collector runs without HTTP), second 2025-11-26 01:20:00');
});

t.test('--help: top lists its exit codes; metric says --resource matches the escaped name', async (t) => {
  const top = await runCli('top', '--help');
  t.match(top.stdout, '\nExit codes: 0 ok (also when the reader of its output goes away; while refreshing, a frame without\nfigures shows why and top goes on), 1 no figures with --once (collector unreachable with --url,\nempty log, unreadable pin), or a --pin that is no pin top can read (none there, no PIN file, an\nunreadable PIN; checked at start, with or without --once), 2 bad usage.\n');
  const metric = await runCli('metric', '--help');
  t.match(metric.stdout, '\n  --resource R     only this resource, matched as the log writes names: | and control characters\n                   as _ (so "GET /a|b" also gives the lines of "GET /a_b")\n');
});

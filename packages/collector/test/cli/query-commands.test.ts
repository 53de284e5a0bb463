// `sentinel-wasi stats|metric|top`: exact output for a known state, exit codes and errors for bad flags.
process.env.TZ = 'UTC';
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePinHeader } from '@sentinel-wasi/protocol';
import { startHttpServer } from '../../src/http/server.js';
import { metricLogBaseName } from '../../src/metriclog/line.js';
import { line, writeMetricFile } from '../metriclog-read/fixture.js';
import { FixedStatsQuery, node } from '../http/fixed-query.js';
import { runCli } from './run-cli.js';
import { loggedNode } from './logged-node.js';

const T = 1764120000000; // 2025-11-26 01:20:00 UTC
const root = mkdtempSync(join(tmpdir(), 'sw-cli-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

function makePin(name: string): string {
  const pin = join(root, name);
  mkdirSync(join(pin, 'collector', 'metrics'), { recursive: true });
  writeFileSync(join(pin, 'PIN'), JSON.stringify(makePinHeader('demo.app')));
  return pin;
}

const pin = makePin('pin');
const metricDir = join(pin, 'collector', 'metrics');
const base = metricLogBaseName('demo.app');
writeMetricFile(metricDir, `${base}.2025-11-26`, [
  line(T, '/api/订单', 3, { block: 1, rtMs: 12 }),
  line(T, 'GET|/x', 10, { exception: 2, rtMs: 4, concurrency: 2 }),
  line(T + 1000, '/api/订单', 4, { rtMs: 9 }),
]);
writeMetricFile(metricDir, `${base}.2025-11-26.1`, [line(T + 2000, 'GET|/x', 7, { rtMs: 3 })]);

t.test('metric: exact table for a range across rolled files', async (t) => {
  const r = await runCli('metric', '--pin', pin, '--from', String(T), '--to', '2025-11-26T01:20:02Z');
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.equal(
    r.stdout,
    [
      'time                 resource   pass  block  success  exception  rt(ms)  occupied  concurrency',
      '2025-11-26 01:20:00  /api/订单     3      1        3          0      12         0            0',
      '2025-11-26 01:20:00  GET_/x       10      0       10          2       4         0            2',
      '2025-11-26 01:20:01  /api/订单     4      0        4          0       9         0            0',
      '2025-11-26 01:20:02  GET_/x        7      0        7          0       3         0            0',
      '',
    ].join('\n'),
  );
});

t.test('metric: resource filter (| as _), JSON, ISO-like and relative times', async (t) => {
  const r = await runCli('metric', '--pin', pin, '--from', '2025-11-26 01:20:01', '--to', '2025-11-26T03:20:02+02:00', '--resource', 'GET|/x', '--json');
  t.equal(r.code, 0);
  t.same(JSON.parse(r.stdout), [{ timestampMs: T + 2000, resource: 'GET_/x', pass: 7, block: 0, success: 7, exception: 0, rtMs: 3, occupiedPass: 0, concurrency: 0, classification: 0 }]);
  const none = await runCli('metric', '--pin', pin, '--from', 'now-5m');
  t.equal(none.code, 0);
  t.equal(none.stdout, '');
  t.match(none.stderr, /^sentinel-wasi metric: no lines between \d{4}-\d\d-\d\d \d\d:\d\d:\d\d and \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/, 'after the newest second: no more to say');
  // Before the oldest second the log holds: it says from when it holds seconds.
  const before = await runCli('metric', '--pin', pin, '--from', '2025-11-26 01:19:00', '--to', '2025-11-26 01:19:59');
  t.same([before.code, before.stdout, before.stderr], [0, '', "sentinel-wasi metric: no lines between 2025-11-26 01:19:00 and 2025-11-26 01:19:59 (the metric log holds seconds from 2025-11-26 01:20:00 on: older ones were never written or were rotated away, see the collector's --metric-file-count and --metric-file-bytes)\n"]);
});

t.test('metric: bad flags exit 2 with a clear message', async (t) => {
  const bad = await runCli('metric', '--pin', pin, '--from', '2025-13-01');
  t.equal(bad.code, 2);
  t.equal(
    bad.stderr,
    `sentinel-wasi metric: --from: cannot read "2025-13-01" as a time (epoch ms, yyyy-MM-dd[ HH:mm[:ss[.SSS]]] (local time, or with Z / ±HH:MM), now, now-<n>s|m|h|d) (E_USAGE)\nRun 'sentinel-wasi metric --help' for usage.\n`,
  );
  t.equal((await runCli('metric', '--pin', pin, '--from', '2025-02-30')).code, 2, 'no 30 February');
  t.match((await runCli('metric', '--pin', pin)).stderr, '--from TIME is required (E_USAGE)');
  t.match((await runCli('metric', '--from', '0')).stderr, '--pin DIR is required (E_USAGE)');
  const order = await runCli('metric', '--pin', pin, '--from', String(T + 1000), '--to', String(T));
  t.equal(order.code, 2);
  t.match(order.stderr, '--to (2025-11-26 01:20:00) is before --from (2025-11-26 01:20:01)');
  const unknown = await runCli('metric', '--pin', pin, '--from', '0', '--colour');
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, "Unknown option '--colour'");
  const nothing = join(root, 'nothing');
  const noPin = await runCli('metric', '--pin', nothing, '--from', '0');
  t.equal(noPin.code, 1);
  t.equal(noPin.stderr, `sentinel-wasi metric: pin ${nothing} does not exist (create it with: sentinel-wasi init --pin ${nothing}) (E_NO_PIN)\n`, 'a missing pin: as run says it');
  const empty = join(root, 'empty');
  mkdirSync(empty, { recursive: true });
  const notPin = await runCli('metric', '--pin', empty, '--from', '0');
  t.same([notPin.code, notPin.stderr], [1, `sentinel-wasi metric: ${empty} is not a pin directory (no PIN file); run 'sentinel-wasi init --pin ${empty}' first (E_NO_PIN)\n`]);
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  for (const command of ['metric', 'stats']) {
    const r = await runCli(command, '--pin', file, ...(command === 'metric' ? ['--from', '0'] : []));
    t.same([r.code, r.stderr], [1, `sentinel-wasi ${command}: pin ${file} is not a directory (E_PIN_NOT_DIRECTORY)\n`], `${command}: a file as the pin`);
    const under = join(file, 'pin');
    const u = await runCli(command, '--pin', under, ...(command === 'metric' ? ['--from', '0'] : []));
    t.same([u.code, u.stderr], [1, `sentinel-wasi ${command}: pin ${under} does not exist (create it with: sentinel-wasi init --pin ${under}) (E_NO_PIN)\n`], `${command}: a file on the way`);
  }
});

t.test('stats without a running collector reads the metric log', async (t) => {
  const r = await runCli('stats', '--pin', pin);
  t.equal(r.code, 0);
  t.equal(r.stderr, '', 'no checkpoint: nothing unwritten to name');
  t.equal(
    r.stdout,
    [
      'source: metric log (no collector running), second 2025-11-26 01:20:02',
      'resource   pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
      '/api/订单       0        0          0            0          0            -        7         1             0',
      'GET_/x          7        0          7            0          3            -       17         0             2',
      '',
    ].join('\n'),
  );
  // --json: the collector's shape; no line in the newest second is zeros; null: what the log cannot know.
  const json = await runCli('stats', '--pin', pin, '--json');
  t.strictSame(JSON.parse(json.stdout), {
    source: 'metric-log',
    nowMs: T + 2000,
    total: 2,
    resources: [loggedNode('/api/订单', [0, 0, 0, 0, 0], [7, 1, 7, 0]), loggedNode('GET_/x', [7, 0, 7, 0, 3], [17, 0, 17, 2])],
  });
  const oneJson = await runCli('stats', '--pin', pin, '--resource', 'GET|/x', '--json');
  t.strictSame(JSON.parse(oneJson.stdout), { source: 'metric-log', nowMs: T + 2000, node: loggedNode('GET_/x', [7, 0, 7, 0, 3], [17, 0, 17, 2]), origins: [] });
  // A late line for the newest second (written after it was sealed) adds to it; avgRt weighs each line's by its successes.
  const late = makePin('late');
  writeMetricFile(join(late, 'collector', 'metrics'), `${base}.2025-11-26`, [line(T, 'a', 3, { rtMs: 10 }), line(T, 'b', 1), line(T, 'a', 1, { rtMs: 4, block: 2 })]);
  const lateJson = await runCli('stats', '--pin', late, '--json');
  t.strictSame(JSON.parse(lateJson.stdout).resources[0], loggedNode('a', [4, 2, 4, 0, 8.5], [4, 2, 4, 0]));
  const one = await runCli('stats', '--pin', pin, '--resource', 'nope');
  t.equal(one.code, 1);
  t.match(one.stderr, 'the metric log has no line for "nope" in the minute up to 2025-11-26 01:20:02 (E_UNKNOWN_RESOURCE)');
  const empty = makePin('empty');
  const e = await runCli('stats', '--pin', empty);
  t.equal(e.code, 1);
  t.match(e.stderr, '(E_NO_DATA)');
});

t.test('stats and top without a collector name the seconds a stopped collector has not written yet', async (t) => {
  const stopped = makePin('stopped');
  writeMetricFile(join(stopped, 'collector', 'metrics'), `${base}.2025-11-26`, [line(T, 'a', 3, { rtMs: 10 })]);
  const sec = T / 1000;
  const checkpoint = (store: unknown): void => writeFileSync(join(stopped, 'collector', 'checkpoint.json'), JSON.stringify({ version: 1, atMs: T + 5000, segments: [], metricLog: null, store }));
  checkpoint({
    lastSealedSec: sec,
    pending: [{ sec: sec + 3, rows: [['a', 1, 0, 1, 0, 2]] }, { sec: sec + 4, rows: [['b', 2, 0, 2, 0, 4]] }, { sec: sec + 5, rows: [] }],
    late: [{ sec: sec, rows: [['a', 1, 0, 1, 0, 1]] }],
  });
  // Late rows are extra lines of a second whose lines are in the log: named apart from the pending seconds.
  const note = 'the collector stopped with 2 seconds (2025-11-26 01:20:03 to 2025-11-26 01:20:04) and late lines of 1 second (2025-11-26 01:20:00) not yet in the metric log: its checkpoint holds them, and they are written when the collector starts again';
  const r = await runCli('stats', '--pin', stopped);
  t.equal(r.code, 0);
  t.equal(r.stderr, `sentinel-wasi stats: ${note}\n`, 'pending and late batches with rows; an empty batch is not a second');
  t.match(r.stdout, /^source: metric log \(no collector running\), second 2025-11-26 01:20:00\n/);
  const top = await runCli('top', '--pin', stopped, '--once');
  t.equal(top.code, 0);
  t.equal(top.stderr, `sentinel-wasi top: ${note}\n`);
  const metric = await runCli('metric', '--pin', stopped, '--from', String(T + 2000), '--to', String(T + 3999));
  t.equal(metric.code, 0);
  t.equal(metric.stderr, [
    'sentinel-wasi metric: no lines between 2025-11-26 01:20:02 and 2025-11-26 01:20:03',
    'sentinel-wasi metric: the collector stopped with 1 second not yet in the metric log (2025-11-26 01:20:03): its checkpoint holds it, and it is written when the collector starts again',
    '',
  ].join('\n'), 'metric names the unwritten seconds within its range only');
  t.equal((await runCli('metric', '--pin', stopped, '--from', String(T + 5000))).stderr.includes('checkpoint'), false, 'none in the range: no note');
  checkpoint({ lastSealedSec: sec, pending: [{ sec: sec + 1, rows: [['a', 1, 0, 1, 0, 2]] }], late: [] });
  t.equal((await runCli('stats', '--pin', stopped)).stderr, 'sentinel-wasi stats: the collector stopped with 1 second not yet in the metric log (2025-11-26 01:20:01): its checkpoint holds it, and it is written when the collector starts again\n');
  checkpoint({ lastSealedSec: sec + 1, pending: [], late: [] });
  t.equal((await runCli('stats', '--pin', stopped)).stderr, '', 'everything written: no note');
  writeFileSync(join(stopped, 'collector', 'checkpoint.json'), '{"store": {"pending": [{"sec": "x", "rows": [1]}, null, 7]');
  const torn = await runCli('stats', '--pin', stopped);
  t.equal(torn.code, 0);
  t.equal(torn.stderr, '', 'an unreadable checkpoint: no note (the collector reports it when it starts)');
  writeFileSync(join(stopped, 'collector', 'checkpoint.json'), '{"store": {"pending": [{"sec": "x", "rows": [1]}, null, 7], "late": {}}}');
  t.equal((await runCli('stats', '--pin', stopped)).stderr, '', 'batches that are not batches: no note');
});

t.test('stats and top from a running collector found through address.json', async (t) => {
  const live = makePin('live');
  const query = new FixedStatsQuery([
    node('/api/订单', '', { passQps: 12.5, blockQps: 2, successQps: 11, exceptionQps: 1.9, avgRtMs: 8.754 }, { pass: 700, block: 30, success: 690, exception: 20 }, 4),
    node('/api/订单', 'app-b', { passQps: 2 }, { pass: 100 }),
    node('idle', '', {}, { pass: 1 }),
    node('hot', '', { passQps: 40, successQps: 40, avgRtMs: 1 }, { pass: 2400, success: 2400 }),
  ]);
  const server = await startHttpServer({ query, app: 'demo.app', metricDir: join(live, 'collector', 'metrics'), host: '127.0.0.1', port: 0, nowMs: () => T + 30_000 });
  t.teardown(() => server.close());
  writeFileSync(join(live, 'collector', 'address.json'), JSON.stringify({ url: server.url, pid: process.pid, startedAtMs: T, app: 'demo.app' }));
  // A running collector's open seconds are in its checkpoint too: they are not named.
  writeFileSync(join(live, 'collector', 'checkpoint.json'), JSON.stringify({ store: { pending: [{ sec: T / 1000 + 29, rows: [['hot', 1, 0, 1, 0, 1]] }], late: [] } }));

  const r = await runCli('stats', '--pin', live);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  const metric = await runCli('metric', '--pin', live, '--from', String(T));
  t.equal(metric.stderr.includes('checkpoint'), false, 'metric with a collector running: no note');
  t.equal(
    r.stdout.replace(server.url, 'URL'),
    [
      'source: collector URL at 2025-11-26 01:20:30',
      'resource   pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
      '/api/订单    12.5        2         11          1.9       8.75            4      700        30            20',
      'hot            40        0         40            0          1            0     2400         0             0',
      'idle            0        0          0            0          0            0        1         0             0',
      '',
    ].join('\n'),
  );
  const one = await runCli('stats', '--pin', live, '--resource', '/api/订单');
  t.equal(
    one.stdout.replace(server.url, 'URL'),
    [
      'source: collector URL at 2025-11-26 01:20:30; resource /api/订单',
      'origin  pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
      '(all)     12.5        2         11          1.9       8.75            4      700        30            20',
      'app-b        2        0          0            0          0            0      100         0             0',
      '',
    ].join('\n'),
  );
  const json = await runCli('stats', '--url', server.url, '--json');
  const body = JSON.parse(json.stdout);
  t.same([Object.keys(body), body.source, body.nowMs, body.total, body.resources.length], [['source', 'nowMs', 'total', 'resources'], 'collector', T + 30_000, 3, 3]);
  const unknown = await runCli('stats', '--pin', live, '--resource', 'nope');
  t.same([unknown.code, unknown.stderr], [1, 'sentinel-wasi stats: the collector tracks no resource named "nope" (E_UNKNOWN_RESOURCE)\n']);

  const top = await runCli('top', '--pin', live, '--once', '--limit', '2');
  t.equal(top.code, 0);
  t.equal(
    top.stdout.replace(server.url, 'URL'),
    [
      'source: collector URL at 2025-11-26 01:20:30; 3 resources, top 2',
      'resource   pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
      'hot            40        0         40            0          1            0     2400         0             0',
      '/api/订单    12.5        2         11          1.9       8.75            4      700        30            20',
      '',
    ].join('\n'),
  );
});

t.test('a collector that does not answer: fall back to the log, unless --url was explicit', async (t) => {
  const dead = await startHttpServer({ query: new FixedStatsQuery([]), app: 'x', metricDir: root, host: '127.0.0.1', port: 0, nowMs: () => 0 });
  const url = dead.url;
  await dead.close();
  writeFileSync(join(pin, 'collector', 'address.json'), JSON.stringify({ url, pid: process.pid, startedAtMs: T, app: 'demo.app' }));
  t.teardown(() => rmSync(join(pin, 'collector', 'address.json')));
  const r = await runCli('stats', '--pin', pin);
  t.equal(r.code, 0);
  t.match(r.stdout, /^source: metric log \(no collector running\)/);
  t.match(r.stderr, `sentinel-wasi stats: no collector answers at ${url} (ECONNREFUSED); reading the metric log instead\n`);
  const explicit = await runCli('stats', '--url', url);
  t.same([explicit.code, explicit.stderr], [1, `sentinel-wasi stats: no collector answers at ${url} (ECONNREFUSED) (E_UNREACHABLE)\n`]);
  // A port fetch refuses to call (a "bad port" of the fetch standard) is asked like any other: bad-port.test.ts.
});

t.test('stats and top: bad flags exit 2', async (t) => {
  t.match((await runCli('stats')).stderr, '--pin DIR is required (or --url URL) (E_USAGE)');
  t.equal((await runCli('stats', '--url', 'localhost:8719')).code, 2);
  t.match((await runCli('stats', '--pin', pin, '--interval', '10')).stderr, '--interval must be a whole number from 100 to 3600000, got "10"');
  t.match((await runCli('stats', '--pin', pin, '--interval', '500')).stderr, '--interval only applies with --watch');
  t.equal((await runCli('top', '--pin', pin, '--limit', '0', '--once')).code, 2);
  t.equal((await runCli('top', '--pin', pin, 'extra')).code, 2);
  t.match((await runCli('stats', '--help')).stdout, /^Usage: sentinel-wasi stats --pin DIR/);
});

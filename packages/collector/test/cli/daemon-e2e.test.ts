// End to end: a spawned `sentinel-wasi collector` reads a segment, and the query surfaces answer
// from it — found through address.json while it runs, from its metric log once it has stopped.
process.env.TZ = 'UTC';
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bucketSecOf, encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { formatDateTime } from '../../src/metriclog/line.js';
import { parseMetricBodyAsDashboard } from '../http/fixed-query.js';
import { runCli } from './run-cli.js';
import { until } from '../../../../test/helpers/until.js';

const CLI = fileURLToPath(new URL('./fixtures/cli.ts', import.meta.url));
const pin = mkdtempSync(join(tmpdir(), 'sw-e2e-'));
t.teardown(() => rmSync(pin, { recursive: true, force: true }));

// Records 20 s in the past: their 10 s bucket is sealed, and they are inside the minute window.
const T = (Math.floor(Date.now() / 1000) - 20) * 1000;
const events: FlowEvent[] = [];
for (let i = 0; i < 5; i++) events.push({ kind: RecordKind.CALL, tsMs: T + i, name: 'GET /订单', rtMs: 10 + i, error: i === 4 });
events.push({ kind: RecordKind.BLOCK, tsMs: T + 1000, name: 'GET /订单', count: 3 });
events.push({ kind: RecordKind.CALL, tsMs: T + 1000, name: 'db|query', rtMs: 2, error: false, origin: 'svc-a' });
mkdirSync(join(pin, 'log'), { recursive: true, mode: 0o700 });
writeFileSync(join(pin, 'log', segmentName(bucketSecOf(T), 'e2e')), Buffer.concat(encodeFrames(events)));


const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'collector', '--pin', pin, '--app', 'shop.app', '--port', '0', '--grace-ms', '200', '--tick-ms', '40', '--checkpoint-ms', '200'], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let childErr = '';
child.stderr.on('data', (d) => (childErr += d));
const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
t.teardown(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

const addressFile = join(pin, 'collector', 'address.json');
const url = await until('address.json', async () => (existsSync(addressFile) ? (JSON.parse(readFileSync(addressFile, 'utf8')) as { url: string }).url : undefined));

t.test('while the collector runs: HTTP and `stats` answer from it', async (t) => {
  const health = await until('all records counted', async () => {
    const h = (await (await fetch(`${url}/api/v1/health`)).json()) as { counters: Record<string, number> };
    return h.counters.recordsCounted === events.length ? h : undefined;
  });
  t.equal(health.counters.recordsRejected, 0);
  const body = await until('sealed lines', async () => {
    const text = await (await fetch(`${url}/metric?startTime=${T}&endTime=${T + 1000}&refetch=false`)).text();
    return parseMetricBodyAsDashboard(text).length >= 4 ? text : undefined;
  });
  const lines = parseMetricBodyAsDashboard(body)
    .filter((l) => l.resource !== '__total_inbound_traffic__')
    .map((l) => [l.timestamp - T, l.resource, l.passQps, l.blockQps, l.successQps, l.exceptionQps, l.rt]);
  t.same(lines, [
    [0, 'GET /订单', 5, 0, 5, 1, 12],
    [1000, 'GET /订单', 0, 3, 0, 0, 0],
    [1000, 'db_query', 1, 0, 1, 0, 2],
  ]);
  const stats = await runCli('stats', '--pin', pin);
  t.equal(stats.code, 0, childErr);
  const rows = stats.stdout.split('\n');
  t.match(rows[0], /^source: collector http:\/\/127\.0\.0\.1:\d+ at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  t.same(rows.slice(1, 4).map((r) => r.split(/\s{2,}/).slice(-3)), [
    ['1m-pass', '1m-block', '1m-exception'],
    ['5', '3', '1'],
    ['1', '0', '0'],
  ]);
  const one = await runCli('stats', '--pin', pin, '--resource', 'db|query', '--json');
  t.same(JSON.parse(one.stdout).origins.map((o: { origin: string }) => o.origin), ['svc-a']);
});

t.test('after the collector stops: address.json is gone and the CLI reads the metric log', async (t) => {
  child.kill('SIGTERM');
  t.equal(await exited, 0, childErr);
  t.equal(existsSync(addressFile), false);
  const stats = await runCli('stats', '--pin', pin);
  t.equal(stats.code, 0);
  t.equal(stats.stderr, '', 'every second was written before the stop');
  t.equal(
    stats.stdout,
    [
      `source: metric log (no collector running), second ${formatDateTime(T + 1000)}`,
      'resource   pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
      'GET /订单       0        3          0            0          0            -        5         3             1',
      'db_query        1        0          1            0          2            -        1         0             0',
      '',
    ].join('\n'),
  );
  const total = await runCli('stats', '--pin', pin, '--resource', '__total_inbound_traffic__');
  t.equal(total.stdout.split('\n')[2], '__total_inbound_traffic__       1        3          1            0          2            -        6         3             1');
  const metric = await runCli('metric', '--pin', pin, '--from', String(T), '--to', String(T + 1000), '--resource', 'GET /订单');
  t.equal(
    metric.stdout,
    [
      'time                 resource   pass  block  success  exception  rt(ms)  occupied  concurrency',
      `${formatDateTime(T)}  GET /订单     5      0        5          1      12         0            0`,
      `${formatDateTime(T + 1000)}  GET /订单     0      3        0          0       0         0            0`,
      '',
    ].join('\n'),
  );
});

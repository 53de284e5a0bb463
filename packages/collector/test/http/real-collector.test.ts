// The query surfaces over the real collector: segments written to a pin, read and sealed by the
// Collector (its StatsQuery and metric-log writer), then asked over loopback HTTP and the CLI.
process.env.TZ = 'UTC';
import t from 'tap';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { Collector } from '../../src/daemon/collector.js';
import { startHttpServer } from '../../src/http/server.js';
import { parseMetricBodyAsDashboard, NODE_VO_FIELDS } from './fixed-query.js';
import { runCli } from '../cli/run-cli.js';

const T = 1764120000000; // a 10 s bucket start
const pin = mkdtempSync(join(tmpdir(), 'sw-real-'));
t.teardown(() => rmSync(pin, { recursive: true, force: true }));

const { PASS, BLOCK, CALL, WRITER } = RecordKind;
const ORDER = '/api/订单';
const events: FlowEvent[] = [
  { kind: CALL, tsMs: T + 10, name: ORDER, rtMs: 8, error: false, origin: 'app-b' },
  { kind: CALL, tsMs: T + 20, name: ORDER, rtMs: 8, error: false },
  { kind: CALL, tsMs: T + 30, name: ORDER, rtMs: 8, error: false },
  { kind: CALL, tsMs: T + 40, name: ORDER, rtMs: 12, error: true },
  { kind: BLOCK, tsMs: T + 50, name: ORDER },
  { kind: WRITER, tsMs: T + 60, name: 'w1', droppedRecords: 3, droppedFrames: 1 },
];
const later: FlowEvent[] = [
  { kind: PASS, tsMs: T + 1200, name: 'GET|/x', count: 2 },
  { kind: CALL, tsMs: T + 2100, name: 'GET|/x', rtMs: 5, error: false },
];
const seg = join(pin, 'log', segmentName(T / 1000, 'w1'));

let now = T + 2400;
const collector = new Collector({ pinDir: pin, app: 'shop.app', utcOffsetMinutes: 0 }, now);
t.teardown(() => collector.closeAt(now));
const server = await startHttpServer({ query: collector, app: collector.app, metricDir: collector.paths.metricDir, host: '127.0.0.1', port: 0, nowMs: () => now });
t.teardown(() => server.close());
writeFileSync(join(pin, 'collector', 'address.json'), JSON.stringify({ url: server.url, pid: process.pid, startedAtMs: T, app: collector.app }));

for (const f of encodeFrames(events)) appendFileSync(seg, f);
appendFileSync(seg, Buffer.from('junk!'));
for (const f of encodeFrames(later)) appendFileSync(seg, f);
collector.cycleAt(now, false);

const get = async (path: string) => {
  const res = await fetch(server.url + path);
  return { status: res.status, body: await res.text() };
};

t.test('live figures from the real StatsQuery: clusterNode as NodeVo, JSON resource with origins', async (t) => {
  const list = JSON.parse((await get('/clusterNode')).body) as Array<Record<string, any>>;
  t.same(list.map((n) => n.resource), [ORDER, 'GET|/x']);
  for (const n of list) t.same(Object.keys(n).sort(), NODE_VO_FIELDS);
  const order = list.find((n) => n.resource === ORDER)!;
  t.same(
    [order.oneMinutePass, order.oneMinuteBlock, order.oneMinuteException, order.oneMinuteTotal, order.threadNum, order.timestamp],
    [4, 1, 1, 5, 0, now],
  );
  const x = list.find((n) => n.resource === 'GET|/x')!;
  t.same([x.oneMinutePass, x.threadNum, x.passQps, x.successQps, x.averageRt], [3, 2, 1, 1, 5], 'second window at +2.4 s holds the call at +2.1 s');

  const one = JSON.parse((await get(`/api/v1/resources/${encodeURIComponent(ORDER)}`)).body);
  t.same(one.origins.map((o: any) => [o.origin, o.minute.pass]), [['app-b', 1]]);
  t.equal(one.node.minute.rtSumMs, 36);
});

t.test('origin, tree and systemStatus from the real StatsQuery', async (t) => {
  const origin = await get(`/origin?id=${encodeURIComponent(ORDER)}`);
  t.equal(
    origin.body,
    `id: ${ORDER}\n\n` +
      'idx origin threadNum passQps   blockQps   totalQps aRt   1m-pass   1m-block   1m-total \n' +
      '1   app-b  0         0.0       0.0        0.0      0.0   1         0          1        \n',
    'the call from app-b, a minute ago',
  );
  const tree = (await get('/tree')).body.split('\n');
  t.same(tree.slice(0, 4), [
    'EntranceNode: machine-root(t:2 pq:1.0 bq:0.0 tq:1.0 rt:5.0 prq:1.0 1mp:7 1mb:1 1mt:8)',
    '-EntranceNode: sentinel_default_context(t:2 pq:1.0 bq:0.0 tq:1.0 rt:5.0 prq:1.0 1mp:7 1mb:1 1mt:8)',
    `--${ORDER}(t:0 pq:0.0 bq:0.0 tq:0.0 rt:0.0 prq:0.0 1mp:4 1mb:1 1mt:5)`,
    '--GET|/x(t:2 pq:1.0 bq:0.0 tq:1.0 rt:5.0 prq:1.0 1mp:3 1mb:0 1mt:3)',
  ]);
  // The inbound total: the second window holds the call at +2.1 s; 2 PASS without EXIT in flight.
  t.equal((await get('/systemStatus')).body, '{"b":0.0,"r":5.0,"t":2,"qps":1.0,"rqps":1.0}');
});

t.test('health counters from the real collector', async (t) => {
  const h = JSON.parse((await get('/api/v1/health')).body);
  t.equal(h.counters.recordsCounted, events.length + later.length);
  t.equal(h.counters.writerDroppedRecords, 3);
  t.equal(h.counters.bytesSkipped, 5);
  t.equal(h.counters.framesSkipped >= 1, true);
  t.equal(h.counters.lagBytes, 0);
  t.same(h.segments.map((s: any) => s.name), [segmentName(T / 1000, 'w1')]);
  const prom = (await get('/metrics')).body;
  t.match(prom, /\nsentinel_wasi_records_counted_total 8\n/);
  t.match(prom, /\nsentinel_wasi_resource_concurrency\{resource="GET\|\/x"\} 2\n/);
  t.notMatch(prom, /sentinel_wasi_resource_pass_total\{/, 'no running totals before a second is sealed');
});

t.test('after sealing: /metric answers the dashboard from the real metric log', async (t) => {
  now = T + 13_000;
  collector.cycleAt(now, true);
  const r = await get(`/metric?startTime=${T}&endTime=${T + 6000}&refetch=false`);
  t.equal(r.status, 200);
  const lines = parseMetricBodyAsDashboard(r.body).filter((l) => l.resource !== '__total_inbound_traffic__');
  t.ok(parseMetricBodyAsDashboard(r.body).every((l) => l.fields === 10));
  t.same(
    lines.map((l) => [l.timestamp - T, l.resource, l.passQps, l.blockQps, l.successQps, l.exceptionQps, l.rt]),
    [
      [0, ORDER, 4, 1, 4, 1, 9],
      [1000, 'GET_/x', 2, 0, 0, 0, 0],
      [2000, 'GET_/x', 1, 0, 1, 0, 5],
    ],
  );
  const prom = (await get('/metrics')).body;
  t.match(prom, /\nsentinel_wasi_resource_pass_total\{resource="GET\|\/x"\} 3\n/, 'running totals over the sealed seconds');
  t.match(prom, /\nsentinel_wasi_resource_success_total\{resource="GET\|\/x"\} 1\n/);
  t.match(prom, /\nsentinel_wasi_resource_block_total\{resource="\/api\/订单"\} 1\n/);
  t.match(prom, /\nsentinel_wasi_resource_exception_total\{resource="\/api\/订单"\} 1\n/);
  t.match(prom, /\nsentinel_wasi_resource_rt_ms_total\{resource="\/api\/订单"\} 36\n/, 'ΣRT of its 4 completions');
  t.match(prom, /\nsentinel_wasi_resource_rt_ms_total\{resource="GET\|\/x"\} 5\n/);
  const byId = parseMetricBodyAsDashboard((await get(`/metric?startTime=${T}&endTime=${T + 6000}&identity=GET_%2Fx`)).body);
  t.same(byId.map((l) => l.timestamp - T), [1000, 2000]);
});

t.test('the CLI against the same collector and log', async (t) => {
  const stats = await runCli('stats', '--pin', pin, '--resource', ORDER);
  t.equal(stats.code, 0);
  t.equal(
    stats.stdout.replace(server.url, 'URL'),
    [
      `source: collector URL at 2025-11-26 01:20:13; resource ${ORDER}`,
      'origin  pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
      '(all)        0        0          0            0          0            0        4         1             1',
      'app-b        0        0          0            0          0            0        1         0             0',
      '',
    ].join('\n'),
  );
  const metric = await runCli('metric', '--pin', pin, '--from', String(T), '--to', String(T + 2000), '--resource', 'GET|/x');
  t.equal(metric.code, 0);
  t.equal(
    metric.stdout,
    [
      'time                 resource  pass  block  success  exception  rt(ms)  occupied  concurrency',
      '2025-11-26 01:20:01  GET_/x       2      0        0          0       0         0            0',
      '2025-11-26 01:20:02  GET_/x       1      0        1          0       5         0            0',
      '',
    ].join('\n'),
  );
});

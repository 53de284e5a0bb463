// The JSON API, Prometheus text and the live page over real loopback HTTP.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startHttpServer } from '../../src/http/server.js';
import { wantsOpenMetrics } from '../../src/http/prometheus.js';
import { FixedStatsQuery, health, node } from './fixed-query.js';

const NOW = 1764120030000;
const dir = mkdtempSync(join(tmpdir(), 'sw-http-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const h = health({ recordsCounted: 1234, recordsRejected: 2, recordsUnknownKind: 3, recordsLate: 4, framesSkipped: 5, bytesSkipped: 66, writerDroppedRecords: 7, lagBytes: 8192, segmentsActive: 2 });
h.checkpointAtMs = NOW - 1500;
h.segments = [{ name: '1764120020-shared.seg', sizeBytes: 9000, offsetBytes: 808, sealed: false }];
const nodes = [
  node('GET /订单/{id}', '', { passQps: 3, successQps: 2, avgRtMs: 4.5 }, { pass: 90, success: 88, exception: 1 }, 1),
  node('GET /订单/{id}', 'mobile', { passQps: 1 }, { pass: 30 }),
  node('say "hi"\\now', '', { blockQps: 1 }, { block: 5 }),
  node('quiet', '', {}, {}),
];
const totals = new Map([
  ['GET /订单/{id}', { pass: 1000, block: 0, success: 990, exception: 12, rtSumMs: 4457 }],
  ['say "hi"\\now', { pass: 0, block: 77, success: 0, exception: 0, rtSumMs: 0 }],
  ['quiet', { pass: 1, block: 0, success: 1, exception: 0, rtSumMs: 3 }],
]);
const query = new FixedStatsQuery(nodes, h, totals);
const server = await startHttpServer({ query, app: 'demo', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => NOW, maxPrometheusResources: 2 });
t.teardown(() => server.close());

const getJson = async (path: string) => {
  const res = await fetch(server.url + path);
  t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', `${path} is JSON`);
  return { status: res.status, body: (await res.json()) as any };
};

t.test('/api/v1/resources: every resource with its second and minute figures', async (t) => {
  const r = await getJson('/api/v1/resources');
  t.equal(r.status, 200);
  t.equal(r.body.nowMs, NOW);
  t.same(r.body.resources.map((n: any) => n.resource), ['GET /订单/{id}', 'quiet', 'say "hi"\\now']);
  t.same(r.body.resources[0], nodes[0]);
  t.equal(r.body.total, 3);
  const busy = await getJson('/api/v1/resources?sort=busy&limit=2');
  t.same([busy.body.total, busy.body.resources.map((n: any) => n.resource)], [3, ['GET /订单/{id}', 'say "hi"\\now']]);
  t.same((await getJson('/api/v1/resources?limit=0')).body.resources, []);
  const bad = await getJson('/api/v1/resources?sort=size');
  t.same([bad.status, bad.body.error.code], [400, 'E_BAD_PARAM']);
  t.equal((await getJson('/api/v1/resources?limit=-1')).status, 400);
});

t.test('/api/v1/resources/<name>: URL-encoded name, per-origin nodes, JSON 404', async (t) => {
  const r = await getJson(`/api/v1/resources/${encodeURIComponent('GET /订单/{id}')}`);
  t.equal(r.status, 200);
  t.same(r.body.node, nodes[0]);
  t.same(r.body.origins, [nodes[1]]);
  const missing = await getJson('/api/v1/resources/nope');
  t.equal(missing.status, 404);
  t.same(missing.body, { error: { code: 'E_UNKNOWN_RESOURCE', message: 'no tracked resource named "nope"' } });
  const bad = await getJson('/api/v1/resources/%E0%A4%A');
  t.same([bad.status, bad.body.error.code], [400, 'E_BAD_NAME']);
  const other = await getJson('/api/v1/nothing');
  t.same([other.status, other.body.error.code], [404, 'E_NOT_FOUND']);
});

t.test('/api/v1/health: integer counters, segment and checkpoint facts', async (t) => {
  const r = await getJson('/api/v1/health');
  t.equal(r.status, 200);
  for (const k of ['recordsCounted', 'recordsRejected', 'recordsUnknownKind', 'recordsLate', 'framesSkipped', 'bytesSkipped', 'writerDroppedRecords', 'lagBytes']) {
    t.ok(Number.isInteger(r.body.counters[k]), `${k} is an integer`);
  }
  t.equal(r.body.counters.recordsCounted, 1234);
  t.equal(r.body.counters.lagBytes, 8192);
  t.equal(r.body.checkpointAtMs, NOW - 1500);
  t.same(r.body.segments, h.segments);
  t.same(r.body.recentProblems, []);
  t.equal((await fetch(server.url + '/api/v1/health', { method: 'POST' })).status, 405);
});

/** Parses an exposition: sample name{labels} → value, and name → TYPE; every sample line must parse. */
function parseExposition(t: { ok(v: unknown, message?: string): unknown }, text: string) {
  const samples = new Map<string, string>();
  const types = new Map<string, string>();
  for (const l of text.split('\n')) {
    if (l === '') continue;
    const ty = /^# TYPE (\S+) (counter|gauge)$/.exec(l);
    if (ty) types.set(ty[1]!, ty[2]!);
    if (l.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(l);
    t.ok(m, `sample line parses: ${l}`);
    samples.set(m![1]!, m![2]!);
  }
  return { samples, types };
}

t.test('/metrics: Prometheus text from prom-client, counters and gauges, bounded resource labels', async (t) => {
  const res = await fetch(server.url + '/metrics');
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  const { samples, types } = parseExposition(t, text);
  t.ok(text.endsWith('\n'));
  t.equal(samples.get('sentinel_wasi_records_counted_total'), '1234');
  t.equal(types.get('sentinel_wasi_records_counted_total'), 'counter');
  t.equal(samples.get('sentinel_wasi_frames_skipped_total'), '5');
  t.equal(samples.get('sentinel_wasi_writer_dropped_records_total'), '7');
  t.equal(samples.get('sentinel_wasi_lag_bytes'), '8192');
  t.equal(types.get('sentinel_wasi_lag_bytes'), 'gauge');
  t.equal(samples.get('sentinel_wasi_checkpoint_timestamp_seconds'), String((NOW - 1500) / 1000));
  t.equal(samples.get('sentinel_wasi_resources_tracked'), '3');
  t.equal(samples.get('sentinel_wasi_resources_omitted'), '1', 'cap of 2: the idle resource is left out');
  t.equal(samples.get('sentinel_wasi_resource_pass_total{resource="GET /订单/{id}"}'), '1000');
  t.equal(types.get('sentinel_wasi_resource_pass_total'), 'counter');
  t.equal(samples.get('sentinel_wasi_resource_exception_total{resource="GET /订单/{id}"}'), '12');
  t.equal(samples.get('sentinel_wasi_resource_rt_ms_total{resource="GET /订单/{id}"}'), '4457');
  t.equal(types.get('sentinel_wasi_resource_rt_ms_total'), 'counter');
  t.equal(samples.get('sentinel_wasi_resource_pass_qps{resource="GET /订单/{id}"}'), '3');
  t.equal(types.get('sentinel_wasi_resource_pass_qps'), 'gauge');
  t.equal(samples.get('sentinel_wasi_resource_avg_rt_ms{resource="GET /订单/{id}"}'), '4.5');
  t.equal(samples.get('sentinel_wasi_resource_concurrency{resource="GET /订单/{id}"}'), '1');
  t.equal(types.get('sentinel_wasi_resource_concurrency'), 'gauge');
  // the name say "hi"\now: quote and backslash escaped
  t.equal(samples.get('sentinel_wasi_resource_block_total{resource="say \\"hi\\"\\\\now"}'), '77');
  t.equal(samples.get('sentinel_wasi_resource_block_qps{resource="say \\"hi\\"\\\\now"}'), '1');
  t.notOk([...samples.keys()].some((k) => k.includes('quiet')), 'the omitted resource has no series, not even its counters');
  const names = new Set([...samples.keys()].map((k) => k.replace(/\{.*$/, '')));
  for (const n of names) t.ok(types.has(n), `${n} has a TYPE`);
  t.equal(text.split('\n').filter((l) => l.startsWith('# TYPE ')).length, types.size, 'no duplicate TYPE lines');
});

t.test('/metrics: OpenMetrics when the Accept header asks for it, and back', async (t) => {
  const res = await fetch(server.url + '/metrics', { headers: { accept: 'application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' } });
  t.equal(res.headers.get('content-type'), 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  const text = await res.text();
  t.ok(text.endsWith('\n# EOF\n'), 'ends with # EOF');
  t.match(text, /\n# TYPE sentinel_wasi_resource_pass counter\n/, 'OpenMetrics names the counter family without _total');
  t.match(text, /\nsentinel_wasi_resource_pass_total\{resource="GET \/订单\/\{id\}"\} 1000\n/);
  t.match(text, /\nsentinel_wasi_records_counted_total 1234\n/);
  const again = await (await fetch(server.url + '/metrics')).text();
  t.match(again, /\n# TYPE sentinel_wasi_resource_pass_total counter\n/, 'a Prometheus scrape after an OpenMetrics one keeps the _total family name');
  t.equal(wantsOpenMetrics('application/openmetrics-text;q=0'), false);
  t.equal(wantsOpenMetrics('text/plain'), false);
  t.equal(wantsOpenMetrics(undefined), false);
  t.equal(wantsOpenMetrics('text/plain;q=0.9, application/OpenMetrics-Text'), true);
});

t.test('/metrics: a label value with quotes, backslash and newline is escaped by prom-client', async (t) => {
  const name = 'a"b\\c\nd';
  const q = new FixedStatsQuery([node(name, '', { passQps: 2 }, { pass: 2 })], health(), new Map([[name, { pass: 9, block: 0, success: 0, exception: 0 }]]));
  const s = await startHttpServer({ query: q, app: 'esc', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => NOW });
  t.teardown(() => s.close());
  const text = await (await fetch(s.url + '/metrics')).text();
  t.ok(text.includes('\nsentinel_wasi_resource_pass_total{resource="a\\"b\\\\c\\nd"} 9\n'), text.split('\n').filter((l) => l.includes('pass_total')).join(' | '));
  t.equal(text.split('\n').filter((l) => l.startsWith('sentinel_wasi_resource_pass_qps')).length, 1, 'the newline did not split the sample');
});

t.test('the live page: HTML polling the JSON API, its assets served by the collector itself', async (t) => {
  const res = await fetch(server.url + '/');
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  t.match(res.headers.get('content-security-policy') ?? '', /^default-src 'self';/);
  const html = await res.text();
  t.match(html, /<title>sentinel-wasi · demo<\/title>/);
  t.match(html, /fetch\('api\/v1\/resources\?sort=busy&limit=200'\)/);
  const refs = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
  t.same(refs, ['assets/uplot.min.css', 'assets/uplot.min.js'], 'the only external references are the collector\'s own assets');
  const js = await fetch(server.url + '/assets/uplot.min.js');
  t.equal(js.status, 200);
  t.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  const jsText = await js.text();
  t.match(jsText, /uPlot/);
  t.equal(jsText.length, readFileSync(join(dirname(createRequire(import.meta.url).resolve('uplot')), 'uPlot.iife.min.js'), 'utf8').length, 'uPlot\'s own dist file');
  const css = await fetch(server.url + '/assets/uplot.min.css');
  t.same([css.status, css.headers.get('content-type')], [200, 'text/css; charset=utf-8']);
  t.match(await css.text(), /\.uplot/);
  const missing = await fetch(server.url + '/assets/nope.js');
  t.equal(missing.status, 404);
  const icon = await fetch(server.url + '/favicon.ico');
  t.same([icon.status, await icon.text()], [204, ''], 'the browser\'s icon request is answered without an error');
});

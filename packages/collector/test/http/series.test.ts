// /api/v1/series over the real Collector: segments written to a pin, sealed into the metric log
// under an injected clock, then per-second series asked over loopback HTTP.
process.env.TZ = 'UTC';
import t from 'tap';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { Collector } from '../../src/daemon/collector.js';
import { startHttpServer } from '../../src/http/server.js';

const T = 1764120000000; // a 10 s bucket start
const pin = mkdtempSync(join(tmpdir(), 'sw-series-'));
t.teardown(() => rmSync(pin, { recursive: true, force: true }));
const { PASS, BLOCK, CALL } = RecordKind;

let now = T + 500;
const collector = new Collector({ pinDir: pin, app: 'shop', utcOffsetMinutes: 0 }, now);
t.teardown(() => collector.closeAt(now));
const server = await startHttpServer({ query: collector, app: collector.app, metricDir: collector.paths.metricDir, host: '127.0.0.1', port: 0, nowMs: () => now });
t.teardown(() => server.close());

const seg = join(pin, 'log', segmentName(T / 1000, 'w1'));
const feed = (events: FlowEvent[]): void => {
  for (const f of encodeFrames(events)) appendFileSync(seg, f);
};
// second 0: orders 2 ok (rt 10, 20) + 1 error (rt 30); second 2: orders 1 ok (rt 7), pay|card 4 blocked, 1 passed
feed([
  { kind: CALL, tsMs: T + 100, name: 'GET /orders', rtMs: 10, error: false },
  { kind: CALL, tsMs: T + 200, name: 'GET /orders', rtMs: 20, error: false },
  { kind: CALL, tsMs: T + 300, name: 'GET /orders', rtMs: 30, error: true },
  { kind: CALL, tsMs: T + 2100, name: 'GET /orders', rtMs: 7, error: false },
  { kind: BLOCK, tsMs: T + 2200, name: 'pay|card', count: 4 },
  { kind: PASS, tsMs: T + 2300, name: 'pay|card', count: 1 },
]);
now = T + 6000; // seconds 0..3 sealed (grace 2 s)
collector.cycleAt(now, false);

const getJson = async (path: string) => {
  const res = await fetch(server.url + path);
  t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  return { status: res.status, body: (await res.json()) as any };
};

t.test('the busiest resources, one entry per second up to the sealed front', async (t) => {
  const r = await getJson('/api/v1/series?seconds=5');
  t.equal(r.status, 200);
  const end = T / 1000 + 3;
  t.same([r.body.startSec, r.body.endSec, r.body.seconds, r.body.truncated], [end - 4, end, [end - 4, end - 3, end - 2, end - 1, end], false]);
  t.same(r.body.series.map((s: any) => s.resource), ['pay|card', 'GET /orders'], 'busiest first by minute total: 5 (4 blocked + 1 passed), then 4');
});

t.test('exact per-second values, the `|` name found under its logged name', async (t) => {
  const r = await getJson(`/api/v1/series?seconds=4&resource=${encodeURIComponent('GET /orders')}&resource=${encodeURIComponent('pay|card')}`);
  const [orders, card] = r.body.series;
  t.same(r.body.seconds, [T / 1000, T / 1000 + 1, T / 1000 + 2, T / 1000 + 3]);
  t.same(orders, { resource: 'GET /orders', pass: [3, 0, 1, 0], block: [0, 0, 0, 0], success: [3, 0, 1, 0], exception: [1, 0, 0, 0], avgRtMs: [20, null, 7, null] });
  t.same(card, { resource: 'pay|card', pass: [0, 0, 1, 0], block: [0, 0, 4, 0], success: [0, 0, 0, 0], exception: [0, 0, 0, 0], avgRtMs: [null, null, null, null] });
  t.same(r.body.unknown, []);
});

t.test('unknown: asked-for names neither tracked nor in the log range', async (t) => {
  const q = (names: string[]) => getJson(`/api/v1/series?seconds=1&${names.map((n) => `resource=${encodeURIComponent(n)}`).join('&')}`);
  // The last sealed second has no line for either resource: tracked ones are quiet, not unknown.
  const quiet = await q(['GET /orders', 'pay|card', 'GET /order']);
  t.same(quiet.body.series.map((s: any) => s.pass), [[0], [0], [0]]);
  t.same(quiet.body.unknown, ['GET /order']);
  const busiest = await getJson('/api/v1/series?seconds=5');
  t.same(busiest.body.unknown, [], 'the busiest resources are all tracked');
});

t.test('a late record for a sealed second adds to that second', async (t) => {
  feed([{ kind: BLOCK, tsMs: T + 1500, name: 'GET /orders', count: 2 }]);
  now = T + 7000;
  collector.cycleAt(now, false);
  const r = await getJson(`/api/v1/series?seconds=5&resource=${encodeURIComponent('GET /orders')}`);
  t.same(r.body.series[0].block, [0, 2, 0, 0, 0]);
  t.same(r.body.series[0].pass, [3, 0, 1, 0, 0]);
});

t.test('bounded and validated parameters', async (t) => {
  for (const bad of ['seconds=0', 'seconds=901', 'seconds=x', 'limit=21', 'limit=-1', 'resource=', 'resource=a&resource=']) {
    const r = await getJson(`/api/v1/series?${bad}`);
    t.same([r.status, r.body.error.code], [400, 'E_BAD_PARAM'], bad);
  }
  const many = Array.from({ length: 21 }, (_, i) => `resource=r${i}`).join('&');
  t.equal((await getJson(`/api/v1/series?${many}`)).status, 400);
  const one = await getJson('/api/v1/series?limit=1&seconds=2');
  t.same(one.body.series.map((s: any) => s.resource), ['GET /orders'], 'with the late 2 blocked, GET /orders leads 6 to 5');
  const unknown = await getJson('/api/v1/series?seconds=2&resource=nope');
  t.same(unknown.body.series, [{ resource: 'nope', pass: [0, 0], block: [0, 0], success: [0, 0], exception: [0, 0], avgRtMs: [null, null] }]);
  t.same(unknown.body.unknown, ['nope'], 'a name the collector never saw is listed as unknown');
  t.equal((await fetch(server.url + '/api/v1/series', { method: 'POST' })).status, 405);
});

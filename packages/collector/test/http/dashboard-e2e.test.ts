// The Sentinel Dashboard's view of a real collector process: a stub dashboard (node:http on
// loopback) receives the collector's heartbeat, and then this test does what the dashboard does
// with the machine it registered — its metric fetch cycle (MetricFetcher: 7-second inclusive
// windows start = max(now − 15 s, lastEnd + 1 s), end = start + 6 s, skipped while
// end > now − 2 s; thin lines parsed and summed per resource and second) against the ip:port the
// heartbeat announced, while real segments are appended to the pin; then its node, rule and
// cluster reads. The counts it ends up with must be exactly the ones fed.
process.env.TZ = 'UTC';
import t from 'tap';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bucketSecOf, encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { NODE_VO_FIELDS, parseMetricBodyAsDashboard } from './fixed-query.js';

const CLI = fileURLToPath(new URL('../cli/fixtures/cli.ts', import.meta.url));
const pin = mkdtempSync(join(tmpdir(), 'sw-dash-'));
t.teardown(() => rmSync(pin, { recursive: true, force: true }));

async function until<V>(what: string, probe: () => V | undefined | Promise<V | undefined>, tries = 600): Promise<V> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

// The stub dashboard: records every heartbeat.
const beats: Array<{ method: string; path: string; form: Record<string, string>; atMs: number }> = [];
const dashboard = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    beats.push({ method: req.method!, path: req.url!, form: Object.fromEntries(new URLSearchParams(body)), atMs: Date.now() });
    res.end('success');
  });
});
await new Promise<void>((resolve) => dashboard.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise((resolve) => dashboard.close(resolve)));
const dashboardAddress = `127.0.0.1:${(dashboard.address() as AddressInfo).port}`;

const startedMs = Date.now();
const child = spawn(
  process.execPath,
  ['--import', 'tsx', CLI, 'collector', '--pin', pin, '--app', 'shop', '--port', '0', '--dashboard', `http://${dashboardAddress}`, '--heartbeat-ms', '1000'],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
let childErr = '';
child.stderr.on('data', (d) => (childErr += d));
t.teardown(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

t.test('the heartbeat registers the collector with the dashboard', async (t) => {
  await until('two heartbeats', () => (beats.length >= 2 ? true : undefined));
  const [first, second] = beats;
  t.equal(first!.method, 'POST');
  t.equal(first!.path, '/registry/machine');
  const f = first!.form;
  t.same(Object.keys(f), ['app', 'app_type', 'hostname', 'ip', 'port', 'v', 'version']);
  t.same([f.app, f.app_type, f.hostname, f.ip], ['shop', '0', hostname(), '127.0.0.1']);
  const version = Number(f.version);
  t.ok(version >= startedMs && version <= first!.atMs, '`version` is the epoch ms when the beat was sent');
  t.ok(Number(second!.form.version) > version, 'each beat carries its own time');
  const res = await fetch(`http://${f.ip}:${f.port}/version`);
  t.equal(f.v, await res.text(), '`v` is what /version answers');
  t.equal(childErr, '');
});

t.test("the dashboard's fetch cycle against the announced machine gets exactly the fed counts", async (t) => {
  const { ip, port } = beats[0]!.form;
  const machine = `http://${ip}:${port}`;
  // Feed four seconds that are still ahead: nothing is late, and the fetch cycle reaches them.
  const s0 = Math.floor(Date.now() / 1000) + 1;
  const expected = new Map<string, { pass: number; block: number; success: number; exception: number; rt: number }>();
  const events: FlowEvent[] = [];
  for (let k = 0; k < 4; k++) {
    const sec = (s0 + k) * 1000;
    for (let i = 0; i <= k; i++) events.push({ kind: RecordKind.CALL, tsMs: sec + 100 + i, name: 'GET /orders', rtMs: 10 + k, error: false });
    events.push({ kind: RecordKind.CALL, tsMs: sec + 300, name: 'GET /orders', rtMs: 20, error: true });
    events.push({ kind: RecordKind.BLOCK, tsMs: sec + 400, name: 'pay|card', count: k + 2 });
    events.push({ kind: RecordKind.PASS, tsMs: sec + 500, name: 'pay|card', count: 1 });
    const success = k + 2;
    expected.set(`GET /orders@${sec}`, { pass: k + 2, block: 0, success, exception: 1, rt: Math.floor(((10 + k) * (k + 1) + 20) / success) });
    expected.set(`pay_card@${sec}`, { pass: 1, block: k + 2, success: 0, exception: 0, rt: 0 });
  }
  mkdirSync(join(pin, 'log'), { recursive: true });
  for (const e of events) appendFileSync(join(pin, 'log', segmentName(bucketSecOf(e.tsMs), 'dash')), Buffer.concat(encodeFrames([e])));

  // MetricFetcher, one app, one machine.
  const got = new Map<string, { pass: number; block: number; success: number; exception: number; rtTimesSuccess: number }>();
  const windows: Array<[number, number]> = [];
  let lastEnd: number | undefined;
  const lastFed = (s0 + 3) * 1000;
  const deadline = Date.now() + 40_000;
  while ((lastEnd === undefined || lastEnd < lastFed) && Date.now() < deadline) {
    const now = Date.now();
    let start = Math.max(now - 15_000, lastEnd === undefined ? 0 : lastEnd + 1000);
    start -= start % 1000;
    const end = start + 6000;
    if (end <= now - 2000) {
      lastEnd = end;
      windows.push([start, end]);
      const res = await fetch(`${machine}/metric?startTime=${start}&endTime=${end}&refetch=false`, { headers: { connection: 'close' } });
      t.equal(res.status, 200);
      const body = await res.text();
      for (const line of parseMetricBodyAsDashboard(body)) {
        if (line.resource === '__total_inbound_traffic__' || line.resource === '__system_load__' || line.resource === '__cpu_usage__') continue;
        t.ok(line.timestamp >= start && line.timestamp <= end, `line ${line.timestamp} inside the window [${start}, ${end}]`);
        const key = `${line.resource}@${line.timestamp}`;
        const m = got.get(key) ?? { pass: 0, block: 0, success: 0, exception: 0, rtTimesSuccess: 0 };
        m.pass += line.passQps;
        m.block += line.blockQps;
        m.success += line.successQps;
        m.exception += line.exceptionQps;
        m.rtTimesSuccess += line.rt * line.successQps;
        got.set(key, m);
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  t.ok(lastEnd !== undefined && lastEnd >= lastFed, `the cycle reached the last fed second (${windows.length} windows)`);
  for (let i = 1; i < windows.length; i++) t.ok(windows[i]![0] > windows[i - 1]![1], 'windows never overlap (the dashboard never asks for a second twice)');
  const shown = new Map([...got].map(([k, m]) => [k, { pass: m.pass, block: m.block, success: m.success, exception: m.exception, rt: m.success > 0 ? Math.floor(m.rtTimesSuccess / m.success) : 0 }]));
  t.same(Object.fromEntries(shown), Object.fromEntries(expected), 'per resource and second, the dashboard holds exactly what was fed');
  let total = 0;
  for (const m of shown.values()) total += m.pass + m.block;
  t.equal(total, (2 + 3 + 4 + 5) + 4 + (2 + 3 + 4 + 5), 'pass + block over the four seconds: 14 + 4 passed, 14 blocked');
});

t.test("the dashboard's other reads: nodes, tree, rules, cluster mode", async (t) => {
  const { ip, port } = beats[0]!.form;
  const machine = `http://${ip}:${port}`;
  const get = async (path: string) => {
    const res = await fetch(machine + path);
    return { status: res.status, body: await res.text() };
  };
  const notZero = JSON.parse((await get('/clusterNode?type=notZero')).body) as Array<Record<string, unknown>>;
  t.same(notZero.map((n) => n.resource), ['GET /orders', 'pay|card']);
  for (const n of notZero) t.same(Object.keys(n).sort(), NODE_VO_FIELDS);
  const orders = notZero.find((n) => n.resource === 'GET /orders')!;
  t.same([orders.oneMinutePass, orders.oneMinuteException, orders.oneMinuteBlock], [2 + 3 + 4 + 5, 4, 0]);
  const card = notZero.find((n) => n.resource === 'pay|card')!;
  t.same([card.oneMinuteBlock, card.threadNum], [2 + 3 + 4 + 5, 4], 'four PASS without EXIT: 4 in flight');
  const zero = JSON.parse((await get('/clusterNode?type=zero')).body) as unknown[];
  t.equal(zero.length, 2);
  const tree = JSON.parse((await get('/jsonTree')).body) as Array<{ resource: string; id: string; parentId?: string }>;
  t.same(tree.map((n) => n.resource), ['machine-root', 'sentinel_default_context', 'GET /orders', 'pay|card']);
  // The dashboard's ResourceTreeNode.fromNodeVoList links each node to a parent it has already read, in one pass.
  const seen = new Set<string>();
  const linked = tree.filter((n) => {
    const ok = n.parentId === undefined ? seen.size === 0 : seen.has(n.parentId);
    seen.add(n.id);
    return ok;
  });
  t.equal(linked.length, tree.length, 'one root first, every other node after its parent');
  for (const type of ['flow', 'degrade', 'authority', 'system']) {
    const r = await get(`/getRules?type=${type}`);
    t.same([r.status, JSON.parse(r.body)], [200, []], `getRules?type=${type}`);
  }
  t.same(JSON.parse((await get('/getParamFlowRules')).body), []);
  t.same(JSON.parse((await get('/getClusterMode')).body), { mode: -1, lastModified: -1, clientAvailable: false, serverAvailable: false });
});

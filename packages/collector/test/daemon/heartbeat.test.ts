// The Sentinel Dashboard heartbeat against stub dashboards on loopback (node:http servers): the
// exact form fields, the schedule (first beat, interval) through injected timers, several
// dashboards with and without `http://`, and a dead dashboard logged once per beat without a throw.

import t from 'tap';
import { BAD_PORTS } from '../http/bad-ports.js';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_HEARTBEAT_FIRST_DELAY_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_PATH,
  parseDashboardList,
  startHeartbeat,
  type HeartbeatTimers,
} from '../../src/daemon/heartbeat.js';
import { announcedIp } from '../../src/daemon/dashboard-wiring.js';

interface Received {
  method: string;
  url: string;
  contentType: string;
  form: Record<string, string>;
}

async function stubDashboard(t: { teardown(fn: () => unknown): void }, status = 200, ports: readonly number[] = [0]): Promise<{ server: Server; hostPort: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, contentType: req.headers['content-type'] ?? '', form: Object.fromEntries(new URLSearchParams(body)) });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'success' : 'nope');
    });
  });
  for (const [i, port] of ports.entries()) {
    const taken = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(true));
      server.listen(port, '127.0.0.1', () => resolve(false));
    });
    if (!taken) break;
    if (i === ports.length - 1) throw new Error(`none of the ports ${ports.join(', ')} is free on 127.0.0.1`);
  }
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { server, hostPort: `127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/** Timers that only fire when the test says so; records every delay asked for. */
class ManualTimers implements HeartbeatTimers {
  readonly delays: number[] = [];
  private pending: Array<{ fn: () => void; id: number }> = [];
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    this.delays.push(ms);
    const id = this.next++;
    this.pending.push({ fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }
  fire(): void {
    const p = this.pending.shift();
    if (p === undefined) throw new Error('no timer pending');
    p.fn();
  }
  get count(): number {
    return this.pending.length;
  }
}

function memoryLog() {
  const warnings: Array<{ obj: any; msg: string }> = [];
  return { warnings, log: { warn: (obj: object, msg: string) => warnings.push({ obj, msg }), debug: () => undefined } };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

t.test('parseDashboardList: host:port lists, http:// and https:// prefixes, bad input is E_BAD_DASHBOARD', async (t) => {
  t.same(parseDashboardList('127.0.0.1:8080'), ['http://127.0.0.1:8080']);
  t.same(parseDashboardList('http://dash.local:8080/, https://10.0.0.2:8443 ,db:1'), ['http://dash.local:8080', 'https://10.0.0.2:8443', 'http://db:1']);
  for (const bad of ['', ' , ', 'http://a:1/path', 'a:notaport', 'http://u:p@a:1', 'a:', 'http://a:/', 'a:1#top']) {
    t.throws(() => parseDashboardList(bad), { code: 'E_BAD_DASHBOARD' }, JSON.stringify(bad));
  }
});

t.test('parseDashboardList: without a port, 80 (443 with https://), as Sentinel reads csp.sentinel.dashboard.server', async (t) => {
  t.same(parseDashboardList('dash.local, https://dash.local,http://10.0.0.2'), ['http://dash.local', 'https://dash.local', 'http://10.0.0.2']);
  t.same(parseDashboardList('dash:80,https://dash:443,[::1]:8080'), ['http://dash', 'https://dash', 'http://[::1]:8080']);
});

t.test('parseDashboardList: its messages say why, without the code (the CLI adds E_USAGE once)', async (t) => {
  const cases: [string, string][] = [
    ['a/b', 'dashboard address "a/b" must be host[:port], without a path'],
    ['a:', 'dashboard address "a:" has a ":" without a port'],
    ['127.0.0.1:0', 'dashboard address "127.0.0.1:0" has port 0, which no dashboard listens on'],
    ['a:x', 'dashboard address "a:x" is not host[:port]'],
    [',', 'no dashboard address given'],
  ];
  for (const [text, message] of cases) t.throws(() => parseDashboardList(text), { code: 'E_BAD_DASHBOARD', message }, JSON.stringify(text));
});

t.test('announcedIp: the bound IP, 127.0.0.1 for localhost, the first host IPv4 for wildcards and names', async (t) => {
  const first = (): string => '10.9.8.7';
  t.same(
    ['127.0.0.1', '192.168.1.5', '::1', 'localhost', '0.0.0.0', '::', 'box.local'].map((h) => announcedIp(h, first)),
    ['127.0.0.1', '192.168.1.5', '::1', '127.0.0.1', '10.9.8.7', '10.9.8.7', '10.9.8.7'],
  );
});

t.test('the heartbeat: exact form fields to every dashboard, on the 5 s / 10 s schedule', async (t) => {
  const a = await stubDashboard(t);
  const b = await stubDashboard(t);
  const timers = new ManualTimers();
  let now = 1764120000123;
  const { warnings, log } = memoryLog();
  const hb = startHeartbeat({
    dashboards: parseDashboardList(`${a.hostPort},http://${b.hostPort}`),
    app: 'shop & co',
    hostname: 'host-1',
    ip: '10.1.2.3',
    port: 8719,
    sentinelVersion: '1.8.9',
    nowMs: () => now,
    log,
    timers,
  });
  t.teardown(() => hb.stop());
  t.same(timers.delays, [DEFAULT_HEARTBEAT_FIRST_DELAY_MS], 'the first beat is scheduled 5 s after start');
  t.equal(DEFAULT_HEARTBEAT_FIRST_DELAY_MS, 5000);
  t.equal(DEFAULT_HEARTBEAT_INTERVAL_MS, 10_000);
  t.equal(a.received.length + b.received.length, 0, 'nothing before the first timer fires');

  timers.fire();
  t.same(timers.delays, [5000, 10_000], 'the next beat is scheduled one interval later');
  await until('both dashboards to get the first beat', () => a.received.length === 1 && b.received.length === 1);
  for (const r of [a.received[0]!, b.received[0]!]) {
    t.equal(r.method, 'POST');
    t.equal(r.url, HEARTBEAT_PATH);
    t.equal(r.url, '/registry/machine');
    t.equal(r.contentType, 'application/x-www-form-urlencoded; charset=utf-8');
    t.same(r.form, { app: 'shop & co', app_type: '0', hostname: 'host-1', ip: '10.1.2.3', port: '8719', v: '1.8.9', version: '1764120000123' });
  }
  now += 10_000;
  timers.fire();
  await until('the second beat', () => a.received.length === 2 && b.received.length === 2);
  t.equal(a.received[1]!.form.version, '1764120010123', '`version` is the current epoch ms of each beat');
  t.equal(hb.beats, 2);
  t.same(warnings, [], 'no failures, nothing logged at warn');
  hb.stop();
  t.equal(timers.count, 0, 'stop cancels the pending beat');
});

t.test('a dashboard that is down or answers non-200: one warning per beat, the others still get theirs, nothing throws', async (t) => {
  const up = await stubDashboard(t);
  const refusing = await stubDashboard(t, 500);
  const dead = await stubDashboard(t);
  const deadHostPort = dead.hostPort;
  await new Promise((resolve) => dead.server.close(resolve));
  const timers = new ManualTimers();
  const { warnings, log } = memoryLog();
  const hb = startHeartbeat({
    dashboards: parseDashboardList([up.hostPort, refusing.hostPort, deadHostPort].join(',')),
    app: 'a', hostname: 'h', ip: '127.0.0.1', port: 1, sentinelVersion: '1.8.9', nowMs: () => 1, log, timers, timeoutMs: 2000,
  });
  t.teardown(() => hb.stop());
  const results = await hb.beat();
  t.same(results.map((r) => [r.dashboard, r.ok]), [[`http://${up.hostPort}`, true], [`http://${refusing.hostPort}`, false], [`http://${deadHostPort}`, false]]);
  t.equal(results[1]!.detail, 'HTTP 500');
  t.equal(results[2]!.detail, 'ECONNREFUSED');
  t.equal(warnings.length, 1, 'one warning line for the beat');
  t.equal(warnings[0]!.obj.code, 'E_HEARTBEAT');
  t.same(warnings[0]!.obj.failed, [`http://${refusing.hostPort}: HTTP 500`, `http://${deadHostPort}: ECONNREFUSED`]);
  await hb.beat();
  t.equal(warnings.length, 2, 'and one more for the next beat');
  t.equal(up.received.length, 2, 'the healthy dashboard got both beats');
  t.equal(refusing.received.length, 2);
});

t.test('a dashboard on a port fetch refuses ("bad port", e.g. 6000) gets its beat: the heartbeat does not go through fetch', async (t) => {
  const d = await stubDashboard(t, 200, BAD_PORTS);
  const refused = await fetch(`http://${d.hostPort}/`).then(
    () => 'answered',
    (err: Error & { cause?: Error }) => err.cause?.message,
  );
  t.equal(refused, 'bad port', `fetch refuses ${d.hostPort}`);
  const { warnings, log } = memoryLog();
  const hb = startHeartbeat({ dashboards: parseDashboardList(d.hostPort), app: 'a', hostname: 'h', ip: '127.0.0.1', port: 1, sentinelVersion: '1.8.9', nowMs: () => 7, log, timers: new ManualTimers() });
  t.teardown(() => hb.stop());
  const results = await hb.beat();
  t.same(results, [{ dashboard: `http://${d.hostPort}`, ok: true, detail: 'HTTP 200' }]);
  t.same(d.received.map((r) => [r.method, r.url, r.form.version]), [['POST', '/registry/machine', '7']]);
  t.same(warnings, []);
});

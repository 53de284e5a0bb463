// End to end, real processes: a degrade rule (exception count) on the http-gateway under a
// collector. Errors (?fail=1) open the breaker (429s); it rejects for timeWindow; then one probe
// goes through; a probe that succeeds closes it (everything passes again), a probe that fails
// re-opens it (429s again). The collector logs each transition.

import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/repo.js';
import { healthOf, send, serveGateway, startCollector } from './flow-support.js';

const TIME_WINDOW_S = 2;

interface Seen {
  status: number;
  atMs: number;
}

/** Sends `path` every 50 ms (one at a time) until `stop` says so; returns every answer. */
async function drive(agent: Agent, base: string, path: string, stop: (seen: Seen[]) => boolean, timeoutMs = 30_000): Promise<Seen[]> {
  const seen: Seen[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!stop(seen)) {
    if (Date.now() > deadline) throw new Error(`${path}: condition not met in ${timeoutMs} ms; statuses ${seen.map((s) => s.status).join(',')}`);
    const r = await send(agent, base, path);
    seen.push({ status: r.status, atMs: Date.now() });
    await new Promise((res) => setTimeout(res, 50));
  }
  return seen;
}

const transitions = (log: string): string[] =>
  log.split('\n').filter((l) => l.includes('"circuit breaker"')).map((l) => {
    const j = JSON.parse(l) as { from: string; to: string };
    return `${j.from}->${j.to}`;
  });

t.test('degrade rule: opens on errors, rejects for timeWindow, a good probe closes it, a failing probe re-opens it', async (t) => {
  const pin = await tempDir(t, 'flow-degrade');
  mkdirSync(join(pin, 'rules'), { recursive: true, mode: 0o700 });
  writeFileSync(join(pin, 'rules', 'degrade.json'), JSON.stringify([{ resource: 'GET /fragile', grade: 2, count: 2, timeWindow: TIME_WINDOW_S, minRequestAmount: 3, statIntervalMs: 1000 }]));
  const collector = await startCollector(pin);
  t.teardown(() => collector.stop());
  const server = await serveGateway(pin);
  t.teardown(() => server.stop());
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  t.teardown(() => agent.destroy());
  const last = (s: Seen[]) => s[s.length - 1];

  // 1. Errors open it.
  const tripping = await drive(agent, server.url, '/fragile?fail=1', (s) => last(s)?.status === 429);
  t.ok(tripping.filter((s) => s.status === 500).length >= 3, `errors before it opened: ${tripping.length - 1}`);
  const openedAt = last(tripping)!.atMs;
  const breakers = async () => (await healthOf<{ rules: { breakers: unknown[] } }>(collector)).rules.breakers;
  const open = (await breakers()) as Array<{ resource: string; grade: number; state: string; retryAtMs: number }>;
  t.same(open.map((b) => [b.resource, b.grade, b.state]), [['GET /fragile', 2, 'OPEN']], 'health shows the open breaker');
  t.ok(open[0]!.retryAtMs > openedAt - TIME_WINDOW_S * 1000 && open[0]!.retryAtMs <= openedAt + TIME_WINDOW_S * 1000, 'with its retry time');

  // 2. It rejects for timeWindow, then a probe gets through and succeeds: 10 passes in a row = closed.
  const probing = await drive(agent, server.url, '/fragile', (s) => s.length >= 10 && s.slice(-10).every((x) => x.status === 200));
  const firstPass = probing.find((s) => s.status === 200)!;
  t.ok(firstPass.atMs - openedAt >= TIME_WINDOW_S * 1000 - 500, `rejected for about timeWindow: first pass ${firstPass.atMs - openedAt} ms after the first 429`);
  t.same([...new Set(probing.slice(0, probing.indexOf(firstPass)).map((s) => s.status))], [429], 'only 429 until the probe');
  t.same(new Set(probing.map((s) => s.status)), new Set([429, 200]), 'nothing but 429 and 200');
  t.same(transitions(collector.log()), ['CLOSED->OPEN', 'OPEN->HALF_OPEN', 'HALF_OPEN->CLOSED']);
  t.same(await breakers(), [{ resource: 'GET /fragile', grade: 2, state: 'CLOSED', retryAtMs: null }], 'and then closed');

  // 3. Open it again; this time the probe fails: it re-opens.
  await drive(agent, server.url, '/fragile?fail=1', (s) => last(s)?.status === 429);
  const failingProbe = await drive(agent, server.url, '/fragile?fail=1', (s) => {
    const i = s.findIndex((x) => x.status === 500);
    return i >= 0 && s.length >= i + 6; // the probe, then a few more answers
  });
  const probeAt = failingProbe.findIndex((x) => x.status === 500);
  const afterProbe = failingProbe.slice(probeAt + 1);
  t.ok(afterProbe.slice(-3).every((x) => x.status === 429), `re-opened after the failing probe: ${afterProbe.map((x) => x.status).join(',')}`);
  t.same(transitions(collector.log()).slice(3), ['CLOSED->OPEN', 'OPEN->HALF_OPEN', 'HALF_OPEN->OPEN']);
});

// End to end, real processes: pushing rules over HTTP and the loop's failure mode.
// - /setRules without the token: 401/403, and nothing changes (no rule, no map slot, no file);
//   with it: the rule's slot appears in <pin>/map, the rules file holds it, a restart keeps it
//   (same rule, same resource id in the same map epoch).
// - --trust-dashboard-address lets that one address push without a token.
// - SIGKILL the collector while a rule rejects everything: the gateway's answers turn to 200 once
//   the slots go stale (fail open), and nothing errors.
// - Sentinel's switch: setSwitch?value=false (with the token) and the gateway passes what the rule
//   refused, the rule still in force for getRules; value=true and it refuses again.

import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { VerdictKind } from '@sentinel-wasi/protocol/encode';
import { CLI_BIN, runProcess, tempDir } from '../helpers/repo.js';
import { healthOf, mapVerdict, send, serveGateway, startCollector, waitFor } from './flow-support.js';

const FORM = 'application/x-www-form-urlencoded';
const RULE = [{ resource: 'GET /limited', count: 0, grade: 1 }];

function setRules(url: string, rules: unknown, headers: Record<string, string> = {}): Promise<Response> {
  // As the dashboard sends it: form fields type and data, data encoded for the form (Sentinel decodes it once more).
  const body = `type=flow&data=${encodeURIComponent(encodeURIComponent(JSON.stringify(rules)))}`;
  return fetch(`${url}/setRules`, { method: 'POST', headers: { 'content-type': FORM, ...headers }, body });
}

t.test('setRules: refused without the token, applied and persisted with it, kept across a restart', async (t) => {
  const pin = await tempDir(t, 'flow-rules');
  let collector = await startCollector(pin);
  t.teardown(() => collector.stop());
  const rulesFile = join(pin, 'rules', 'flow.json');

  const none = await setRules(collector.url, RULE);
  t.equal(none.status, 401);
  const wrong = await setRules(collector.url, RULE, { authorization: 'Bearer not-the-token' });
  t.equal(wrong.status, 403);
  t.same(JSON.parse(await (await fetch(`${collector.url}/getRules?type=flow`)).text()), [], 'no rule in force');
  t.notOk(existsSync(rulesFile), 'no rules file written');
  t.equal(mapVerdict(pin, 'GET /limited').outcome, 'miss', 'no slot');

  const sentAt = Date.now();
  const ok = await setRules(collector.url, RULE, { authorization: `Bearer ${collector.token}` });
  t.same([ok.status, await ok.text()], [200, 'success']);
  const answeredAt = Date.now();
  const slot = await waitFor('the rule in the map', () => {
    const v = mapVerdict(pin, 'GET /limited');
    return v.outcome === 'hit' ? { v, atMs: Date.now() } : undefined;
  }, 5000, 5);
  t.comment(`slot seen ${slot.atMs - answeredAt} ms after the answer (${slot.atMs - sentAt} ms after sending)`);
  t.same([slot.v.kind, slot.v.param], [VerdictKind.ADMIT, 0], 'count 0: admit nothing');
  t.same(JSON.parse(readFileSync(rulesFile, 'utf8')).map((r: { resource: string; count: number }) => [r.resource, r.count]), [['GET /limited', 0]], 'persisted');
  const health = await healthOf<{ rules: { flow: { active: number }; map: { slotsUsed: number; epoch: number } } }>(collector);
  t.same([health.rules.flow.active, health.rules.map.slotsUsed], [1, 1]);

  t.equal(await collector.stop('SIGTERM'), 0);
  collector = await startCollector(pin);
  t.same(JSON.parse(await (await fetch(`${collector.url}/getRules?type=flow`)).text()).map((r: { resource: string }) => r.resource), ['GET /limited'], 'the restarted collector has the rule');
  const again = await waitFor('the rule in the map after the restart', () => {
    const v = mapVerdict(pin, 'GET /limited');
    return v.outcome === 'hit' ? v : undefined;
  });
  t.equal(again.resourceId, slot.v.resourceId, 'same resource id');
  const health2 = await healthOf<{ rules: { map: { epoch: number } } }>(collector);
  t.equal(health2.rules.map.epoch, health.rules.map.epoch, 'same map epoch');

  // A set with one invalid rule: the valid one is applied, the invalid one reported alone.
  const partial = await setRules(collector.url, [{ resource: 'GET /a', count: 5, grade: 1 }, { resource: 'GET /b', count: 5, grade: 7 }], { authorization: `Bearer ${collector.token}` });
  t.equal(partial.status, 200);
  t.match(await partial.text(), /^partial success: 1 rule\(s\) in force, 1 rejected: rule 1: E_RULE_/);
  const h3 = await healthOf<{ rules: { flow: { active: number; rejected: Array<{ index: number; code: string }> } } }>(collector);
  t.same([h3.rules.flow.active, h3.rules.flow.rejected.map((r) => r.index)], [1, [1]], 'health shows the rejected rule');
  await waitFor('GET /limited cleared from the map', () => mapVerdict(pin, 'GET /limited').outcome === 'miss');
});

t.test('--trust-dashboard-address: that address pushes rules without a token', async (t) => {
  const pin = await tempDir(t, 'flow-trust');
  const collector = await startCollector(pin, ['--trust-dashboard-address', '127.0.0.1']);
  t.teardown(() => collector.stop());
  const r = await setRules(collector.url, RULE);
  t.same([r.status, await r.text()], [200, 'success']);
  t.same(JSON.parse(await (await fetch(`${collector.url}/getRules?type=flow`)).text()).length, 1);
  const wrong = await setRules(collector.url, [], { authorization: 'Bearer wrong' });
  t.same([wrong.status, await wrong.text()], [403, 'Forbidden: wrong token (E_FORBIDDEN)'], 'a wrong token is refused even from the trusted address');
  t.same(JSON.parse(await (await fetch(`${collector.url}/getRules?type=flow`)).text()).length, 1, 'the rule stays');
  t.match(collector.log(), /"trustDashboardAddress":"127\.0\.0\.1".*may push rules without the token/, 'the start-up log says which address is trusted');
});

t.test('--trust-dashboard-address takes an IP address only', async (t) => {
  const pin = await tempDir(t, 'flow-trust-name');
  for (const bad of ['localhost', 'not an ip', '127.0.0.1:8080']) {
    const r = await runProcess(process.execPath, [CLI_BIN, 'collector', '--pin', pin, '--port', '0', '--trust-dashboard-address', bad]);
    t.equal(r.code, 2, bad);
    t.notOk(existsSync(join(pin, 'PIN')), 'nothing is made in the pin');
    t.equal(r.stderr.trim().split("\n")[0], `sentinel-wasi collector: --trust-dashboard-address must be an IP address as requests come from it (e.g. 127.0.0.1 or ::1), got ${JSON.stringify(bad)} (E_USAGE)`);
  }
});

t.test('kill the collector: filters fail open within a few seconds, nothing errors', async (t) => {
  const pin = await tempDir(t, 'flow-kill');
  const collector = await startCollector(pin);
  t.teardown(() => collector.stop('SIGKILL'));
  t.same((await setRules(collector.url, RULE, { authorization: `Bearer ${collector.token}` })).status, 200);
  const server = await serveGateway(pin);
  t.teardown(() => server.stop());
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  t.teardown(() => agent.destroy());
  await waitFor('the gateway to refuse GET /limited', async () => (await send(agent, server.url, '/limited')).status === 429);
  const killedAt = Date.now();
  await collector.stop('SIGKILL');
  const statuses: number[] = [];
  const openAt = await waitFor('the gateway to pass GET /limited', async () => {
    const r = await send(agent, server.url, '/limited');
    statuses.push(r.status);
    return r.status === 200 ? Date.now() : undefined;
  }, 15_000, 50);
  t.comment(`fail open ${openAt - killedAt} ms after SIGKILL (slots trusted for 3000 ms after their last refresh)`);
  t.same([...new Set(statuses)].filter((s) => s !== 200 && s !== 429), [], 'only 429 then 200, never an error');
  const after = await Promise.all(Array.from({ length: 40 }, () => send(agent, server.url, '/limited')));
  t.same([...new Set(after.map((a) => a.status))], [200], 'every request passes');
  const { code, stderr } = await server.stop();
  t.equal(code, 0);
  t.match(stderr, /\(0 failed\)/);
});

t.test('setSwitch: off, a rule is kept but not enforced; on, enforced again', async (t) => {
  const pin = await tempDir(t, 'flow-switch');
  const collector = await startCollector(pin);
  t.teardown(() => collector.stop());
  const auth = { authorization: `Bearer ${collector.token}` };
  t.same((await setRules(collector.url, RULE, auth)).status, 200);
  const server = await serveGateway(pin);
  t.teardown(() => server.stop());
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  t.teardown(() => agent.destroy());
  const statusOf = async () => (await send(agent, server.url, '/limited')).status;
  await waitFor('the gateway to refuse GET /limited', async () => (await statusOf()) === 429);
  const setSwitch = async (value: string, headers: Record<string, string> = auth) => {
    const r = await fetch(`${collector.url}/setSwitch?value=${value}`, { headers });
    return [r.status, await r.text()];
  };
  t.same((await setSwitch('false', {}))[0], 401, 'no token: refused');
  t.equal(await statusOf(), 429, 'still enforced');

  const offAt = Date.now();
  t.same(await setSwitch('false'), [200, 'Sentinel set switch value: false']);
  const passAt = await waitFor('the gateway to pass GET /limited', async () => ((await statusOf()) === 200 ? Date.now() : undefined), 5000, 10);
  t.comment(`passing ${passAt - offAt} ms after setSwitch`);
  const off = await Promise.all(Array.from({ length: 20 }, () => statusOf()));
  t.same([...new Set(off)], [200], 'every request passes while the switch is off');
  t.same(JSON.parse(await (await fetch(`${collector.url}/getRules?type=flow`)).text()).map((r: { resource: string }) => r.resource), ['GET /limited'], 'the rule is still in force');
  t.same([(await healthOf<{ rules: { switchOn: boolean } }>(collector)).rules.switchOn, await (await fetch(`${collector.url}/getSwitch`)).text()], [false, 'Sentinel switch value: false']);
  t.match(collector.log(), /"switchOn":false.*Sentinel switch off: no rule is enforced/, 'a warn line says so');

  t.same(await setSwitch('true'), [200, 'Sentinel set switch value: true']);
  await waitFor('the gateway to refuse GET /limited again', async () => (await statusOf()) === 429, 5000, 10);
  t.equal((await healthOf<{ rules: { switchOn: boolean } }>(collector)).rules.switchOn, true);
  const { code, stderr } = await server.stop();
  t.equal(code, 0);
  t.match(stderr, /\(0 failed\)/);
});

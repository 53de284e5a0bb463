// Sentinel transport commands over real loopback HTTP, parsed the way the Sentinel dashboard parses them.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { RuleFiles } from '../../src/rules/rule-files.js';
import { setRulesAnswer } from '../../src/http/transport.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { metricLogBaseName } from '../../src/metriclog/line.js';
import { line, writeMetricFile } from '../metriclog-read/fixture.js';
import { FixedStatsQuery, node, NODE_VO_FIELDS, parseMetricBodyAsDashboard } from './fixed-query.js';
import { fileRules } from './rules-server.js';
import type { StatsQuery } from '../../src/stats/types.js';

const T = 1764120000000;
const NOW = T + 30_000;
const dir = mkdtempSync(join(tmpdir(), 'sw-http-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const base = metricLogBaseName('demo.app');
const lines = [];
for (let s = 0; s < 10; s++) {
  lines.push(line(T + s * 1000, '/api/订单', s + 1, { block: 1, exception: s % 2, rtMs: 7, classification: 1 }));
  lines.push(line(T + s * 1000, 'GET|/x', 100 + s, { concurrency: 3 }));
}
writeMetricFile(dir, `${base}.2025-11-26`, lines.slice(0, 10));
writeMetricFile(dir, `${base}.2025-11-26.1`, lines.slice(10));

const query = new FixedStatsQuery([
  node('/api/订单', '', { passQps: 12.5, blockQps: 2, successQps: 11, exceptionQps: 1.9, avgRtMs: 8.75 }, { pass: 700, block: 30, success: 690, exception: 20 }, 4),
  node('/api/订单', 'app-b', { passQps: 2 }, { pass: 100 }),
  node('idle', '', {}, {}),
  node('a-very-long-resource-name', '', { passQps: 1 }, { pass: 1 }),
]);

async function start(token?: string): Promise<RunningHttpServer> {
  const s = await startHttpServer({ query, app: 'demo.app', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => NOW, token, hostIp: '10.0.0.7' });
  t.teardown(() => s.close());
  return s;
}

const server = await start('s3cret');
const get = async (path: string, init?: RequestInit) => {
  const res = await fetch(server.url + path, init);
  return { status: res.status, body: await res.text(), headers: res.headers };
};

t.test('binds loopback', async (t) => {
  t.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
});

t.test('metric: the dashboard fetch (startTime, endTime, refetch) returns 10-field thin lines', async (t) => {
  const r = await get(`/metric?startTime=${T + 3000}&endTime=${T + 9000}&refetch=false`);
  t.equal(r.status, 200);
  t.equal(r.headers.get('connection'), 'close');
  t.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.equal(r.headers.get('content-length'), String(Buffer.byteLength(r.body)));
  const parsed = parseMetricBodyAsDashboard(r.body);
  t.equal(parsed.length, 14, 'seconds 3..9 inclusive, two resources each, across the rolled file');
  t.ok(parsed.every((p) => p.fields === 10));
  t.same(parsed[0], { timestamp: T + 3000, resource: '/api/订单', passQps: 4, blockQps: 1, successQps: 4, exceptionQps: 1, rt: 7, occupiedPassQps: 0, concurrency: 0, classification: 1, fields: 10 });
  t.same(parsed[1]!.resource, 'GET_/x', '| in a name arrives as _');
  t.equal(parsed[13]!.timestamp, T + 9000);
  t.equal(r.body.split('\n')[0], `${T + 3000}|/api/订单|4|1|4|1|7|0|0|1`);
  t.ok(r.body.endsWith('\n'));
});

t.test('metric: identity, maxLines without endTime, blank and bad parameters', async (t) => {
  const id = encodeURIComponent('/api/订单');
  const byId = parseMetricBodyAsDashboard((await get(`/metric?startTime=${T}&endTime=${T + 2000}&identity=${id}`)).body);
  t.same(byId.map((p) => p.passQps), [1, 2, 3]);
  const few = parseMetricBodyAsDashboard((await get(`/metric?startTime=${T + 8000}&maxLines=1`)).body);
  t.same(few.map((p) => `${p.timestamp - T}:${p.resource}`), ['8000:/api/订单', '8000:GET_/x'], 'a second is never split');
  t.same((await get('/metric?startTime=&endTime=1')).body, '', 'blank startTime: empty answer');
  t.same(await get('/metric').then((r) => [r.status, r.body]), [200, '']);
  const bad = await get('/metric?startTime=yesterday');
  t.equal(bad.status, 400);
  t.equal(bad.body, 'Invalid parameter startTime: "yesterday" is not an integer (E_PARAM_INTEGER)');
  t.equal((await get(`/metric?startTime=${T}&endTime=soon`)).status, 400);
  t.same((await get(`/metric?startTime=${T + 60_000}&endTime=${T + 70_000}`)).body, '', 'nothing logged then');
});

t.test('metric: an integer beyond ±(2^53 − 1) is out of range, and the answer says which range is accepted', async (t) => {
  const range = (name: string, v: string): string => `Invalid parameter ${name}: ${v} is out of range; an integer from -9007199254740991 to 9007199254740991 is accepted (E_PARAM_RANGE)`;
  for (const v of ['9007199254740993', '9007199254740992', '99999999999999999999', '-9007199254740992']) {
    t.same(await get(`/metric?startTime=${v}&endTime=${T}`).then((r) => [r.status, r.body]), [400, range('startTime', v)], v);
  }
  t.same(await get(`/metric?startTime=${T}&endTime=12345678901234567`).then((r) => [r.status, r.body]), [400, range('endTime', '12345678901234567')]);
  t.same(await get(`/metric?startTime=${T}&maxLines=%2B9007199254740993`).then((r) => [r.status, r.body]), [400, range('maxLines', '+9007199254740993')]);
  t.same(await get('/metric?startTime=1.5').then((r) => [r.status, r.body]), [400, 'Invalid parameter startTime: "1.5" is not an integer (E_PARAM_INTEGER)']);
  t.same(await get('/metric?startTime=1e3').then((r) => [r.status, r.body]), [400, 'Invalid parameter startTime: "1e3" is not an integer (E_PARAM_INTEGER)']);
  // The largest accepted values are taken (nothing logged that far out).
  t.same(await get(`/metric?startTime=9007199254740991&endTime=9007199254740991`).then((r) => [r.status, r.body]), [200, '']);
  t.same(await get(`/metric?startTime=0000000000000000000${T}&endTime=${T}`).then((r) => [r.status, parseMetricBodyAsDashboard(r.body).length]), [200, 2], 'leading zeros, as Long.parseLong takes them');
});

t.test('metric over POST with a form body, as Sentinel accepts it', async (t) => {
  const body = `startTime=${T}&endTime=${T}`;
  const r = await get('/metric', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body });
  t.equal(r.status, 200);
  t.equal(parseMetricBodyAsDashboard(r.body).length, 2);
  const json = await get('/metric', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  t.same([json.status, json.body], [415, 'Only form-encoded post request is supported (E_UNSUPPORTED_MEDIA_TYPE)']);
  const empty = await get('/metric', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  t.same([empty.status, empty.body], [411, 'Content-Length of at least 1 is required: a POST sends its parameters as a form body with its length (not empty, not chunked), as Sentinel takes them; or send them in the query string (E_LENGTH_REQUIRED)']);
});

t.test('clusterNode: a JSON array of NodeVo with the dashboard field names', async (t) => {
  const r = await get('/clusterNode');
  t.equal(r.status, 200);
  const list = JSON.parse(r.body) as Array<Record<string, unknown>>;
  t.same(list.map((n) => n.resource), ['/api/订单', 'a-very-long-resource-name', 'idle']);
  for (const n of list) t.same(Object.keys(n).sort(), NODE_VO_FIELDS);
  t.same(list[0], {
    averageRt: 8,
    blockQps: 2,
    exceptionQps: 1,
    oneMinuteBlock: 30,
    oneMinuteException: 20,
    oneMinutePass: 700,
    oneMinuteTotal: 730,
    passQps: 12,
    resource: '/api/订单',
    successQps: 11,
    threadNum: 4,
    timestamp: NOW,
    totalQps: 14,
  });
  const notZero = JSON.parse((await get('/clusterNode?type=notZero')).body) as Array<{ resource: string }>;
  t.same(notZero.map((n) => n.resource), ['/api/订单', 'a-very-long-resource-name']);
  t.same(JSON.parse((await get(`/clusterNodeById?id=${encodeURIComponent('/api/订单')}`)).body).oneMinuteTotal, 730);
  t.equal((await get('/clusterNodeById?id=nope')).body, '{}');
});

t.test('cnode: Sentinel fixed-width table', async (t) => {
  const r = await get('/cnode?id=api');
  t.equal(r.status, 200);
  const w = '/api/订单'.length + 1;
  const row = (c: string[]) => c.map((x, i) => x.padEnd([4, w, 10, 10, 10, 11, 9, 6, 10, 11, 9, 11][i]!)).join('') + '\n';
  t.equal(
    r.body,
    row(['idx', 'id', 'thread', 'pass', 'blocked', 'success', 'total', 'aRt', '1m-pass', '1m-block', '1m-all', 'exception']) +
      row(['1', '/api/订单', '4', '12.5', '2.0', '11.0', '14.5', '8.75', '700', '30', '730', '1.9']),
  );
  const none = await get('/cnode?id=nothing-matches');
  t.same([none.status, none.body.split('\n')], [200, ['idx id thread    pass      blocked   success    total    aRt   1m-pass   1m-block   1m-all   exception  ', '']], 'no match: the header alone, id and thread apart');
  const missing = await get('/cnode');
  t.same([missing.status, missing.body], [400, 'Invalid parameter: empty clusterNode name']);
});

t.test('version, api, basicInfo, unknown commands', async (t) => {
  t.same(await get('/version').then((r) => [r.status, r.body]), [200, '1.8.9']);
  const api = JSON.parse((await get('/api')).body) as Array<{ url: string; desc: string }>;
  t.same(api.map((a) => a.url), ['/metric', '/clusterNode', '/clusterNodeById', '/jsonTree', '/tree', '/cnode', '/origin', '/version', '/api', '/basicInfo', '/systemStatus', '/getRules', '/getParamFlowRules', '/getClusterMode', '/setRules', '/getSwitch', '/setSwitch']);
  t.same(await get('/systemStatus').then((r) => [r.status, r.body]), [200, '{"b":0.0,"r":0.0,"t":0,"qps":0.0,"rqps":0.0}'], 'no total node in this query: zeros');
  const info = JSON.parse((await get('/basicInfo')).body) as { machine: string; ip: string };
  t.equal(info.ip, '10.0.0.7');
  t.type(info.machine, 'string');
  const unknown = await get('/setParamFlowRules?x=1');
  t.same([unknown.status, unknown.body], [400, 'Unknown command `setParamFlowRules`'], 'the dashboard detects a missing command by 400 + "Unknown command"');
  t.equal((await get('/cluster/server/info')).body, 'Unknown command `cluster/server/info`');
  t.equal((await get('/version', { method: 'PUT' })).status, 405);
});

t.test('the dashboard\'s rule and cluster reads: empty rule arrays, cluster mode not started', async (t) => {
  for (const type of ['flow', 'degrade', 'authority', 'system', 'FLOW']) {
    const r = await get(`/getRules?type=${type}`);
    t.same([r.status, JSON.parse(r.body)], [200, []], `getRules?type=${type} is an empty JSON array`);
  }
  t.same(await get('/getRules?type=param').then((r) => [r.status, r.body]), [400, 'invalid type (E_RULES_TYPE)']);
  t.same(await get('/getRules').then((r) => [r.status, r.body]), [400, 'invalid type (E_RULES_TYPE)']);
  t.same(await get('/getParamFlowRules').then((r) => [r.status, JSON.parse(r.body)]), [200, []]);
  const mode = await get('/getClusterMode');
  t.equal(mode.status, 200);
  // The dashboard binds this body to ClusterStateSimpleEntity {mode, lastModified, clientAvailable, serverAvailable}.
  t.same(JSON.parse(mode.body), { mode: -1, lastModified: -1, clientAvailable: false, serverAvailable: false });
});

t.test('setRules needs the token (GET or POST); with it and no rules loaded the command answers 503', async (t) => {
  const url = '/setRules?type=flow&data=%5B%5D';
  const none = await get(url);
  t.equal(none.status, 401);
  t.equal(none.headers.get('www-authenticate'), 'Bearer');
  t.equal((await get(url, { headers: { authorization: 'Bearer wrong' } })).status, 403);
  const okToken = await get(url, { headers: { authorization: 'Bearer s3cret' } });
  t.same([okToken.status, okToken.body], [503, 'rules are not loaded by this collector (E_NO_RULES)']);
  const noTokenServer = await start(undefined);
  const r = await fetch(`${noTokenServer.url}${url}`, { headers: { authorization: 'Bearer s3cret' } });
  t.equal(r.status, 403);
});

t.test('setRules and getRules with real rule files: form fields as the dashboard sends them, data URL-decoded once more, invalid rules refused alone, persisted', async (t) => {
  const rulesDir = mkdtempSync(join(tmpdir(), 'sw-rules-'));
  t.teardown(() => rmSync(rulesDir, { recursive: true, force: true }));
  const files = new RuleFiles(rulesDir);
  const rules = fileRules(files);
  const s = await startHttpServer({ query, app: 'demo.app', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => NOW, token: 'tok', rules, trustDashboardAddress: '10.9.9.9' });
  t.teardown(() => s.close());
  const post = (body: string, auth = 'Bearer tok') => fetch(`${s.url}/setRules`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: auth }, body });
  const data = JSON.stringify([{ resource: 'GET /a', count: 40, grade: 1 }, { resource: 'GET /b', count: -1, grade: 1 }]);
  // The dashboard encodes data for the form, and Sentinel decodes it once more: encode twice.
  const r = await post(`type=flow&data=${encodeURIComponent(encodeURIComponent(data))}`);
  const body = await r.text();
  t.equal(r.status, 200);
  t.match(body, /^partial success: 1 rule\(s\) in force, 1 rejected: rule 1: E_RULE_/);
  t.same(JSON.parse(readFileSync(join(rulesDir, 'flow.json'), 'utf8')).map((x: { resource: string }) => x.resource), ['GET /a'], 'persisted: the valid rule');
  const got = await fetch(`${s.url}/getRules?type=FLOW`);
  t.same(JSON.parse(await got.text()).map((x: { resource: string; count: number }) => [x.resource, x.count]), [['GET /a', 40]]);
  t.same(JSON.parse(await (await fetch(`${s.url}/getRules?type=authority`)).text()), []);
  t.same([(await fetch(`${s.url}/getRules?type=nope`)).status], [400]);
  const notJson = await post(`type=flow&data=${encodeURIComponent('[{')}`);
  t.equal(notJson.status, 400);
  t.match(await notJson.text(), /E_RULES_JSON.*unchanged/);
  t.equal(files.rules('flow').length, 1, 'the set in force is kept');
  t.equal((await post('type=flow&data=%5B%5D', 'Bearer nope')).status, 403);
  t.equal(files.rules('flow').length, 1, 'a wrong token changes nothing');
  t.same(await post('type=system&data=%5B%5D').then(async (x) => [x.status, await x.text()]), [400, 'system rules are not supported (E_RULES_TYPE)']);
  t.same(await post('type=bad&data=%5B%5D').then(async (x) => [x.status, await x.text()]), [400, 'invalid type (E_RULES_TYPE)']);
  t.same(await post('type=flow').then(async (x) => [x.status, await x.text()]), [400, 'Bad data (E_RULES_DATA)']);
  t.same(await post('type=flow&data=%20').then(async (x) => [x.status, await x.text()]), [400, 'Bad data (E_RULES_DATA)'], 'blank data');
  // %E0%A4%A once the form is decoded: Sentinel's second decode fails.
  t.same(await post('type=flow&data=%25E0%25A4%25A').then(async (x) => [x.status, await x.text()]), [400, 'decode rule data error (E_RULES_DECODE)']);
  // A broken escape in the form itself: the pair is skipped, but the answer says it was malformed, not missing.
  t.same(await post('type=flow&data=%5B%zz%5D').then(async (x) => [x.status, await x.text()]), [400, 'decode rule data error (E_RULES_DECODE)'], 'broken escape in the form');
  t.same(await post('type=flow&data=%zz&data=%20').then(async (x) => [x.status, await x.text()]), [400, 'Bad data (E_RULES_DATA)'], 'a later pair that decodes wins');
  t.equal(files.rules('flow').length, 1, 'refused pushes change nothing');
  t.same(await get('/setRules?type=flow&data=%25zz', { headers: { authorization: 'Bearer s3cret' } }).then((x) => [x.status, x.body]), [503, 'rules are not loaded by this collector (E_NO_RULES)'], 'rules not loaded comes first');
  // Names with '+' and '%' (README "Flow control"): encoded once, as a hand-written curl does, the second
  // decode turns '+' into a space; encoded twice they arrive as written.
  const odd = JSON.stringify([{ resource: 'GET /a+b', count: 5 }]);
  t.same(await post(`type=flow&data=${encodeURIComponent(odd)}`).then(async (x) => [x.status, await x.text()]), [200, 'success']);
  t.same(files.rules('flow').map((x) => x.resource), ['GET /a b'], 'encoded once: + became a space');
  t.same(await post(`type=flow&data=${encodeURIComponent('[{"resource":"GET /100%","count":5}]')}`).then(async (x) => [x.status, await x.text()]), [400, 'decode rule data error (E_RULES_DECODE)'], 'encoded once: a bare %');
  const both = JSON.stringify([{ resource: 'GET /a+b', count: 5 }, { resource: 'GET /100%', count: 6 }]);
  t.same(await post(`type=flow&data=${encodeURIComponent(encodeURIComponent(both))}`).then(async (x) => [x.status, await x.text()]), [200, 'success']);
  t.same(files.rules('flow').map((x) => x.resource), ['GET /a+b', 'GET /100%'], 'encoded twice: as written');
  t.same(await post('type=flow&data=%5B%5D').then(async (x) => [x.status, await x.text()]), [200, 'success']);
  t.equal(readFileSync(join(rulesDir, 'flow.json'), 'utf8'), '[]\n');
});

t.test('setRules: too many rules, a set that rejects every rule, reasons bounded, a file that cannot be written', async (t) => {
  const rulesDir = mkdtempSync(join(tmpdir(), 'sw-rules-'));
  t.teardown(() => rmSync(rulesDir, { recursive: true, force: true }));
  const files = new RuleFiles(rulesDir);
  const rules = fileRules(files);
  const s = await startHttpServer({ query, app: 'demo.app', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => NOW, token: 'tok', rules });
  t.teardown(() => s.close());
  const push = async (type: string, data: unknown): Promise<[number, string]> => {
    const r = await fetch(`${s.url}/setRules`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer tok' },
      body: `type=${type}&data=${encodeURIComponent(encodeURIComponent(JSON.stringify(data)))}`,
    });
    return [r.status, await r.text()];
  };
  const breaker = { resource: 'p', grade: 2, count: 1, timeWindow: 10 };
  t.same(await push('degrade', [breaker]), [200, 'success']);
  const file = readFileSync(join(rulesDir, 'degrade.json'), 'utf8');

  // More than 2048 entries, valid rules or not: refused as a whole, nothing changes.
  const many = Array.from({ length: 2049 }, (_, i) => ({ ...breaker, resource: `r${i}` }));
  t.same(await push('degrade', many), [400, 'a degrade rule set may hold at most 2048 rules, got 2049 (E_RULES_TOO_MANY); the rules in force are unchanged']);
  t.same(await push('degrade', Array.from({ length: 30_001 }, () => 1)), [400, 'a degrade rule set may hold at most 2048 rules, got 30001 (E_RULES_TOO_MANY); the rules in force are unchanged']);
  t.same([files.rules('degrade').map((r) => r.resource), readFileSync(join(rulesDir, 'degrade.json'), 'utf8')], [['p'], file], 'nothing changed');

  // The same breaker rule rewritten with "count":"1": it replaces the rule in force, and says so.
  t.same(await push('degrade', [{ ...breaker, count: '1' }]), [200, 'partial success: 0 rule(s) in force, 1 rejected (the 1 rule in force before is dropped): rule 0: E_RULE_COUNT: count must be a number ≥ 0, got "1"']);
  t.equal(files.rules('degrade').length, 0);

  // 2048 entries, none a rule: 20 reasons, then how many more.
  const [status, body] = await push('degrade', Array.from({ length: 2048 }, () => 1));
  const reasons = Array.from({ length: 20 }, (_, i) => `rule ${i}: E_RULE_NOT_OBJECT: a rule must be a JSON object`).join('; ');
  t.same([status, body], [200, `partial success: 0 rule(s) in force, 2048 rejected (no rule was in force before): ${reasons}; and 2028 more rejected`]);

  // Some taken, more than 20 refused.
  const mixed = [breaker, ...Array.from({ length: 21 }, () => ({ ...breaker, timeWindow: 0 }))];
  const [, partial] = await push('degrade', mixed);
  t.equal(partial, `partial success: 1 rule(s) in force, 21 rejected: ${Array.from({ length: 20 }, (_, i) => `rule ${i + 1}: E_RULE_TIME_WINDOW: timeWindow must be an integer ≥ 1, got 0`).join('; ')}; and 1 more rejected`);

  // The file cannot be written (a directory in its place): a failure with its code, nothing changes.
  const path = join(rulesDir, 'degrade.json');
  rmSync(path);
  mkdirSync(path);
  const [wStatus, wBody] = await push('degrade', [{ ...breaker, resource: 'q' }]);
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  t.equal(wStatus, 400);
  t.match(wBody, new RegExp(`^cannot write ${escaped}: EISDIR: illegal operation on a directory, rename '${escaped}\\.tmp-[0-9a-f]{16}' -> '${escaped}' \\(E_RULES_WRITE\\); the rules in force are unchanged$`));
  t.same(files.rules('degrade').map((r) => r.resource), ['p'], 'the rule in force before the push stays');
});

t.test('setRulesAnswer: success, the reasons listed and counted', async (t) => {
  t.equal(setRulesAnswer({ active: 3, activeBefore: 0, rejected: [], rejectedTotal: 0 }), 'success');
  t.equal(setRulesAnswer({ active: 0, activeBefore: 0, rejected: [], rejectedTotal: 0 }), 'success', 'an empty set clears the rules: success');
  const r = { index: 2, code: 'E_RULE_COUNT', reason: 'count is required' };
  t.equal(setRulesAnswer({ active: 1, activeBefore: 5, rejected: [r], rejectedTotal: 1 }), 'partial success: 1 rule(s) in force, 1 rejected: rule 2: E_RULE_COUNT: count is required');
  t.equal(setRulesAnswer({ active: 0, activeBefore: 5, rejected: [r], rejectedTotal: 1 }), 'partial success: 0 rule(s) in force, 1 rejected (the 5 rules in force before are dropped): rule 2: E_RULE_COUNT: count is required');
  const forty = Array.from({ length: 40 }, (_, i) => ({ ...r, index: i }));
  const answer = setRulesAnswer({ active: 0, activeBefore: 1, rejected: forty, rejectedTotal: 100 });
  t.equal(answer.split('; rule ').length, 20, 'at most 20 reasons, whatever the control hands over');
  t.match(answer, /; rule 19: E_RULE_COUNT: count is required; and 80 more rejected$/);
});

t.test('a port in use is a clear error; portAttempts searches upward', async (t) => {
  const port = Number(new URL(server.url).port);
  await t.rejects(startHttpServer({ query, app: 'a', metricDir: dir, host: '127.0.0.1', port, nowMs: () => NOW }), { code: 'E_HTTP_LISTEN' });
  const next = await startHttpServer({ query, app: 'a', metricDir: dir, host: '127.0.0.1', port, nowMs: () => NOW, portAttempts: 3 });
  t.teardown(() => next.close());
  t.not(Number(new URL(next.url).port), port);
});

t.test('jsonTree: pre-order NodeVo list, machine-root → the default context\'s entrance → every resource', async (t) => {
  const tree = JSON.parse((await get('/jsonTree')).body) as Array<Record<string, any>>;
  t.same(tree.map((n) => n.resource), ['machine-root', 'sentinel_default_context', '/api/订单', 'a-very-long-resource-name', 'idle']);
  const [root, entrance] = tree as [Record<string, any>, Record<string, any>];
  t.notOk('parentId' in root);
  t.match(root.id, /^[0-9a-f-]{36}$/);
  t.equal(entrance.parentId, root.id);
  for (const n of tree.slice(1)) t.same(Object.keys(n), [...NODE_VO_FIELDS, 'id', 'parentId'].sort(), 'fastjson key order');
  for (const n of tree.slice(2)) t.equal(n.parentId, entrance.id);
  // Pass 12.5 + 1 = 13.5 → 13; RT weighted by pass: (8.75 · 12.5 + 0 · 1) / 13.5 = 8.1 → 8.
  for (const e of [root, entrance]) t.same([e.passQps, e.blockQps, e.oneMinuteTotal, e.threadNum, e.averageRt], [13, 2, 731, 4, 8]);
});

t.test('tree: Sentinel\'s text tree; id names an entrance', async (t) => {
  const r = await get('/tree');
  t.equal(r.status, 200);
  const sums = 't:4 pq:13.5 bq:2.0 tq:15.5 rt:8.101851851851851 prq:11.0 1mp:701 1mb:30 1mt:731';
  const subtree = (level: number) =>
    `${'-'.repeat(level)}EntranceNode: sentinel_default_context(${sums})\n` +
    `${'-'.repeat(level + 1)}/api/订单(t:4 pq:12.5 bq:2.0 tq:14.5 rt:8.75 prq:11.0 1mp:700 1mb:30 1mt:730)\n` +
    `${'-'.repeat(level + 1)}a-very-long-resource-name(t:0 pq:1.0 bq:0.0 tq:1.0 rt:0.0 prq:0.0 1mp:1 1mb:0 1mt:1)\n` +
    `${'-'.repeat(level + 1)}idle(t:0 pq:0.0 bq:0.0 tq:0.0 rt:0.0 prq:0.0 1mp:0 1mb:0 1mt:0)\n`;
  const legend = '\r\n\r\nt:threadNum  pq:passQps  bq:blockQps  tq:totalQps  rt:averageRt  prq: passRequestQps 1mp:1m-pass 1mb:1m-block 1mt:1m-total\r\n';
  t.equal(r.body, `EntranceNode: machine-root(${sums})\n` + subtree(1) + legend);
  t.equal((await get('/tree?id=sentinel_default_context')).body, subtree(0) + legend);
  t.equal((await get('/tree?id=nothing')).body, legend, 'no entrance named so: the legend alone');
});

t.test('origin: the per-origin table of a resource, named exactly or by a part', async (t) => {
  const table =
    'id: /api/订单\n\n' +
    'idx origin threadNum passQps   blockQps   totalQps aRt   1m-pass   1m-block   1m-total \n' +
    '1   app-b  0         2.0       0.0        2.0      0.0   100       0          100      \n';
  const exact = await get(`/origin?id=${encodeURIComponent('/api/订单')}`);
  t.same([exact.status, exact.body], [200, table]);
  t.equal((await get(`/origin?id=${encodeURIComponent('订')}`)).body, table, 'a part of the name');
  t.equal((await get('/origin?id=idle')).body, 'id: idle\n\nidx origin threadNum passQps   blockQps   totalQps aRt   1m-pass   1m-block   1m-total \n', 'no origins: the header alone');
  t.same(await get('/origin?id=nope').then((r) => [r.status, r.body]), [200, 'Not find cNode with id nope'], 'Sentinel\'s answer when nothing matches');
  t.same(await get('/origin').then((r) => [r.status, r.body]), [400, 'Invalid parameter: empty clusterNode name']);
});

t.test('origin by a part of the name reads names, not every resource, when the query lists names', async (t) => {
  // A query that can list names: the lookup by part must not snapshot every resource (resourcesAt throws here).
  const names = ['zz/订单', '/api/订单', 'idle', 'a-very-long-resource-name'];
  const listing: StatsQuery = {
    resourcesAt: () => {
      throw new Error('every resource snapshotted');
    },
    resourceAt: (name, nowMs) => query.resourceAt(name, nowMs),
    resourceNames: () => names,
    healthAt: (nowMs) => query.healthAt(nowMs),
  };
  const s = await startHttpServer({ query: listing, app: 'demo.app', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => NOW, hostIp: '10.0.0.7' });
  t.teardown(() => s.close());
  const body = async (path: string) => (await fetch(s.url + path)).text();
  // '/api/订单' is the first by name of the two names holding 订 ('/' sorts before 'z').
  t.equal(await body(`/origin?id=${encodeURIComponent('订')}`), 'id: /api/订单\n\nidx origin threadNum passQps   blockQps   totalQps aRt   1m-pass   1m-block   1m-total \n1   app-b  0         2.0       0.0        2.0      0.0   100       0          100      \n');
  t.equal(await body('/origin?id=nope'), 'Not find cNode with id nope');
});

t.test('a loopback server refuses requests addressed to another host name (DNS rebinding)', async (t) => {
  const { request } = await import('node:http');
  const port = Number(new URL(server.url).port);
  const ask = (host: string | undefined) =>
    new Promise<number>((resolve, reject) => {
      const headers: Record<string, string> = host === undefined ? {} : { host };
      const req = request({ host: '127.0.0.1', port, path: '/version', headers, setHost: host !== undefined }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
  t.equal(await ask('evil.example:' + port), 403);
  t.equal(await ask('localhost:' + port), 200);
  t.equal(await ask('127.0.0.1'), 200);
  t.equal(await ask('[::1]:' + port), 200);
  const { connect } = await import('node:net');
  const raw = await new Promise<string>((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write('GET /version HTTP/1.0\r\n\r\n'));
    let text = '';
    sock.on('data', (d) => (text += d.toString('utf8')));
    sock.on('end', () => resolve(text));
    sock.on('error', reject);
  });
  t.match(raw, /^HTTP\/1\.[01] 200 OK\r\n/, 'an HTTP/1.0 request without Host is answered');
  t.match(raw, /\r\n\r\n1\.8\.9$/);
});

t.test('metric without endTime: maxLines defaults to 6 000 and is capped at 12 000 (whole seconds), as Sentinel\'s handler', async (t) => {
  const big = mkdtempSync(join(tmpdir(), 'sw-http-big-'));
  t.teardown(() => rmSync(big, { recursive: true, force: true }));
  // 130 seconds × 100 resources: 13 000 lines.
  const many = [];
  for (let s = 0; s < 130; s++) for (let r = 0; r < 100; r++) many.push(line(T + s * 1000, `r${String(r).padStart(3, '0')}`, 1));
  writeMetricFile(big, `${base}.2025-11-26`, many);
  const s = await startHttpServer({ query, app: 'demo.app', metricDir: big, host: '127.0.0.1', port: 0, nowMs: () => T + 200_000 });
  t.teardown(() => s.close());
  const count = async (q: string) => (await (await fetch(`${s.url}/metric?startTime=${T}${q}`)).text()).split('\n').filter((l) => l !== '').length;
  t.equal(await count(''), 6000, 'the default');
  t.equal(await count('&maxLines=50000'), 12000, 'capped');
  t.equal(await count('&maxLines=150'), 200, 'a second is never split: 150 lines end inside the second second');
  t.equal(await count(`&endTime=${T + 129_000}`), 13000, 'with endTime: the whole range, no cap');
});

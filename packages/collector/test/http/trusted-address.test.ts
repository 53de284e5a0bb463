// The trusted dashboard address (--trust-dashboard-address) against web pages (CSRF), on a real
// server over 127.0.0.1 with requests carrying exactly the headers given: a /setRules request the
// address alone lets through (no token) is refused 403 E_FORBIDDEN_BROWSER when it carries a
// header only a web browser sends (Origin, Referer, Sec-Fetch-Site, Sec-Fetch-Dest,
// Sec-Fetch-User), from its headers (no body byte asked for or needed), and the rules stay as they
// were; without the token it must be a POST (E_FORBIDDEN_METHOD). The dashboard's requests (POST,
// none of those headers), Node's fetch (Sec-Fetch-Mode alone) and requests with the token go on.
// No answer carries a CORS header.
import t from 'tap';
import { ask, exchange, FORM, rulesForm, rulesServer, TOKEN } from './rules-server.js';

const RULE = [{ resource: 'GET /orders', count: 40, grade: 1 }];
const ATTACK = [{ resource: 'GET /orders', count: 0 }];

const server = await rulesServer(t, { trustDashboardAddress: '127.0.0.1' });
const { port } = server;

const first = await ask(port, 'POST', '/setRules', { 'content-type': FORM, authorization: `Bearer ${TOKEN}` }, rulesForm(RULE));
t.equal(first.body, 'success', 'a rule in force to begin with');
const fileBefore = server.flowFile()!;

const browserRefusal = (header: string): string =>
  `Forbidden: a request from a web browser (it sent ${header}) needs the collector token, even from the trusted dashboard address (E_FORBIDDEN_BROWSER)`;

const MARKERS: Array<[header: string, value: string]> = [
  ['Origin', 'http://evil.example'],
  ['Origin', 'null'],
  ['Referer', 'http://evil.example/page.html'],
  ['Sec-Fetch-Site', 'cross-site'],
  ['Sec-Fetch-Site', 'same-origin'],
  ['Sec-Fetch-Dest', 'empty'],
  ['Sec-Fetch-User', '?1'],
];

t.test('trusted address, no token: a request carrying a browser header is refused 403 E_FORBIDDEN_BROWSER, by POST and by GET, and nothing changes', async (t) => {
  for (const [header, value] of MARKERS) {
    const post = await ask(port, 'POST', '/setRules', { 'content-type': FORM, [header]: value }, rulesForm(ATTACK));
    t.same([post.status, post.body], [403, browserRefusal(header)], `POST with ${header}: ${value}`);
    t.equal(post.headers.connection, 'close');
    const get = await ask(port, 'GET', `/setRules?${rulesForm([])}`, { [header]: value });
    t.same([get.status, get.body], [403, browserRefusal(header)], `GET with ${header}: ${value}`);
  }
  // The review's two requests, as curl sends them.
  const curlForm = `type=flow&data=${encodeURIComponent(JSON.stringify(ATTACK))}`;
  t.same(await ask(port, 'POST', '/setRules', { 'content-type': FORM, origin: 'http://evil.example', 'user-agent': 'curl/8.5.0', accept: '*/*' }, curlForm).then((a) => [a.status, a.body]), [403, browserRefusal('Origin')]);
  t.same(await ask(port, 'GET', '/setRules?type=flow&data=%5B%5D', { 'sec-fetch-site': 'cross-site' }).then((a) => [a.status, a.body]), [403, browserRefusal('Sec-Fetch-Site')]);
  t.equal(server.flowFile(), fileBefore, 'the rules file is unchanged');
  t.same(server.files.rules('flow').map((r) => [r.resource, r.count]), [['GET /orders', 40]], 'the rule in force is unchanged');
});

t.test('trusted address, browser header: refused from the headers, before any body byte (none sent, 100-continue not sent)', async (t) => {
  // A body over the size limit, declared and never sent: the refusal comes from the headers alone.
  const head = `POST /setRules HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nContent-Type: ${FORM}\r\nContent-Length: 1100000\r\n\r\n`;
  const answer = await exchange(port, head);
  t.match(answer, /^HTTP\/1\.1 403 Forbidden\r\n/);
  t.ok(answer.endsWith(`\r\n\r\n${browserRefusal('Origin')}`), answer);
  const expecting = await exchange(port, head.replace('\r\n\r\n', '\r\nExpect: 100-continue\r\n\r\n'));
  t.match(expecting, /^HTTP\/1\.1 403 Forbidden\r\n/, 'no 100 Continue before the refusal');
  t.equal(server.flowFile(), fileBefore);
});

t.test('trusted address: the dashboard (no browser header) and Node\'s fetch (Sec-Fetch-Mode alone) push without a token', async (t) => {
  // As the Sentinel Dashboard's Java HTTP client sends it: no Origin, Referer or Sec-Fetch-*.
  const dashboard = await ask(port, 'POST', '/setRules', { 'content-type': `${FORM}; charset=UTF-8`, 'user-agent': 'Apache-HttpAsyncClient/4.1.4 (Java/1.8.0_392)' }, rulesForm(RULE));
  t.same([dashboard.status, dashboard.body], [200, 'success']);
  const viaFetch = await fetch(`${server.url}/setRules`, { method: 'POST', headers: { 'content-type': FORM }, body: rulesForm(RULE) });
  t.same([viaFetch.status, await viaFetch.text()], [200, 'success'], 'fetch sends sec-fetch-mode: cors, which no browser sends without Sec-Fetch-Site');
  t.equal(server.flowFile(), fileBefore, 'the same rule pushed again');
});

t.test('trusted address, no token: a GET is refused (E_FORBIDDEN_METHOD: an <img> or a link in any browser sends one); the dashboard pushes by POST', async (t) => {
  const fileBefore = server.flowFile();
  const get = await ask(port, 'GET', `/setRules?${rulesForm(ATTACK)}`, {});
  t.same([get.status, get.body], [403, 'Forbidden: without the token, the trusted dashboard address may push by POST only, as the dashboard does; a GET needs the collector token (E_FORBIDDEN_METHOD)']);
  t.equal(server.flowFile(), fileBefore, 'nothing changed');
  const withToken = await ask(port, 'GET', `/setRules?${rulesForm(RULE)}`, { authorization: `Bearer ${TOKEN}` });
  t.same([withToken.status, withToken.body], [200, 'success'], 'a GET with the token goes on, from there as from anywhere');
});

t.test('with a browser header, the token decides as anywhere: the right one goes on, a wrong one is refused', async (t) => {
  const all = { origin: 'http://127.0.0.1', referer: 'http://127.0.0.1/', 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' };
  const right = await ask(port, 'POST', '/setRules', { 'content-type': FORM, authorization: `Bearer ${TOKEN}`, ...all }, rulesForm(RULE));
  t.same([right.status, right.body], [200, 'success']);
  const wrong = await ask(port, 'POST', '/setRules', { 'content-type': FORM, authorization: 'Bearer nope', ...all }, rulesForm(ATTACK));
  t.same([wrong.status, wrong.body], [403, 'Forbidden: wrong token (E_FORBIDDEN)']);
  t.equal(server.flowFile(), fileBefore);
});

t.test('another address is not trusted: a browser request without a token is 401 as any other', async (t) => {
  const other = await rulesServer(t, { trustDashboardAddress: '10.9.9.9' });
  const r = await ask(other.port, 'POST', '/setRules', { 'content-type': FORM, origin: 'http://evil.example' }, rulesForm(ATTACK));
  t.same([r.status, r.body, r.headers['www-authenticate']], [401, 'Unauthorized: send "Authorization: Bearer <token>" (the token is in <pin>/collector/token, unless the collector was given --token or SENTINEL_WASI_TOKEN) (E_UNAUTHORIZED)', 'Bearer']);
  t.equal(other.flowFile(), undefined);
});

t.test('no answer carries a CORS header: preflight, reads, rule pushes and the page', async (t) => {
  const origin = { origin: 'http://evil.example' };
  const answers = [
    await ask(port, 'OPTIONS', '/setRules', { ...origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' }),
    await ask(port, 'OPTIONS', '/api/v1/resources', { ...origin, 'access-control-request-method': 'GET' }),
    await ask(port, 'POST', '/setRules', { ...origin, 'content-type': FORM, authorization: `Bearer ${TOKEN}` }, rulesForm(RULE)),
    await ask(port, 'POST', '/setRules', { ...origin, 'content-type': FORM }, rulesForm(RULE)),
    await ask(port, 'GET', '/getRules?type=flow', origin),
    await ask(port, 'GET', '/api/v1/resources', origin),
    await ask(port, 'GET', '/api/v1/health', origin),
    await ask(port, 'GET', '/metrics', origin),
    await ask(port, 'GET', '/', origin),
    await ask(port, 'GET', '/assets/uplot.min.js', origin),
  ];
  t.same(answers.map((a) => a.status), [405, 405, 200, 403, 200, 200, 200, 200, 200, 200]);
  t.same(answers.flatMap((a) => Object.keys(a.headers).filter((h) => h.startsWith('access-control-'))), [], 'no Access-Control-* header anywhere');
  t.same([answers[0]!.headers.allow, answers[0]!.body], ['GET, HEAD, POST', 'Method OPTIONS not allowed (E_METHOD)'], 'a preflight is refused');
});

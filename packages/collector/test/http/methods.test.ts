// Methods, on a real server over 127.0.0.1: every 405 answer carries `Allow` (the methods its path
// takes), a text and E_METHOD, and closes the connection; a HEAD to /setRules (which Node answers
// as a GET without its body) is refused 405 and changes nothing, with the token or from the
// trusted address; CONNECT gets its 405 instead of a dropped connection.
import t from 'tap';
import { ask, exchange, FORM, rulesForm, rulesServer, TOKEN } from './rules-server.js';

const server = await rulesServer(t, { trustDashboardAddress: '127.0.0.1' });
const { port } = server;
const RULE = [{ resource: 'GET /orders', count: 40, grade: 1 }];
t.equal((await ask(port, 'POST', '/setRules', { 'content-type': FORM, authorization: `Bearer ${TOKEN}` }, rulesForm(RULE))).body, 'success');
const fileBefore = server.flowFile()!;

t.test('HEAD /setRules: 405 with Allow: GET, POST, and the rules and their file are unchanged', async (t) => {
  const text = 'Method HEAD not allowed for setRules: it changes state; send GET or POST (E_METHOD)';
  for (const headers of [{ authorization: `Bearer ${TOKEN}` }, {}, { authorization: 'Bearer wrong' }]) {
    const r = await ask(port, 'HEAD', '/setRules?type=flow&data=%5B%5D', headers);
    // An answer to HEAD has no body on the wire; its Content-Length is the text's.
    t.same([r.status, r.headers.allow, r.headers['content-length'], r.headers.connection, r.body], [405, 'GET, POST', String(Buffer.byteLength(text)), 'close', ''], JSON.stringify(headers));
  }
  t.equal(server.flowFile(), fileBefore, 'the rules file is unchanged');
  t.same(server.files.rules('flow').map((r) => [r.resource, r.count]), [['GET /orders', 40]], 'the rule in force is unchanged');
  t.same(JSON.parse((await ask(port, 'GET', '/getRules?type=flow')).body).map((r: { resource: string }) => r.resource), ['GET /orders']);
});

t.test('every 405 carries Allow, a text and E_METHOD, and closes the connection', async (t) => {
  const cases: Array<[method: string, path: string, allow: string, body: string]> = [
    ['PUT', '/version', 'GET, HEAD, POST', 'Method PUT not allowed (E_METHOD)'],
    ['DELETE', '/setRules', 'GET, HEAD, POST', 'Method DELETE not allowed (E_METHOD)'],
    ['OPTIONS', '/', 'GET, HEAD, POST', 'Method OPTIONS not allowed (E_METHOD)'],
    ['PATCH', '/api/v1/health', 'GET, HEAD, POST', 'Method PATCH not allowed (E_METHOD)'],
    ['POST', '/api/v1/health', 'GET, HEAD', '{"error":{"code":"E_METHOD","message":"the JSON API is read-only"}}'],
    ['POST', '/api/v1/resources', 'GET, HEAD', '{"error":{"code":"E_METHOD","message":"the JSON API is read-only"}}'],
    ['POST', '/api/v1/series?seconds=5', 'GET, HEAD', '{"error":{"code":"E_METHOD","message":"the JSON API is read-only"}}'],
    ['POST', '/', 'GET, HEAD', 'Method POST not allowed for /: it is read-only (E_METHOD)'],
    ['POST', '/metrics', 'GET, HEAD', 'Method POST not allowed for /metrics: it is read-only (E_METHOD)'],
    ['POST', '/favicon.ico', 'GET, HEAD', 'Method POST not allowed for /favicon.ico: it is read-only (E_METHOD)'],
    ['POST', '/assets/uplot.min.js', 'GET, HEAD', 'Method POST not allowed for /assets/uplot.min.js: it is read-only (E_METHOD)'],
  ];
  for (const [method, path, allow, body] of cases) {
    const r = await ask(port, method, path, { 'content-type': FORM }, 'a=b');
    t.same([r.status, r.headers.allow, r.headers.connection, r.body], [405, allow, 'close', body], `${method} ${path}`);
  }
  t.equal(server.flowFile(), fileBefore);
});

t.test('CONNECT: 405 with Allow, a text and E_METHOD, not a dropped connection', async (t) => {
  const answer = await exchange(port, `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  t.equal(
    answer,
    'HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 37\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nAllow: GET, HEAD, POST\r\nConnection: close\r\n\r\nMethod CONNECT not allowed (E_METHOD)',
  );
});

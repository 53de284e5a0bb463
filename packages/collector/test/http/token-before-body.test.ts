// A /setRules request is judged on its token before anything about its body, on a real server over
// 127.0.0.1 with raw sockets: a body over the size limit without the token, or with a wrong one,
// is answered 401/403 (not 413) from the headers, with no body byte sent (the token without its
// Bearer scheme: 401, saying so); a client asking
// `Expect: 100-continue` gets no 100 Continue before a refusal (Node's default sends it before the
// request is looked at), and gets it, and its body read, once the checks pass. A request the
// trusted dashboard address lets through without a token is past the token check: its size is
// judged next (413), which is why the review saw 413 with `--trust-dashboard-address 127.0.0.1`.
import t from 'tap';
import { exchange, FORM, rulesForm, rulesServer, TOKEN } from './rules-server.js';

const BIG = 1_100_000;
const head = (extra: string, lengthBytes = BIG): string =>
  `POST /setRules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${FORM}\r\nContent-Length: ${lengthBytes}\r\n${extra}\r\n`;
const statusLine = (answer: string): string => answer.slice(0, answer.indexOf('\r\n'));
const bodyOf = (answer: string): string => answer.slice(answer.indexOf('\r\n\r\n') + 4);

t.test('a body over the size limit without the token is 401, with a wrong token 403, from the headers (no body byte sent)', async (t) => {
  const server = await rulesServer(t);
  const none = await exchange(server.port, head(''));
  t.same([statusLine(none), bodyOf(none)], ['HTTP/1.1 401 Unauthorized', 'Unauthorized: send "Authorization: Bearer <token>" (the token is in <pin>/collector/token, unless the collector was given --token or SENTINEL_WASI_TOKEN) (E_UNAUTHORIZED)']);
  const wrong = await exchange(server.port, head('Authorization: Bearer nope\r\n'));
  t.same([statusLine(wrong), bodyOf(wrong)], ['HTTP/1.1 403 Forbidden', 'Forbidden: wrong token (E_FORBIDDEN)']);
  // The right token without its scheme: told what the header must look like, not that the token is wrong.
  const bare = await exchange(server.port, head(`Authorization: ${TOKEN}\r\n`));
  t.same(
    [statusLine(bare), bodyOf(bare)],
    ['HTTP/1.1 401 Unauthorized', 'Unauthorized: the Authorization header must be "Bearer <token>" (this one has no Bearer scheme) (the token is in <pin>/collector/token, unless the collector was given --token or SENTINEL_WASI_TOKEN) (E_UNAUTHORIZED)'],
  );
  t.match(bare, /\r\nwww-authenticate: Bearer\r\n/i);
  const empty = await exchange(server.port, head('Authorization: Bearer \r\n'));
  t.same(
    [statusLine(empty), bodyOf(empty)],
    ['HTTP/1.1 401 Unauthorized', 'Unauthorized: the Authorization header says Bearer but gives no token (the token is in <pin>/collector/token, unless the collector was given --token or SENTINEL_WASI_TOKEN) (E_UNAUTHORIZED)'],
  );
  const right = await exchange(server.port, head(`Authorization: Bearer ${TOKEN}\r\n`));
  t.same([statusLine(right), bodyOf(right)], ['HTTP/1.1 413 Payload Too Large', 'Request body larger than 1048576 bytes (E_BODY_TOO_LARGE)'], 'with the token, the size is judged');
  t.equal(server.flowFile(), undefined);
});

t.test('Expect: 100-continue: no 100 Continue before a refusal; with the token the 100 comes and the body is read', async (t) => {
  const server = await rulesServer(t);
  const expect = 'Expect: 100-continue\r\n';
  const none = await exchange(server.port, head(expect));
  t.equal(statusLine(none), 'HTTP/1.1 401 Unauthorized', 'the first answer is the refusal');
  t.notMatch(none, /100 Continue/);
  const big = await exchange(server.port, head(`${expect}Authorization: Bearer ${TOKEN}\r\n`));
  t.equal(statusLine(big), 'HTTP/1.1 413 Payload Too Large', 'too large with the token: refused, no 100 either');
  t.notMatch(big, /100 Continue/);
  const form = rulesForm([{ resource: 'GET /a', count: 5 }]);
  let firstBytes = '';
  const ok = await exchange(server.port, head(`${expect}Authorization: Bearer ${TOKEN}\r\n`, Buffer.byteLength(form)), (write, received) => {
    firstBytes = received;
    write(form);
  });
  t.equal(firstBytes, 'HTTP/1.1 100 Continue\r\n\r\n', 'the 100 comes first, alone');
  t.match(ok, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  t.equal(bodyOf(ok.slice(ok.indexOf('HTTP/1.1 200'))), 'success');
  t.same(JSON.parse(server.flowFile()!).map((r: { resource: string }) => r.resource), ['GET /a'], 'persisted');
  t.same(server.files.rules('flow').map((r) => [r.resource, r.count]), [['GET /a', 5]]);
});

t.test('from the trusted address without a token the request is past the token check: the size is judged next (413)', async (t) => {
  const server = await rulesServer(t, { trustDashboardAddress: '127.0.0.1' });
  const trusted = await exchange(server.port, head(''));
  t.same([statusLine(trusted), bodyOf(trusted)], ['HTTP/1.1 413 Payload Too Large', 'Request body larger than 1048576 bytes (E_BODY_TOO_LARGE)']);
  const wrong = await exchange(server.port, head('Authorization: Bearer nope\r\n'));
  t.same([statusLine(wrong), bodyOf(wrong)], ['HTTP/1.1 403 Forbidden', 'Forbidden: wrong token (E_FORBIDDEN)'], 'a wrong token from there: refused before the size');
  const browser = await exchange(server.port, head('Sec-Fetch-Site: cross-site\r\n'));
  t.equal(statusLine(browser), 'HTTP/1.1 403 Forbidden', 'a browser from there: refused before the size');
  t.equal(server.flowFile(), undefined);
});

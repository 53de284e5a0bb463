// A slow client is cut with 408 and a short text with its code (E_REQUEST_TIMEOUT), and the
// connection is closed: headers not complete within HEADERS_TIMEOUT_MS, or a body not complete
// within REQUEST_TIMEOUT_MS. A /setRules whose body was cut is never run, even when the rest of its
// body arrives after the 408. A real server on 127.0.0.1 with its real limits, raw sockets; the two
// cases run side by side (about REQUEST_TIMEOUT_MS in all).
import t from 'tap';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, TIMEOUT_CHECK_INTERVAL_MS } from '../../src/http/limits.js';
import { exchange, FORM, rulesForm, rulesServer, TOKEN } from './rules-server.js';

const TEXT = 'Request timeout: the headers must arrive within 5 s and the whole request within 10 s (E_REQUEST_TIMEOUT)';
const ANSWER = `HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(TEXT)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${TEXT}`;

t.test('slow headers and a slow /setRules body: 408 E_REQUEST_TIMEOUT, the connection closed, the push never run', async (t) => {
  const server = await rulesServer(t);
  const waitMs = REQUEST_TIMEOUT_MS + 3 * TIMEOUT_CHECK_INTERVAL_MS + 2000;
  const startedMs = Date.now();

  const slowHeaders = exchange(server.port, 'GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', undefined, waitMs).then((answer) => ({ answer, afterMs: Date.now() - startedMs }));

  const form = rulesForm([]);
  let rest = '';
  const slowBody = exchange(
    server.port,
    `POST /setRules HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: ${FORM}\r\nContent-Length: ${form.length}\r\n\r\n${form.slice(0, 5)}`,
    (write, received) => {
      rest = received;
      write(form.slice(5)); // the rest of the body, after the 408: too late, it must not be run
    },
    waitMs,
  ).then((answer) => ({ answer, afterMs: Date.now() - startedMs }));

  const headers = await slowHeaders;
  t.equal(headers.answer, ANSWER, 'slow headers');
  t.ok(headers.afterMs >= HEADERS_TIMEOUT_MS - 100 && headers.afterMs < waitMs, `cut after ${headers.afterMs} ms`);
  const body = await slowBody;
  t.equal(body.answer, ANSWER, 'slow body');
  t.match(rest, /^HTTP\/1\.1 408 /, 'the 408 came before the rest of the body was sent');
  t.ok(body.afterMs >= REQUEST_TIMEOUT_MS - 100 && body.afterMs < waitMs, `cut after ${body.afterMs} ms`);
  await new Promise((r) => setTimeout(r, 200));
  t.equal(server.flowFile(), undefined, 'the push answered 408 was not run');
});

// A request the HTTP parser refuses gets its answer, every time: a 1 MB URL or header is answered
// 431 and malformed bytes 400, even while the client is still sending (the server lingers instead of
// resetting the connection, which would discard the answer before the client reads it), each with
// a short text and its code (E_HEADERS_TOO_LARGE, E_BAD_REQUEST) as every other error has, and the
// connection closed. A real server with applyServerLimits in its own process on 127.0.0.1, raw
// sockets. (408 E_REQUEST_TIMEOUT: request-timeout.test.ts.)
import t from 'tap';
import { fork } from 'node:child_process';
import { maxHeaderSize } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { clientErrorAnswer, clientErrorStatus } from '../../src/http/limits.js';

const child = fork(fileURLToPath(new URL('./fixtures-limits-server.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
t.teardown(() => child.kill('SIGKILL'));
const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(m as number)));

/** Writes `bytes` on a new connection and resolves with everything received until it closes. */
function exchange(bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    let got = '';
    c.setEncoding('latin1');
    c.on('data', (d: string) => (got += d));
    c.on('error', () => {});
    c.on('close', () => resolve(got));
    c.write(bytes);
  });
}

const statusOf = (answer: string): string => answer.slice(0, 12);

/** The whole answer to a request the parser refused: status, text with its code, connection closed. */
const answerWith = (status: string, text: string): string =>
  `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${text}`;
const TOO_LARGE = answerWith('431 Request Header Fields Too Large', `Request header fields too large: the request line and headers may take at most ${maxHeaderSize} bytes (E_HEADERS_TOO_LARGE)`);
const BAD = answerWith('400 Bad Request', 'Bad request: not a valid HTTP/1.1 request (E_BAD_REQUEST)');

t.test('a 1 MB URL: 431 on every one of 200 connections, 20 at a time', async (t) => {
  const head = `GET /metric?x=${'a'.repeat(1024 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  const statuses = new Map<string, number>();
  for (let round = 0; round < 10; round++) {
    const answers = await Promise.all(Array.from({ length: 20 }, () => exchange(head)));
    for (const a of answers) statuses.set(statusOf(a), (statuses.get(statusOf(a)) ?? 0) + 1);
  }
  t.same(Object.fromEntries(statuses), { 'HTTP/1.1 431': 200 });
});

t.test('a 1 MB header: 431; a malformed request line: 400; both close the connection', async (t) => {
  t.equal(statusOf(await exchange(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(1024 * 1024)}\r\n\r\n`)), 'HTTP/1.1 431');
  const bad = await exchange('NOT A REQUEST\r\n\r\n');
  t.equal(statusOf(bad), 'HTTP/1.1 400');
  t.match(bad, /\r\nConnection: close\r\n/);
});

t.test('431 and 400 come with a short text and a stable code (E_HEADERS_TOO_LARGE, E_BAD_REQUEST), then the connection closes', async (t) => {
  // exchange resolves when the server has closed the connection: the answer is all there is.
  t.equal(await exchange(`GET /metric?x=${'a'.repeat(1024 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`), TOO_LARGE, 'a 1 MB URL');
  t.equal(await exchange(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`), TOO_LARGE, 'a 20 KB header');
  t.equal(await exchange('NOT A REQUEST\r\n\r\n'), BAD, 'a malformed request line');
  t.equal(await exchange('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n'), BAD, 'a malformed header line');
  t.equal(clientErrorAnswer('HPE_CHUNK_EXTENSIONS_OVERFLOW'), answerWith('413 Payload Too Large', 'Chunk extensions too large (E_CHUNK_EXTENSIONS_TOO_LARGE)'));
});

t.test('the status follows the parser error code, as Node answers it', async (t) => {
  t.equal(clientErrorStatus('HPE_HEADER_OVERFLOW'), 431);
  t.equal(clientErrorStatus('HPE_CHUNK_EXTENSIONS_OVERFLOW'), 413);
  t.equal(clientErrorStatus('ERR_HTTP_REQUEST_TIMEOUT'), 408);
  t.equal(clientErrorStatus('HPE_INVALID_METHOD'), 400);
  t.equal(clientErrorStatus(undefined), 400);
});

// A request answered from its headers, its body unread (a POST without the token or with a wrong
// one, with no room in the body budget, too large, not a form; a method, Host or path refused)
// gets its answer even when the client goes on sending the body after the
// answer was written and reads the answer only later: the server half-closes and reads on (a
// lingering close) instead of closing with body bytes unread, where the kernel resets the
// connection and the client fails on its next write before it has read the answer. A real server
// over 127.0.0.1; the client's socket is paused so that the answer waits unread while the rest of
// the body is sent. And lingeringClose itself: what arrives after the answer is read and dropped,
// and the close comes as soon as the client closes its side.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpServer } from '../../src/http/server.js';
import { LINGER_MS, lingeringClose } from '../../src/http/limits.js';
import { FixedStatsQuery } from './fixed-query.js';

const TOKEN = 's3cret';
const dir = mkdtempSync(join(tmpdir(), 'sw-linger-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const server = await startHttpServer({ query: new FixedStatsQuery([]), app: 'linger', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => Date.now(), token: TOKEN, bodyBudgetBytes: 512 * 1024 });
t.teardown(() => server.close());
const { port } = new URL(server.url);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

interface Head {
  method?: string;
  path?: string;
  host?: string;
  contentType?: string;
  lengthBytes?: number;
  /** More header lines, each ending in \r\n. */
  extra?: string;
}

/** A request's head declaring a body (a 1 MB form POST to /setRules unless told otherwise). */
function head({ method = 'POST', path = '/setRules', host = '127.0.0.1', contentType = 'application/x-www-form-urlencoded', lengthBytes = 1_000_000, extra = '' }: Head): string {
  return `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${contentType}\r\nContent-Length: ${lengthBytes}\r\n${extra}\r\n`;
}

/**
 * Sends a request's head, waits until the server has answered, then sends 128 KiB of the body,
 * and only then reads: resolves with all that was received.
 */
async function refusedThenBody(h: Head): Promise<string> {
  const s = await open();
  s.pause(); // nothing is read until the body has been sent
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  s.write(head(h));
  await sleep(300); // the server answers from the head meanwhile
  s.on('error', () => {});
  // The body reaches the server after its answer, in two parts a moment apart (a client that
  // writes again after the server has closed for good meets a reset).
  s.write(Buffer.alloc(64 * 1024, 'a'));
  await sleep(300);
  s.write(Buffer.alloc(64 * 1024, 'a'));
  await sleep(300);
  let got = '';
  s.setEncoding('latin1');
  s.on('data', (d: string) => (got += d));
  s.resume();
  await closed;
  return got;
}

t.test('401 without a token, 403 with a wrong one: read after the body was sent', async (t) => {
  t.match(await refusedThenBody({}), /^HTTP\/1\.1 401 /);
  t.match(await refusedThenBody({ extra: 'Authorization: Bearer wrong\r\n' }), /^HTTP\/1\.1 403 /);
});

t.test('503 when the body does not fit the budget, 413 over the size limit, 415 not a form: read after the body was sent', async (t) => {
  const extra = `Authorization: Bearer ${TOKEN}\r\n`;
  // The server's budget is 512 KiB: a 1 MB body cannot be reserved.
  t.match(await refusedThenBody({ extra }), /^HTTP\/1\.1 503 /);
  t.match(await refusedThenBody({ extra, lengthBytes: 2 * 1024 * 1024 }), /^HTTP\/1\.1 413 /);
  t.match(await refusedThenBody({ extra, lengthBytes: 1000, contentType: 'application/json' }), /^HTTP\/1\.1 415 /);
});

t.test('every other answer that closes the connection before the body is read: read after the body was sent', async (t) => {
  t.match(await refusedThenBody({ method: 'PUT' }), /^HTTP\/1\.1 405 /);
  t.match(await refusedThenBody({ host: 'evil.example' }), /^HTTP\/1\.1 403 /);
  t.match(await refusedThenBody({ path: '/api/v1/resources' }), /^HTTP\/1\.1 405 /);
});

t.test('a lingering close reads what still arrives, and ends once the client closes its side', async (t) => {
  let drained = 0;
  const serverClosed = new Promise<number>((resolve) => {
    const srv = createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('data', (d: Buffer) => (drained += d.length));
      socket.write('answer');
      lingeringClose(socket);
      socket.once('close', () => {
        srv.close();
        resolve(Date.now());
      });
    });
    srv.listen(0, '127.0.0.1', () => client((srv.address() as AddressInfo).port));
  });
  let clientEndedMs = 0;
  let answer = '';
  function client(p: number): void {
    // Half-open allowed: the client goes on sending after the server's FIN and closes its side itself.
    const c = connect({ port: p, host: '127.0.0.1', allowHalfOpen: true });
    c.setEncoding('latin1');
    c.on('data', (d: string) => (answer += d));
    c.once('end', async () => {
      c.write(Buffer.alloc(64 * 1024, 'a')); // after the answer and its FIN: read and dropped
      await sleep(200);
      clientEndedMs = Date.now();
      c.end();
    });
  }
  const closedMs = await serverClosed;
  t.equal(answer, 'answer');
  t.equal(drained, 64 * 1024, 'the bytes sent after the answer were read');
  // Closed by the client's end, not by the LINGER_MS timer (2 s): well before it would fire.
  t.ok(closedMs - clientEndedMs < LINGER_MS / 2, `closed ${closedMs - clientEndedMs} ms after the client's end`);
});

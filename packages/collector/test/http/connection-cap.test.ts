// The HTTP server's cap on open connections (limits.ts, MAX_CONNECTIONS = 512 by default): past it a
// new connection is closed at once, unanswered, while those already open are served, and once one
// closes a new one is taken again. A real server on 127.0.0.1 with a cap of 4, raw sockets.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { startHttpServer } from '../../src/http/server.js';
import { MAX_CONNECTIONS } from '../../src/http/limits.js';
import { FixedStatsQuery } from './fixed-query.js';
import { exchange } from './rules-server.js';

const CAP = 4;

/** An open connection that has sent nothing yet. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1', () => resolve(c));
    c.on('error', reject);
  });
}

/** GET /version on a new connection: what came back before the connection closed. */
const version = (port: number): Promise<string> => exchange(port, 'GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');

t.test(`the default cap is ${MAX_CONNECTIONS}`, async (t) => {
  t.equal(MAX_CONNECTIONS, 512);
});

t.test('past the cap a new connection is closed unanswered; the open ones are served; a freed place is taken again', async (t) => {
  const server = await startHttpServer({ query: new FixedStatsQuery([]), app: 'cap', metricDir: t.testdir(), host: '127.0.0.1', port: 0, nowMs: () => 0, maxConnections: CAP });
  t.teardown(() => server.close());
  const port = Number(new URL(server.url!).port);
  const held: Socket[] = [];
  for (let i = 0; i < CAP; i++) held.push(await open(port));
  t.teardown(() => held.forEach((c) => c.destroy()));
  t.equal(await version(port), '', 'the fifth connection: closed with no answer');
  // One of the four open ones asks: it is served.
  const first = held[0]!;
  const answer = new Promise<string>((resolve) => {
    let got = '';
    first.setEncoding('latin1');
    first.on('data', (d: string) => (got += d));
    first.on('close', () => resolve(got));
  });
  first.write('GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  t.match(await answer, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n1\.8\.9$/, 'an open connection is served');
  // Its place is free again (the server saw it close): a new connection is answered.
  let again = '';
  for (let i = 0; i < 50 && again === ''; i++) {
    again = await version(port);
    if (again === '') await new Promise((r) => setTimeout(r, 20));
  }
  t.match(again, /^HTTP\/1\.1 200 OK\r\n/, 'a new connection once a place is free');
});

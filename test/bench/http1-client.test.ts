// The benchmarks' lean HTTP/1.1 client against real node:http servers over loopback: exact bodies
// and statuses on one keep-alive connection, and framing it does not read refused with E_HTTP1_FRAMING.

import t, { type Test } from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
// @ts-expect-error a plain JS module of the benchmarks (no types)
import { openHttp1 } from '../../bench/lib/http1-client.js';

interface Http1 {
  get(path: string): Promise<{ status: number; body: string }>;
  close(): void;
}

async function serve(t: Test, handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('reads Content-Length answers exactly, one after another on one connection', async (t) => {
  const sockets = new Set<unknown>();
  const url = await serve(t, (req, res) => {
    sockets.add(req.socket);
    const body = req.url === '/missing' ? 'no such thing' : JSON.stringify({ path: req.url, host: req.headers.host, text: 'é\r\n\r\n' });
    res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
  const client = (await openHttp1(url)) as Http1;
  try {
    const host = new URL(url).host;
    for (let i = 0; i < 50; i++) {
      const r = await client.get(`/a?i=${i}`);
      t.equal(r.status, 200);
      t.same(JSON.parse(r.body), { path: `/a?i=${i}`, host, text: 'é\r\n\r\n' });
    }
    t.same(await client.get('/missing'), { status: 404, body: 'no such thing' });
    t.equal(sockets.size, 1, 'every request on the one keep-alive connection');
  } finally {
    client.close();
  }
});

t.test('an answer without Content-Length (chunked) is refused, not guessed at', async (t) => {
  const url = await serve(t, (_req, res) => {
    res.write('part one');
    res.end('part two');
  });
  const client = (await openHttp1(url)) as Http1;
  try {
    await t.rejects(client.get('/'), { code: 'E_HTTP1_FRAMING' });
    await t.rejects(client.get('/'), { code: 'E_HTTP1_FRAMING' }, 'the connection stays failed');
  } finally {
    client.close();
  }
});

t.test('a second request while one is outstanding is refused', async (t) => {
  const url = await serve(t, (_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-length': '2' });
      res.end('ok');
    }, 20);
  });
  const client = (await openHttp1(url)) as Http1;
  try {
    const first = client.get('/');
    await t.rejects(client.get('/'), { message: 'one request at a time' });
    t.same(await first, { status: 200, body: 'ok' });
  } finally {
    client.close();
  }
});

// The host's own wasi:http server over real loopback HTTP, with the guest's side played by JS calling
// the same resource methods a component calls through jco: the request (method, path, authority,
// headers without hop-by-hop ones, the body read whole), the response written as set (status,
// headers, body; content-length added), immutable request headers, wasi-io's 4096-byte limit for
// blocking-write-and-flush, no writes after finish, and the server's own answers: 500 when the
// handler failed or set no response, 413 for a body over the limit (the handler never called).

import t, { type Test } from 'tap';
import { request as httpRequest } from 'node:http';
import {
  HostHttpServer,
  HostIncomingBody,
  HostOutgoingBody,
  HostOutgoingResponse,
  HostResponseOutparam,
  type HandleOutcome,
  type HostIncomingRequest,
} from '../src/http-server.js';
import { ShimFields } from '../src/shim.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function start(t: Test, handle: (req: HostIncomingRequest, out: HostResponseOutparam) => HandleOutcome, maxRequestBodyBytes?: number) {
  const server = new HostHttpServer({ handle, maxRequestBodyBytes });
  const port = await server.listen(0, '127.0.0.1');
  t.teardown(() => server.close());
  return port;
}

/** What a guest does to answer: headers, status, body written in pieces, finish. */
function answer(out: HostResponseOutparam, status: number, headers: Array<[string, string]>, pieces: Uint8Array[]): void {
  const fields = new ShimFields();
  for (const [k, v] of headers) fields.append(k, enc.encode(v));
  const response = new HostOutgoingResponse(fields);
  response.setStatusCode(status);
  const body = response.body();
  HostResponseOutparam.set(out, { tag: 'ok', val: response });
  const stream = body.write();
  for (const p of pieces) stream.blockingWriteAndFlush(p);
  HostOutgoingBody.finish(body, undefined);
}

function readAll(body: HostIncomingBody): string {
  const stream = body.stream();
  let text = '';
  for (;;) {
    try {
      text += dec.decode(stream.blockingRead(7n), { stream: true });
    } catch (e) {
      t.same(e, { tag: 'closed' }, 'the end of the body is a closed stream');
      return text;
    }
  }
}

t.test('the guest sees the request as sent and its response is written as set', async (t) => {
  const seen: unknown[] = [];
  const port = await start(t, (req, out) => {
    const headers = (req.headers() as { entries(): Array<[string, Uint8Array]> }).entries().map(([k, v]) => [k.toLowerCase(), dec.decode(v)]);
    seen.push({ method: req.method(), path: req.pathWithQuery(), authority: req.authority(), headers, body: readAll(req.consume()) });
    answer(out, 201, [['content-type', 'text/plain'], ['x-two', 'a'], ['x-two', 'b']], [enc.encode('made '), enc.encode('it\n')]);
    return { ok: true };
  });
  const a = await send(port, 'POST', '/items?x=1', 'a body of some length, read 7 bytes at a time', { 'x-custom': 'yes', connection: 'keep-alive' });
  t.equal(a.status, 201);
  t.equal(a.body, 'made it\n');
  t.equal(a.headers['content-length'], '8', 'content-length added from the body written');
  t.equal(a.headers['x-two'], 'a, b');
  t.equal(seen.length, 1);
  const s = seen[0] as { method: unknown; path: string; authority: string; headers: string[][]; body: string };
  t.same(s.method, { tag: 'post' });
  t.equal(s.path, '/items?x=1');
  t.equal(s.authority, `127.0.0.1:${port}`);
  t.equal(s.body, 'a body of some length, read 7 bytes at a time');
  t.same(s.headers.filter(([k]) => k === 'x-custom'), [['x-custom', 'yes']]);
  t.same(s.headers.filter(([k]) => k === 'host' || k === 'connection'), [], 'no hop-by-hop headers, no host field');

  const other = await send(port, 'PURGE', '/');
  t.equal(other.status, 201);
  t.same((seen[1] as { method: unknown }).method, { tag: 'other', val: 'PURGE' });
});

t.test('request headers are immutable; a body is consumed once; a response body stream is given once', async (t) => {
  const errors: unknown[] = [];
  const port = await start(t, (req, out) => {
    const catching = (fn: () => unknown): void => {
      try {
        fn();
        errors.push('no error');
      } catch (e) {
        errors.push(e);
      }
    };
    catching(() => (req.headers() as { append(k: string, v: Uint8Array): void }).append('x-added', enc.encode('1')));
    req.consume();
    catching(() => req.consume());
    const response = new HostOutgoingResponse(new ShimFields());
    catching(() => response.setStatusCode(42));
    const body = response.body();
    catching(() => response.body());
    const stream = body.write();
    catching(() => body.write());
    catching(() => stream.blockingWriteAndFlush(new Uint8Array(4097)));
    stream.write(new Uint8Array(5000).fill(0x61)); // write (after check-write) has no 4096-byte limit
    HostResponseOutparam.set(out, { tag: 'ok', val: response });
    catching(() => HostResponseOutparam.set(out, { tag: 'ok', val: response }));
    HostOutgoingBody.finish(body, undefined);
    catching(() => stream.write(enc.encode('late')));
    catching(() => HostOutgoingBody.finish(body, undefined));
    return { ok: true };
  });
  const a = await send(port, 'GET', '/');
  t.equal(a.status, 200);
  t.equal(a.body, 'a'.repeat(5000));
  t.equal(errors.length, 9);
  t.same(errors[0], { tag: 'immutable' });
  t.equal(errors[1], undefined, 'a second consume fails');
  t.equal(errors[2], undefined, 'status 42 is refused');
  t.equal(errors[3], undefined, 'a second body() fails');
  t.equal(errors[4], undefined, 'a second write() fails');
  t.match(String(errors[5]), /Buffer too large for blocking-write-and-flush \(expected at most 4096\)/);
  t.match(String(errors[6]), /already set/);
  t.same(errors[7], { tag: 'closed' }, 'no write after finish');
  t.same(errors[8], { tag: 'internal-error', val: 'body already finished' });
});

t.test('the server answers 500 when the handler fails or sets no response, 413 for a body over the limit', async (t) => {
  let calls = 0;
  const port = await start(
    t,
    (req, out) => {
      calls++;
      const path = req.pathWithQuery();
      if (path === '/nothing') return { ok: true };
      if (path === '/err') {
        HostResponseOutparam.set(out, { tag: 'err', val: { tag: 'internal-error' } });
        return { ok: true };
      }
      answer(out, 200, [], [enc.encode('half')]);
      return { ok: path !== '/trap' }; // a trap after the response was set: nothing of it is sent
    },
    16,
  );
  t.same(await send(port, 'GET', '/nothing').then((a) => [a.status, a.body]), [500, '']);
  t.same(await send(port, 'GET', '/err').then((a) => [a.status, a.body]), [500, '']);
  t.same(await send(port, 'GET', '/trap').then((a) => [a.status, a.body]), [500, '']);
  t.same(await send(port, 'GET', '/fine').then((a) => [a.status, a.body]), [200, 'half']);
  t.equal(calls, 4);
  const big = await send(port, 'POST', '/fine', 'x'.repeat(17));
  t.equal(big.status, 413);
  t.match(big.body, /larger than 16 bytes/);
  t.equal(calls, 4, 'the handler never saw it');
  t.equal((await send(port, 'POST', '/fine', 'x'.repeat(16))).status, 200, 'a body at the limit is served');
});

t.test('listen on a port in use rejects with EADDRINUSE', async (t) => {
  const port = await start(t, () => ({ ok: true }));
  const second = new HostHttpServer({ handle: () => ({ ok: true }) });
  await t.rejects(second.listen(port, '127.0.0.1'), { code: 'EADDRINUSE' });
  second.close();
});

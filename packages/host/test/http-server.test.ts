// The host's own wasi:http server over real loopback HTTP, with the guest's side played by JS calling
// the same resource methods a component calls through jco: the request (method, path, authority,
// headers without hop-by-hop ones, the body read whole), the response written as set (status,
// headers, body; content-length added), immutable request headers, wasi-io's 4096-byte limit for
// blocking-write-and-flush, no writes after finish, and the server's own answers: 500 when the
// handler failed or set no response, 413 for a body over the limit (the handler never called), 503
// while request bodies or responses not yet taken by their clients hold what they may.

import t, { type Test } from 'tap';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
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

/** Sends raw bytes on a new connection and collects everything until the server closes it. */
function raw(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

t.test('a header value with bytes above U+00FF (UTF-8 €, a byte that is no UTF-8) reaches the guest as its bytes, no trap', async (t) => {
  const seen: Array<Array<[string, number[]]>> = [];
  const port = await start(t, (req, out) => {
    const fields = req.headers() as { entries(): Array<[string, Uint8Array]> };
    seen.push(fields.entries().filter(([k]) => k.toLowerCase().startsWith('x-')).map(([k, v]) => [k.toLowerCase(), [...v]]));
    answer(out, 200, [], [enc.encode('ok')]);
    return { ok: true };
  });
  const reply = await raw(port, Buffer.concat([Buffer.from('GET /h HTTP/1.1\r\nHost: x\r\nX-Euro: '), Buffer.from([0xe2, 0x82, 0xac]), Buffer.from('\r\nX-Byte: '), Buffer.from([0xff]), Buffer.from('\r\nX-Plain: caf\xe9\r\nConnection: close\r\n\r\n', 'latin1')]));
  t.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
  t.same(seen, [[['x-euro', [0xe2, 0x82, 0xac]], ['x-byte', [0xff]], ['x-plain', [0x63, 0x61, 0x66, 0xe9]]]]);
});

t.test('an absolute-form target is the same request as its origin form: path and query, authority from the target', async (t) => {
  const seen: Array<[string, string]> = [];
  const port = await start(t, (req, out) => {
    seen.push([req.pathWithQuery(), req.authority()]);
    answer(out, 200, [], []);
    return { ok: true };
  });
  await raw(port, 'GET http://anything.example:8080/orders?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  await raw(port, 'GET /orders?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  t.same(seen, [['/orders?x=1', 'anything.example:8080'], ['/orders?x=1', '127.0.0.1']]);
});

t.test('the server frames the response itself: a guest\'s content-length or transfer-encoding is left out, 204 has no length, a 1xx is no final answer', async (t) => {
  const bad: number[] = [];
  const server = new HostHttpServer({
    handle(req, out) {
      const path = req.pathWithQuery();
      if (path === '/short') answer(out, 200, [['content-length', '5']], [enc.encode('longer than five')]);
      else if (path === '/te') answer(out, 200, [['transfer-encoding', 'chunked'], ['Content-Length', '2']], [enc.encode('body')]);
      else if (path === '/none') answer(out, 204, [['content-length', '9']], [enc.encode('dropped')]);
      else if (path === '/early') answer(out, 103, [], [enc.encode('x')]);
      else answer(out, 200, [], [enc.encode('ok')]);
      return { ok: true };
    },
    onBadStatus: (status) => bad.push(status),
  });
  const port = await server.listen(0, '127.0.0.1');
  t.teardown(() => server.close());
  // Pipelined on one connection: each answer is framed by its own body, the next one follows in step.
  const pipelined = await raw(port, ['/short', '/te', '/none', '/early', '/ok'].map((p, i) => `GET ${p} HTTP/1.1\r\nHost: x\r\n${i === 4 ? 'Connection: close\r\n' : ''}\r\n`).join(''));
  const answers = pipelined.split(/(?=HTTP\/1\.1 )/);
  t.equal(answers.length, 5, pipelined);
  t.match(answers[0], /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 16\r\n[\s\S]*\r\n\r\nlonger than five$/);
  t.notMatch(answers[0], /content-length: 5\r\n/);
  t.match(answers[1], /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 4\r\n[\s\S]*\r\n\r\nbody$/);
  t.notMatch(answers[1], /transfer-encoding|Content-Length: 2/i);
  t.match(answers[2], /^HTTP\/1\.1 204 No Content\r\n/);
  t.notMatch(answers[2], /content-length|dropped/i);
  t.match(answers[3], /^HTTP\/1\.1 500 Internal Server Error\r\n/);
  t.match(answers[4], /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
  t.same(bad, [103]);
});

t.test('a body over the limit by its declared length is refused before it is read; a body in 1-byte chunks is read into one buffer', async (t) => {
  let called = 0;
  let got = '';
  const port = await start(t, (req, out) => {
    called++;
    got = readAll(req.consume());
    answer(out, 200, [], [enc.encode(String(got.length))]);
    return { ok: true };
  }, 1000);
  const over = await raw(port, 'POST /big HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1001\r\n\r\n');
  t.match(over, /^HTTP\/1\.1 413 Payload Too Large\r\n[\s\S]*request body larger than 1000 bytes \(E_BODY_TOO_LARGE\)\n$/, 'answered with no body sent at all');
  t.equal(called, 0);
  const chunked = `POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${'1\r\nx\r\n'.repeat(1000)}0\r\n\r\n`;
  const reply = await raw(port, chunked);
  t.match(reply, /\r\n\r\n1000$/);
  t.equal(got, 'x'.repeat(1000));
  const overChunked = `POST /chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${'1\r\nx\r\n'.repeat(1001)}0\r\n\r\n`;
  t.match(await raw(port, overChunked), /^HTTP\/1\.1 413 /);
  t.equal(called, 1);
});

t.test('CONNECT is answered 405, not left hanging', async (t) => {
  const port = await start(t, () => ({ ok: true }));
  t.match(await raw(port, 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n'), /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
});

/** A connection that has sent `head` and keeps what comes back until it is closed. */
function openWith(port: number, head: string): Promise<{ socket: Socket; reply: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      resolve({ socket, reply: () => reply, closed });
    });
    let reply = '';
    socket.setEncoding('latin1').on('data', (d: string) => (reply += d));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', reject);
  });
}

t.test('close() refuses new connections, answers a request in flight with connection: close, and cuts one that never finishes after the drain time', async (t) => {
  let handled = 0;
  const server = new HostHttpServer({
    handle: (_req, out) => {
      handled++;
      answer(out, 200, [], [enc.encode('answered')]);
      return { ok: true };
    },
  });
  const port = await server.listen(0, '127.0.0.1');
  const finishing = await openWith(port, 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab');
  const never = await openWith(port, 'POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab');
  await new Promise((r) => setTimeout(r, 100)); // both heads are in: two requests in flight
  const startMs = Date.now();
  const closed = server.close(500).then(() => Date.now() - startMs);
  await t.rejects(send(port, 'GET', '/new'), { code: 'ECONNREFUSED' }, 'no new connection');
  finishing.socket.write('cd');
  await finishing.closed;
  t.match(finishing.reply(), /^HTTP\/1\.1 200 OK\r\n(?:[^\r]*\r\n)*connection: close\r\n(?:[^\r]*\r\n)*\r\nanswered$/i, 'the request in flight answered, its connection closed after');
  await never.closed;
  t.equal(never.reply(), '', 'the request that never finished: its connection cut, no answer');
  const tookMs = await closed;
  t.ok(tookMs >= 450, `close() resolved once the last connection was cut (${tookMs} ms)`);
  t.equal(handled, 1);
});

t.test('request bodies being read hold at most maxBufferedRequestBytes together: past it 503 (retry-after), and room comes back as requests end', async (t) => {
  const seen: string[] = [];
  const server = new HostHttpServer({
    handle: (req, out) => {
      seen.push(req.pathWithQuery() ?? '');
      answer(out, 200, [], [enc.encode('ok')]);
      return { ok: true };
    },
    maxRequestBodyBytes: 64 * 1024,
    maxBufferedRequestBytes: 100 * 1024,
  });
  const port = await server.listen(0, '127.0.0.1');
  t.teardown(() => server.close(100));
  // A slow upload declaring 60 KiB holds 60 KiB from its first bytes.
  const slow = await openWith(port, `POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: ${60 * 1024}\r\n\r\n` + 'a'.repeat(1024));
  await new Promise((r) => setTimeout(r, 100));
  const declared = await send(port, 'POST', '/declared', 'b'.repeat(50 * 1024));
  t.same([declared.status, declared.headers['retry-after'], declared.body], [503, '1', `request bodies being read hold ${100 * 1024} bytes, all they may at once: try again (E_BUSY)\n`], 'a declared length with no room: 503 at once');
  const chunks = await send(port, 'POST', '/chunked', 'c'.repeat(50 * 1024), { 'transfer-encoding': 'chunked' });
  t.same([chunks.status, chunks.headers['retry-after']], [503, '1'], 'a chunked body that outgrows the room: 503 once it is in');
  t.same(seen, [], 'neither reached the handler');
  t.same((await send(port, 'POST', '/small', 'd'.repeat(1000))).status, 200, 'a body that fits beside the slow one');
  slow.socket.end('a'.repeat(59 * 1024));
  await slow.closed;
  t.match(slow.reply(), /^HTTP\/1\.1 200 OK\r\n/);
  const again = await send(port, 'POST', '/declared', 'b'.repeat(50 * 1024));
  t.equal(again.status, 200, 'the room is back once the slow request is answered');
  t.same(seen, ['/small', '/slow', '/declared']);
});

t.test('response bodies their clients do not take hold at most maxPendingResponseBytes: past it 503 before the request is read, and room comes back as they go', async (t) => {
  const MIB = 1024 * 1024;
  const body = new Uint8Array(32 * MIB).fill(0x62);
  let handled = 0;
  const server = new HostHttpServer({
    handle: (req, out) => {
      handled++;
      // (blocking-write-and-flush takes at most 4096 bytes a call)
      const pieces = req.pathWithQuery() === '/big' ? Array.from({ length: body.length / 4096 }, (_, i) => body.subarray(i * 4096, (i + 1) * 4096)) : [enc.encode('ok')];
      answer(out, 200, [], pieces);
      return { ok: true };
    },
    maxPendingResponseBytes: 48 * MIB,
  });
  const port = await server.listen(0, '127.0.0.1');
  t.teardown(() => server.close(100));
  // Two clients ask for 32 MiB each and read none of it: the system takes a few MiB of each at most.
  const idle = [0, 1].map(() => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.pause();
    return socket;
  });
  t.teardown(() => idle.forEach((s) => s.destroy()));
  for (let i = 0; i < 100 && handled < 2; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(handled, 2, 'both answered by the handler');
  const refused = await send(port, 'GET', '/ok');
  t.same([refused.status, refused.headers['retry-after'], refused.headers.connection], [503, '1', 'close']);
  t.match(refused.body, /^responses not yet taken by their clients hold \d+ bytes \(at most 50331648\), all they may at once: try again \(E_BUSY\)\n$/);
  const held = Number(/hold (\d+) bytes/.exec(refused.body)![1]);
  t.equal(held, 64 * MIB, 'both bodies counted whole');
  t.equal(handled, 2, 'the refused request never reached the handler');
  // The clients go: their bodies are given back.
  idle.forEach((s) => s.destroy());
  let after = refused;
  for (let i = 0; i < 100 && after.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 20));
    after = await send(port, 'GET', '/ok');
  }
  t.same([after.status, after.body], [200, 'ok'], 'served again once they went');
});

t.test('a handler that returns without a response (none set, or an error set) or with its body unfinished is answered 500 and told; response bodies count per request', async (t) => {
  const MIB = 1024 * 1024;
  const mib = new Uint8Array(MIB).fill(0x61);
  const told: Array<[string, unknown]> = [];
  const caught: unknown[] = [];
  /** A response whose body gets `n` MiB (its write refused: caught and kept), finished unless `finish` is false. */
  const bodyOf = (n: number, finish = true): HostOutgoingResponse => {
    const response = new HostOutgoingResponse(new ShimFields());
    const body = response.body();
    const stream = body.write();
    try {
      for (let i = 0; i < n; i++) stream.write(mib);
    } catch (e) {
      caught.push(e);
    }
    if (finish) HostOutgoingBody.finish(body, undefined);
    return response;
  };
  const server = new HostHttpServer({
    handle(req, out) {
      const path = req.pathWithQuery();
      if (path === '/err') HostResponseOutparam.set(out, { tag: 'err', val: { tag: 'internal-error', val: 'upstream gone' } });
      else if (path === '/two') {
        bodyOf(40); // a response made and dropped: its body still counts
        HostResponseOutparam.set(out, { tag: 'ok', val: bodyOf(30) });
      } else if (path === '/overflow-then-err') {
        bodyOf(65);
        HostResponseOutparam.set(out, { tag: 'err', val: { tag: 'internal-error' } });
      } else if (path === '/unfinished') HostResponseOutparam.set(out, { tag: 'ok', val: bodyOf(1, false) });
      else if (path === '/fits') HostResponseOutparam.set(out, { tag: 'ok', val: bodyOf(64) });
      return { ok: true }; // '/none': nothing set
    },
    onNoResponse: (error) => told.push(['no response', error]),
    onUnfinishedBody: () => told.push(['unfinished', undefined]),
    onResponseTooLarge: (handled) => told.push(['too large', handled]),
  });
  const port = await server.listen(0, '127.0.0.1');
  t.teardown(() => server.close(100));
  for (const path of ['/none', '/err', '/two', '/overflow-then-err', '/unfinished']) {
    const r = await send(port, 'GET', path);
    t.same([r.status, r.body], [500, ''], path);
  }
  t.same(told, [
    ['no response', undefined],
    ['no response', 'internal-error (upstream gone)'],
    ['too large', true],
    ['too large', true],
    ['unfinished', undefined],
  ]);
  t.same(caught, [{ tag: 'closed' }, { tag: 'closed' }], 'the write past the request\'s 64 MiB is refused as a closed stream');
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path: '/fits' }, (res) => {
      t.equal(res.statusCode, 200);
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', resolve);
    }).on('error', reject).end();
  });
  t.equal(bytes, 64 * MIB, 'a later request has its own 64 MiB');
});

t.test('zero writes past what the stream permits are refused before any memory is taken', async (t) => {
  const stream = new HostOutgoingResponse(new ShimFields()).body().write();
  t.throws(() => stream.writeZeroes(1n << 40n), /write-zeroes of 1099511627776 bytes is more than check-write permits \(1048576\)/);
  t.throws(() => stream.blockingWriteZeroesAndFlush(4097n), /Buffer too large for blocking-write-and-flush \(expected at most 4096\)/);
  stream.writeZeroes(3n);
  stream.blockingWriteZeroesAndFlush(2n);
});

t.test('a write longer than check-write permits traps and writes nothing; one of exactly the permit is taken', async (t) => {
  const response = new HostOutgoingResponse(new ShimFields());
  const stream = response.body().write();
  const permit = Number(stream.checkWrite());
  t.equal(permit, 1024 * 1024);
  t.throws(() => stream.write(new Uint8Array(permit + 1)), { message: 'write of 1048577 bytes is more than check-write permits (1048576)' });
  stream.write(new Uint8Array(permit).fill(7));
  stream.write(new Uint8Array([1, 2]));
  t.equal(HostOutgoingResponse.parts(response).body.length, permit + 2, 'the refused write left nothing behind');
});

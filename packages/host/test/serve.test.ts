// `sentinel-wasi serve`: an HTTP component under the Node host, as a real child process on
// 127.0.0.1: a pool of reused instances by default (state kept across requests), a fresh instance
// per request on request, a trapping request answered 500 and its instance replaced, appends from
// every request whole in the pin, and a missing pin that fails no request.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fixtureComponent } from '../../../test/helpers/fixtures.js';
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import { NODE_HOST_CACHE, startServe } from '../../../test/helpers/node-host.js';
import { CLI_BIN, runProcess, tempDir, tempPin } from '../../../test/helpers/repo.js';
import { scanPin } from '../../../test/helpers/segments.js';

const component = fixtureComponent('append-http');

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** The fixture's `served N`: how many requests the instance that answered has served. */
const servedOf = (body: string): number => Number(/served (\d+)\n$/.exec(body)?.[1]);

t.test('by default one instance serves request after request (its state kept); every append lands in the pin', async (t) => {
  const pin = await tempPin(t, 'serve');
  const server = await startServe({ component, pin });
  t.teardown(() => server.stop());
  const responses = [];
  for (let i = 0; i < 12; i++) responses.push(await get(`${server.url}/res${i % 3}?rt=${i}`));
  t.same(responses.map((r) => servedOf(r.body)), [...Array(12).keys()].map((i) => i + 1), 'the same instance, its count going up');
  // Eight more at once: handled one at a time, each by an idle instance (never re-entered).
  const burst = await Promise.all([...Array(8).keys()].map((i) => get(`${server.url}/burst?rt=${100 + i}`)));
  t.same(burst.map((r) => r.status), Array(8).fill(200));
  t.same(burst.map((r) => servedOf(r.body)).sort((a, b) => a - b), [13, 14, 15, 16, 17, 18, 19, 20], 'still the warm instance');
  t.ok([...responses, ...burst].every((r) => r.body.startsWith('appended 1 dropped 0 ')));
  const { code, stderr } = await server.stop();
  t.equal(code, 0);
  t.match(stderr, /stopped after 20 requests \(0 failed\), 4 instances \(pool of 4; 0 retired, 0 dropped after a trap\)\n/);
  const scan = scanPin(pin);
  t.same({ frames: scan.framesRead, skipped: scan.framesSkipped, records: scan.recordsAccepted }, { frames: 20, skipped: 0, records: 20 });
  t.same(scan.records.map((r) => r.rtMs).sort((a, b) => a - b), [...Array(12).keys(), ...[...Array(8).keys()].map((i) => 100 + i)]);
  t.same(new Set(scan.records.map((r) => r.name)), new Set(['res0', 'res1', 'res2', 'burst']));
});

t.test('--fresh-instance-per-request: every request gets a new instance', async (t) => {
  const pin = await tempPin(t, 'serve');
  const server = await startServe({ component, pin, extraArgs: ['--fresh-instance-per-request'] });
  t.teardown(() => server.stop());
  const responses = [];
  for (let i = 0; i < 6; i++) responses.push(await get(`${server.url}/one?rt=${i}`));
  responses.push(...(await Promise.all([...Array(6).keys()].map((i) => get(`${server.url}/burst?rt=${10 + i}`)))));
  t.same(new Set(responses.map((r) => `${r.status} ${r.body}`)), new Set(['200 appended 1 dropped 0 served 1\n']), 'no instance served twice');
  const { code, stderr } = await server.stop();
  t.equal(code, 0);
  const m = /stopped after 12 requests \(0 failed\), (\d+) instances \(pool of 4; 12 retired, 0 dropped after a trap\)/.exec(stderr);
  t.ok(m, stderr);
  t.ok(Number(m?.[1]) >= 13, `${m?.[1]} instances: one per request and ready ones beside`);
  t.equal(scanPin(pin).recordsAccepted, 12);
});

t.test('outgoing HTTP requests are denied: the pin is the only capability', async (t) => {
  const pin = await tempPin(t, 'serve');
  const server = await startServe({ component, pin });
  t.teardown(() => server.stop());
  t.same(await get(`${server.url}/fetch`), { status: 200, body: 'outgoing: HTTP-request-denied\n' });
});

t.test('a request whose instance traps gets 500; the instance is dropped and replaced, and the next requests are served', async (t) => {
  const pin = await tempPin(t, 'serve');
  const server = await startServe({ component, pin });
  t.teardown(() => server.stop());
  t.same(await get(`${server.url}/before`), { status: 200, body: 'appended 1 dropped 0 served 1\n' });
  t.same(await get(`${server.url}/trap`), { status: 500, body: '' });
  // The trapped instance (which had served /before) is gone: a ready one answers, counting from 1.
  const after = [];
  for (let i = 0; i < 5; i++) after.push(await get(`${server.url}/after`));
  t.same(after, [1, 2, 3, 4, 5].map((n) => ({ status: 200, body: `appended 1 dropped 0 served ${n}\n` })));
  const { stderr } = await server.stop();
  t.equal(
    stderr.split('\n').filter((l) => l.includes('request failed')).join('\n'),
    'sentinel-wasi serve: request failed: RuntimeError: wasm trap: wasm `unreachable` instruction executed (E_TRAP)',
    'one line, with its code',
  );
  t.match(stderr, 'trap requested', "the engine's account of the exception first");
  t.match(stderr, /stopped after 7 requests \(1 failed\), 5 instances \(pool of 4; 0 retired, 1 dropped after a trap\)/, 'one made to take its place');
  t.equal(scanPin(pin).recordsAccepted, 6);
});

t.test('--max-instance-reuse-count N: an instance serves N requests in turn; a trapped one is replaced', async (t) => {
  const pin = await tempPin(t, 'serve');
  const server = await startServe({ component, pin, extraArgs: ['--instances', '1', '--max-instance-reuse-count', '3'] });
  t.teardown(() => server.stop());
  const served: number[] = [];
  for (let i = 0; i < 7; i++) served.push(servedOf((await get(`${server.url}/r${i}`)).body));
  t.same(served, [1, 2, 3, 1, 2, 3, 1]);
  t.equal((await get(`${server.url}/trap`)).status, 500);
  t.equal(await get(`${server.url}/next`).then((r) => r.body), 'appended 1 dropped 0 served 1\n', 'a fresh instance after the trap');
  const { stderr } = await server.stop();
  t.match(stderr, /stopped after 9 requests \(1 failed\), 4 instances \(pool of 1; 2 retired, 1 dropped after a trap\)/);
  t.equal(scanPin(pin).recordsAccepted, 8);
});

t.test('a missing pin fails no request; each counts its drop, and appends start once the pin exists', async (t) => {
  const dir = await tempDir(t, 'serve');
  const pin = join(dir, 'pin');
  const server = await startServe({ component, pin });
  t.teardown(() => server.stop());
  t.same(await get(`${server.url}/a`), { status: 200, body: 'appended 0 dropped 1 served 1\n' });
  t.notOk(existsSync(pin));
  t.equal((await runProcess(process.execPath, [CLI_BIN, 'init', '--pin', pin])).code, 0, 'the pin made, as init or the collector makes it');
  t.same(await get(`${server.url}/b`), { status: 200, body: 'appended 1 dropped 0 served 2\n' });
  t.equal(scanPin(pin).recordsAccepted, 1);
  const { stderr } = await server.stop();
  t.match(stderr, /stopped after 2 requests \(0 failed\), 4 instances \(pool of 4; 0 retired, 0 dropped after a trap\); 1 request could not write to the pin \(2 failed operations: no-entry 2\)/);
});

t.test('a read-only pin fails no request; each counts its drop', async (t) => {
  const pin = await tempPin(t, 'serve');
  const server = await startServe({ component, pin, pinReadOnly: true });
  t.teardown(() => server.stop());
  t.same(await get(`${server.url}/a`), { status: 200, body: 'appended 0 dropped 1 served 1\n' });
  t.same(scanPin(pin).segments, []);
  const { stderr } = await server.stop();
  t.match(stderr, /\nsentinel-wasi serve: stopped after 1 request \(0 failed\), 4 instances \(pool of 4; 0 retired, 0 dropped after a trap\); 1 request could not write to the pin \(2 failed operations: not-permitted 2\)\n$/);
});

t.test('the stop summary counts in the singular for one: 1 request, 1 instance', async (t) => {
  const pin = await tempPin(t, 'serve');
  const server = await startServe({ component, pin, extraArgs: ['--instances', '1'] });
  t.teardown(() => server.stop());
  t.same(await get(`${server.url}/one`), { status: 200, body: 'appended 1 dropped 0 served 1\n' });
  const { code, stderr } = await server.stop();
  t.equal(code, 0);
  t.equal(stderr.split('\n').at(-2), 'sentinel-wasi serve: stopped after 1 request (0 failed), 1 instance (pool of 1; 0 retired, 0 dropped after a trap)');
});

t.test('a port already in use: exit 1 with E_ADDRINUSE (the collector\'s code), the port and how to choose another', async (t) => {
  const pin = await tempPin(t, 'serve');
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const r = await runProcess(process.execPath, [CLI_BIN, 'serve', component, '--pin', pin, '--port', String(port), '--cache-dir', NODE_HOST_CACHE]);
  t.equal(r.code, 1);
  t.equal(r.stderr, `sentinel-wasi serve: cannot listen on 127.0.0.1:${port}: the port is in use; choose another with --port N (0 picks a free one) (E_ADDRINUSE)\n`);
});

t.test('an address that is not this machine\'s: exit 1 with E_LISTEN and the OS reason', async (t) => {
  const pin = await tempPin(t, 'serve');
  // 192.0.2.1: TEST-NET-1, never an address of this machine.
  const r = await runProcess(process.execPath, [CLI_BIN, 'serve', component, '--pin', pin, '--host', '192.0.2.1', '--port', '0', '--cache-dir', NODE_HOST_CACHE]);
  t.same(r, { code: 1, stdout: '', stderr: 'sentinel-wasi serve: cannot listen on 192.0.2.1:0: listen EADDRNOTAVAIL: address not available 192.0.2.1 (E_LISTEN)\n' });
});

t.test('a command component given to serve is refused with E_NOT_HTTP, exit 1, nothing served', async (t) => {
  const pin = await tempPin(t, 'serve-not-http');
  const component = fixtureComponent('append-cli');
  const r = await runProcess(process.execPath, [CLI_BIN, 'serve', component, '--pin', pin, '--port', '0', '--cache-dir', NODE_HOST_CACHE]);
  t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi serve: ${component} does not export wasi:http/incoming-handler (is it a command component? use run) (E_NOT_HTTP)\n` });
});

t.test('serveComponent: instances and maxInstanceReuseCount must be positive integers (E_BAD_ARGUMENT), checked before the component is loaded', async (t) => {
  const { serveComponent } = await import('../src/serve.js');
  const base = { componentPath: '/nonexistent.wasm', pinDir: undefined, port: 0 };
  for (const [extra, message] of [
    [{ instances: 0 }, 'instances must be a positive integer, got 0'],
    [{ instances: 1.5 }, 'instances must be a positive integer, got 1.5'],
    [{ maxInstanceReuseCount: 0 }, 'maxInstanceReuseCount must be a positive integer, got 0'],
    [{ maxInstanceReuseCount: Number.NaN }, 'maxInstanceReuseCount must be a positive integer, got NaN'],
  ] as const) {
    await t.rejects(serveComponent({ ...base, ...extra }), { code: 'E_BAD_ARGUMENT', message: new RegExp(message.replace(/[.]/g, '\\.')) }, message);
  }
});

t.test('SIGTERM drains: a request still arriving is answered by the pool and counted in the stop summary', async (t) => {
  const pin = await tempPin(t, 'serve');
  const server = await startServe({ component, pin });
  t.teardown(() => server.stop());
  const socket = connect(server.port, '127.0.0.1');
  await once(socket, 'connect');
  let reply = '';
  socket.setEncoding('latin1').on('data', (d: string) => (reply += d));
  const closed = once(socket, 'close');
  socket.write('POST /late?rt=7 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
  await new Promise((resolve) => setTimeout(resolve, 300)); // the request's head is in: it is in flight
  const stopped = server.stop();
  await new Promise((resolve) => setTimeout(resolve, 300));
  socket.write('defghij');
  await closed;
  t.match(reply, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nappended 1 dropped 0 served 1\n$/, 'answered by the pool\'s warm instance');
  t.match(reply, /\r\nconnection: close\r\n/i, 'and the connection closed after it');
  const { code, stderr } = await stopped;
  t.equal(code, 0);
  t.equal(stderr.split('\n').at(-2), 'sentinel-wasi serve: stopped after 1 request (0 failed), 4 instances (pool of 4; 0 retired, 0 dropped after a trap)');
  t.same(scanPin(pin).records.map((r) => [r.name, r.rtMs]), [['late', 7]]);
});

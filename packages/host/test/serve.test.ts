// `sentinel-wasi serve`: an HTTP component under the Node host, as a real child process on
// 127.0.0.1: a fresh instance per request, a trapping request answered 500 without stopping the
// server, appends from every request whole in the pin, and a missing pin that fails no request.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fixtureComponent } from '../../../test/helpers/fixtures.js';
import { createServer } from 'node:net';
import { NODE_HOST_CACHE, startServe } from '../../../test/helpers/node-host.js';
import { CLI_BIN, runProcess, tempDir } from '../../../test/helpers/repo.js';
import { scanPin } from '../../../test/helpers/segments.js';

const component = fixtureComponent('append-http');

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

t.test('every request gets a fresh instance and its append lands in the pin', async (t) => {
  const pin = await tempDir(t, 'serve');
  const server = await startServe({ component, pin });
  t.teardown(() => server.stop());
  const responses = [];
  for (let i = 0; i < 12; i++) responses.push(await get(`${server.url}/res${i % 3}?rt=${i}`));
  // Eight more at once: concurrent requests, still one instance each.
  responses.push(...(await Promise.all([...Array(8).keys()].map((i) => get(`${server.url}/burst?rt=${100 + i}`)))));
  t.same(new Set(responses.map((r) => `${r.status} ${r.body}`)), new Set(['200 appended 1 dropped 0 served 1\n']), 'no instance served twice');
  const { code, stderr } = await server.stop();
  t.equal(code, 0);
  t.match(stderr, /stopped after 20 requests \(0 failed\), (2[01]) instances/, 'one instance per request (plus the up-front check and a spare)');
  const scan = scanPin(pin);
  t.same({ frames: scan.framesRead, skipped: scan.framesSkipped, records: scan.recordsAccepted }, { frames: 20, skipped: 0, records: 20 });
  t.same(scan.records.map((r) => r.rtMs).sort((a, b) => a - b), [...Array(12).keys(), ...[...Array(8).keys()].map((i) => 100 + i)]);
  t.same(new Set(scan.records.map((r) => r.name)), new Set(['res0', 'res1', 'res2', 'burst']));
});

t.test('outgoing HTTP requests are denied: the pin is the only capability', async (t) => {
  const pin = await tempDir(t, 'serve');
  const server = await startServe({ component, pin });
  t.teardown(() => server.stop());
  t.same(await get(`${server.url}/fetch`), { status: 200, body: 'outgoing: HTTP-request-denied\n' });
});

t.test('a request whose instance traps gets 500; the next request is served', async (t) => {
  const pin = await tempDir(t, 'serve');
  const server = await startServe({ component, pin });
  t.teardown(() => server.stop());
  t.same(await get(`${server.url}/trap`), { status: 500, body: '' });
  t.same(await get(`${server.url}/after`), { status: 200, body: 'appended 1 dropped 0 served 1\n' });
  const { stderr } = await server.stop();
  t.match(stderr, /request failed: RuntimeError/);
  t.match(stderr, /stopped after 2 requests \(1 failed\)/);
});

t.test('--max-instance-reuse-count N: an instance serves N requests in turn; a trapped one is replaced', async (t) => {
  const pin = await tempDir(t, 'serve');
  const server = await startServe({ component, pin, extraArgs: ['--max-instance-reuse-count', '3'] });
  t.teardown(() => server.stop());
  const served: string[] = [];
  for (let i = 0; i < 7; i++) served.push((await get(`${server.url}/r${i}`)).body.trim().split(' ').pop()!);
  t.same(served, ['1', '2', '3', '1', '2', '3', '1']);
  t.equal((await get(`${server.url}/trap`)).status, 500);
  t.equal(await get(`${server.url}/next`).then((r) => r.body), 'appended 1 dropped 0 served 1\n', 'a fresh instance after the trap');
  const { stderr } = await server.stop();
  t.match(stderr, /stopped after 9 requests \(1 failed\)/);
  t.equal(scanPin(pin).recordsAccepted, 8);
});

t.test('a missing pin fails no request; each counts its drop, and appends start once the pin exists', async (t) => {
  const dir = await tempDir(t, 'serve');
  const pin = join(dir, 'pin');
  const server = await startServe({ component, pin });
  t.teardown(() => server.stop());
  t.same(await get(`${server.url}/a`), { status: 200, body: 'appended 0 dropped 1 served 1\n' });
  t.notOk(existsSync(pin));
  mkdirSync(pin);
  t.same(await get(`${server.url}/b`), { status: 200, body: 'appended 1 dropped 0 served 1\n' });
  t.equal(scanPin(pin).recordsAccepted, 1);
  const { stderr } = await server.stop();
  t.match(stderr, /stopped after 2 requests \(0 failed\), \d+ instances; 1 requests could not write to the pin \(no-entry 2\)/);
});

t.test('a read-only pin fails no request; each counts its drop', async (t) => {
  const pin = await tempDir(t, 'serve');
  const server = await startServe({ component, pin, pinReadOnly: true });
  t.teardown(() => server.stop());
  t.same(await get(`${server.url}/a`), { status: 200, body: 'appended 0 dropped 1 served 1\n' });
  t.same(scanPin(pin).segments, []);
  const { stderr } = await server.stop();
  t.match(stderr, /1 requests could not write to the pin \(not-permitted 2\)/);
});

t.test('a port already in use: exit 1 with E_ADDRESS_IN_USE, nothing left running', async (t) => {
  const pin = await tempDir(t, 'serve');
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const r = await runProcess(process.execPath, [CLI_BIN, 'serve', component, '--pin', pin, '--port', String(port), '--cache-dir', NODE_HOST_CACHE]);
  t.equal(r.code, 1);
  t.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*\\(E_ADDRESS_IN_USE\\)`));
});

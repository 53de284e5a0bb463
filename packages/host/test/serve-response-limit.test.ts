// `sentinel-wasi serve` keeps response bodies in memory until the request ends, so it holds at most
// 64 MiB of a request's: a filter (fixtures/serve-http's /big) that writes past it has the write
// refused as a closed stream and the request answered 500 with one E_RESPONSE_TOO_LARGE line,
// counted as failed once whether the filter caught the refusal or trapped on it; a body of exactly
// the limit is served whole, and the process serves on. A request the filter sets no response for
// is 500 and counted as failed too (E_NO_RESPONSE), and so is one whose body it never finished
// (E_BODY_UNFINISHED: an incomplete response is not sent as if whole).

import { request } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { CLI_BIN, runProcess, tempDir } from '../../../test/helpers/repo.js';
import { startServe } from '../../../test/helpers/node-host.js';
import { builtServeFixture } from './host-fixtures.js';

t.setTimeout(300_000);

const LIMIT_BYTES = 64 * 1024 * 1024;
const TOO_LARGE = `sentinel-wasi serve: request failed: the filter's response bodies went past ${LIMIT_BYTES} bytes, the most a request may hold (they are kept in memory until the request ends); the write past it failed as a closed stream: answered 500 (E_RESPONSE_TOO_LARGE)\n`;

/** Status, content-length and the number of body bytes received (the body itself is not kept). */
function get(url: string): Promise<{ status: number; length: string | undefined; bytes: number }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode!, length: res.headers['content-length'], bytes }));
    })
      .on('error', reject)
      .end();
  });
}

t.test('a response body past 64 MiB is refused at the write and answered 500; exactly 64 MiB is served', async (t) => {
  const component = builtServeFixture();
  const pin = join(await tempDir(t, 'serve-response-limit'), 'pin');
  t.equal((await runProcess(process.execPath, [CLI_BIN, 'init', '--pin', pin])).code, 0);
  const server = await startServe({ component, pin, extraArgs: ['--instances', '1'] });
  let stopped: { code: number; stderr: string } | null = null;
  t.teardown(async () => {
    if (stopped === null) await server.stop();
  });
  t.same(await get(`${server.url}/big?mib=64`), { status: 200, length: String(LIMIT_BYTES), bytes: LIMIT_BYTES }, 'exactly the limit: served whole');
  t.same(await get(`${server.url}/big?mib=65&catch=1`), { status: 500, length: '0', bytes: 0 }, 'past it, the refusal caught: 500');
  t.same(await get(`${server.url}/big?mib=65`), { status: 500, length: '0', bytes: 0 }, 'past it, the refusal thrown to httpHandler(): 500');
  t.same(await get(`${server.url}/big-trap`), { status: 500, length: '0', bytes: 0 }, 'past it, the refusal thrown out of the component (a trap): 500');
  t.same(await get(`${server.url}/none`), { status: 500, length: '0', bytes: 0 }, 'no response set: 500');
  t.same(await get(`${server.url}/unfinished`), { status: 500, length: '0', bytes: 0 }, 'a body never finished: 500, not its 2 bytes as if whole');
  t.same(await get(`${server.url}/ok`), { status: 200, length: '2', bytes: 2 }, 'the process serves on');
  stopped = await server.stop();
  const { code, stderr } = stopped;
  t.equal(code, 0);
  t.equal(stderr.split(TOO_LARGE).length - 1, 3, 'one line says why, for each refused request');
  t.match(stderr, 'sentinel-wasi filter: httpHandler() body threw Error: [object Object] (see error.payload); payload {"tag":"closed"}\n', "the SDK's line for the refusal it caught, with the WIT error's value");
  t.match(stderr, /sentinel-wasi serve: request failed: .*\(E_TRAP\)\n/, 'and the trap itself');
  t.match(stderr, /\nsentinel-wasi serve: request failed: the filter returned without setting a response: answered 500 \(E_NO_RESPONSE\)\n/);
  t.match(stderr, /\nsentinel-wasi serve: request failed: the filter set a response and returned without finishing its body \(OutgoingBody\.finish\), so the response is incomplete: answered 500 \(E_BODY_UNFINISHED\)\n/);
  t.match(stderr, /stopped after 7 requests \(5 failed\), 2 instances \(pool of 1; 0 retired, 1 dropped after a trap\)\n/, 'each refused request, the one without a response and the unfinished one counted as failed once; only the trap drops its instance');
});

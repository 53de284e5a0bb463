// `sentinel-wasi serve --max-request-ms`: a component whose request never returns (fixtures/
// serve-http, a StarlingMonkey filter looping on /loop) holds the process's one thread, where
// nothing can interrupt it, SIGTERM's handler included. Past the limit the process writes one line
// with E_REQUEST_TIMEOUT and is killed (SIGKILL), for a supervisor to restart; requests that
// return are served as usual before. A bad value is E_USAGE.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { CLI_BIN, REPO_ROOT, runProcess, tempDir } from '../../../test/helpers/repo.js';
import { builtServeFixture } from './host-fixtures.js';

t.setTimeout(300_000);

t.test('a request that never returns ends the process past --max-request-ms, with one line saying why; requests before it are served', async (t) => {
  const component = builtServeFixture();
  const pin = join(await tempDir(t, 'serve-timeout'), 'pin');
  t.equal((await runProcess(process.execPath, [CLI_BIN, 'init', '--pin', pin])).code, 0);
  const child = spawn(process.execPath, [CLI_BIN, 'serve', component, '--pin', pin, '--port', '0', '--max-request-ms', '1000'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+?)\/\n/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`serve ended before listening:\n${stderr}`)));
  });
  const ok = await fetch(`${url}/ok`);
  t.same([ok.status, await ok.text()], [200, 'ok'], 'a request that returns is served');
  const startedMs = Date.now();
  const looping = await fetch(`${url}/loop`).then(
    (r) => `status ${r.status}`,
    (e: Error) => `failed: ${e.message}`,
  );
  t.equal(looping, 'failed: fetch failed', 'the looping request gets no answer: the process ended');
  const end = await exited;
  const tookMs = Date.now() - startedMs;
  t.same(end, { code: null, signal: 'SIGKILL' }, 'killed');
  t.ok(tookMs >= 1000 && tookMs < 10_000, `ended ${tookMs} ms after the request began (limit 1000 ms)`);
  t.match(stderr, /sentinel-wasi serve: a request has run \d+ ms without returning \(over --max-request-ms 1000\): a component that does not return cannot be interrupted on the process's one thread, so the process ends now \(killed\); restart it \(E_REQUEST_TIMEOUT\)\n/);
});

t.test('--max-request-ms takes a whole number of ms', async (t) => {
  const component = join(REPO_ROOT, 'examples/http-gateway/dist/http-gateway.wasm');
  for (const bad of ['abc', '=-1', '-1', '1.5', '0x10']) {
    const flag = bad.startsWith('=') ? [`--max-request-ms${bad}`] : ['--max-request-ms', bad];
    const r = await runProcess(process.execPath, [CLI_BIN, 'serve', component, '--no-pin', '--port', '0', ...flag]);
    t.equal(r.code, 2, bad);
    t.equal(r.stderr.split('\n')[0], `sentinel-wasi serve: --max-request-ms must be a whole number of ms (0: no limit), got ${JSON.stringify(bad.replace(/^=/, ''))} (E_USAGE)`, bad);
  }
});

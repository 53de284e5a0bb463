// `sentinel-wasi serve` with its default instance pool, under concurrent load, read by a real
// collector: the http-gateway example answers 120 requests sent 8 at a time, and the collector
// counts every request's records (a PASS and an EXIT each) exactly once.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { gatewayRequests } from '../../../test/helpers/gateway.js';
import { startServe } from '../../../test/helpers/node-host.js';
import { CLI_BIN, REPO_ROOT, exampleComponent, runProcess, tempDir } from '../../../test/helpers/repo.js';

const REQUESTS = 120;
const CONCURRENCY = 8;

async function until<V>(what: string, probe: () => Promise<V | undefined>, tries = 1200): Promise<V> {
  for (let i = 0; i < tries; i++) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

t.test('the pool under 8 concurrent clients: every request answered, its records counted once by the collector', async (t) => {
  const pin = join(await tempDir(t, 'serve-pool'), 'pin');
  const init = await runProcess(process.execPath, [CLI_BIN, 'init', '--pin', pin]);
  t.equal(init.code, 0, init.stderr);
  const collector = spawn(process.execPath, [CLI_BIN, 'collector', '--pin', pin, '--port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let collectorErr = '';
  collector.stderr.setEncoding('utf8').on('data', (d: string) => (collectorErr += d));
  const collectorExited = new Promise<number | null>((resolve) => collector.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (collector.exitCode === null) collector.kill('SIGKILL');
  });
  const addressFile = join(pin, 'collector', 'address.json');
  const url = await until('address.json', async () => (existsSync(addressFile) ? (JSON.parse(readFileSync(addressFile, 'utf8')) as { url: string }).url : undefined));

  const server = await startServe({ component: exampleComponent('http-gateway'), pin });
  t.teardown(() => server.stop());
  const requests = gatewayRequests(REQUESTS);
  const answers: string[] = Array(REQUESTS);
  let next = 0;
  await Promise.all(
    [...Array(CONCURRENCY).keys()].map(async () => {
      while (next < REQUESTS) {
        const i = next++;
        const r = requests[i]!;
        const res = await fetch(`${server.url}${r.target}`, { method: r.method });
        answers[i] = `${res.status} ${await res.text()}`;
      }
    }),
  );
  t.same(answers, requests.map((r) => `${r.status} ${r.body}`), 'every answer as the gateway decides');
  const { code, stderr } = await server.stop();
  t.equal(code, 0);
  t.match(stderr, new RegExp(`stopped after ${REQUESTS} requests \\(0 failed\\), 4 instances \\(pool of 4; 0 retired, 0 dropped after a trap\\)`));

  const health = await until('every record counted', async () => {
    const h = (await (await fetch(`${url}/api/v1/health`)).json()) as { counters: Record<string, number> };
    return h.counters.recordsCounted! >= 2 * REQUESTS ? h : undefined;
  });
  t.equal(health.counters.recordsCounted, 2 * REQUESTS, 'a PASS and an EXIT per request, none twice');
  t.equal(health.counters.recordsRejected, 0);
  t.equal(health.counters.framesSkipped, 0);
  collector.kill('SIGTERM');
  t.equal(await collectorExited, 0, collectorErr);
});

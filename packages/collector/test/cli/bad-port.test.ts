// `stats` and `top` reach a collector on any port it can listen on, also one that Node's fetch
// (undici) refuses to call as a "bad port" of the fetch standard (6000, 6665–6669, 10080, 5060, …):
// the client asks with node:http. What does not answer is still E_UNREACHABLE with its reason, and
// a collector that takes the connection but sends nothing is given up after QUERY_TIMEOUT_MS.
process.env.TZ = 'UTC';
import t from 'tap';
import { createServer, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePinHeader } from '@sentinel-wasi/protocol';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { QUERY_TIMEOUT_MS } from '../../src/client/daemon.js';
import { FixedStatsQuery, node } from '../http/fixed-query.js';
import { BAD_PORTS } from '../http/bad-ports.js';
import { runCli } from './run-cli.js';

const T = 1764120000000; // 2025-11-26 01:20:00 UTC
const root = mkdtempSync(join(tmpdir(), 'sw-bad-port-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));


/** The real collector HTTP server on the first of BAD_PORTS that is free on 127.0.0.1; undefined when none is. */
async function serveOnBadPort(pin: string): Promise<RunningHttpServer | undefined> {
  const query = new FixedStatsQuery([node('hot', '', { passQps: 40, successQps: 40, avgRtMs: 1 }, { pass: 2400, success: 2400 })]);
  for (const port of BAD_PORTS) {
    try {
      return await startHttpServer({ query, app: 'demo.app', metricDir: join(pin, 'collector', 'metrics'), host: '127.0.0.1', port, nowMs: () => T + 30_000 });
    } catch {
      // in use (or otherwise not ours to take): the next one
    }
  }
  return undefined;
}

t.test('a collector on a port fetch calls "bad": stats and top ask it, with --pin and with --url', async (t) => {
  const pin = join(root, 'pin');
  mkdirSync(join(pin, 'collector', 'metrics'), { recursive: true });
  writeFileSync(join(pin, 'PIN'), JSON.stringify(makePinHeader('demo.app')));
  const server = await serveOnBadPort(pin);
  if (server === undefined) {
    t.skip(`none of the bad ports ${BAD_PORTS.join(', ')} is free on 127.0.0.1`);
    return;
  }
  t.teardown(() => server.close());
  // The premise: fetch refuses this port before connecting.
  const refused = await fetch(`${server.url}/api/v1/resources`).then(
    () => 'answered',
    (err: Error & { cause?: Error }) => err.cause?.message,
  );
  t.equal(refused, 'bad port', `fetch refuses ${server.url}`);
  writeFileSync(join(pin, 'collector', 'address.json'), JSON.stringify({ url: server.url, pid: process.pid, startedAtMs: T, app: 'demo.app' }));

  const table = [
    'resource  pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
    'hot           40        0         40            0          1            0     2400         0             0',
    '',
  ].join('\n');
  const stats = await runCli('stats', '--pin', pin);
  t.same([stats.code, stats.stderr, stats.stdout], [0, '', `source: collector ${server.url} at 2025-11-26 01:20:30\n${table}`]);
  const byUrl = await runCli('stats', '--url', server.url, '--json');
  t.same([byUrl.code, byUrl.stderr, byUrl.stdout.includes('\n  "source": "collector",\n')], [0, '', true]);
  const top = await runCli('top', '--pin', pin, '--once');
  t.same([top.code, top.stderr, top.stdout], [0, '', `source: collector ${server.url} at 2025-11-26 01:20:30; 1 resources, top 1\n${table}`]);
  const one = await runCli('stats', '--url', server.url, '--resource', 'nope');
  t.same([one.code, one.stderr], [1, 'sentinel-wasi stats: the collector tracks no resource named "nope" (E_UNKNOWN_RESOURCE)\n'], "the collector's 404 is read as before");
});

t.test('a collector that takes the connection and never answers, or stops mid-answer: E_UNREACHABLE after the timeout', async (t) => {
  const sockets = new Set<Socket>();
  const listen = async (onData?: (socket: Socket) => void): Promise<string> => {
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      if (onData !== undefined) socket.once('data', () => onData(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => {
      for (const s of sockets) s.destroy();
      server.close();
    });
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  };
  const silent = await listen();
  const r = await runCli('stats', '--url', silent);
  t.same([r.code, r.stdout, r.stderr], [1, '', `sentinel-wasi stats: no collector answers at ${silent} (no answer within ${QUERY_TIMEOUT_MS} ms) (E_UNREACHABLE)\n`]);
  const halfway = await listen((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"nowMs":'));
  const h = await runCli('stats', '--url', halfway);
  t.same([h.code, h.stdout, h.stderr], [1, '', `sentinel-wasi stats: no collector answers at ${halfway} (no answer within ${QUERY_TIMEOUT_MS} ms) (E_UNREACHABLE)\n`]);
});

t.test('an answer that is not JSON: E_BAD_ANSWER with its status', async (t) => {
  const plain = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello'));
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  t.teardown(() => plain.close());
  const url = `http://127.0.0.1:${(plain.address() as { port: number }).port}`;
  const r = await runCli('stats', '--url', url);
  t.same([r.code, r.stdout, r.stderr], [1, '', `sentinel-wasi stats: ${url}/api/v1/resources answered 200 with something that is not JSON (E_BAD_ANSWER)\n`]);
});

// End to end: a collector stopped while a second is still open (inside its grace period) keeps
// that second's rows in its checkpoint; `stats` reading the metric log meanwhile says which
// seconds are not written yet, and the next start writes them (then the note is gone). A collector
// running without HTTP (--no-http) is found through its lock: `stats` reads the log then, says the
// collector runs without HTTP, and names no second (it writes them as they close) until it stops.
process.env.TZ = 'UTC';
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bucketSecOf, encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { formatDateTime } from '../../src/metriclog/line.js';
import { runCli } from './run-cli.js';
import { until } from '../../../../test/helpers/until.js';

const CLI = fileURLToPath(new URL('./fixtures/cli.ts', import.meta.url));
const pin = mkdtempSync(join(tmpdir(), 'sw-stop-'));
t.teardown(() => rmSync(pin, { recursive: true, force: true }));

const T = Math.floor(Date.now() / 1000) * 1000;
const events: FlowEvent[] = [
  { kind: RecordKind.CALL, tsMs: T + 5, name: 'GET /a', rtMs: 7, error: false },
  { kind: RecordKind.CALL, tsMs: T + 6, name: 'GET /a', rtMs: 9, error: true },
];
mkdirSync(join(pin, 'log'), { recursive: true, mode: 0o700 });
writeFileSync(join(pin, 'log', segmentName(bucketSecOf(T), 'e2e')), Buffer.concat(encodeFrames(events)));


/** Starts the collector, waits until `ready(url)` holds, stops it with SIGTERM; returns its exit code. */
async function runCollector(graceMs: number, ready: (url: string) => Promise<boolean>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'collector', '--pin', pin, '--app', 'shop.app', '--port', '0', '--grace-ms', String(graceMs), '--tick-ms', '40'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const addressFile = join(pin, 'collector', 'address.json');
    const url = await until('address.json', async () => (existsSync(addressFile) ? (JSON.parse(readFileSync(addressFile, 'utf8')) as { url: string }).url : undefined));
    await until('ready', async () => ((await ready(url)) ? true : undefined));
  } finally {
    child.kill('SIGTERM');
  }
  return { code: await exited, stderr };
}

const counted = async (url: string): Promise<boolean> => {
  const h = (await (await fetch(`${url}/api/v1/health`)).json()) as { counters: Record<string, number> };
  return h.counters.recordsCounted === events.length;
};

t.test('stopped inside the grace period: the second is in the checkpoint, and stats says so', async (t) => {
  const run = await runCollector(60_000, counted);
  t.equal(run.code, 0, run.stderr);
  const stats = await runCli('stats', '--pin', pin);
  t.equal(stats.code, 1, 'nothing in the metric log yet');
  t.equal(stats.stdout, '');
  t.equal(
    stats.stderr,
    `sentinel-wasi stats: no collector runs for ${pin} and its metric log (${join(pin, 'collector', 'metrics')}) is empty; the collector stopped with 1 second not yet in the metric log (${formatDateTime(T)}): its checkpoint holds it, and it is written when the collector starts again (E_NO_DATA)\n`,
  );
});

t.test('the next start writes that second; stats shows it with no note', async (t) => {
  const run = await runCollector(200, async (url) => {
    const text = await (await fetch(`${url}/metric?startTime=${T}&endTime=${T + 999}&refetch=false`)).text();
    return text.includes('GET /a');
  });
  t.equal(run.code, 0, run.stderr);
  const stats = await runCli('stats', '--pin', pin);
  t.equal(stats.code, 0);
  t.equal(stats.stderr, '');
  t.equal(
    stats.stdout,
    [
      `source: metric log (no collector running), second ${formatDateTime(T)}`,
      'resource  pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
      'GET /a         2        0          2            1          8            -        2         0             1',
      '',
    ].join('\n'),
  );
});

t.test('running with --no-http: stats says so and names nothing; once it stops, the open second is named', async (t) => {
  const T2 = Math.floor(Date.now() / 1000) * 1000 + 2000; // after anything sealed before; inside the 60 s grace
  const more: FlowEvent[] = [{ kind: RecordKind.CALL, tsMs: T2 + 5, name: 'GET /b', rtMs: 3, error: false }];
  writeFileSync(join(pin, 'log', segmentName(bucketSecOf(T2), 'nohttp')), Buffer.concat(encodeFrames(more)));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'collector', '--pin', pin, '--app', 'shop.app', '--no-http', '--grace-ms', '60000', '--tick-ms', '40'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let running: Awaited<ReturnType<typeof runCli>>;
  try {
    // Counted and checkpointed: its open second is in the checkpoint, as a stopped collector's would be.
    const checkpointFile = join(pin, 'collector', 'checkpoint.json');
    await until('the open second in the checkpoint', async () => {
      const store = (JSON.parse(readFileSync(checkpointFile, 'utf8')) as { store: { pending: Array<{ sec: number }> } }).store;
      return store.pending.some((b) => b.sec === T2 / 1000) && existsSync(join(pin, 'collector', 'lock')) ? true : undefined;
    });
    running = await runCli('stats', '--pin', pin);
  } finally {
    child.kill('SIGTERM');
  }
  t.equal(await exited, 0, stderr);
  t.same([running.code, running.stderr], [0, ''], 'no "stopped" note while it runs');
  t.equal(running.stdout.split('\n')[0], `source: metric log (the collector runs without HTTP), second ${formatDateTime(T)}`);
  const stopped = await runCli('stats', '--pin', pin);
  t.equal(stopped.stderr, `sentinel-wasi stats: the collector stopped with 1 second not yet in the metric log (${formatDateTime(T2)}): its checkpoint holds it, and it is written when the collector starts again\n`);
  t.equal(stopped.stdout.split('\n')[0], `source: metric log (no collector running), second ${formatDateTime(T)}`);
});

// `sentinel-wasi stats --json` (and `--resource R --json`) prints one shape whether a real collector
// answers (the daemon in-process on a temp pin, its clock held still) or only its metric log is
// left once it has stopped: exact keys and values for one known set of records, both ways.
process.env.TZ = 'UTC';
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { bucketSecOf, encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { runDaemon } from '../../src/daemon/run.js';
import { runCli } from './run-cli.js';

const T = 1764120000000; // 2025-11-26 01:20:00 UTC
const pin = mkdtempSync(join(tmpdir(), 'sw-stats-json-'));
t.teardown(() => rmSync(pin, { recursive: true, force: true }));

// Second T: minute figures only (by the time asked). Second T+1: the second window too.
const events: FlowEvent[] = [
  { kind: RecordKind.CALL, tsMs: T, name: 'GET /订单', rtMs: 10, error: false },
  { kind: RecordKind.CALL, tsMs: T + 1, name: 'GET /订单', rtMs: 11, error: false },
  { kind: RecordKind.CALL, tsMs: T + 2, name: 'GET /订单', rtMs: 12, error: true },
  { kind: RecordKind.BLOCK, tsMs: T + 100, name: 'GET /订单', count: 2 },
  { kind: RecordKind.CALL, tsMs: T + 1000, name: 'GET /订单', rtMs: 4, error: false },
  { kind: RecordKind.CALL, tsMs: T + 1001, name: 'GET /订单', rtMs: 7, error: false },
  { kind: RecordKind.BLOCK, tsMs: T + 1002, name: 'GET /订单', count: 1 },
  { kind: RecordKind.CALL, tsMs: T + 1003, name: 'db|query', rtMs: 3, error: false, origin: 'svc-a' },
  { kind: RecordKind.PASS, tsMs: T + 1004, name: 'db|query', origin: 'svc-a' }, // still in flight
];
mkdirSync(join(pin, 'log'), { recursive: true, mode: 0o700 });
writeFileSync(join(pin, 'log', segmentName(bucketSecOf(T), 'stats-json')), Buffer.concat(encodeFrames(events)));

let clock = T + 1999; // the second window holds second T+1; the minute holds both
const daemon = await runDaemon({ pinDir: pin, app: 'shop.app', logger: pino({ level: 'silent' }), host: '127.0.0.1', port: 0, graceMs: 100, tickMs: 20, checkpointIntervalMs: 50, nowMs: () => clock });
t.teardown(() => daemon.stop());
const url = daemon.url;
if (url === undefined) throw new Error('the collector did not start its HTTP server');

async function until(what: string, ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function statsJson(...args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli('stats', '--pin', pin, '--json', ...args);
  if (r.code !== 0) throw new Error(`stats ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const NODE_KEYS = ['resource', 'origin', 'concurrency', 'second', 'minute'];
const SECOND_KEYS = ['passQps', 'blockQps', 'successQps', 'exceptionQps', 'totalQps', 'occupiedPassQps', 'avgRtMs', 'minRtMs'];
const MINUTE_KEYS = ['pass', 'block', 'success', 'exception', 'totalRequest', 'rtSumMs', 'occupiedPass'];

type Nodes = Array<Record<string, Record<string, unknown>>>;

/** A node's keys, in order: NODE_KEYS, SECOND_KEYS and MINUTE_KEYS when it has the documented shape. */
function keysOf(n: Nodes[0]): string[][] {
  return [Object.keys(n), Object.keys(n.second!), Object.keys(n.minute!)];
}
const SHAPE = [NODE_KEYS, SECOND_KEYS, MINUTE_KEYS];

t.test('collector running: its /api/v1 answer with source "collector"', async (t) => {
  await until('all records counted', async () => {
    const h = (await (await fetch(`${url}/api/v1/health`)).json()) as { counters: Record<string, number> };
    return h.counters.recordsCounted === events.length;
  });
  const all = await statsJson();
  t.same(Object.keys(all), ['source', 'nowMs', 'total', 'resources']);
  t.same((all.resources as Nodes).map(keysOf), [SHAPE, SHAPE]);
  t.strictSame(all, {
    source: 'collector',
    nowMs: T + 1999,
    total: 2,
    resources: [
      {
        resource: 'GET /订单',
        origin: '',
        concurrency: 0,
        second: { passQps: 2, blockQps: 1, successQps: 2, exceptionQps: 0, totalQps: 3, occupiedPassQps: 0, avgRtMs: 5.5, minRtMs: 4 },
        minute: { pass: 5, block: 3, success: 5, exception: 1, totalRequest: 8, rtSumMs: 44, occupiedPass: 0 },
      },
      {
        resource: 'db|query',
        origin: '',
        concurrency: 1,
        second: { passQps: 2, blockQps: 0, successQps: 1, exceptionQps: 0, totalQps: 2, occupiedPassQps: 0, avgRtMs: 3, minRtMs: 3 },
        minute: { pass: 2, block: 0, success: 1, exception: 0, totalRequest: 2, rtSumMs: 3, occupiedPass: 0 },
      },
    ],
  });
  t.same((all.resources as Array<{ resource: string }>).map((r) => r.resource), ['GET /订单', 'db|query'], '.resources[].resource');
  const api = (await (await fetch(`${url}/api/v1/resources`)).json()) as Record<string, unknown>;
  t.strictSame(all, { source: 'collector', ...api }, 'the JSON API answer, plus source');

  const one = await statsJson('--resource', 'db|query');
  t.same(Object.keys(one), ['source', 'nowMs', 'node', 'origins']);
  t.same([one.node as Nodes[0], ...(one.origins as Nodes)].map(keysOf), [SHAPE, SHAPE]);
  const dbNode = (origin: string) => ({
    resource: 'db|query',
    origin,
    concurrency: 1,
    second: { passQps: 2, blockQps: 0, successQps: 1, exceptionQps: 0, totalQps: 2, occupiedPassQps: 0, avgRtMs: 3, minRtMs: 3 },
    minute: { pass: 2, block: 0, success: 1, exception: 0, totalRequest: 2, rtSumMs: 3, occupiedPass: 0 },
  });
  t.strictSame(one, { source: 'collector', nowMs: T + 1999, node: dbNode(''), origins: [dbNode('svc-a')] });
});

t.test('collector stopped: the metric log, same shape, source "metric-log", null for what it cannot know', async (t) => {
  clock = T + 5000; // both seconds sealable (end + grace passed)
  await daemon.stop();
  t.equal(existsSync(join(pin, 'collector', 'address.json')), false);
  const all = await statsJson();
  t.same(Object.keys(all), ['source', 'nowMs', 'total', 'resources']);
  t.same((all.resources as Nodes).map(keysOf), [SHAPE, SHAPE]);
  t.strictSame(all, {
    source: 'metric-log',
    nowMs: T + 1000, // the start of the log's newest second
    total: 2,
    resources: [
      {
        resource: 'GET /订单',
        origin: '',
        concurrency: null,
        // The line's integer average RT: ⌊11 / 2⌋.
        second: { passQps: 2, blockQps: 1, successQps: 2, exceptionQps: 0, totalQps: 3, occupiedPassQps: null, avgRtMs: 5, minRtMs: null },
        minute: { pass: 5, block: 3, success: 5, exception: 1, totalRequest: 8, rtSumMs: null, occupiedPass: null },
      },
      {
        resource: 'db_query', // as the log writes the name (| as _)
        origin: '',
        concurrency: null,
        second: { passQps: 2, blockQps: 0, successQps: 1, exceptionQps: 0, totalQps: 2, occupiedPassQps: null, avgRtMs: 3, minRtMs: null },
        minute: { pass: 2, block: 0, success: 1, exception: 0, totalRequest: 2, rtSumMs: null, occupiedPass: null },
      },
    ],
  });
  t.same((all.resources as Array<{ resource: string }>).map((r) => r.resource), ['GET /订单', 'db_query'], '.resources[].resource');

  const one = await statsJson('--resource', 'db|query');
  t.same(Object.keys(one), ['source', 'nowMs', 'node', 'origins']);
  t.same(keysOf(one.node as Nodes[0]), SHAPE);
  t.strictSame(one, {
    source: 'metric-log',
    nowMs: T + 1000,
    node: {
      resource: 'db_query',
      origin: '',
      concurrency: null,
      second: { passQps: 2, blockQps: 0, successQps: 1, exceptionQps: 0, totalQps: 2, occupiedPassQps: null, avgRtMs: 3, minRtMs: null },
      minute: { pass: 2, block: 0, success: 1, exception: 0, totalRequest: 2, rtSumMs: null, occupiedPass: null },
    },
    origins: [], // the log keeps no per-origin lines
  });

  const table = await runCli('stats', '--pin', pin);
  t.equal(
    table.stdout,
    [
      'source: metric log (no collector running), second 2025-11-26 01:20:01',
      'resource   pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
      'GET /订单       2        1          2            0          5            -        5         3             1',
      'db_query        2        0          1            0          3            -        2         0             0',
      '',
    ].join('\n'),
    'the table: the figures of the JSON, an unknown concurrency as -',
  );
});

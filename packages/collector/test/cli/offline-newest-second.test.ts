// `stats` and `top --once` without a collector show the metric log's newest second, not the second
// of its last line: a log written by the real MetricLogWriter that ends with late lines for older
// seconds (and has a late line of the newest second among them), in one file and rolled over files.
process.env.TZ = 'UTC';
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePinHeader } from '@sentinel-wasi/protocol';
import { listMetricFiles, metricLogBaseName } from '../../src/metriclog/layout.js';
import { MetricLogWriter } from '../../src/metriclog/writer.js';
import type { SecondLine } from '../../src/stats/types.js';
import { runCli } from './run-cli.js';
import { loggedNode } from './logged-node.js';

const S = 1796200380; // 2026-12-02 08:33:00 UTC
const root = mkdtempSync(join(tmpdir(), 'sw-cli-newest-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

function line(sec: number, resource: string, pass: number, extra: Partial<SecondLine> = {}): SecondLine {
  return { timestampMs: sec * 1000, resource, pass, block: 0, success: pass, exception: 0, rtMs: 5, occupiedPass: 0, concurrency: 0, classification: 0, ...extra };
}

/**
 * A pin whose metric log holds :30, :32, :42 and :52 in order, then a late line of :52, then late
 * lines of :32 and :42: the last line written is of :42, the newest second is :52.
 */
function pinWithLateTail(name: string, writer: { maxFileBytes?: number; maxFiles?: number }): string {
  const pin = join(root, name);
  const metricDir = join(pin, 'collector', 'metrics');
  mkdirSync(metricDir, { recursive: true });
  writeFileSync(join(pin, 'PIN'), JSON.stringify(makePinHeader('demo.app')));
  const w = new MetricLogWriter({ dir: metricDir, app: 'demo.app', utcOffsetMinutes: 0, ...writer });
  w.open(undefined);
  w.writeSecond(S + 30, [line(S + 30, 'GET /a', 5)], false);
  w.writeSecond(S + 32, [line(S + 32, 'GET /a', 3)], false);
  w.writeSecond(S + 42, [line(S + 42, 'GET /a', 2)], false);
  w.writeSecond(S + 52, [line(S + 52, 'DOWN2', 2, { rtMs: 8 }), line(S + 52, 'GET /a', 4, { block: 1 })], false);
  w.writeSecond(S + 52, [line(S + 52, 'GET /a', 2, { rtMs: 11 })], true);
  w.writeSecond(S + 32, [line(S + 32, 'LATE30', 30)], true);
  w.writeSecond(S + 42, [line(S + 42, 'LATE30b', 31, { block: 2 })], true);
  w.sync();
  w.close();
  return pin;
}


// GET /a's newest second is two lines (the second written late): 6 pass, avgRt (4·5 + 2·11) / 6 = 7.
const GET_A = loggedNode('GET /a', [6, 1, 6, 0, 7], [16, 1, 16, 0]);
const DOWN2 = loggedNode('DOWN2', [2, 0, 2, 0, 8], [2, 0, 2, 0]);
const LATE30 = loggedNode('LATE30', [0, 0, 0, 0, 0], [30, 0, 30, 0]);
const LATE30B = loggedNode('LATE30b', [0, 0, 0, 0, 0], [31, 2, 31, 0]);

const STATS = [
  'source: metric log (no collector running), second 2026-12-02 08:33:52',
  'resource  pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
  'DOWN2          2        0          2            0          8            -        2         0             0',
  'GET /a         6        1          6            0          7            -       16         1             0',
  'LATE30         0        0          0            0          0            -       30         0             0',
  'LATE30b        0        0          0            0          0            -       31         2             0',
  '',
].join('\n');

const TOP = [
  'source: metric log (no collector running), second 2026-12-02 08:33:52; 4 resources, top 4',
  'resource  pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
  'GET /a         6        1          6            0          7            -       16         1             0',
  'DOWN2          2        0          2            0          8            -        2         0             0',
  'LATE30b        0        0          0            0          0            -       31         2             0',
  'LATE30         0        0          0            0          0            -       30         0             0',
  '',
].join('\n');

for (const [name, writer, files] of [
  ['one file', {}, 1],
  // Every batch rolls the file (size limit 1 byte): the newest file holds only the late line of :42.
  ['rolled files', { maxFileBytes: 1, maxFiles: 20 }, 7],
] as const) {
  t.test(`${name}: the newest second is :52, with every line of it, though the log ends with late lines of :32 and :42`, async (t) => {
    const pin = pinWithLateTail(name.replace(' ', '-'), writer);
    t.equal(listMetricFiles(join(pin, 'collector', 'metrics'), metricLogBaseName('demo.app')).length, files);

    const stats = await runCli('stats', '--pin', pin);
    t.same([stats.code, stats.stderr], [0, '']);
    t.equal(stats.stdout, STATS);

    const top = await runCli('top', '--pin', pin, '--once');
    t.same([top.code, top.stderr], [0, '']);
    t.equal(top.stdout, TOP);

    const json = await runCli('stats', '--pin', pin, '--json');
    t.equal(json.code, 0);
    t.strictSame(JSON.parse(json.stdout), { source: 'metric-log', nowMs: (S + 52) * 1000, total: 4, resources: [DOWN2, GET_A, LATE30, LATE30B] });

    const one = await runCli('stats', '--pin', pin, '--resource', 'GET /a', '--json');
    t.equal(one.code, 0);
    t.strictSame(JSON.parse(one.stdout), { source: 'metric-log', nowMs: (S + 52) * 1000, node: GET_A, origins: [] });
    const late = await runCli('stats', '--pin', pin, '--resource', 'LATE30b', '--json');
    t.strictSame(JSON.parse(late.stdout), { source: 'metric-log', nowMs: (S + 52) * 1000, node: LATE30B, origins: [] }, 'a resource without a line in the newest second: zeros for it');
  });
}

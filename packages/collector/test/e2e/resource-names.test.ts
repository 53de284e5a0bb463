// Resource names with a newline, `|`, ESC or C1 controls cannot forge metric-log lines or reach
// the terminal raw: the exact bytes of the line, a real collector's /metric, a restart that warms
// up from the log, Prometheus labels, and the `stats` / `metric` tables.
process.env.TZ = 'UTC';
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bucketSecOf, encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { escapeResource, formatFatLine, parseFatLine } from '../../src/metriclog/line.js';
import { terminalSafe } from '../../src/text/terminal-safe.js';
import { runCli } from '../cli/run-cli.js';
import { until } from '../../../../test/helpers/until.js';

t.setTimeout(600_000);
const EVIL = 'evil\n1796021116000';
const ESCAPES = 'red\x1b[31m\x1b]0;title\x07\x9b2J|x\r';

t.test('the exact bytes of a metric-log line for hostile names', async (t) => {
  const l = { timestampMs: 1796021115000, resource: EVIL, pass: 1, block: 2, success: 3, exception: 4, rtMs: 5, occupiedPass: 0, concurrency: 0, classification: 0 };
  t.equal(formatFatLine(l, 0), '1796021115000|2026-11-30 06:45:15|evil_1796021116000|1|2|3|4|5|0|0|0\n');
  t.equal(formatFatLine({ ...l, resource: ESCAPES }, 0), '1796021115000|2026-11-30 06:45:15|red_[31m_]0;title__2J_x_|1|2|3|4|5|0|0|0\n');
  t.equal(escapeResource('GET /订单|v2'), 'GET /订单_v2');
  // Read back with the same rule (a line with a raw control character, e.g. from \r\n, too).
  t.equal(parseFatLine('1796021115000|2026-11-30 06:45:15|a\x1bb\r|1|0|1|0|5|0|0|0')!.resource, 'a_b_');
  t.equal(terminalSafe(ESCAPES), 'red\\x1b[31m\\x1b]0;title\\x07\\x9b2J|x\\r'.replace('\\r', '\\x0d'));
  t.equal(terminalSafe('名前 \u202eevil'), '名前 \\u202eevil');
  t.equal(terminalSafe('\u200fadmin\u200e \u061c\u2067x\u2069'), '\\u200fadmin\\u200e \\u061c\\u2067x\\u2069', 'the bidi marks and isolates too');
});

const CLI = fileURLToPath(new URL('../cli/fixtures/cli.ts', import.meta.url));
const pin = mkdtempSync(join(tmpdir(), 'sw-names-'));
t.teardown(() => rmSync(pin, { recursive: true, force: true }));
const T = (Math.floor(Date.now() / 1000) - 20) * 1000;
const events: FlowEvent[] = [
  { kind: RecordKind.CALL, tsMs: T, name: EVIL, rtMs: 3, error: false },
  { kind: RecordKind.CALL, tsMs: T, name: 'real', rtMs: 4, error: false },
  { kind: RecordKind.CALL, tsMs: T, name: ESCAPES, rtMs: 5, error: false },
];
mkdirSync(join(pin, 'log'), { recursive: true, mode: 0o700 });
writeFileSync(join(pin, 'log', segmentName(bucketSecOf(T), 'names')), Buffer.concat(encodeFrames(events)));


const addressFile = join(pin, 'collector', 'address.json');
async function startCollector(): Promise<{ child: ChildProcess; url: string }> {
  if (existsSync(addressFile)) unlinkSync(addressFile);
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'collector', '--pin', pin, '--port', '0', '--grace-ms', '200', '--tick-ms', '40', '--checkpoint-ms', '200'], { stdio: ['ignore', 'ignore', 'inherit'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const url = await until('address.json', async () => (existsSync(addressFile) ? (JSON.parse(readFileSync(addressFile, 'utf8')) as { url: string }).url : undefined));
  return { child, url };
}
async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const thin = (body: string): string[][] => body.split('\n').filter((l) => l !== '').map((l) => l.split('|'));

t.test('a real collector: /metric, Prometheus, stats, a warm restart and `metric`', async (t) => {
  const first = await startCollector();
  const body = await until('sealed lines', async () => {
    const text = await (await fetch(`${first.url}/metric?startTime=${T}&endTime=${T}&refetch=false`)).text();
    return thin(text).length >= 4 ? text : undefined;
  });
  const lines = thin(body);
  t.ok(lines.every((f) => f.length === 10), 'every /metric line has its 10 fields');
  t.same(lines.map((f) => [f[0], f[1], f[2]]).sort(), [
    [String(T), '__total_inbound_traffic__', '3'],
    [String(T), 'evil_1796021116000', '1'],
    [String(T), 'real', '1'],
    [String(T), 'red_[31m_]0;title__2J_x_', '1'],
  ]);
  // identity= finds a resource's lines by the name the filters wrote as by its escaped form.
  for (const [asked, logged] of [[ESCAPES, escapeResource(ESCAPES)], [escapeResource(ESCAPES), escapeResource(ESCAPES)], [EVIL, escapeResource(EVIL)]]) {
    const one = thin(await (await fetch(`${first.url}/metric?startTime=${T}&endTime=${T}&identity=${encodeURIComponent(asked!)}`)).text());
    t.same(one.map((f) => [f[1], f[2]]), [[logged, '1']], `identity=${JSON.stringify(asked)}`);
  }
  const prom = await (await fetch(`${first.url}/metrics`)).text();
  t.match(prom, 'resource="evil\\n1796021116000"', 'Prometheus escapes the newline in the label');
  t.notMatch(prom, /\n1796021116000"/);
  const stats = await runCli('stats', '--pin', pin);
  t.equal(stats.code, 0, stats.stderr);
  t.notOk(stats.stdout.includes('\x1b') || stats.stdout.includes('\x07') || stats.stdout.includes('\x9b') || stats.stdout.includes('\r'), 'no raw control byte in `stats`');
  t.ok(stats.stdout.includes('red\\x1b[31m\\x1b]0;title\\x07\\x9b2J|x\\x0d'), 'the name is shown with visible escapes');
  t.ok(stats.stdout.includes('evil\\x0a1796021116000'));
  await stop(first.child);

  // Warm start from the metric log: the real resources come back under the names the filters
  // wrote (the map's id file knows them; the log has them escaped), no forged one appears.
  const second = await startCollector();
  const res = await until('warm resources', async () => {
    const r = (await (await fetch(`${second.url}/api/v1/resources`)).json()) as { resources: Array<{ resource: string; minute: { pass: number } }> };
    return r.resources.length >= 3 ? r.resources : undefined;
  });
  t.same(res.map((r) => r.resource).filter((n) => n !== '__total_inbound_traffic__').sort(), [EVIL, 'real', ESCAPES].sort());
  t.same(res.map((r) => [r.resource, r.minute.pass]).filter(([n]) => n !== '__total_inbound_traffic__').sort(), [[EVIL, 1], ['real', 1], [ESCAPES, 1]].sort(), 'with their minute');
  await stop(second.child);

  const metric = await runCli('metric', '--pin', pin, '--from', String(T), '--to', String(T + 1000));
  t.equal(metric.code, 0, metric.stderr);
  t.notOk(metric.stdout.includes('\x1b'), 'no raw ESC in `metric`');
  t.match(metric.stdout, /evil_1796021116000/);
  t.notMatch(metric.stdout, /^\s*\S+\s+0\s/m, 'no resource named "0"');
});

// `sentinel-wasi stats|metric|top` as real child processes whose stdout pipe the reader closes early
// (as `| head -c 10` does): each ends quietly, exit 0, nothing on stderr (no EPIPE stack trace).
// And top with a pipe for stdout: plain frames, no terminal control codes, until Ctrl-C (exit 0).
process.env.TZ = 'UTC';
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePinHeader } from '@sentinel-wasi/protocol';
import { startHttpServer } from '../../src/http/server.js';
import { metricLogBaseName } from '../../src/metriclog/line.js';
import { line, writeMetricFile } from '../metriclog-read/fixture.js';
import { FixedStatsQuery, node } from '../http/fixed-query.js';

const T = 1764120000000; // 2025-11-26 01:20:00 UTC
const CLI = fileURLToPath(new URL('../../../cli/bin/sentinel-wasi.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'sw-pipe-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

// A pin whose metric log holds 10 000 resources in one second: a table of about 1 MB, far more
// than a pipe buffers, so the writer is still writing when the reader goes.
const pin = join(root, 'pin');
mkdirSync(join(pin, 'collector', 'metrics'), { recursive: true });
writeFileSync(join(pin, 'PIN'), JSON.stringify(makePinHeader('demo.app')));
const big = Array.from({ length: 10_000 }, (_, i) => line(T, `/api/resource-${String(i).padStart(5, '0')}`, i % 97));
writeMetricFile(join(pin, 'collector', 'metrics'), `${metricLogBaseName('demo.app')}.2025-11-26`, big);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI with stdout a pipe; `until` decides from what was read so far when to act: 'close'
 * closes the pipe (the reader goes away), 'sigint' sends Ctrl-C's signal.
 */
function run(args: string[], until: (stdout: string) => 'close' | 'sigint' | undefined): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let acted = false;
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    stdout += d;
    const act = acted ? undefined : until(stdout);
    if (act === 'close') child.stdout.destroy();
    if (act === 'sigint') child.kill('SIGINT');
    acted ||= act !== undefined;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

const closeAt = (bytes: number) => (s: string) => (s.length >= bytes ? ('close' as const) : undefined);

t.test('stats, stats --json, stats --watch and metric: the reader closes the pipe after 10 bytes', async (t) => {
  for (const args of [
    ['stats', '--pin', pin],
    ['stats', '--pin', pin, '--json'],
    ['stats', '--pin', pin, '--watch', '--interval', '100'],
    ['metric', '--pin', pin, '--from', String(T), '--to', String(T)],
    ['metric', '--pin', pin, '--from', String(T), '--to', String(T), '--json'],
  ]) {
    const r = await run(args, closeAt(10));
    t.same([r.code, r.signal, r.stderr], [0, null, ''], `${args.join(' ')}: exit 0, nothing on stderr`);
  }
});

t.test('top: the reader closes the pipe after the first frame', async (t) => {
  const r = await run(['top', '--pin', pin, '--interval', '100'], closeAt(1500));
  t.same([r.code, r.signal, r.stderr], [0, null, ''], 'exit 0, no stack trace');
  t.notMatch(r.stdout, '\x1b', 'no control codes on a pipe (nothing restored either)');
  t.match(r.stdout, /^source: metric log \(no collector running\), second 2025-11-26 01:20:00; 10000 resources, top 20\n/);
});

t.test('top with stdout a pipe: a plain frame every interval, frames apart by a blank line, Ctrl-C ends it', async (t) => {
  const query = new FixedStatsQuery([
    node('/api/订单', '', { passQps: 12.5, blockQps: 2, successQps: 11, exceptionQps: 1.9, avgRtMs: 8.754 }, { pass: 700, block: 30, success: 690, exception: 20 }, 4),
    node('idle', '', {}, { pass: 1 }),
    node('hot', '', { passQps: 40, successQps: 40, avgRtMs: 1 }, { pass: 2400, success: 2400 }),
  ]);
  const server = await startHttpServer({ query, app: 'demo.app', metricDir: join(root, 'none'), host: '127.0.0.1', port: 0, nowMs: () => T + 30_000 });
  t.teardown(() => server.close());
  const frame = [
    `source: collector ${server.url} at 2025-11-26 01:20:30; 3 resources, top 2`,
    'resource   pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception',
    'hot            40        0         40            0          1            0     2400         0             0',
    '/api/订单    12.5        2         11          1.9       8.75            4      700        30            20',
    '',
  ].join('\n');
  const r = await run(['top', '--url', server.url, '--limit', '2', '--interval', '100'], (s) => (s.split('source: ').length > 3 ? 'sigint' : undefined));
  t.same([r.code, r.signal, r.stderr], [0, null, ''], 'Ctrl-C: exit 0');
  t.notMatch(r.stdout, '\x1b', 'no escape codes at all');
  t.ok(r.stdout.startsWith(`${frame}\n${frame}\n${frame}`), 'the same frame as --once, again and again, a blank line between');
  t.equal(r.stdout.split('\n\n').length, r.stdout.split('source: ').length - 1, 'one blank line per frame after the first');
  t.notMatch(r.stdout, 'q: quit', 'no keys footer: no keys are read');
});

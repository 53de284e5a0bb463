// A cycle that fails (here: the checkpoint cannot be written) never stops the daemon: it logs,
// reloads from the last durable checkpoint, and every record is still counted exactly once.
import t from 'tap';
import { chmodSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { bucketSecOf, RecordKind, type FlowEvent } from '@sentinel-wasi/protocol';
import { runDaemon } from '../../src/daemon/run.js';
import { ensurePin } from '../../src/pin/pin.js';
import { appendEvents, expectedSums, metricSums, withoutLines } from './helpers.js';
import { tempDir } from '../../../../test/helpers/repo.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

t.test('a failing checkpoint write is logged, the collector reloads and nothing is lost or doubled', async (t) => {
  const pin = await tempDir(t, 'reload');
  ensurePin(pin, 'reload');
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
  const daemon = await runDaemon({ pinDir: pin, logger, graceMs: 100, tickMs: 20, checkpointIntervalMs: 50, startHttp: async () => { throw new Error('no http in this test'); } });
  const written: FlowEvent[] = [];
  const write = (name: string): void => {
    const now = Date.now();
    const batch: FlowEvent[] = [];
    for (let i = 0; i < 20; i++) batch.push({ kind: RecordKind.CALL, tsMs: now - i, name, rtMs: 3, error: i % 4 === 0 });
    appendEvents(pin, bucketSecOf(now), 'w1', batch);
    written.push(...batch);
  };
  write('before');
  await until('the first records', () => daemon.collector.store.counters.recordsCounted === 20);
  const first = daemon.collector;
  // The checkpoint cannot be written: collector/ owned by another user is refused (E_UNSAFE_PATH);
  // without root, a read-only collector/ refuses the temp file (EACCES).
  const dir = join(pin, 'collector');
  const asRoot = process.geteuid!() === 0;
  if (asRoot) chownSync(dir, 4321, 4321);
  else chmodSync(dir, 0o500);
  write('during');
  await until('a failed cycle and a reload', () => lines.some((l) => l.includes('reloading from the last checkpoint')) && daemon.collector !== first);
  await sleep(100);
  if (asRoot) chownSync(dir, 0, 0);
  else chmodSync(dir, 0o700);
  write('after');
  await until('all records', () => daemon.collector.store.counters.recordsCounted === written.length);
  const lastTsMs = Math.max(...written.map((e) => e.tsMs));
  await sleep(Math.max(0, Math.ceil(lastTsMs / 1000) * 1000 + 300 - Date.now()));
  const stopWallMs = Date.now();
  await daemon.stop();
  t.equal(daemon.collector.store.counters.recordsCounted, written.length);
  // On a failure, what the daemon logged and the clock's view of the stop (not printed when it passes).
  t.same(withoutLines(metricSums(pin)), expectedSums(written), 'every second in the metric log, once', { lastTsMs, stopWallMs, daemonLog: lines.join('') });
  t.ok(lines.some((l) => l.includes(asRoot ? '"code":"E_UNSAFE_PATH"' : '"code":"EACCES"')), 'the cause is logged with its code');
});

t.test('while cycles keep failing the daemon backs off, and the health counters never go backwards', async (t) => {
  const pin = await tempDir(t, 'reload');
  ensurePin(pin, 'reload');
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
  const daemon = await runDaemon({ pinDir: pin, logger, graceMs: 100, tickMs: 20, checkpointIntervalMs: 20, startHttp: async () => { throw new Error('no http in this test'); } });
  const write = (name: string, n: number): void => {
    const now = Date.now();
    const batch: FlowEvent[] = [];
    for (let i = 0; i < n; i++) batch.push({ kind: RecordKind.CALL, tsMs: now - i, name, rtMs: 3, error: false });
    appendEvents(pin, bucketSecOf(now), 'w1', batch);
  };
  t.teardown(() => daemon.stop());
  write('before', 20);
  await until('the first records', () => daemon.collector.store.counters.recordsCounted === 20);
  // Every checkpoint fails (as in the test above).
  const dir = join(pin, 'collector');
  const asRoot = process.geteuid!() === 0;
  if (asRoot) chownSync(dir, 4321, 4321);
  else chmodSync(dir, 0o500);
  let last = 0;
  let backwards = 0;
  /** When each failed cycle happened, by its number in the run of failures (each reloaded collector reports its E_CYCLE). */
  const failedAtMs = new Map<number, number>();
  const startedMs = Date.now();
  while (Date.now() - startedMs < 2_000) {
    if (Date.now() - startedMs < 1_000) write('during', 5);
    const health = daemon.collector.healthAt(Date.now());
    const counted = health.counters.recordsCounted;
    if (counted < last) backwards++;
    last = Math.max(last, counted);
    for (const p of health.recentProblems) {
      const n = p.code === 'E_CYCLE' ? /(\d+) failed cycles in a row\)$/.exec(p.message) : null;
      if (n !== null) failedAtMs.set(Number(n[1]), p.atMs);
    }
    await sleep(5);
  }
  // The waits: 200 ms after the first failure, doubling (a slow machine only makes them longer).
  const seen = [...failedAtMs.keys()].sort((a, b) => a - b);
  t.same(seen, seen.map((_, i) => i + 1), `failures numbered 1, 2, … in a row: ${seen.join(', ')}`);
  t.ok(seen.length >= 2, `${seen.length} failed cycles seen in 2 s`);
  for (const k of seen.slice(1)) {
    const gapMs = failedAtMs.get(k)! - failedAtMs.get(k - 1)!;
    t.ok(gapMs >= 200 * 2 ** (k - 2), `failure ${k} came ${gapMs} ms after failure ${k - 1} (the back-off is ${200 * 2 ** (k - 2)} ms)`);
  }
  const failureLines = lines.filter((l) => l.includes('"level":50')).length;
  if (asRoot) chownSync(dir, 0, 0);
  else chmodSync(dir, 0o700);
  await daemon.stop();
  t.equal(backwards, 0, 'recordsCounted in the health answer never went down');
  t.ok(failureLines >= 1, `the failure is logged: ${failureLines} error lines`);
  t.ok(failureLines <= 2, `once per 10 s, with back-off between attempts: ${failureLines} error lines in 2 s at a 20 ms tick (one per tick without)`);
});

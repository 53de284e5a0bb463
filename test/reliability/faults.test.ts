// Resource and operator faults around a real collector process:
// - a full disk under the collector's own files (its pin's collector/ directory on a tiny tmpfs):
//   the last durable checkpoint stays readable, health and the log report the failure, counters
//   never go backwards, and after a SIGKILL while full and space coming back, every record is in
//   the metric log exactly once;
// - a full disk under a writer: the real replay component run by `sentinel-wasi run` on a full
//   tmpfs pin exits 0 and counts its drops; no partial frame becomes valid, and after space
//   returns its records are written and counted;
// - segments deleted, truncated or replaced by hand, while the collector runs and while it is
//   down: detected (segmentsMissing, segmentsReset) with exact record counts;
// - a FIFO and a directory under segment names: the other segments are still counted, the bad
//   ones reported once, without spinning.
// tmpfs needs `mount` (root); those subtests are skipped with the reason where it fails.

import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bucketSecOf, encodeFrames, RecordKind, type FlowEvent } from '@sentinel-wasi/protocol';
import { CLI_BIN, exampleComponent, runProcess, tempDir } from '../helpers/repo.js';
import { scanPin } from '../helpers/segments.js';
import { Collector, sleep, until } from './helpers/collector.js';
import { addEvents, readMetricLog, sumsObject, type SumMap } from './helpers/model.js';
import { appendEvents, ensureLogDir, NAMES, segmentPath } from './helpers/segments.js';
import { cpuMs } from './helpers/proc.js';
import { setFileTimeLimit } from './helpers/seed.js';

setFileTimeLimit(t);

/** Mounts a tmpfs of `sizeBytes` at dir; returns null or the reason it cannot. */
function mountTmpfs(dir: string, sizeBytes: number): string | null {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error) return `mount: ${r.error.message}`;
  if (r.status !== 0) return `mount -t tmpfs failed: ${r.stderr.trim()}`;
  return null;
}

function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
}

/** Writes zeros into `path` until the file system is full; returns the bytes written. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096);
  let n = 0;
  try {
    for (;;) n += writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return n;
}

function events(n: number, tsMs: number, seedName = 0): FlowEvent[] {
  return Array.from({ length: n }, (_, i): FlowEvent =>
    i % 3 === 0
      ? { kind: RecordKind.CALL, tsMs, name: NAMES[(i + seedName) % NAMES.length]!, rtMs: i % 20, error: i % 5 === 0 }
      : { kind: RecordKind.PASS, tsMs, name: NAMES[(i + seedName) % NAMES.length]!, count: 1 + (i % 2) });
}

/** Waits for the start of a 10 s bucket, so a test's segments stay unsealed for ~9 s. */
async function atBucketStart(): Promise<void> {
  const into = Date.now() % 10_000;
  if (into > 1000) await sleep(10_000 - into + 50);
}

/** Why tmpfs cannot be used here (probed once), or false. */
function probeTmpfs(): string | false {
  const dir = mkdtempSync(join(tmpdir(), 'sw-tmpfs-probe-'));
  try {
    const reason = mountTmpfs(dir, 64 * 1024);
    if (reason === null) unmount(dir);
    return reason === null ? false : `tmpfs not available here: ${reason}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const NO_TMPFS = probeTmpfs();

t.test('full disk under the collector: last checkpoint kept, failure reported, nothing lost or doubled', { skip: NO_TMPFS }, async (t) => {
  const pin = await tempDir(t, 'enospc');
  ensureLogDir(pin);
  const own = join(pin, 'collector');
  mkdirSync(own, { mode: 0o700 });
  const reason = mountTmpfs(own, 512 * 1024);
  if (reason !== null) throw new Error(reason);
  t.teardown(() => unmount(own));
  const want: SumMap = new Map();
  let records = 0;
  const write = (writer: string, n: number): void => {
    const ev = events(n, Date.now());
    appendEvents(segmentPath(pin, bucketSecOf(Date.now()), writer), ev);
    addEvents(want, ev);
    records += n;
  };
  let c = await Collector.start(pin, { graceMs: 300, tickMs: 50, checkpointMs: 150 });
  t.teardown(() => c.kill());
  write('w1', 60);
  t.ok(await until(async () => (await c.health()).counters.recordsCounted === records && readMetricLog(pin).lines > 0, 60_000), 'first records counted and in the metric log');
  await sleep(500);
  const checkpointBefore = readFileSync(join(own, 'checkpoint.json'), 'utf8');
  const filled = fill(join(own, 'filler'));
  t.comment(`tmpfs filled with ${filled} bytes`);
  const fullStartMs = Date.now();
  const logLinesBefore = c.output.join('').split('\n').length;
  const seen: number[] = [];
  let problems: string[] = [];
  for (let i = 0; i < 8; i++) {
    write(`w${2 + (i % 2)}`, 40);
    await sleep(250);
    const h = await c.health();
    seen.push(h.counters.recordsCounted);
    problems = h.recentProblems.map((p) => `${p.code} ${p.message}`);
  }
  const fullMs = Date.now() - fullStartMs;
  const logLinesWhileFull = c.output.join('').split('\n').length - logLinesBefore;
  t.ok(problems.some((p) => p.includes('ENOSPC')), `health reports the full disk (${problems.slice(-3).join(' / ')})`);
  t.ok(c.output.join('').includes('ENOSPC'), 'the log reports the full disk');
  t.same(seen, [...seen].sort((a, b) => a - b), `recordsCounted never goes backwards while the disk is full (${seen.join(', ')})`, {
    todo: 'defect: recordsCounted goes backwards while it reloads from the checkpoint after a failed write on a full disk',
  });
  const linesPerSecond = (logLinesWhileFull * 1000) / fullMs;
  t.ok(linesPerSecond <= 2, `log lines while full: ${logLinesWhileFull} in ${fullMs} ms (${linesPerSecond.toFixed(1)}/s, bound 2/s)`, {
    todo: 'defect: a full disk makes it retry and log on every cycle',
  });
  const durable = readFileSync(join(own, 'checkpoint.json'), 'utf8');
  t.doesNotThrow(() => JSON.parse(durable), 'the checkpoint on disk is still a whole, readable checkpoint');
  t.not(durable, '', 'the checkpoint was not emptied');
  t.comment(`checkpoint kept: ${durable === checkpointBefore ? 'the one from before the disk filled' : 'a later complete one'}`);

  // SIGKILL while full, then space comes back.
  await c.kill();
  unlinkSync(join(own, 'filler'));
  c = await Collector.start(pin, { graceMs: 300, tickMs: 50, checkpointMs: 150 });
  write('w4', 30);
  const wantObj = JSON.stringify(sumsObject(want));
  await until(async () => JSON.stringify(sumsObject(readMetricLog(pin).sums)) === wantObj && (await c.health()).counters.recordsCounted === records, 60_000, 200);
  const h = await c.health();
  t.equal(h.counters.recordsCounted, records, `${records} records, each counted once after space returned`);
  t.same(sumsObject(readMetricLog(pin).sums), sumsObject(want), 'metric-log sums equal what was written: nothing lost or doubled');
  t.equal(await c.stop(), 0, 'clean stop');
  t.same(sumsObject(readMetricLog(pin).sums), sumsObject(want), 'still equal after the final checkpoint');
});

t.test('full disk under a writer: the replay component drops and counts, exits 0', { skip: NO_TMPFS }, async (t) => {
  const pin = await tempDir(t, 'wfull');
  const reason = mountTmpfs(pin, 256 * 1024);
  if (reason !== null) throw new Error(reason);
  t.teardown(() => unmount(pin));
  const replay = exampleComponent('replay');
  const init = await runProcess(process.execPath, [CLI_BIN, 'init', '--pin', pin, '--app', 'wfull']);
  t.equal(init.code, 0, `init: ${init.stderr}`);
  fill(join(pin, 'filler'));
  const lines = (n: number, resource: string): string => Array.from({ length: n }, (_, i) => `-\t${resource}\t${i % 9}\t${i % 4 === 0 ? 'error' : 'ok'}\n`).join('');
  const full = await runProcess(process.execPath, [CLI_BIN, 'run', replay, '--pin', pin], { stdin: lines(50, 'GET /full') });
  const summary = /replay: (\d+) lines, (\d+) records, (\d+) bad lines, (\d+) frames written, (\d+) records dropped/.exec(full.stdout + full.stderr);
  t.equal(full.code, 0, 'exits 0 on a full disk');
  t.ok(summary, `prints its summary (${(full.stdout + full.stderr).trim().slice(-300)})`);
  const dropped = Number(summary?.[5] ?? -1);
  const scanFull = scanPin(pin);
  t.equal(scanFull.framesSkipped + scanFull.incompleteTails, 0, 'no partial frame in the pin');
  t.equal(scanFull.recordsAccepted + dropped, 50, `every record is either in the pin or counted as dropped (${scanFull.recordsAccepted} + ${dropped})`);
  t.ok(dropped > 0, 'the full disk made it drop');

  rmSync(join(pin, 'filler'));
  const after = await runProcess(process.execPath, [CLI_BIN, 'run', replay, '--pin', pin], { stdin: lines(30, 'GET /after') });
  t.equal(after.code, 0, 'runs again once space returns');
  t.match(after.stdout + after.stderr, /30 records, 0 bad lines, \d+ frames written, 0 records dropped/, 'nothing dropped once space returns');
  const scan = scanPin(pin);
  t.equal(scan.recordsAccepted - scanFull.recordsAccepted, 30, 'the 30 new records are in the pin');
  const c = await Collector.start(pin, { graceMs: 300, tickMs: 50 });
  t.teardown(() => c.kill());
  const ok = await until(async () => (await c.health()).counters.recordsCounted === scan.recordsAccepted, 60_000);
  t.ok(ok, `the collector counts exactly the ${scan.recordsAccepted} records in the pin`);
  const h = await c.health();
  t.same([h.counters.framesSkipped, h.counters.bytesSkipped, h.counters.recordsRejected], [0, 0, 0], 'nothing skipped or rejected');
  t.equal(await c.stop(), 0, 'clean stop');
});

t.test('segments deleted, truncated or replaced by hand: detected, counts exact', async (t) => {
  const pin = await tempDir(t, 'byhand');
  ensureLogDir(pin);
  let c = await Collector.start(pin, { graceMs: 300, tickMs: 50, checkpointMs: 100 });
  t.teardown(() => c.kill());
  await atBucketStart();
  const bucket = bucketSecOf(Date.now());
  const path = (w: string): string => segmentPath(pin, bucket, w);
  let counted = 0;
  const want: SumMap = new Map();
  const put = (w: string, n: number, salt: number): void => {
    const ev = events(n, Date.now(), salt);
    appendEvents(path(w), ev);
    addEvents(want, ev);
    counted += n;
  };
  put('a', 10, 0);
  put('b', 20, 1);
  put('c', 30, 2);
  put('d', 40, 3);
  put('e', 50, 4);
  t.ok(await until(async () => (await c.health()).counters.recordsCounted === counted, 30_000), 'all five segments counted');

  // While running: d deleted by hand; e truncated to 0, then appended to once the shrink is seen.
  unlinkSync(path('d'));
  truncateSync(path('e'), 0);
  t.ok(await until(async () => { const k = (await c.health()).counters; return k.segmentsMissing === 1 && k.segmentsReset === 1; }, 30_000), 'deletion and truncation seen while running');
  put('e', 7, 5);
  t.ok(await until(async () => (await c.health()).counters.recordsCounted === counted, 30_000), 'records appended after the truncation counted');
  const liveCodes = [...new Set((await c.health()).recentProblems.map((p) => p.code))].sort();
  t.same(liveCodes, ['E_SEGMENT_SHRANK', 'E_SEGMENT_VANISHED'], 'the live deletion and truncation are reported with their codes');

  // While it is down (SIGKILL): a appended to, then deleted; b truncated and rewritten larger
  // (same inode, new first frame); c replaced by a new, larger file.
  await sleep(300); // a checkpoint with every offset
  await c.kill();
  appendFileSync(path('a'), Buffer.concat(encodeFrames(events(5, Date.now()))));
  unlinkSync(path('a'));
  truncateSync(path('b'), 0);
  put('b', 45, 6);
  unlinkSync(path('c'));
  put('c', 60, 7);
  c = await Collector.start(pin, { graceMs: 300, tickMs: 50, checkpointMs: 100 });
  t.ok(await until(async () => (await c.health()).counters.recordsCounted >= counted, 30_000), 'restarted collector caught up');
  await sleep(300);
  const h = await c.health();
  // e's 7 records after its live truncation are counted again: the checkpoint keeps e's old
  // first-frame fingerprint after the shrink, so the restart takes e as a replaced file.
  const shrinkDefect = 'defect: a segment truncated live is counted again from 0 after a restart (its old head fingerprint stays in the checkpoint)';
  t.equal(h.counters.recordsCounted, counted, `${counted} records counted once (a's unread appends went with the file)`, { todo: shrinkDefect });
  t.equal(h.counters.segmentsMissing, 2, 'two segments vanished before being fully consumed (d live, a while down)');
  t.equal(h.counters.segmentsReset, 3, 'three resets: e shrank live, b rewritten and c replaced while down', { todo: shrinkDefect });
  const codes = [...new Set(h.recentProblems.map((p) => p.code))].sort();
  t.same(codes, ['E_SEGMENT_MISSING', 'E_SEGMENT_REPLACED'], 'a vanished and b, c replaced while down are reported with their codes');
  // every second with records sealed, then the metric log holds everything counted
  const wantObj = JSON.stringify(sumsObject(want));
  await until(() => JSON.stringify(sumsObject(readMetricLog(pin).sums)) === wantObj, 15_000, 200);
  t.same(sumsObject(readMetricLog(pin).sums), sumsObject(want), 'metric-log sums equal the records counted', { todo: shrinkDefect });
  t.equal(await c.stop(), 0, 'clean stop');
});

t.test('a FIFO and a directory under segment names do not stop the collector', async (t) => {
  const pin = await tempDir(t, 'oddfiles');
  ensureLogDir(pin);
  const bucket = bucketSecOf(Date.now());
  execFileSync('mkfifo', [segmentPath(pin, bucket, 'fifo')]);
  mkdirSync(segmentPath(pin, bucket, 'dir'));
  const ev = events(25, Date.now());
  appendEvents(segmentPath(pin, bucket, 'good'), ev);
  const c = await Collector.start(pin, { graceMs: 300, tickMs: 50 });
  t.teardown(() => c.kill());
  const counted = await until(async () => (await Promise.race([c.health(), sleep(2000).then(() => null)]))?.counters.recordsCounted === 25, 15_000);
  t.ok(counted, 'the good segment next to them is counted');
  if (!counted) {
    await c.kill();
    return;
  }
  const linesBefore = c.output.join('').split('\n').length;
  const cpu0 = cpuMs(c.pid) ?? 0;
  const wall0 = Date.now();
  await sleep(3000);
  const cpuShare = ((cpuMs(c.pid) ?? 0) - cpu0) / (Date.now() - wall0);
  const lines = c.output.join('').split('\n').length - linesBefore;
  const h = await c.health();
  t.ok(h.counters.segmentReadErrors >= 1, `reported as read errors (${h.counters.segmentReadErrors})`);
  t.ok(lines <= 5, `log lines over 3 s afterwards: ${lines} (bound 5)`);
  t.ok(cpuShare <= 0.5, `CPU over 3 s afterwards: ${(cpuShare * 100).toFixed(1)} % of a core (bound 50 %)`);
  t.equal(await c.stop(), 0, 'clean stop');
  t.ok(readdirSync(join(pin, 'log')).length >= 2, 'the odd files are left alone');
});

t.test('a huge sparse segment does not hold the others back', async (t) => {
  const pin = await tempDir(t, 'sparse');
  ensureLogDir(pin);
  const nowMs = Date.now();
  // A bucket already sealed: every segment is complete.
  const bucket = bucketSecOf(nowMs) - 30;
  const holeBytes = 256 * 1024 * 1024;
  // A preallocated, never-written region (a hole: zeros) with one frame after it; it sorts first.
  const sparse = segmentPath(pin, bucket, 'a-sparse');
  truncateSync(openAndClose(sparse), holeBytes);
  const tail = Buffer.concat(encodeFrames(events(9, nowMs, 3)));
  appendFileSync(sparse, tail);
  let small = 0;
  for (let i = 0; i < 20; i++) {
    appendEvents(segmentPath(pin, bucket, `w${i}`), events(10, nowMs, i));
    small += 10;
  }
  const c = await Collector.start(pin, { graceMs: 300, tickMs: 50 });
  t.teardown(() => c.kill());
  let skippedWhenSmallDone = -1;
  await until(async () => {
    const k = (await c.health()).counters;
    if (k.recordsCounted >= small) {
      skippedWhenSmallDone = k.bytesSkipped;
      return true;
    }
    return false;
  }, 120_000, 20);
  t.ok(skippedWhenSmallDone >= 0, 'the small segments are counted');
  t.ok(skippedWhenSmallDone < holeBytes, `they are counted before the ${holeBytes}-byte hole is scanned through (${skippedWhenSmallDone} bytes skipped by then)`, {
    todo: 'defect: one huge/sparse segment starves the others',
  });
  const done = await until(async () => (await c.health()).counters.recordsCounted === small + 9, 180_000, 200);
  t.ok(done, 'the frame after the hole is counted too');
  const k = (await c.health()).counters;
  t.equal(k.bytesSkipped, holeBytes, 'the hole is skipped byte for byte, as zeros, not as records');
  t.same([k.recordsRejected, k.recordsCounted], [0, small + 9], 'no record from the zeros, every real one counted');
  t.equal(await c.stop(), 0, 'clean stop');
});

/** Creates an empty file and returns its path. */
function openAndClose(path: string): string {
  closeSync(openSync(path, 'w'));
  return path;
}

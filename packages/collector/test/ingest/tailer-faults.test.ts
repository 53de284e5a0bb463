// The tailer under file-system faults, on real files with explicit times (faults are injected
// through the TailerFs seam): a transient error at restore is no identity change, a FIFO under a
// segment's name never blocks, an unreadable segment backs off instead of spinning, a huge sparse
// segment neither starves the others nor holds back sealing, and far-future names do not stay forever.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { Collector, type CollectorOptions } from '../../src/daemon/collector.js';
import { NODE_TAILER_FS, type TailerFs } from '../../src/ingest/tailer.js';
import { appendEvents, expectedSums, metricSums, withoutLines } from '../daemon/helpers.js';

const B = 1795657900; // a 10 s bucket, epoch seconds
const T = B * 1000;
const { CALL } = RecordKind;

function open(pinDir: string, nowMs: number, extra: Partial<CollectorOptions> = {}): Collector {
  return new Collector({ pinDir, app: 'test', graceMs: 2000, utcOffsetMinutes: 0, ...extra }, nowMs);
}

function calls(fromMs: number, n: number, stepMs: number, name = 'r'): FlowEvent[] {
  const out: FlowEvent[] = [];
  for (let i = 0; i < n; i++) out.push({ kind: CALL, tsMs: fromMs + i * stepMs, name, rtMs: 4, error: i % 5 === 0 });
  return out;
}

function errno(code: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

/** node:fs, except that open and read of paths ending with `suffix` throw `code` while `failing()` says so; counts those attempts. */
function faultyFs(suffix: string, code: string, failing: () => boolean): TailerFs & { attempts: number } {
  const fs = {
    ...NODE_TAILER_FS,
    attempts: 0,
    openSync(path: string, flags: number | string): number {
      if (path.endsWith(suffix)) {
        fs.attempts++;
        if (failing()) throw errno(code);
      }
      return NODE_TAILER_FS.openSync(path, flags);
    },
  };
  return fs;
}

t.test('a transient open error while restoring is retried, not taken for a replaced segment', async (t) => {
  const pin = t.testdir();
  const events = calls(T + 100, 50, 20, 'a');
  let c = open(pin, T);
  appendEvents(pin, B, 'w1', events, 200);
  c.cycleAt(T + 1_500, true);
  c.closeAt(T + 1_500);
  t.equal(c.store.counters.recordsCounted, 50);
  let failures = 1;
  const fs = faultyFs(`${B}-w1.seg`, 'EMFILE', () => failures-- > 0);
  c = open(pin, T + 2_000, { tailerFs: fs });
  t.ok(fs.attempts >= 1, 'the fault was hit during restore');
  c.cycleAt(T + 13_000, true);
  c.cycleAt(T + 13_500, true);
  const h = c.healthAt(T + 13_500);
  t.equal(h.counters.recordsCounted, 50, '50 records counted once, not 100');
  t.equal(h.counters.segmentsReset, 0);
  t.notOk(h.recentProblems.some((p) => p.code === 'E_SEGMENT_REPLACED'));
  t.same(withoutLines(metricSums(pin)), expectedSums(events));
  c.closeAt(T + 13_500);
});

t.test('after a transient error at restore a segment rewritten in place is still recognised as replaced', async (t) => {
  const pin = t.testdir();
  let c = open(pin, T);
  appendEvents(pin, B, 'w1', calls(T + 100, 20, 20, 'a'), 200);
  c.cycleAt(T + 1_500, true);
  c.closeAt(T + 1_500);
  // Same inode, different bytes, longer than the checkpointed offset.
  const other = calls(T + 200, 30, 20, 'b');
  writeFileSync(join(pin, 'log', segmentName(B, 'w1')), Buffer.concat(encodeFrames(other, { maxFrameBytes: 300 })));
  let failures = 1;
  c = open(pin, T + 2_000, { tailerFs: faultyFs(`${B}-w1.seg`, 'EIO', () => failures-- > 0) });
  c.cycleAt(T + 3_000, true);
  const h = c.healthAt(T + 3_000);
  t.equal(h.counters.segmentsReset, 1);
  t.ok(h.recentProblems.some((p) => p.code === 'E_SEGMENT_REPLACED'));
  t.equal(h.counters.recordsCounted, 50, 'the 20 of before plus the 30 of the new file, read from 0');
  c.closeAt(T + 3_000);
});

t.test('a FIFO under a segment name (checkpointed or new) is skipped and reported, never opened blocking', async (t) => {
  const pin = t.testdir();
  const now = Date.now();
  const bucket = Math.floor(now / 10_000) * 10;
  let c = open(pin, now);
  appendEvents(pin, bucket, 'w1', calls(bucket * 1000, 10, 10, 'a'), 200);
  c.cycleAt(now, true);
  c.closeAt(now);
  const logDir = join(pin, 'log');
  unlinkSync(join(logDir, segmentName(bucket, 'w1')));
  for (const w of ['w1', 'w2']) t.equal(spawnSync('mkfifo', [join(logDir, segmentName(bucket, w))]).status, 0);
  appendEvents(pin, bucket, 'w3', calls(bucket * 1000, 7, 10, 'c'), 200);
  // In a child process: a blocking open would hang it (killed after the timeout) instead of this test.
  const src = resolve(fileURLToPath(import.meta.url), '../../../src/daemon/collector.ts');
  const script = `
    const { Collector } = await import(${JSON.stringify(src)});
    const c = new Collector({ pinDir: ${JSON.stringify(pin)}, app: 'test', graceMs: 2000, utcOffsetMinutes: 0 }, ${now + 100});
    c.cycleAt(${now + 200}, true);
    const h = c.healthAt(${now + 200});
    c.closeAt(${now + 200});
    process.stdout.write(JSON.stringify(h));`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  t.equal(child.signal, null, 'the collector did not hang');
  t.equal(child.status, 0, child.stderr);
  const h = JSON.parse(child.stdout) as { counters: Record<string, number>; recentProblems: Array<{ code: string; segment?: string }> };
  t.equal(h.counters.recordsCounted, 17, 'the 10 of before and the 7 of the regular segment');
  const notFile = h.recentProblems.filter((p) => p.code === 'E_SEGMENT_NOT_FILE').map((p) => p.segment).sort();
  t.same(notFile, [segmentName(bucket, 'w1'), segmentName(bucket, 'w2')]);
});

t.test('a symbolic link under a segment name is skipped like a FIFO: reported once, never retried, not counted in lagBytes', async (t) => {
  const pin = t.testdir({ outside: { 'passwd': 'x'.repeat(5000) } });
  const c = open(pin, T);
  appendEvents(pin, B, 'w1', calls(T + 100, 10, 10, 'a'), 200);
  const link = segmentName(B, 'link');
  symlinkSync(join(pin, 'outside', 'passwd'), join(pin, 'log', link));
  for (let i = 0; i < 50; i++) c.cycleAt(T + 500 + i * 100, false); // 5 s of passes, the bucket still live
  const h = c.healthAt(T + 5_400);
  t.equal(h.counters.lagBytes, 0, "the link's target is not lag");
  t.equal(h.counters.recordsCounted, 10, 'the real segment is read');
  t.equal(h.counters.segmentReadErrors, 1, 'counted once');
  t.same(
    h.recentProblems.filter((p) => p.segment === link).map((p) => [p.code, p.message]),
    [['E_SEGMENT_NOT_FILE', 'not a regular file (FIFO, device, directory or link): skipped']],
    'reported once, not as a read error retried every pass',
  );
  c.cycleAt(T + 13_000, true);
  t.equal(c.healthAt(T + 13_000).counters.lagBytes, 0, 'nor after the bucket is sealed');
  c.closeAt(T + 13_000);
});

t.test('a link found only by the no-follow open (ELOOP, e.g. a file replaced by a link after its stat) is skipped the same way', async (t) => {
  const pin = t.testdir({ outside: { 'passwd': 'x'.repeat(5000) } });
  const link = segmentName(B, 'link');
  // The first stat of the name sees a regular file (as one taken before the swap would): only the open sees the link.
  let raced = false;
  const fs: TailerFs = {
    ...NODE_TAILER_FS,
    lstatSync(path: string) {
      if (!path.endsWith(link) || raced) return NODE_TAILER_FS.lstatSync(path);
      raced = true;
      return statSync(path);
    },
  };
  const c = open(pin, T, { tailerFs: fs });
  symlinkSync(join(pin, 'outside', 'passwd'), join(pin, 'log', link));
  for (let i = 0; i < 20; i++) c.cycleAt(T + 500 + i * 100, false);
  t.ok(raced, 'the open was reached');
  const h = c.healthAt(T + 2_400);
  t.equal(h.counters.lagBytes, 0);
  t.equal(h.counters.segmentReadErrors, 1);
  t.same(h.recentProblems.filter((p) => p.segment === link).map((p) => p.code), ['E_SEGMENT_NOT_FILE']);
  c.closeAt(T + 2_400);
});

t.test('an unreadable segment backs off (no busy loop), is reported once with a count, and is read once it heals', async (t) => {
  const pin = t.testdir();
  let broken = true;
  const fs = faultyFs(`${B}-w1.seg`, 'EIO', () => broken);
  const c = open(pin, T, { tailerFs: fs });
  appendEvents(pin, B, 'w1', calls(T + 100, 10, 10, 'a'), 200);
  appendEvents(pin, B, 'w2', calls(T + 100, 5, 10, 'b'), 200);
  let anyMore = false;
  for (let i = 0; i < 100; i++) anyMore = c.cycleAt(T + 500 + i * 100, false).more || anyMore;
  t.equal(anyMore, false, 'a failing segment is no reason for an immediate next pass');
  t.ok(fs.attempts <= 12, `retried with back-off: ${fs.attempts} attempts in 100 passes over 10 s`);
  t.ok(fs.attempts >= 3, `but retried: ${fs.attempts} attempts`);
  t.equal(c.store.counters.segmentReadErrors, 1);
  t.equal(c.store.counters.recordsCounted, 5);
  broken = false;
  c.cycleAt(T + 30_000, true);
  t.equal(c.store.counters.recordsCounted, 15, 'read once the fault is gone');
  c.closeAt(T + 30_000);
});

t.test('a problem repeated on every pass is reported once per interval with a count of the repeats', async (t) => {
  const pin = t.testdir();
  let broken = true;
  const fs: TailerFs = {
    ...NODE_TAILER_FS,
    readdirSync(path: string): string[] {
      if (broken) throw errno('EMFILE');
      return NODE_TAILER_FS.readdirSync(path);
    },
  };
  const c = open(pin, T, { tailerFs: fs });
  const before = c.health.problemsReported;
  for (let i = 0; i < 200; i++) c.passAt(T + i * 100); // 20 s
  const dirProblems = c.health.problems.filter((p) => p.code === 'E_LOG_DIR');
  t.ok(c.health.problemsReported - before <= 3, `${c.health.problemsReported - before} problems reported for 200 failing passes`);
  t.ok(dirProblems.length >= 2, 'reported again after the interval');
  t.match(dirProblems.at(-1)!.message, /repeated \d+ times/);
  broken = false;
  c.closeAt(T + 20_000);
});

t.test('a huge sparse segment with an old bucket is reported and skipped; the others are counted in the same pass', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T);
  const huge = join(pin, 'log', segmentName(B - 100, 'w0'));
  writeFileSync(huge, '');
  truncateSync(huge, 20 * 1024 ** 3);
  const events = calls(T + 100, 40, 20, 'a');
  appendEvents(pin, B, 'w1', events, 200);
  c.cycleAt(T + 1_000, true);
  t.equal(c.store.counters.recordsCounted, 40, 'counted in the first pass');
  t.ok(c.healthAt(T + 1_000).recentProblems.some((p) => p.code === 'E_SEGMENT_TOO_LARGE' && p.segment === segmentName(B - 100, 'w0')));
  c.cycleAt(T + 13_000, true);
  t.same(withoutLines(metricSums(pin)), expectedSums(events), 'sealing is not held back by the skipped segment');
  c.closeAt(T + 13_000);
});

t.test('a big (but possible) segment is read in bounded steps, round-robin with the others', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T);
  const big = join(pin, 'log', segmentName(B - 100, 'w0'));
  writeFileSync(big, '');
  truncateSync(big, 64 * 1024 * 1024);
  const events = calls(T + 100, 40, 20, 'a');
  appendEvents(pin, B, 'w1', events, 200);
  const r = c.cycleAt(T + 1_000, true);
  t.equal(c.store.counters.recordsCounted, 40, 'the small segment is counted in the first pass');
  t.equal(r.more, true, 'the big one is not caught up yet');
  c.closeAt(T + 13_000);
});

t.test('a segment named for a bucket far in the future is reported, read, and deleted once consumed', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T);
  const far = B + 10 * 86_400; // ten days ahead
  appendEvents(pin, far, 'w1', calls(far * 1000 + 100, 5, 10, 'x'), 200);
  appendEvents(pin, B, 'w1', calls(T + 100, 5, 10, 'a'), 200);
  c.cycleAt(T + 1_000, true);
  c.cycleAt(T + 1_500, true);
  t.ok(c.healthAt(T + 1_500).recentProblems.some((p) => p.code === 'E_SEGMENT_FUTURE' && p.segment === segmentName(far, 'w1')));
  t.equal(existsSync(join(pin, 'log', segmentName(far, 'w1'))), false, 'deleted');
  t.equal(c.store.counters.recordsFuture, 5);
  t.same(c.resourcesAt(T + 1_500).map((n) => n.resource), ['a'], 'dropped records created no resource');
  c.closeAt(T + 1_500);
});

t.test('records dropped as too late create no resource entries', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T);
  appendEvents(pin, B, 'w1', calls(T + 100, 5, 10, 'a'), 200);
  c.cycleAt(T + 200_000, true);
  appendEvents(pin, B, 'w2', calls(T + 300, 5, 10, 'late'), 200);
  c.cycleAt(T + 200_500, true);
  t.equal(c.store.counters.recordsLateDropped, 5);
  t.notOk(c.resourcesAt(T + 200_500).some((n) => n.resource === 'late'));
  c.closeAt(T + 200_500);
});

t.test('a first start drops records older than the first-start horizon (no metric files for 1970)', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T);
  appendEvents(pin, B, 'w1', [...calls(1_000, 5, 10, 'old'), ...calls(T + 100, 5, 10, 'a')], 200);
  c.cycleAt(T + 13_000, true);
  t.equal(c.store.counters.recordsLateDropped, 5);
  t.equal(c.store.counters.recordsCounted, 5);
  const files = readdirSync(join(pin, 'collector', 'metrics'));
  t.notOk(files.some((f) => f.includes('1970')), files.join(' '));
  t.notOk(c.resourcesAt(T + 13_000).some((n) => n.resource === 'old'));
  c.closeAt(T + 13_000);
});

t.test('a pass budget that ends inside a frame leaves the rest for the next pass, not for the next append', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T, { passBudgetBytes: 100 });
  appendEvents(pin, B, 'w1', calls(T + 100, 3000, 0, 'a'), 300);
  let passes = 1;
  while (c.passAt(T + 900).more && passes < 1000) passes++;
  t.equal(c.store.counters.recordsCounted, 3000, `all read in ${passes} passes with a 100-byte budget (a segment reads at least one whole frame), nothing appended since`);
  t.ok(passes > 1, 'in more than one pass');
  c.closeAt(T + 13_000);
});

t.test('a segment truncated live and written again is not taken for a replaced file after a restart', async (t) => {
  const pin = t.testdir();
  let c = open(pin, T);
  appendEvents(pin, B, 'w1', calls(T + 100, 20, 10, 'a'), 200);
  c.cycleAt(T + 500, true);
  truncateSync(join(pin, 'log', segmentName(B, 'w1')), 0);
  c.cycleAt(T + 600, true);
  appendEvents(pin, B, 'w1', calls(T + 700, 7, 10, 'b'), 200);
  c.cycleAt(T + 800, true);
  c.closeAt(T + 900);
  t.equal(c.store.counters.recordsCounted, 27);
  c = open(pin, T + 1_000);
  c.cycleAt(T + 13_000, true);
  t.equal(c.store.counters.recordsCounted, 27, 'the 7 records after the truncation are not counted again');
  t.equal(c.store.counters.segmentsReset, 1, 'only the live shrink');
  c.closeAt(T + 13_000);
});

// The tailer's kept descriptors of live segments, on real files with explicit times: the read of
// an append from a watcher's event is one positioned read (no stat, open or close), and with a
// descriptor kept a file replaced under the segment's name, truncated, deleted or turned into a
// FIFO is found exactly as before (and its descriptor closed); descriptors are bounded, closed once
// the bucket is sealed and read to its end, and by close().
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { Collector, type CollectorOptions } from '../../src/daemon/collector.js';
import { NODE_TAILER_FS, type TailerFs } from '../../src/ingest/tailer.js';
import { appendEvents, expectedSums, metricSums, withoutLines } from '../daemon/helpers.js';

const B = 1795657900; // a 10 s bucket, epoch seconds
const T = B * 1000;
const { CALL } = RecordKind;

function calls(fromMs: number, n: number, name = 'r'): FlowEvent[] {
  const out: FlowEvent[] = [];
  for (let i = 0; i < n; i++) out.push({ kind: CALL, tsMs: fromMs + i * 10, name, rtMs: 4, error: i % 5 === 0 });
  return out;
}

type Call = 'openSync' | 'closeSync' | 'readSync' | 'fstatSync' | 'lstatSync';

/** node:fs that counts the calls the tailer makes and tracks which descriptors it holds open. */
function countingFs(): TailerFs & { calls: Record<Call, number>; open: Set<number>; reset(): void } {
  const calls: Record<Call, number> = { openSync: 0, closeSync: 0, readSync: 0, fstatSync: 0, lstatSync: 0 };
  const open = new Set<number>();
  return {
    ...NODE_TAILER_FS,
    calls,
    open,
    reset(): void {
      for (const k of Object.keys(calls) as Call[]) calls[k] = 0;
    },
    openSync(path, flags) {
      calls.openSync++;
      const fd = NODE_TAILER_FS.openSync(path, flags);
      open.add(fd);
      return fd;
    },
    closeSync(fd) {
      calls.closeSync++;
      if (!open.delete(fd)) throw new Error(`closed ${fd}, which the tailer did not hold`);
      NODE_TAILER_FS.closeSync(fd);
    },
    readSync(fd, buffer, offset, length, position) {
      calls.readSync++;
      return NODE_TAILER_FS.readSync(fd, buffer, offset, length, position);
    },
    fstatSync(fd) {
      calls.fstatSync++;
      return NODE_TAILER_FS.fstatSync(fd);
    },
    lstatSync(path) {
      calls.lstatSync++;
      return NODE_TAILER_FS.lstatSync(path);
    },
  };
}

function open(pinDir: string, nowMs: number, fs: TailerFs, extra: Partial<CollectorOptions> = {}): Collector {
  return new Collector({ pinDir, app: 'test', graceMs: 2000, utcOffsetMinutes: 0, tailerFs: fs, ...extra }, nowMs);
}

const problemCodes = (c: Collector, nowMs: number): string[] => c.healthAt(nowMs).recentProblems.map((p) => p.code);

/** A collector following writer w1's segment of bucket B, with `count` calls appended and read. */
function following(t: { testdir(): string }, count: number) {
  const pin = t.testdir();
  const fs = countingFs();
  const c = open(pin, T, fs);
  const name = segmentName(B, 'w1');
  appendEvents(pin, B, 'w1', calls(T + 100, count));
  c.readSegmentAt(name, T + 150);
  return { pin, fs, c, name };
}

t.test('an append to a followed live segment is read with one positioned read, nothing else', async (t) => {
  const pin = t.testdir();
  const fs = countingFs();
  const c = open(pin, T, fs);
  const name = segmentName(B, 'w1');
  appendEvents(pin, B, 'w1', calls(T + 100, 10));
  c.cycleAt(T + 200, false);
  t.equal(c.store.counters.recordsCounted, 10);
  t.equal(c.tailer.keptDescriptorCount, 1, 'the live segment\'s descriptor is kept');
  t.equal(fs.open.size, 1);
  for (let i = 0; i < 5; i++) {
    appendEvents(pin, B, 'w1', calls(T + 300 + i * 100, 3));
    fs.reset();
    const r = c.readSegmentAt(name, T + 350 + i * 100);
    t.same(r, { bytesRead: r?.bytesRead, more: false });
    t.ok(r!.bytesRead > 0);
    t.same(fs.calls, { openSync: 0, closeSync: 0, readSync: 1, fstatSync: 0, lstatSync: 0 }, `append ${i}: one read, no stat, open or close`);
  }
  t.equal(c.store.counters.recordsCounted, 25, 'every appended record counted once');
  // A pass still stats the name, and reads through the kept descriptor (no open).
  appendEvents(pin, B, 'w1', calls(T + 900, 4));
  fs.reset();
  c.cycleAt(T + 950, false);
  t.equal(fs.calls.openSync, 0, 'the pass reads through the kept descriptor');
  t.equal(fs.calls.lstatSync, 1, 'the pass stats the name');
  t.equal(c.store.counters.recordsCounted, 29);
  // Nothing new: the full checks run (a stat of the name), nothing is read twice.
  fs.reset();
  t.same(c.readSegmentAt(name, T + 960), { bytesRead: 0, more: false });
  t.equal(fs.calls.lstatSync, 1, 'an event with nothing new checks the name');
  c.closeAt(T + 1_000);
  t.equal(fs.open.size, 0, 'close() closes the kept descriptor');
  t.equal(c.tailer.keptDescriptorCount, 0);
});

t.test('a file replaced under the name while its descriptor is kept is read from 0, its old descriptor closed', async (t) => {
  const pin = t.testdir();
  const fs = countingFs();
  const c = open(pin, T, fs);
  const name = segmentName(B, 'w1');
  const first = calls(T + 100, 12, 'a');
  appendEvents(pin, B, 'w1', first);
  c.readSegmentAt(name, T + 150);
  t.equal(c.store.counters.recordsCounted, 12);
  t.equal(fs.open.size, 1);
  // Another file renamed over the name (a new inode), then appended to, as a new writer would.
  const other = calls(T + 300, 9, 'b');
  const tmp = join(pin, 'log', 'replacement.tmp');
  writeFileSync(tmp, Buffer.concat(encodeFrames(other.slice(0, 5))));
  renameSync(tmp, join(pin, 'log', name));
  appendEvents(pin, B, 'w1', other.slice(5));
  const r = c.readSegmentAt(name, T + 400);
  t.ok(r !== null && r.bytesRead > 0, 'the new file is read at once');
  t.equal(c.store.counters.recordsCounted, 21, 'the old 12 once and the new file\'s 9 from its start');
  t.equal(c.healthAt(T + 400).counters.segmentsReset, 1);
  t.same(problemCodes(c, T + 400), ['E_SEGMENT_REPLACED']);
  t.equal(fs.open.size, 1, 'one descriptor: the new file\'s');
  t.equal(c.tailer.keptDescriptorCount, 1);
  c.closeAt((B + 20) * 1000);
  t.same(withoutLines(metricSums(pin)), expectedSums([...first, ...other]), 'every record in the metric log once');
  t.equal(fs.open.size, 0);
});

t.test('a followed segment truncated below its offset is reported, and what follows is counted', async (t) => {
  const { pin, fs, c, name } = following(t, 20);
  t.equal(c.store.counters.recordsCounted, 20);
  truncateSync(join(pin, 'log', name), 0);
  t.same(c.readSegmentAt(name, T + 200), { bytesRead: 0, more: false }, 'the truncation\'s event reads nothing');
  t.same(problemCodes(c, T + 200), ['E_SEGMENT_SHRANK']);
  t.equal(c.healthAt(T + 200).counters.segmentsReset, 1);
  t.equal(fs.open.size, 1, 'same file: its descriptor stays');
  appendEvents(pin, B, 'w1', calls(T + 300, 6));
  c.readSegmentAt(name, T + 350);
  t.equal(c.store.counters.recordsCounted, 26, 'the 6 appended after the truncation, once');
  c.closeAt(T + 400);
});

t.test('a followed segment deleted by someone else is reported and its descriptor closed', async (t) => {
  const { pin, fs, c, name } = following(t, 8);
  t.equal(fs.open.size, 1);
  unlinkSync(join(pin, 'log', name));
  t.same(c.readSegmentAt(name, T + 200), { bytesRead: 0, more: false });
  t.same(problemCodes(c, T + 200), ['E_SEGMENT_VANISHED']);
  t.equal(c.healthAt(T + 200).counters.segmentsMissing, 1);
  t.equal(fs.open.size, 0, 'the descriptor is closed');
  t.equal(c.tailer.keptDescriptorCount, 0);
  t.equal(c.store.counters.recordsCounted, 8);
  c.closeAt(T + 300);
});

t.test('a FIFO renamed over a followed segment is reported, never opened, and its old descriptor closed', async (t) => {
  const { pin, fs, c, name } = following(t, 8);
  const fifo = join(pin, 'log', 'fifo.tmp');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0);
  renameSync(fifo, join(pin, 'log', name));
  fs.reset();
  t.same(c.readSegmentAt(name, T + 200), { bytesRead: 0, more: false });
  t.equal(fs.calls.openSync, 0, 'the FIFO is not opened');
  t.same(problemCodes(c, T + 200), ['E_SEGMENT_NOT_FILE']);
  t.equal(fs.open.size, 0, 'the old file\'s descriptor is closed');
  t.equal(c.readSegmentAt(name, T + 250), null, 'a skipped segment is the pass\'s');
  c.cycleAt(T + 300, false);
  t.equal(fs.calls.openSync, 0);
  t.equal(c.store.counters.recordsCounted, 8);
  unlinkSync(join(pin, 'log', name));
  c.closeAt(T + 300);
});

t.test('descriptors are bounded, and closed once their bucket is sealed and read to its end', async (t) => {
  const pin = t.testdir();
  const fs = countingFs();
  const c = open(pin, T, fs, { tailerMaxKeptDescriptors: 2 });
  const all: FlowEvent[] = [];
  for (const w of ['w1', 'w2', 'w3', 'w4']) {
    const events = calls(T + 100, 5, w);
    appendEvents(pin, B, w, events);
    all.push(...events);
  }
  c.cycleAt(T + 200, false);
  t.equal(c.store.counters.recordsCounted, 20);
  t.equal(c.tailer.keptDescriptorCount, 2, 'at most the bound');
  t.equal(fs.open.size, 2);
  for (const w of ['w1', 'w2', 'w3', 'w4']) {
    const events = calls(T + 400, 3, w);
    appendEvents(pin, B, w, events);
    all.push(...events);
    t.ok((c.readSegmentAt(segmentName(B, w), T + 500)?.bytesRead ?? 0) > 0, `${w} read at once, its descriptor kept or not`);
  }
  t.equal(c.store.counters.recordsCounted, 32);
  t.equal(fs.open.size, 2);
  // The next bucket's segment gets a descriptor once one is free.
  const next = calls(T + 10_100, 4, 'n');
  appendEvents(pin, B + 10, 'w1', next);
  all.push(...next);
  // Sealed (bucket end + grace): the final read, then the descriptors close; the checkpoint deletes the segments.
  c.cycleAt((B + 10) * 1000 + 2000, true);
  t.equal(c.store.counters.recordsCounted, 36);
  t.equal(c.tailer.keptDescriptorCount, 1, 'only the live bucket\'s segment keeps one');
  t.equal(fs.open.size, 1);
  c.cycleAt((B + 10) * 1000 + 2100, true);
  t.same(c.tailer.segmentList().map((s) => s.name), [segmentName(B + 10, 'w1')], 'the sealed bucket\'s segments are deleted');
  c.closeAt((B + 30) * 1000);
  t.equal(fs.open.size, 0);
  t.same(withoutLines(metricSums(pin)), expectedSums(all), 'every record in the metric log once');
});

t.test('with no descriptors kept (bound 0) every read opens and closes, counting the same', async (t) => {
  const pin = t.testdir();
  const fs = countingFs();
  const c = open(pin, T, fs, { tailerMaxKeptDescriptors: 0 });
  const name = segmentName(B, 'w1');
  appendEvents(pin, B, 'w1', calls(T + 100, 10));
  c.readSegmentAt(name, T + 150);
  appendEvents(pin, B, 'w1', calls(T + 200, 10));
  fs.reset();
  c.readSegmentAt(name, T + 250);
  t.same(fs.calls, { openSync: 1, closeSync: 1, readSync: 1, fstatSync: 1, lstatSync: 1 });
  t.equal(fs.open.size, 0);
  t.equal(c.store.counters.recordsCounted, 20);
  c.closeAt(T + 300);
});

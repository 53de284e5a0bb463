import t from 'tap';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_LINES_RETURN, MetricSearcher } from '../../src/metriclog/search.js';
import { indexedSecondRange, seekIndexFile } from '../../src/metriclog/index-file.js';
import { decodeIndex, encodeIndexRecord, INDEX_RECORD_BYTES, listMetricFiles, type IndexEntry } from '../../src/metriclog/layout.js';
import { formatFatLine, metricLogBaseName } from '../../src/metriclog/line.js';
import { line, writeMetricFile } from './fixture.js';

const T = 1764120000000; // 2025-11-26 01:20:00 UTC
const S = T / 1000;
const base = metricLogBaseName('demo.app');

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-mlog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Two resources per second; seconds 0–4 in the day's first file, 5–6 in .1, 7–8 in .2, 9 in .10. */
function rolledLog(dir: string): void {
  const sec = (from: number, to: number) => {
    const out = [];
    for (let s = from; s <= to; s++) out.push(line(T + s * 1000, 'a', s + 1), line(T + s * 1000, 'b|x', 10 * (s + 1)));
    return out;
  };
  writeMetricFile(dir, `${base}.2025-11-25`, [line(T - 86_400_000, 'a', 99)]);
  writeMetricFile(dir, `${base}.2025-11-26`, sec(0, 4));
  writeMetricFile(dir, `${base}.2025-11-26.1`, sec(5, 6));
  writeMetricFile(dir, `${base}.2025-11-26.2`, sec(7, 8));
  writeMetricFile(dir, `${base}.2025-11-26.10`, sec(9, 9));
  writeMetricFile(dir, `other-metrics.log.2025-11-26`, [line(T, 'other', 1)]);
  writeFileSync(join(dir, `${base}.2025-11-26.lck`), '');
}

/** Sentinel's MetricSearcher.findOffset: the first entry whose second is ≥ beginSec (the linear scan the binary search must match). */
function seekIndex(entries: readonly IndexEntry[], beginSec: number): IndexEntry | undefined {
  return entries.find((e) => e.epochSec >= beginSec);
}

const secsOf = (lines: { timestampMs: number; resource: string }[]) => lines.map((l) => `${(l.timestampMs - T) / 1000}:${l.resource}`);

t.test('base name and file listing order follow MetricWriter', async (t) => {
  t.equal(base, 'demo-app-metrics.log');
  const dir = tmp(t);
  rolledLog(dir);
  t.same((await listMetricFiles(dir, base)).map((f) => f.name), [
    `${base}.2025-11-25`,
    `${base}.2025-11-26`,
    `${base}.2025-11-26.1`,
    `${base}.2025-11-26.2`,
    `${base}.2025-11-26.10`,
  ]);
  t.same(await listMetricFiles(join(dir, 'missing'), base), []);
});

t.test('index records: 16 bytes, big-endian second then offset', async (t) => {
  const rec = encodeIndexRecord(S, 0x0102);
  t.equal(rec.length, INDEX_RECORD_BYTES);
  t.equal(rec.toString('hex'), S.toString(16).padStart(16, '0') + '0000000000000102');
  t.same(decodeIndex(Buffer.concat([rec, rec.subarray(0, 7)])), [{ epochSec: S, offsetBytes: 0x0102 }], 'partial record ignored');
});

t.test('the binary-search seek finds what the linear scan finds', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'x');
  // Seconds with gaps (every third second missing) and a torn trailing record.
  const secs: number[] = [];
  for (let s = 0; s < 300; s++) if (s % 3 !== 2) secs.push(S + s);
  const entries = secs.map((sec, i) => ({ epochSec: sec, offsetBytes: i * 50 }));
  writeFileSync(path + '.idx', Buffer.concat([...entries.map((e) => encodeIndexRecord(e.epochSec, e.offsetBytes)), Buffer.alloc(5)]));
  for (let begin = S - 2; begin <= S + 302; begin++) {
    const want = seekIndex(entries, begin);
    const got = await seekIndexFile(path, begin);
    if (JSON.stringify(got) !== JSON.stringify(want)) t.fail(`begin ${begin}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
  }
  t.same(await seekIndexFile(path, S + 5), { epochSec: S + 6, offsetBytes: 4 * 50 });
  t.same(await indexedSecondRange(path), { oldestSec: S, newestSec: entries.at(-1)!.epochSec });
  t.equal(await seekIndexFile(join(dir, 'missing'), S), undefined);
  writeFileSync(join(dir, 'empty.idx'), '');
  t.equal(await indexedSecondRange(join(dir, 'empty')), undefined);
  // An index ending with late lines' records (older seconds after newer ones, one older than all): its least and greatest seconds.
  writeFileSync(join(dir, 'late.idx'), Buffer.concat([encodeIndexRecord(S + 10, 0), encodeIndexRecord(S + 20, 50), encodeIndexRecord(S + 12, 90), encodeIndexRecord(S + 8, 120)]));
  t.same(await indexedSecondRange(join(dir, 'late')), { oldestSec: S + 8, newestSec: S + 20 });
});

t.test('time range across rolled files, inclusive at both ends, identity filter', async (t) => {
  const dir = tmp(t);
  rolledLog(dir);
  const s = new MetricSearcher(dir, base);
  const r = await s.findByTimeAndResource(T + 3500, T + 7999);
  t.same(secsOf(r.lines), ['3:a', '3:b_x', '4:a', '4:b_x', '5:a', '5:b_x', '6:a', '6:b_x', '7:a', '7:b_x']);
  t.equal(r.truncated, false);
  t.equal(r.linesUnparsable, 0);
  t.same(r.lines[1], { timestampMs: T + 3000, resource: 'b_x', pass: 40, block: 0, success: 40, exception: 0, rtMs: 5, occupiedPass: 0, concurrency: 0, classification: 0 });

  t.same(secsOf((await s.findByTimeAndResource(T, T + 9000, 'b_x')).lines), ['0:b_x', '1:b_x', '2:b_x', '3:b_x', '4:b_x', '5:b_x', '6:b_x', '7:b_x', '8:b_x', '9:b_x']);
  t.same(secsOf((await s.findByTimeAndResource(T + 9000, T + 60_000)).lines), ['9:a', '9:b_x']);
  t.same(secsOf((await s.findByTimeAndResource(T - 90_000_000, T)).lines), ['-86400:a', '0:a', '0:b_x'], 'starts in the previous day');
  t.same((await s.findByTimeAndResource(T + 10_000, T + 20_000)).lines, [], 'after the end');
  t.same((await s.findByTimeAndResource(T + 5000, T + 4000)).lines, [], 'end before begin');
  t.same((await new MetricSearcher(join(dir, 'none'), base).findByTimeAndResource(T, T + 9000)).lines, []);
});

t.test('find: about N lines from begin, never splitting a second', async (t) => {
  const dir = tmp(t);
  rolledLog(dir);
  const s = new MetricSearcher(dir, base);
  t.same(secsOf((await s.find(T + 2000, 3)).lines), ['2:a', '2:b_x', '3:a', '3:b_x']);
  t.same(secsOf((await s.find(T + 2000, 4)).lines), ['2:a', '2:b_x', '3:a', '3:b_x']);
  t.same(secsOf((await s.find(T + 4000, 5)).lines), ['4:a', '4:b_x', '5:a', '5:b_x', '6:a', '6:b_x'], 'crosses into .1');
  t.same(secsOf((await s.find(T + 8000, 100)).lines), ['8:a', '8:b_x', '9:a', '9:b_x']);
  t.same(secsOf((await s.find(T, 3, 'a')).lines), ['0:a', '1:a', '2:a']);
  t.equal(await s.latestSecond(), S + 9);
});

t.test('the seek uses the index: bytes before the indexed offset are never read', async (t) => {
  const dir = tmp(t);
  const name = `${base}.2025-11-26`;
  const garbage = 'not a metric line\n';
  const l0 = formatFatLine(line(T, 'a', 1), 0);
  const l1 = formatFatLine(line(T + 1000, 'a', 2), 0);
  writeFileSync(join(dir, name), garbage + l0 + l1 + 'torn|line-without-newline');
  writeFileSync(join(dir, name + '.idx'), Buffer.concat([encodeIndexRecord(S, garbage.length), encodeIndexRecord(S + 1, garbage.length + l0.length)]));
  const s = new MetricSearcher(dir, base);
  const r = await s.findByTimeAndResource(T, T + 1000);
  t.same(secsOf(r.lines), ['0:a', '1:a']);
  t.equal(r.linesUnparsable, 0, 'garbage before the offset was skipped by the seek; the torn tail is not a line yet');
  const r1 = await s.findByTimeAndResource(T + 1000, T + 1000);
  t.same(secsOf(r1.lines), ['1:a'], 'seek to the second record');
  // A line in the middle that does not parse is counted and skipped.
  appendFileSync(join(dir, name), '\nbad|line\n' + formatFatLine(line(T + 1000, 'b', 3), 0));
  const r2 = await s.findByTimeAndResource(T + 1000, T + 1000);
  t.same(secsOf(r2.lines), ['1:a', '1:b']);
  t.equal(r2.linesUnparsable, 2);
});

t.test('a day roll whose index record points at the end of the old file reads on into the new one', async (t) => {
  const dir = tmp(t);
  const old = `${base}.2025-11-26`;
  const offsets = writeMetricFile(dir, old, [line(T, 'a', 1)]);
  t.equal(offsets.get(S), 0);
  const oldSize = formatFatLine(line(T, 'a', 1), 0).length;
  appendFileSync(join(dir, old + '.idx'), encodeIndexRecord(S + 1, oldSize));
  writeMetricFile(dir, `${base}.2025-11-27`, [line(T + 1000, 'a', 2), line(T + 2000, 'a', 3)]);
  const r = await new MetricSearcher(dir, base).findByTimeAndResource(T + 1000, T + 2000);
  t.same(secsOf(r.lines), ['1:a', '2:a']);
});

t.test('a file without an index is not a seek target', async (t) => {
  const dir = tmp(t);
  writeMetricFile(dir, `${base}.2025-11-26`, [line(T, 'a', 1)]);
  rmSync(join(dir, `${base}.2025-11-26.idx`));
  writeMetricFile(dir, `${base}.2025-11-26.1`, [line(T + 1000, 'a', 2)]);
  t.same(secsOf((await new MetricSearcher(dir, base).findByTimeAndResource(T, T + 5000)).lines), ['1:a']);
});

t.test('a time range answer stops at 100 000 lines', async (t) => {
  const dir = tmp(t);
  const lines = [];
  for (let s = 0; s < 1001; s++) for (let r = 0; r < 100; r++) lines.push(line(T + s * 1000, `r${r}`, 1));
  writeMetricFile(dir, `${base}.2025-11-26`, lines);
  const res = await new MetricSearcher(dir, base).findByTimeAndResource(T, T + 2_000_000);
  t.equal(res.lines.length, MAX_LINES_RETURN);
  t.equal(res.truncated, true);
  t.equal(res.lines.at(-1)!.timestampMs, T + 999_000);
});

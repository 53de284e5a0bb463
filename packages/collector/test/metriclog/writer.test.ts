// The metric log byte for byte: fat lines, .idx records, rolling by size and day, retention, and
// cutting back to a checkpointed position; late lines indexed and found by the searcher.
import t from 'tap';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listMetricFiles as listFiles, metricLogBaseName, parseMetricFileName, compareMetricFiles, type MetricFile } from '../../src/metriclog/layout.js';
import { MetricLogWriter } from '../../src/metriclog/writer.js';
import { MetricSearcher } from '../../src/metriclog/search.js';

const listMetricFiles = (dir: string, base: string): string[] => listFiles(dir, base).map((f) => f.name);
const byReadingOrder = (a: string, b: string): number => compareMetricFiles(asFile(a), asFile(b));
const asFile = (name: string): MetricFile => ({ name, path: name, ...parseMetricFileName('a', name)! });
import type { SecondLine } from '../../src/stats/types.js';

function line(timestampMs: number, resource: string, pass: number, extra: Partial<SecondLine> = {}): SecondLine {
  return { timestampMs, resource, pass, block: 0, success: pass, exception: 0, rtMs: 5, occupiedPass: 0, concurrency: 0, classification: 0, ...extra };
}

function idx(...pairs: Array<[number, number]>): Buffer {
  const b = Buffer.alloc(16 * pairs.length);
  pairs.forEach(([sec, off], i) => {
    b.writeBigInt64BE(BigInt(sec), i * 16);
    b.writeBigInt64BE(BigInt(off), i * 16 + 8);
  });
  return b;
}

// 2026-11-26 01:52:11 UTC
const SEC = 1795657931;

t.test('lines and index bytes', async (t) => {
  const dir = t.testdir();
  const w = new MetricLogWriter({ dir, app: 'my.app', utcOffsetMinutes: 0 });
  t.equal(metricLogBaseName('my.app'), 'my-app-metrics.log');
  w.open(undefined);
  t.equal(w.position(), null);
  w.writeSecond(SEC, [line(SEC * 1000, 'a|b', 3, { block: 1, exception: 1, rtMs: 12 }), line(SEC * 1000, '资源', 1)], false);
  w.writeSecond(SEC + 1, [line((SEC + 1) * 1000, 'a', 2)], false);
  w.writeSecond(SEC, [line(SEC * 1000, 'a', 1)], true); // late extra line: an index record of its own
  w.sync();
  const name = 'my-app-metrics.log.2026-11-26';
  t.same(readdirSync(dir).sort(), [name, `${name}.idx`]);
  const l1 = '1795657931000|2026-11-26 01:52:11|a_b|3|1|3|1|12|0|0|0\n';
  const l2 = '1795657931000|2026-11-26 01:52:11|资源|1|0|1|0|5|0|0|0\n';
  const l3 = '1795657932000|2026-11-26 01:52:12|a|2|0|2|0|5|0|0|0\n';
  const l4 = '1795657931000|2026-11-26 01:52:11|a|1|0|1|0|5|0|0|0\n';
  t.equal(readFileSync(join(dir, name), 'utf8'), l1 + l2 + l3 + l4);
  const off2 = Buffer.byteLength(l1 + l2);
  const off4 = Buffer.byteLength(l1 + l2 + l3);
  t.same(readFileSync(join(dir, `${name}.idx`)), idx([SEC, 0], [SEC + 1, off2], [SEC, off4]));
  t.same(w.position(), { file: name, sizeBytes: Buffer.byteLength(l1 + l2 + l3 + l4), idxBytes: 48 });
  w.close();
});

t.test('rolls by size and by day, keeps N files, orders .10 after .9', async (t) => {
  const dir = t.testdir();
  const w = new MetricLogWriter({ dir, app: 'app', utcOffsetMinutes: 0, maxFileBytes: 100, maxFiles: 3 });
  w.open(undefined);
  for (let i = 0; i < 5; i++) w.writeSecond(SEC + i, [line((SEC + i) * 1000, 'resource-with-a-long-name', i), line((SEC + i) * 1000, 'other-resource-name', i)], false);
  const base = 'app-metrics.log.2026-11-26';
  t.same(listMetricFiles(dir, 'app-metrics.log'), [`${base}.2`, `${base}.3`, `${base}.4`], 'each file passed 100 bytes after one second; only 3 kept');
  t.same(readdirSync(dir).filter((f) => f.endsWith('.idx')).length, 3, 'indexes removed with their files');
  t.same(readFileSync(join(dir, `${base}.4.idx`)), idx([SEC + 4, 0]));
  // A new day starts a new file even below the size limit.
  const nextDay = 1795737600; // 2026-11-27 00:00:00 UTC
  w.writeSecond(nextDay, [line(nextDay * 1000, 'x', 1)], false);
  t.equal(listMetricFiles(dir, 'app-metrics.log').at(-1), 'app-metrics.log.2026-11-27');
  w.close();
  t.same(['a.2026-11-26.10', 'a.2026-11-26.9', 'a.2026-11-25.11', 'a.2026-11-26'].sort(byReadingOrder), ['a.2026-11-25.11', 'a.2026-11-26', 'a.2026-11-26.9', 'a.2026-11-26.10']);
});

t.test('open at a checkpointed position cuts back what was written after it', async (t) => {
  const dir = t.testdir();
  const w = new MetricLogWriter({ dir, app: 'app', utcOffsetMinutes: 0, maxFileBytes: 120 });
  w.open(undefined);
  w.writeSecond(SEC, [line(SEC * 1000, 'a', 1)], false);
  const pos = w.position()!;
  const bytesAtPos = readFileSync(join(dir, pos.file));
  w.writeSecond(SEC + 1, [line((SEC + 1) * 1000, 'a', 2), line((SEC + 1) * 1000, 'b', 2)], false);
  w.writeSecond(SEC + 2, [line((SEC + 2) * 1000, 'a', 3)], false); // rolls: a second file
  w.close();
  t.equal(listMetricFiles(dir, 'app-metrics.log').length, 2);

  const again = new MetricLogWriter({ dir, app: 'app', utcOffsetMinutes: 0, maxFileBytes: 120 });
  const cut = again.open(pos);
  t.same(cut.removedFiles, ['app-metrics.log.2026-11-26.1']);
  t.equal(cut.truncatedBytes, 2 * bytesAtPos.length);
  t.same(readFileSync(join(dir, pos.file)), bytesAtPos);
  t.same(readFileSync(join(dir, `${pos.file}.idx`)), idx([SEC, 0]));
  // Writing the same seconds again gives the same bytes as an uninterrupted run.
  again.writeSecond(SEC + 1, [line((SEC + 1) * 1000, 'a', 2), line((SEC + 1) * 1000, 'b', 2)], false);
  again.close();
  t.same(readFileSync(join(dir, `${pos.file}.idx`)), idx([SEC, 0], [SEC + 1, bytesAtPos.length]));
  writeFileSync(join(dir, 'unrelated.txt'), 'x');
  t.same(listMetricFiles(dir, 'app-metrics.log'), [pos.file]);
});

t.test('late lines written after newer seconds are found by range reads and by find', async (t) => {
  const dir = t.testdir();
  const w = new MetricLogWriter({ dir, app: 'app', utcOffsetMinutes: 0 });
  w.open(undefined);
  w.writeSecond(SEC, [line(SEC * 1000, 'a', 1)], false);
  w.writeSecond(SEC + 1, [line((SEC + 1) * 1000, 'a', 2)], false);
  w.writeSecond(SEC + 5, [line((SEC + 5) * 1000, 'a', 6)], false);
  w.writeSecond(SEC + 1, [line((SEC + 1) * 1000, 'b', 20)], true); // late extra of a second with lines
  w.writeSecond(SEC + 3, [line((SEC + 3) * 1000, 'c', 40)], true); // late, for a second that had none
  w.writeSecond(SEC + 6, [line((SEC + 6) * 1000, 'a', 7)], false);
  w.sync();
  w.close();
  const searcher = new MetricSearcher(dir, metricLogBaseName('app'));
  const at = (lines: SecondLine[]): string[] => lines.map((l) => `${l.timestampMs / 1000 - SEC}:${l.resource}`);
  t.same(at((await searcher.findByTimeAndResource((SEC + 1) * 1000, (SEC + 1) * 1000)).lines), ['1:a', '1:b']);
  t.same(at((await searcher.findByTimeAndResource((SEC + 3) * 1000, (SEC + 3) * 1000)).lines), ['3:c']);
  t.same(at((await searcher.findByTimeAndResource((SEC + 2) * 1000, (SEC + 4) * 1000 + 999)).lines), ['3:c']);
  t.same(at((await searcher.findByTimeAndResource(SEC * 1000, (SEC + 9) * 1000)).lines), ['0:a', '1:a', '1:b', '3:c', '5:a', '6:a']);
  t.same(at((await searcher.findByTimeAndResource((SEC + 1) * 1000, (SEC + 1) * 1000, 'b')).lines), ['1:b']);
  t.same(at((await searcher.find(SEC * 1000, 2)).lines), ['0:a', '1:a', '1:b'], 'about 2 lines, with the late line of a second taken');
  // The first line from second 3 on is 5:a (file order); the late line of second 3 after it belongs to the answer too.
  t.same(at((await searcher.find((SEC + 3) * 1000, 1)).lines), ['3:c', '5:a']);
});

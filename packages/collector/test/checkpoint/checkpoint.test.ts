// The checkpoint file: atomic replace, a leftover temp file ignored, an unreadable checkpoint a
// clear error (and, in the collector, set aside and reported).
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from '../../src/checkpoint/checkpoint.js';
import { Collector } from '../../src/daemon/collector.js';
import { StatsStore } from '../../src/stats/store.js';

function sample(atMs: number): Checkpoint {
  return { version: 1, atMs, segments: [{ name: '1795657900-w1.seg', ino: 12, offsetBytes: 345, done: false }], metricLog: { file: 'a-metrics.log.2026-11-26', sizeBytes: 10, idxBytes: 16 }, store: new StatsStore().exportState() };
}

t.test('write, replace, and a torn temp file left by a crash', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'checkpoint.json');
  t.equal(readCheckpoint(path), null, 'none yet');
  writeCheckpoint(path, sample(1));
  writeCheckpoint(path, sample(2));
  t.same(readCheckpoint(path), sample(2));
  writeFileSync(`${path}.tmp`, '{"version":1,"atMs":3,"segm'); // killed while writing the next one
  t.same(readCheckpoint(path), sample(2), 'the committed checkpoint wins');
  t.equal(existsSync(`${path}.tmp`), false, 'the leftover is removed');
  t.same(readdirSync(dir), ['checkpoint.json']);
});

t.test('an unreadable checkpoint is an E_CHECKPOINT_INVALID error', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'checkpoint.json');
  for (const text of ['not json', '{"version":2}', JSON.stringify({ ...sample(1), segments: [{ name: 'x', ino: 1, offsetBytes: -1, done: false }] })]) {
    writeFileSync(path, text);
    t.throws(() => readCheckpoint(path), { code: 'E_CHECKPOINT_INVALID' }, text.slice(0, 20));
  }
});

t.test('the collector sets an unreadable checkpoint aside, reports it, and starts over', async (t) => {
  const pin = t.testdir();
  new Collector({ pinDir: pin, app: 'x' }, 1000).closeAt(1000);
  writeFileSync(join(pin, 'collector', 'checkpoint.json'), 'garbage');
  const c = new Collector({ pinDir: pin, app: 'x' }, 2000);
  t.equal(c.restored.fromCheckpoint, false);
  t.match(c.restored.invalidCheckpoint, /E_CHECKPOINT_INVALID/);
  t.ok(c.healthAt(2000).recentProblems.some((p) => p.code === 'E_CHECKPOINT_INVALID'));
  t.ok(existsSync(join(pin, 'collector', 'checkpoint.json.invalid-2000')));
  t.same(readCheckpoint(join(pin, 'collector', 'checkpoint.json'))!.atMs, 2000, 'a fresh checkpoint at once');
  c.closeAt(3000);
});

t.test('of the checkpoints set aside, the newest three are kept', async (t) => {
  const pin = t.testdir();
  new Collector({ pinDir: pin, app: 'x' }, 1000).closeAt(1000);
  const dir = join(pin, 'collector');
  // Something else in the directory that only looks alike is never touched.
  writeFileSync(join(dir, 'checkpoint.json.invalid-old'), 'x');
  writeFileSync(join(dir, 'other.json.invalid-5'), 'x');
  const asides = (): string[] => readdirSync(dir).filter((n) => n.startsWith('checkpoint.json.invalid-')).sort();
  const notes: string[] = [];
  for (const atMs of [2000, 3000, 4000, 10000, 11000]) {
    writeFileSync(join(dir, 'checkpoint.json'), `garbage ${atMs}`);
    const c = new Collector({ pinDir: pin, app: 'x' }, atMs);
    notes.push(c.restored.invalidCheckpoint!.replace(/^.*; moved aside/, 'moved aside'));
    c.closeAt(atMs);
  }
  t.same(notes, [
    'moved aside to checkpoint.json.invalid-2000',
    'moved aside to checkpoint.json.invalid-3000',
    'moved aside to checkpoint.json.invalid-4000',
    'moved aside to checkpoint.json.invalid-10000 (1 older set-aside checkpoint removed: checkpoint.json.invalid-2000)',
    'moved aside to checkpoint.json.invalid-11000 (1 older set-aside checkpoint removed: checkpoint.json.invalid-3000)',
  ]);
  t.same(asides(), ['checkpoint.json.invalid-10000', 'checkpoint.json.invalid-11000', 'checkpoint.json.invalid-4000', 'checkpoint.json.invalid-old']);
  t.equal(readFileSync(join(dir, 'checkpoint.json.invalid-11000'), 'utf8'), 'garbage 11000', 'the newest is the file that was there');
  t.ok(existsSync(join(dir, 'other.json.invalid-5')));
});

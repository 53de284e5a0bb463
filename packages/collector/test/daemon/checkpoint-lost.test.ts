// A start without a usable checkpoint over a metric log that already has lines (the checkpoint
// removed, or unreadable and moved aside): the segments still in log/ are read again from their
// start, and the records of seconds the log already holds are skipped (recordsAlreadyLogged), so
// no line is written twice; newer records are counted as usual, and a crash right after such a
// start skips them again. Driven with an injected clock.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bucketSecOf, RecordKind, type FlowEvent } from '@sentinel-wasi/protocol';
import { Collector } from '../../src/daemon/collector.js';
import { ensurePin } from '../../src/pin/pin.js';
import { appendEvents, expectedSums, metricSums, withoutLines } from './helpers.js';
import { tempDir } from '../../../../test/helpers/repo.js';

const T = 1_764_000_000_000; // a second's start, 2025-11-24
const SEC = T / 1000;
const calls = (fromMs: number, n: number, name: string): FlowEvent[] =>
  Array.from({ length: n }, (_, i) => ({ kind: RecordKind.CALL, tsMs: fromMs + i, name, rtMs: 5, error: i === 0 }));

/** Writes 10 + 5 calls in seconds T and T+1, and lets a collector seal and write them; returns the events. */
function firstRun(pin: string): FlowEvent[] {
  const events = [...calls(T, 10, 'a'), ...calls(T + 1000, 5, 'b')];
  ensurePin(pin, 'x');
  appendEvents(pin, bucketSecOf(T), 'w1', events);
  const c = new Collector({ pinDir: pin, app: 'x', graceMs: 200 }, T + 100);
  c.cycleAt(T + 3000, true);
  c.closeAt(T + 3000);
  return events;
}

for (const how of ['removed', 'unreadable'] as const) {
  t.test(`checkpoint ${how}: seconds already in the metric log are not written again`, async (t) => {
    const pin = await tempDir(t, `checkpoint-${how}`);
    const first = firstRun(pin);
    t.same(withoutLines(metricSums(pin)), withoutLines(expectedSums(first)) as unknown, 'the first run wrote seconds T and T+1');
    const checkpoint = join(pin, 'collector', 'checkpoint.json');
    if (how === 'removed') rmSync(checkpoint);
    else writeFileSync(checkpoint, 'garbage');
    const later = calls(T + 3000, 4, 'a');
    appendEvents(pin, bucketSecOf(T), 'w1', later);

    const c = new Collector({ pinDir: pin, app: 'x', graceMs: 200 }, T + 4000);
    t.equal(c.restored.fromCheckpoint, false);
    t.equal(c.restored.alreadyLoggedThroughSec, SEC + 1, 'the log holds seconds up to T+1');
    const problem = c.healthAt(T + 4000).recentProblems.find((p) => p.code === (how === 'removed' ? 'E_CHECKPOINT_MISSING' : 'E_CHECKPOINT_INVALID'));
    t.ok(problem, 'reported');
    t.match(problem!.message, /the segments in log\/ are read from their start, and their records of seconds up to .* \(already in the metric log\) are skipped, counted in recordsAlreadyLogged$/);
    if (how === 'unreadable') {
      t.match(problem!.message, /^E_CHECKPOINT_INVALID: .* is not JSON; moved aside to checkpoint\.json\.invalid-1764000004000; /);
      t.ok(readdirSync(join(pin, 'collector')).includes('checkpoint.json.invalid-1764000004000'));
    }
    c.cycleAt(T + 6000, true);
    const counters = c.healthAt(T + 6000).counters;
    t.equal(counters.recordsAlreadyLogged, 15, 'the 15 records of T and T+1 skipped');
    t.equal(counters.recordsCounted, 4, 'the 4 newer ones counted');
    t.equal(counters.recordsLate, 0, 'none written as late extra lines');
    c.closeAt(T + 6000);
    const sums = metricSums(pin);
    t.same(withoutLines(sums), withoutLines(expectedSums([...first, ...later])) as unknown, 'every second once: T 10, T+1 5, T+3 4');
    t.same([...sums.values()].map((s) => s.lines), [...sums.values()].map(() => 1), 'one line per (second, resource)');
  });
}

t.test('a checkpoint of the right shape whose rows cannot be loaded: set aside as invalid, not a start that fails every time', async (t) => {
  const cases: Array<[string, (store: Record<string, unknown>) => void]> = [
    ['pending rows not a list', (s) => (s.pending = [{ sec: 1, rows: 5 }])],
    ['a late batch not an object', (s) => (s.late = ['x'])],
    ['a concurrency row not a row', (s) => (s.concurrency = [1])],
  ];
  for (const [name, damage] of cases) {
    const pin = await tempDir(t, 'checkpoint-rows');
    const first = firstRun(pin);
    const path = join(pin, 'collector', 'checkpoint.json');
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { store: Record<string, unknown> };
    damage(doc.store);
    writeFileSync(path, JSON.stringify(doc));
    const c = new Collector({ pinDir: pin, app: 'x', graceMs: 200 }, T + 4000);
    t.equal(c.restored.fromCheckpoint, false, name);
    t.match(c.restored.invalidCheckpoint, /^E_CHECKPOINT_INVALID: .*checkpoint\.json: its contents cannot be loaded \(.+\); moved aside to checkpoint\.json\.invalid-1764000004000$/, name);
    t.equal(c.restored.alreadyLoggedThroughSec, SEC + 1, `${name}: the seconds in the log are skipped`);
    c.cycleAt(T + 6000, true);
    t.equal(c.healthAt(T + 6000).counters.recordsAlreadyLogged, 15, name);
    c.closeAt(T + 6000);
    t.same(withoutLines(metricSums(pin)), withoutLines(expectedSums(first)) as unknown, `${name}: T 10, T+1 5, once each`);
    const again = new Collector({ pinDir: pin, app: 'x', graceMs: 200 }, T + 7000);
    t.equal(again.restored.fromCheckpoint, true, `${name}: the next start loads the checkpoint written since`);
    again.closeAt(T + 7000);
  }
});

t.test('a crash right after such a start: the next start (from its first checkpoint) skips them too', async (t) => {
  const pin = await tempDir(t, 'checkpoint-lost-crash');
  const first = firstRun(pin);
  rmSync(join(pin, 'collector', 'checkpoint.json'));
  // The start writes a checkpoint at once (nothing read yet); it is killed before reading.
  const crashed = new Collector({ pinDir: pin, app: 'x', graceMs: 200 }, T + 4000);
  t.equal(crashed.restored.alreadyLoggedThroughSec, SEC + 1);
  t.ok(existsSync(join(pin, 'collector', 'checkpoint.json')));
  const c = new Collector({ pinDir: pin, app: 'x', graceMs: 200 }, T + 5000);
  t.equal(c.restored.fromCheckpoint, true);
  c.cycleAt(T + 6000, true);
  t.equal(c.healthAt(T + 6000).counters.recordsAlreadyLogged, 15);
  c.closeAt(T + 6000);
  t.same(withoutLines(metricSums(pin)), withoutLines(expectedSums(first)) as unknown, 'still T 10, T+1 5, once each');
});

t.test('a first start (no metric log) skips nothing', async (t) => {
  const pin = await tempDir(t, 'checkpoint-first');
  const c = new Collector({ pinDir: pin, app: 'x', graceMs: 200 }, T);
  t.equal(c.restored.alreadyLoggedThroughSec, undefined);
  t.same(c.healthAt(T).recentProblems, []);
  appendEvents(pin, bucketSecOf(T), 'w1', calls(T, 3, 'a'));
  c.cycleAt(T + 3000, true);
  t.equal(c.healthAt(T + 3000).counters.recordsCounted, 3);
  t.equal(c.healthAt(T + 3000).counters.recordsAlreadyLogged, 0);
  c.closeAt(T + 3000);
});

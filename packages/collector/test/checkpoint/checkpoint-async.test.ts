// Checkpoints with their fsyncs off the event loop: the state is the one at the call (reads made
// while the disk catches up are not claimed), the metric log is durable before the checkpoint names
// its position, consumed segments go only once the checkpoint is on disk, one is in flight at a
// time, and a synchronous checkpoint overtaking one in flight is never replaced by the older one.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RecordKind, type FlowEvent } from '@sentinel-wasi/protocol';
import { readCheckpoint, writeCheckpoint, writeCheckpointAsync, type Checkpoint } from '../../src/checkpoint/checkpoint.js';
import { Collector } from '../../src/daemon/collector.js';
import { MetricLogWriter } from '../../src/metriclog/writer.js';
import { StatsStore } from '../../src/stats/store.js';
import type { SecondLine } from '../../src/stats/types.js';
import { appendEvents, expectedSums, metricSums, withoutLines } from '../daemon/helpers.js';

const B = 1795657900; // a 10 s bucket, epoch seconds
const T = B * 1000;

function sample(atMs: number): Checkpoint {
  return { version: 1, atMs, segments: [], metricLog: null, store: new StatsStore().exportState() };
}

function calls(fromMs: number, n: number, stepMs: number, name: string): FlowEvent[] {
  const out: FlowEvent[] = [];
  for (let i = 0; i < n; i++) out.push({ kind: RecordKind.CALL, tsMs: fromMs + i * stepMs, name, rtMs: 4, error: i % 5 === 0 });
  return out;
}

function open(pinDir: string, nowMs: number): Collector {
  return new Collector({ pinDir, app: 'test', graceMs: 2000, utcOffsetMinutes: 0 }, nowMs);
}

/** This process's open descriptors on files under dir. */
function fdsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${dir}/`)) out.push(target);
    } catch {
      /* closed meanwhile */
    }
  }
  return out.sort();
}

t.test('writeCheckpointAsync commits atomically, or drops its temp file when told not to', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'checkpoint.json');
  writeCheckpoint(path, sample(1));
  t.equal(await writeCheckpointAsync(path, JSON.stringify(sample(2)), () => true), true);
  t.same(readCheckpoint(path), sample(2));
  t.equal(await writeCheckpointAsync(path, JSON.stringify(sample(3)), () => false), false);
  t.same(readCheckpoint(path), sample(2), 'not committed: the previous checkpoint stays');
  t.same(readdirSync(dir), ['checkpoint.json'], 'no temp file left either way');
  t.equal(statSync(path).mode & 0o777, 0o600);
});

t.test('the metric log syncAsync covers rolled-out files and closes them only when no fsync can use them', async (t) => {
  const dir = t.testdir();
  const line = (sec: number): SecondLine => ({ timestampMs: sec * 1000, resource: 'r', pass: 1, block: 0, success: 1, exception: 0, rtMs: 5, occupiedPass: 0, concurrency: 0, classification: 0 });
  const w = new MetricLogWriter({ dir, app: 'a', maxFileBytes: 100, utcOffsetMinutes: 0 });
  w.open(undefined);
  for (let s = 0; s < 6; s++) w.writeSecond(B + s, [line(B + s)], false);
  const files = readdirSync(dir).filter((n) => !n.endsWith('.idx'));
  t.ok(files.length >= 3, `rolled by size: ${files.length} files`);
  t.equal(fdsUnder(dir).length, 2 * files.length, 'rolled-out files stay open until a sync made them durable');
  const syncing = w.syncAsync();
  w.writeSecond(B + 6, [line(B + 6)], false); // rolls again while the fsyncs run
  await syncing;
  t.equal(fdsUnder(dir).length, 4, 'synced rolled-out files are closed; the one rolled during the sync waits for the next');
  const again = w.syncAsync();
  w.close(); // closing while an fsync is in flight waits for it
  await again;
  t.same(fdsUnder(dir), [], 'everything closed once the fsyncs are done');
});

t.test('an asynchronous checkpoint records the state at its call, and a crash after it counts every record once', async (t) => {
  const run = async (pin: string, crash: boolean): Promise<string> => {
    let c = open(pin, T);
    const a = calls(T + 100, 40, 50, 'a');
    const b = calls(T + 1_100, 60, 50, 'b');
    appendEvents(pin, B, 'w1', a, 200);
    c.cycleAt(T + 4_000, false);
    const claimed = c.tailer.exportState()[0]!.offsetBytes;
    const pending = c.checkpointAsyncAt(T + 4_000);
    t.same(await c.checkpointAsyncAt(T + 4_000), { written: false, deleted: [] }, 'one in flight at a time');
    // Read and sealed while the checkpoint is being made durable: not claimed by it.
    appendEvents(pin, B, 'w1', b, 200);
    c.cycleAt(T + 6_000, false);
    t.same((await pending).written, true);
    const cp = readCheckpoint(join(pin, 'collector', 'checkpoint.json'))!;
    t.equal(cp.atMs, T + 4_000);
    t.equal(cp.segments[0]!.offsetBytes, claimed, 'the offsets of the call, not of later reads');
    t.ok(cp.metricLog!.sizeBytes < statSync(join(pin, 'collector', 'metrics', cp.metricLog!.file)).size, 'lines sealed after the call lie beyond the recorded position');
    if (crash) {
      c.metricLog.close();
      c = open(pin, T + 6_000);
      t.ok(c.restored.truncatedMetricBytes > 0, 'lines written after the checkpoint are cut back, then written again');
    }
    c.cycleAt(T + 13_000, false);
    t.same((await c.checkpointAsyncAt(T + 13_000)).deleted, [`${B}-w1.seg`], 'sealed and consumed: deleted once the checkpoint recording it is durable');
    c.closeAt(T + 13_000);
    t.same(withoutLines(metricSums(pin)), expectedSums([...a, ...b]));
    return readFileSync(join(pin, 'collector', 'metrics', 'test-metrics.log.2026-11-26'), 'utf8');
  };
  const reference = await run(t.testdir({ r: {} }) + '/r', false);
  const crashed = await run(t.testdir({ c: {} }) + '/c', true);
  t.equal(crashed, reference, 'the same metric log bytes with and without the crash');
});

t.test('consumed segments are deleted only after the checkpoint recording them is on disk', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T);
  appendEvents(pin, B, 'w1', calls(T + 100, 10, 50, 'a'), 200);
  c.cycleAt(T + 13_000, false);
  const seg = join(pin, 'log', `${B}-w1.seg`);
  const pending = c.checkpointAsyncAt(T + 13_000); // records the segment as done
  t.equal(existsSync(seg), true, 'not deleted while the checkpoint is not durable');
  t.same((await pending).deleted, [`${B}-w1.seg`]);
  t.equal(existsSync(seg), false);
  t.equal(readCheckpoint(join(pin, 'collector', 'checkpoint.json'))!.segments[0]!.done, true, 'the checkpoint on disk records it as done');
  c.closeAt(T + 13_000);
});

t.test('a synchronous checkpoint overtakes one in flight, which never replaces it', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T);
  appendEvents(pin, B, 'w1', calls(T + 100, 10, 50, 'a'), 200);
  c.cycleAt(T + 1_000, false);
  const pending = c.checkpointAsyncAt(T + 1_000);
  appendEvents(pin, B, 'w1', calls(T + 700, 10, 50, 'b'), 200);
  c.cycleAt(T + 2_000, false);
  t.equal(c.checkpointAt(T + 2_000).written, true);
  t.same(await pending, { written: false, deleted: [] }, 'dropped before its rename');
  await c.checkpointSettled();
  const path = join(pin, 'collector', 'checkpoint.json');
  t.equal(readCheckpoint(path)!.atMs, T + 2_000, 'the newer checkpoint stays');
  t.same(readdirSync(join(pin, 'collector')).filter((n) => n.includes('.tmp')), [], 'no temp file left');
  c.closeAt(T + 2_000);
});

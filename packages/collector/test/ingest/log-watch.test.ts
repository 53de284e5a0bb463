// The log directory's watcher and the read it triggers: a segment's append is reported by name
// (anything else as a directory change), a failing watcher reports instead of throwing, and the
// collector's read of one named segment counts exactly what was appended, once, leaving sealed,
// missing and unfinished segments (and the sealing frontier) to the periodic pass; a writer's new
// segment is read from its first event. The daemon counts an append from the watcher alone, with
// no periodic pass due for a minute, and a GET sent after an append always answers with it.
import t from 'tap';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { bucketSecOf, encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { Collector } from '../../src/daemon/collector.js';
import { runDaemon } from '../../src/daemon/run.js';
import { watchLogDir } from '../../src/ingest/log-watch.js';
import { ensurePin } from '../../src/pin/pin.js';
import { appendEvents, expectedSums, metricSums, withoutLines } from '../daemon/helpers.js';
import { Collector as CollectorProcess } from '../../../../test/reliability/helpers/collector.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const B = 1795657900; // a 10 s bucket, epoch seconds
const T = B * 1000;
const { CALL, PASS } = RecordKind;

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function calls(fromMs: number, n: number, name = 'r'): FlowEvent[] {
  const out: FlowEvent[] = [];
  for (let i = 0; i < n; i++) out.push({ kind: CALL, tsMs: fromMs + i * 10, name, rtMs: 4, error: i % 5 === 0 });
  return out;
}

t.test('the watcher names the segment an append changed, and reports anything else as a directory change', async (t) => {
  const dir = t.testdir();
  const seg = segmentName(B, 'w1');
  const changed: string[] = [];
  let directory = 0;
  const errors: Error[] = [];
  const w = watchLogDir(dir, { onSegmentChange: (n) => changed.push(n), onDirectoryChange: () => directory++, onError: (e) => errors.push(e) });
  writeFileSync(join(dir, seg), '');
  await until('the new file', () => directory > 0);
  appendFileSync(join(dir, seg), Buffer.from(encodeFrames([{ kind: PASS, tsMs: T, name: 'a' }])[0]!));
  await until('the append', () => changed.length > 0);
  t.same([...new Set(changed)], [seg], 'the append is reported with the segment name');
  const before = directory;
  appendFileSync(join(dir, 'notes.txt'), 'x');
  await until('a change to a file that is no segment', () => directory > before);
  t.same([...new Set(changed)], [seg], 'a file that is no segment is only a directory change');
  w.close();
  const after = changed.length + directory;
  appendFileSync(join(dir, seg), 'x');
  await sleep(100);
  t.equal(changed.length + directory, after, 'nothing after close');
  t.same(errors, []);
});

t.test('a watcher that cannot start reports E_WATCH-worthy errors instead of throwing', async (t) => {
  const errors: Error[] = [];
  const w = watchLogDir(join(t.testdir(), 'missing'), { onSegmentChange: () => t.fail('no event'), onDirectoryChange: () => t.fail('no event'), onError: (e) => errors.push(e) });
  t.equal(errors.length, 1);
  t.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOENT');
  w.close();
  // A handler that throws never reaches the event loop: the event becomes a directory change.
  let directory = 0;
  const dir = t.testdir();
  const w2 = watchLogDir(dir, { onSegmentChange: () => { throw new Error('boom'); }, onDirectoryChange: () => directory++, onError: (e) => errors.push(e) });
  writeFileSync(join(dir, segmentName(B, 'w1')), '');
  appendFileSync(join(dir, segmentName(B, 'w1')), 'x');
  await until('the fallback', () => directory >= 2);
  w2.close();
  t.equal(errors.length, 1);
});

t.test('reading one named segment counts exactly what was appended, once, and leaves the rest to the pass', async (t) => {
  const pin = t.testdir();
  let c = new Collector({ pinDir: pin, app: 'test', graceMs: 2000, utcOffsetMinutes: 0 }, T);
  const name = segmentName(B, 'w1');
  const first = calls(T + 100, 30);
  appendEvents(pin, B, 'w1', first, 512);
  c.cycleAt(T + 500, false);
  t.equal(c.store.counters.recordsCounted, 30, 'the pass found and read the segment');
  t.same(c.readSegmentAt(name, T + 600), { bytesRead: 0, more: false }, 'nothing new: nothing read');
  const second = calls(T + 700, 40);
  appendEvents(pin, B, 'w1', second, 512);
  const r = c.readSegmentAt(name, T + 800);
  t.ok(r !== null && r.bytesRead > 0 && !r.more, 'the append is read at once');
  t.equal(c.store.counters.recordsCounted, 70, 'exactly the appended records');
  t.equal(c.resourceAt('r', T + 1_500)!.node.minute.success, 70, 'all of them in the windows');
  t.equal(c.readSegmentAt(segmentName(B, 'w2'), T + 800), null, 'a segment name with no file: nothing to read');
  t.equal(c.readSegmentAt('notes.txt', T + 800), null);
  // A writer's new segment, which no pass has listed yet, is read from its first event.
  const fromW2 = calls(T + 810, 7);
  appendEvents(pin, B, 'w2', fromW2, 512);
  const r2 = c.readSegmentAt(segmentName(B, 'w2'), T + 820);
  t.ok(r2 !== null && r2.bytesRead > 0 && !r2.more, 'a new segment is read at once');
  t.equal(c.store.counters.recordsCounted, 77, 'exactly its records');
  t.equal(c.readSegmentAt(segmentName(B - 10, 'w3'), T + 820), null, 'a name of a sealed bucket is the pass\'s');
  // The read moved the offsets: the checkpoint of the next cycle keeps them (no double count after a restart).
  c.cycleAt(T + 900, true);
  t.equal(c.store.counters.recordsCounted, 77, 'the pass reads nothing twice');
  c.closeAt(T + 900);
  c = new Collector({ pinDir: pin, app: 'test', graceMs: 2000, utcOffsetMinutes: 0 }, T + 1000);
  const third = calls(T + 1_100, 5);
  appendEvents(pin, B, 'w1', third, 512);
  c.cycleAt(T + 1_200, false);
  t.equal(c.readSegmentAt(name, (B + 10) * 1000 + 2000), null, 'a sealed segment is the pass\'s (it finishes and deletes it)');
  c.closeAt((B + 20) * 1000);
  t.same(withoutLines(metricSums(pin)), expectedSums([...first, ...second, ...fromW2, ...third]), 'every record in the metric log once');
});

t.test('a read cut short by the budget keeps the segment\'s seconds from being sealed', async (t) => {
  const pin = t.testdir();
  const c = new Collector({ pinDir: pin, app: 'test', graceMs: 2000, utcOffsetMinutes: 0, passBudgetBytes: 1 }, T);
  const name = segmentName(B, 'w1');
  appendEvents(pin, B, 'w1', calls(T + 100, 1), 4096);
  c.cycleAt(T + 200, false);
  // Many frames at once: one read takes about one frame (the smallest budget), the rest stays.
  appendEvents(pin, B, 'w1', calls(T + 300, 3000), 512);
  const r = c.readSegmentAt(name, T + 5_000);
  t.ok(r !== null && r.more, 'more to read');
  t.ok(c.store.counters.recordsCounted < 3001, `${c.store.counters.recordsCounted} of 3001 counted`);
  t.ok(c.sealableThroughSec(T + 5_000) < B, 'nothing of the segment\'s bucket may be sealed while it is behind');
});

t.test('the daemon counts an append from the watcher, with no periodic pass due', async (t) => {
  const pin = t.testdir();
  const { paths } = ensurePin(pin, 'watch');
  mkdirSync(paths.logDir, { recursive: true });
  const now = Date.now();
  // The segment exists (empty) before the daemon starts: its appends are plain changes, no new file.
  writeFileSync(join(paths.logDir, segmentName(bucketSecOf(now), 'w1')), '');
  const logger = pino({ level: 'warn' }, new Writable({ write(_c, _e, cb) { cb(); } }));
  const daemon = await runDaemon({ pinDir: pin, logger, tickMs: 60_000, checkpointIntervalMs: 60_000, http: false });
  try {
    await sleep(50);
    appendEvents(pin, bucketSecOf(now), 'w1', calls(now, 25, 'fresh'));
    await until('the appended records', () => daemon.collector.store.counters.recordsCounted === 25, 5_000);
    t.equal(daemon.collector.resourceAt('fresh', now + 300)?.node.minute.pass, 25);
  } finally {
    await daemon.stop();
  }
});

t.test('a GET sent right after an append answers with it, every time (read-your-writes through the watcher)', async (t) => {
  // The real collector in its own process (its event loop, not this test's, orders the append's
  // watch event and the request's bytes), followed from its first segment on.
  const pin = t.testdir();
  const daemon = await CollectorProcess.start(pin, { tickMs: 60_000, checkpointMs: 60_000 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const concurrency = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(`${daemon.url}/api/v1/resources`, { agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resources: Array<{ resource: string; concurrency: number }> };
          resolve(body.resources.find((r) => r.resource === 'fresh')?.concurrency ?? 0);
        });
      });
      req.on('error', reject);
      req.end();
    });
  try {
    t.equal(await concurrency(), 0);
    const stale: number[] = [];
    // Half a thousand appends: the daemon's loop may hand over the request's bytes before the
    // append's watch event (it did for about 1 in 200 before reads waited for the turn's events).
    for (let i = 1; i <= 500; i++) {
      const now = Date.now();
      appendEvents(pin, bucketSecOf(now), 'w1', [{ kind: PASS, tsMs: now, name: 'fresh', count: 1 }]);
      if ((await concurrency()) !== i) stale.push(i);
    }
    t.same(stale, [], 'no answer without the append made before its request');
  } finally {
    agent.destroy();
    daemon.signal('SIGTERM'); // (not stop(): its 60 s deadline timer would hold this file's process)
    t.equal((await daemon.exited).code, 0);
  }
});

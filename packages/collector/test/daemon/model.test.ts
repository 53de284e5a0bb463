// Seeded model test of the collector cycle on real files with explicit times: random appends by
// several writers (some torn mid-frame, as by a writer that died), collector crashes at random
// points of its cycle (pass / seal / checkpoint), clean restarts, and time moving on. At the end
// the metric log's per-second sums equal the model (the records of every complete frame) and all
// segments are gone. Replay a run with SW_SEED=<seed>.
import t from 'tap';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bucketSecOf, encodeFrames, RecordKind, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { Collector } from '../../src/daemon/collector.js';
import { expectedSums, metricSums, prng, testSeed, withoutLines } from './helpers.js';
import { tempDir } from '../../../../test/helpers/repo.js';

const T0 = 1_795_657_900_000;

t.test('random appends, torn frames, crashes and restarts: every complete record once', async (t) => {
  const runs = Number(process.env.SENTINEL_WASI_MODEL_RUNS ?? 5);
  const base = testSeed();
  for (let run = 0; run < runs; run++) {
    const seed = base + run;
    await t.test(`seed ${seed}`, async (t) => {
      t.comment(`replay: SW_SEED=${seed} SENTINEL_WASI_MODEL_RUNS=1`);
      const rand = prng(seed);
      const int = (n: number): number => Math.floor(rand() * n);
      const pin = await tempDir(t, 'model');
      const opts = { pinDir: pin, app: 'model', graceMs: 500 + int(2000), utcOffsetMinutes: 0, readBufferBytes: 4096 + int(8192) };
      let now = T0 + int(10_000);
      let c = new Collector(opts, now);
      const model: FlowEvent[] = [];
      const names = ['a', 'b', 'c', 'd'];
      const writers = ['w1', 'w2', 'shared'];
      let crashes = 0;
      for (let step = 0; step < 250; step++) {
        now += int(400);
        const action = rand();
        if (action < 0.55) {
          const events: FlowEvent[] = [];
          for (let i = 1 + int(40); i > 0; i--) {
            const tsMs = now - int(800);
            const name = names[int(names.length)]!;
            const k = int(4);
            if (k === 0) events.push({ kind: RecordKind.PASS, tsMs, name, count: 1 + int(3), ...(rand() < 0.2 ? { origin: 'o' } : {}) });
            else if (k === 1) events.push({ kind: RecordKind.BLOCK, tsMs, name });
            else if (k === 2) events.push({ kind: RecordKind.EXIT, tsMs, name, rtMs: 6, error: rand() < 0.3, count: 1 + int(2) });
            else events.push({ kind: RecordKind.CALL, tsMs, name, rtMs: 6, error: rand() < 0.3 });
          }
          const path = join(pin, 'log', segmentName(bucketSecOf(now), writers[int(writers.length)]!));
          // Random batches, one frame each (each batch is small enough for one frame).
          const batches: FlowEvent[][] = [];
          for (let i = 0; i < events.length; ) {
            const n = 1 + int(12);
            batches.push(events.slice(i, i + n).sort((x, y) => x.tsMs - y.tsMs)); // a frame's records never go back before its base time
            i += n;
          }
          const torn = rand() < 0.08 ? int(batches.length) : -1;
          for (let i = 0; i < batches.length; i++) {
            const frames = encodeFrames(batches[i]!);
            if (frames.length !== 1) throw new Error('a batch must fit one frame');
            const frame = frames[0]!;
            if (i === torn) {
              // The writer dies mid-append: a prefix of this frame, and nothing more from it.
              appendFileSync(path, frame.subarray(0, 1 + int(frame.length - 1)));
              break;
            }
            appendFileSync(path, frame);
            model.push(...batches[i]!);
          }
        } else if (action < 0.85) {
          c.cycleAt(now, rand() < 0.6);
        } else if (action < 0.95) {
          // Crash at a random point of the cycle: memory is lost, the disk stays as it is.
          const point = int(3);
          if (point >= 1) c.passAt(now);
          if (point >= 2) c.sealAt(now);
          c.metricLog.close();
          c = new Collector(opts, now);
          crashes++;
        } else {
          c.closeAt(now);
          c = new Collector(opts, now);
        }
      }
      // Time moves on until every bucket is sealed, consumed and deleted.
      for (let i = 0; i < 6; i++) {
        now += 5_000;
        c.cycleAt(now, true);
      }
      c.closeAt(now);
      t.comment(`${model.length} records, ${crashes} crashes`);
      t.same(readdirSync(join(pin, 'log')), [], 'every segment deleted once sealed and consumed');
      t.same(withoutLines(metricSums(pin)), expectedSums(model), 'metric-log sums equal the model');
      const counters = c.store.counters;
      t.equal(counters.recordsLateDropped, 0);
      t.same(c.store.pendingSeconds(), []);
    });
  }
});

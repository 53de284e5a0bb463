// The freshness figure's stage split (bench/lib/freshness-stages.js) on hand-made samples and probe
// events (times in ms, exact binary fractions so sums compare exactly): which watch callback and
// which answer frame a sample, what the stages are, what is left unframed, and the two groups; and
// the offset that puts performance.now() times on the monotonic clock.

import { performance } from 'node:perf_hooks';
import t from 'tap';
// @ts-expect-error a plain JS module of the benchmarks (no types)
import * as stagesModule from '../../bench/lib/freshness-stages.js';

type Ev = [number, number, number];
interface Sample {
  startMs: number;
  latencyMs: number;
  clientCpuMs: number;
}
interface Stages {
  latencyMs: number;
  toWatchMs: number;
  watchMs: number;
  watchCpuMs: number;
  toAnswerMs: number;
  answerMs: number;
  answerCpuMs: number;
  toClientMs: number;
  clientCpuMs: number;
  otherMs: number;
  otherEvents: number;
}
interface Group extends Omit<Stages, 'otherEvents'> {
  samples: number;
  minLatencyMs: number;
  withOther: number;
}
interface Split {
  samples: number;
  unframed: number;
  typical: Group | null;
  slowest: Group | null;
}
const { sampleStages, freshnessStages, perfToMonoMs, monoMs } = stagesModule as {
  perfToMonoMs(): number;
  monoMs(): number;
  sampleStages(sample: Sample, events: { watch: Ev[]; answer: Ev[]; other: [number, number][] }): Stages | null;
  freshnessStages(samples: Sample[], probe: { watch: Ev[]; answer: Ev[]; timer: Ev[]; gc: [string, number, number][] }): Split;
};
const sorted = (watch: Ev[], answer: Ev[], other: [number, number][] = []) => ({ watch, answer, other });

t.test('one sample: append → watch → request → answer → client, each stage exact', async (t) => {
  const events = sorted([[100.25, 0.25, 0.125]], [[100.625, 0.25, 0.1875]]);
  t.same(sampleStages({ startMs: 100, latencyMs: 1, clientCpuMs: 0.5 }, events), {
    latencyMs: 1,
    toWatchMs: 0.25,
    watchMs: 0.25,
    watchCpuMs: 0.125,
    toAnswerMs: 0.125,
    answerMs: 0.25,
    answerCpuMs: 0.1875,
    toClientMs: 0.125,
    clientCpuMs: 0.5,
    otherMs: 0,
    otherEvents: 0,
  });
});

t.test('the answer is the last one after the watch callback: an earlier poll, answered before the read, is not it', async (t) => {
  // Poll 1 answered at 10.0–10.25 (before the callback at 10.5), poll 2 at 11.0–11.25 and the sample ends at 11.5.
  const events = sorted([[10.5, 0.25, 0.25]], [[10, 0.25, 0.25], [11, 0.25, 0.25]]);
  const st = sampleStages({ startMs: 10, latencyMs: 1.5, clientCpuMs: 0 }, events);
  t.equal(st?.toWatchMs, 0.5);
  t.equal(st?.toAnswerMs, 0.25);
  t.equal(st?.answerMs, 0.25);
  t.equal(st?.toClientMs, 0.25);
});

t.test("an answer whose 'finish' ran after the client had the body ends at the sample's end", async (t) => {
  const events = sorted([[0.25, 0.25, 0.25]], [[0.5, 2, 0.25]]);
  const st = sampleStages({ startMs: 0, latencyMs: 1, clientCpuMs: 0 }, events);
  t.equal(st?.answerMs, 0.5);
  t.equal(st?.toClientMs, 0);
});

t.test('timers and GC pauses count by their overlap with the sample', async (t) => {
  // A timer 0.5–1.5 overlaps 0.5 of the sample [1, 3); a GC 2.75–3.25 overlaps 0.25; one at 5 does not.
  const events = sorted([[1.25, 0.25, 0.25]], [[1.75, 0.25, 0.25]], [[0.5, 1], [2.75, 0.5], [5, 1]]);
  const st = sampleStages({ startMs: 1, latencyMs: 2, clientCpuMs: 0 }, events);
  t.equal(st?.otherMs, 0.75);
  t.equal(st?.otherEvents, 2);
});

t.test('no watch callback inside the sample, or no answer after it: unframed (null)', async (t) => {
  t.equal(sampleStages({ startMs: 0, latencyMs: 1, clientCpuMs: 0 }, sorted([[2, 0.25, 0.25]], [[2.5, 0.25, 0.25]])), null);
  t.equal(sampleStages({ startMs: 0, latencyMs: 1, clientCpuMs: 0 }, sorted([[0.25, 0.25, 0.25]], [[0.25, 0.25, 0.25]])), null);
});

t.test('20 samples: the middle tenth and the slowest 1 % (one sample), means that add up to the mean latency', async (t) => {
  // Sample k (0..19) starts at 100 k, waits k/8 ms for its watch callback, then 0.25 + 0.25 + 0.25 + 0.25 ms: latency 1 + k/8.
  const samples: Sample[] = [];
  const watch: Ev[] = [];
  const answer: Ev[] = [];
  for (let k = 0; k < 20; k++) {
    const start = 100 * k;
    samples.push({ startMs: start, latencyMs: 1 + k / 8, clientCpuMs: 0.5 });
    watch.push([start + k / 8, 0.25, 0.25]);
    answer.push([start + k / 8 + 0.5, 0.25, 0.125]);
  }
  // One sample with no callback at all (an extra start far after the last events).
  samples.push({ startMs: 5000, latencyMs: 1, clientCpuMs: 0 });
  // Listed out of order: the function sorts what it is given.
  const probe = { watch: [...watch].reverse(), answer, timer: [[1900, 0.5, 0.5]] as Ev[], gc: [['minor', 1900.25, 0.5]] as [string, number, number][] };
  const r = freshnessStages(samples, probe);
  t.equal(r.samples, 20);
  t.equal(r.unframed, 1);
  // Middle tenth of 20: ranks 9 and 10 (k = 9, 10): latencies 2.125 and 2.25.
  const typical = r.typical!;
  t.equal(typical.samples, 2);
  t.equal(typical.latencyMs, 2.1875);
  t.equal(typical.toWatchMs, 1.1875);
  t.equal(typical.toWatchMs + typical.watchMs + typical.toAnswerMs + typical.answerMs + typical.toClientMs, typical.latencyMs);
  t.equal(typical.withOther, 0);
  // The slowest: k = 19, latency 3.375, overlapped by the timer and the GC pause (0.5 + 0.5 ms).
  t.equal(r.slowest?.samples, 1);
  t.equal(r.slowest?.minLatencyMs, 3.375);
  t.equal(r.slowest?.toWatchMs, 2.375);
  t.equal(r.slowest?.answerCpuMs, 0.125);
  t.equal(r.slowest?.otherMs, 1);
  t.equal(r.slowest?.withOther, 1);
  t.equal(r.slowest?.clientCpuMs, 0.5);
});

t.test('nothing framed: zero samples and no groups', async (t) => {
  t.same(freshnessStages([{ startMs: 0, latencyMs: 1, clientCpuMs: 0 }], { watch: [], answer: [], timer: [], gc: [] }), { samples: 0, unframed: 1, typical: null, slowest: null });
});

t.test('perfToMonoMs puts a performance.now() time on the monotonic clock, within the bracket of the reads', async (t) => {
  const offsetMs = perfToMonoMs();
  // The tightest of nine bracketed readings here too: the check holds however long one of them was preempted.
  let best = { bracketMs: Infinity, missMs: 0 };
  for (let i = 0; i < 9; i++) {
    const before = monoMs();
    const perf = performance.now();
    const after = monoMs();
    if (after - before < best.bracketMs) best = { bracketMs: after - before, missMs: Math.abs(perf + offsetMs - (before + after) / 2) };
  }
  // 50 µs: the spread of the offset's own tightest reading and this one's (a few µs each on a quiet core).
  t.ok(best.missMs <= best.bracketMs / 2 + 0.05, `off by ${best.missMs} ms, bracket ${best.bracketMs} ms`);
});

// The freshness benchmark (bench/daemon.js) end to end on a small run, in a child process run by
// bench/lib/child.js as the benchmarks run it: a real collector with the stage probe, a warm-up
// whose samples are not counted, every timed sample accounted for, and the daemon's answers over
// the timed samples counted exactly (each sample's polls and its two references to the daemon).

import t from 'tap';
import { fileURLToPath } from 'node:url';
// @ts-expect-error a plain JS module of the benchmarks (no types)
import { runChild } from '../../bench/lib/child.js';

const MODULE = fileURLToPath(new URL('../../bench/daemon.js', import.meta.url));

interface Row {
  samples: number;
  p50Ms: number;
  p99Ms: number;
}
interface Group {
  samples: number;
  latencyMs: number;
  toWatchMs: number;
  watchMs: number;
  toAnswerMs: number;
  answerMs: number;
  toClientMs: number;
}
interface Rate {
  mainMsPerSec: number;
  otherMsPerSec: number;
  wallMs: number;
}
interface Freshness extends Row {
  pollsPerSample: number;
  firstPollShare: number;
  roundTrip: Row;
  floor: Row;
  nodeHttp: Row;
  nodeHttpFloor: Row;
  warmupSamples: number;
  daemonCpu: { warmup: Rate | null; timed: Rate | null };
  daemonStages: { watchRead: Row; answer: Row; path: { samples: number; unframed: number; typical: Group; slowest: Group } };
}

t.test('12 timed samples after 24 untimed: counts, the answers over the timed samples, stages that sum to the latency', async (t) => {
  const args = { samples: 12, seed: 3, stageProbe: true, warmupSamples: 24 };
  // runChild rejects when the child exits non-zero, with what it said.
  const run = runChild(MODULE, 'freshness', args);
  await t.resolves(run, 'the child exits 0');
  const r = (await run) as Freshness;
  t.equal(r.samples, 12);
  t.equal(r.warmupSamples, 24);
  for (const k of ['roundTrip', 'floor', 'nodeHttp', 'nodeHttpFloor'] as const) t.equal(r[k].samples, 12, `${k}: the timed samples' references only`);
  t.ok(r.pollsPerSample >= 1 && r.firstPollShare >= 0 && r.firstPollShare <= 1);
  const polls = Math.round(r.pollsPerSample * 12);
  // Over the timed samples the daemon answered each poll and two references a sample (the lean GET alone and node:http's).
  t.equal(r.daemonStages.answer.samples, polls + 2 * 12);
  t.ok(r.daemonStages.watchRead.samples >= 12, `${r.daemonStages.watchRead.samples} watch callbacks for 12 appends`);
  const path = r.daemonStages.path;
  t.equal(path.samples + path.unframed, 12);
  t.ok(path.samples >= 11, `${path.samples} of 12 samples framed by a watch callback and an answer`);
  for (const [name, g] of [['typical', path.typical], ['slowest', path.slowest]] as const) {
    const sum = g.toWatchMs + g.watchMs + g.toAnswerMs + g.answerMs + g.toClientMs;
    // Within a nanosecond: the stages are differences of monotonic times of ~10⁷ ms.
    t.ok(Math.abs(sum - g.latencyMs) < 1e-6, `${name}: stages ${sum} ms = latency ${g.latencyMs} ms`);
    t.ok(g.toWatchMs >= 0 && g.toAnswerMs >= 0 && g.toClientMs >= 0, `${name}: no stage before the one it follows`);
  }
  t.equal(path.slowest.samples, 1);
  for (const phase of ['warmup', 'timed'] as const) {
    const c = r.daemonCpu[phase];
    t.ok(c !== null && c.wallMs > 0 && c.mainMsPerSec > 0 && c.otherMsPerSec >= 0, `${phase}: ${JSON.stringify(c)}`);
  }
});

// Owns splitting each freshness sample into the stages of its path, by the stage probe's events
// (bench/lib/stage-probe.js) on the monotonic clock the benchmark shares with the daemon: from the
// append to the start of the daemon's watch callback (the kernel's event, the daemon woken), the
// callback (the read), from its end to the request event of the poll that saw the event, the answer
// (to its write handed to the kernel), and from there to the client holding the parsed body. The
// stages of a sample sum to its latency. Beside them: the CPU time of the two callbacks and of the
// client, and what else the daemon ran during the sample (timer callbacks, GC pauses). Pure: samples
// and events in, rows out; beside it, the two clocks both sides read and the offset that puts
// performance.now() times on the monotonic clock (the stage probe imports them).

import { performance } from 'node:perf_hooks';

/** The monotonic clock in ms (CLOCK_MONOTONIC: the one process.hrtime and performance.now() read, in every process). */
export const monoMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * What to add to a performance.now() time (a PerformanceEntry's startTime) to put it on monoMs():
 * from the tightest of `reads` readings of performance.now() between two monoMs() reads, so that a
 * preemption between the clock reads (a loaded machine) does not shift every time converted.
 */
export function perfToMonoMs(reads = 9) {
  let bracketMs = Infinity;
  let offsetMs = 0;
  for (let i = 0; i < reads; i++) {
    const before = monoMs();
    const perf = performance.now();
    const after = monoMs();
    if (after - before < bracketMs) {
      bracketMs = after - before;
      offsetMs = (before + after) / 2 - perf;
    }
  }
  return offsetMs;
}

/** This process's CPU time (user + system) in ms. */
export const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const byStart = (a, b) => a[0] - b[0];

/** Index of the first event whose start is ≥ ms (events sorted by start). */
function firstAtOrAfter(events, ms) {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid][0] < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sum of the overlaps of [startMs, endMs) with each [start, ms] interval (the timers' [start, wall, cpu] or GC's [start, ms]). */
function overlap(intervals, startMs, endMs) {
  let ms = 0;
  let count = 0;
  for (const [s, d] of intervals) {
    const o = Math.min(endMs, s + d) - Math.max(startMs, s);
    if (o > 0) {
      ms += o;
      count++;
    }
  }
  return { ms, count };
}

/**
 * One sample ({ startMs: monotonic, just before the append; latencyMs; clientCpuMs }) against the
 * probe's events sorted by start ({ watch, answer: [start, wall, cpu][], other: [start, ms][] }).
 * The watch callback is the first to start after the append; the answer is the last whose request
 * event came after that callback and before the sample ended (the poll that saw the event). An answer
 * whose 'finish' the daemon ran after the client already had the body ends at the sample's end.
 * Null when the events do not frame the sample.
 */
export function sampleStages(sample, events) {
  const endMs = sample.startMs + sample.latencyMs;
  const w = events.watch[firstAtOrAfter(events.watch, sample.startMs)];
  if (w === undefined || w[0] >= endMs) return null;
  const watchEndMs = w[0] + w[1];
  let a;
  for (let i = firstAtOrAfter(events.answer, watchEndMs); i < events.answer.length && events.answer[i][0] < endMs; i++) a = events.answer[i];
  if (a === undefined) return null;
  const answerEndMs = Math.min(a[0] + a[1], endMs);
  const other = overlap(events.other, sample.startMs, endMs);
  return {
    latencyMs: sample.latencyMs,
    toWatchMs: w[0] - sample.startMs,
    watchMs: w[1],
    watchCpuMs: w[2],
    toAnswerMs: a[0] - watchEndMs,
    answerMs: answerEndMs - a[0],
    answerCpuMs: a[2],
    toClientMs: endMs - answerEndMs,
    clientCpuMs: sample.clientCpuMs,
    otherMs: other.ms,
    otherEvents: other.count,
  };
}

const FIELDS = ['latencyMs', 'toWatchMs', 'watchMs', 'watchCpuMs', 'toAnswerMs', 'answerMs', 'answerCpuMs', 'toClientMs', 'clientCpuMs', 'otherMs'];

function meanRow(staged) {
  const row = { samples: staged.length, minLatencyMs: Math.min(...staged.map((s) => s.latencyMs)), withOther: staged.filter((s) => s.otherEvents > 0).length };
  for (const f of FIELDS) row[f] = staged.reduce((sum, s) => sum + s[f], 0) / staged.length;
  return row;
}

/**
 * The stages of every sample the probe's events frame, summed up for two groups: the typical
 * samples (the middle tenth by latency, ranks 45–55 %) and the slowest `slowestShare` (at least one);
 * each field the group's mean, so a group's stages add up to its mean latency.
 * probe: the stage probe's `events` ({ watch, answer, timer, gc }).
 */
export function freshnessStages(samples, probe, { slowestShare = 0.01 } = {}) {
  const events = {
    watch: [...probe.watch].sort(byStart),
    answer: [...probe.answer].sort(byStart),
    other: [...probe.timer.map((t) => [t[0], t[1]]), ...probe.gc.map((g) => [g[1], g[2]])].sort(byStart),
  };
  const staged = [];
  for (const s of samples) {
    const st = sampleStages(s, events);
    if (st !== null) staged.push(st);
  }
  if (staged.length === 0) return { samples: 0, unframed: samples.length, typical: null, slowest: null };
  staged.sort((a, b) => a.latencyMs - b.latencyMs);
  const n = staged.length;
  const lo = Math.floor(0.45 * n);
  const hi = Math.max(lo + 1, Math.ceil(0.55 * n));
  const slowest = Math.max(1, Math.ceil(slowestShare * n));
  return { samples: n, unframed: samples.length - n, slowestShare, typical: meanRow(staged.slice(lo, hi)), slowest: meanRow(staged.slice(n - slowest)) };
}

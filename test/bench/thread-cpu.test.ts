// The freshness benchmark's per-thread CPU reading (bench/lib/thread-cpu.js) on this process: a
// busy main thread shows in mainMs, a process that is not there gives null, and the rate's arithmetic.

import t from 'tap';
// @ts-expect-error a plain JS module of the benchmarks (no types)
import * as threadCpu from '../../bench/lib/thread-cpu.js';

interface Reading {
  mainMs: number;
  otherMs: number;
}
const { threadCpuMs, threadCpuRate } = threadCpu as {
  threadCpuMs(pid: number): Reading | null;
  threadCpuRate(before: Reading | null, after: Reading | null, wallMs: number): { mainMsPerSec: number; otherMsPerSec: number; wallMs: number } | null;
};

t.test('80 ms of arithmetic on the main thread: its CPU grows by about that, never by more than the wall time', async (t) => {
  const before = threadCpuMs(process.pid);
  t.not(before, null);
  const t0 = performance.now();
  let x = 0;
  while (performance.now() - t0 < 80) x += Math.sqrt(x + 1);
  const wallMs = performance.now() - t0;
  const after = threadCpuMs(process.pid)!;
  const grewMs = after.mainMs - before!.mainMs;
  // A running thread's figure lags by up to a scheduler tick at each end (4 ms at 250 Hz; 10 ms allowed).
  t.ok(grewMs >= 60, `main thread grew ${grewMs} ms over ${wallMs} ms of spinning (x = ${x})`);
  t.ok(grewMs <= wallMs + 10, `main thread grew ${grewMs} ms, at most the ${wallMs} ms of wall time`);
  t.ok(after.otherMs >= before!.otherMs, 'the other threads never go back');
});

t.test('no such process: null', async (t) => {
  t.equal(threadCpuMs(2 ** 30), null);
});

t.test('the rate: ms of CPU per second of wall time, null when a reading is missing', async (t) => {
  t.same(threadCpuRate({ mainMs: 10, otherMs: 5 }, { mainMs: 30, otherMs: 6 }, 2000), { mainMsPerSec: 10, otherMsPerSec: 0.5, wallMs: 2000 });
  t.equal(threadCpuRate(null, { mainMs: 1, otherMs: 1 }, 1000), null);
  t.equal(threadCpuRate({ mainMs: 1, otherMs: 1 }, null, 1000), null);
  t.equal(threadCpuRate({ mainMs: 1, otherMs: 1 }, { mainMs: 2, otherMs: 2 }, 0), null);
});

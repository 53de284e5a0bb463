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

t.test('200 ms of CPU spent on the main thread: the threads together account for it, the main thread for nearly all', async (t) => {
  // Spun until this process has used so much CPU (not wall time: on a loaded machine the thread waits for a core).
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let x = 0;
  const spin = (ms: number): number => {
    const c0 = cpuMs();
    while (cpuMs() - c0 < ms) for (let i = 0; i < 1000; i++) x += Math.sqrt(x + 1);
    return cpuMs() - c0;
  };
  // V8's helper threads are busy for a while after start-up (compiling what the test's loaders ran, and
  // then the spin loop itself: up to ~35 ms of them inside an 80 ms spin on a loaded machine). Spin once
  // so the loop is compiled, and pause so those jobs end, before the measured spin.
  spin(50);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const before = threadCpuMs(process.pid);
  t.not(before, null);
  const usedMs = spin(200);
  const after = threadCpuMs(process.pid)!;
  const mainMs = after.mainMs - before!.mainMs;
  const otherMs = after.otherMs - before!.otherMs;
  // A running thread's figure lags by up to a scheduler tick at each end (4 ms at 250 Hz), each thread's: 15 ms allowed.
  t.ok(mainMs + otherMs >= usedMs - 15 && mainMs + otherMs <= usedMs + 15, `threads ${mainMs} + ${otherMs} ms for ${usedMs} ms of process CPU (x = ${x})`);
  // No allocation, so no GC helper work; a helper may still end a job: 30 ms allowed.
  t.ok(mainMs >= usedMs - 30, `the main thread ${mainMs} ms of the ${usedMs} ms (the other threads ${otherMs})`);
  t.ok(otherMs >= 0, 'the other threads never go back');
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

// Owns a diagnostic of the machine itself: how often a thread that never blocks loses its core.
// One busy loop (its own process, nothing else of the benchmark running) reads the clock as fast
// as it can for `durationMs`; a gap between two reads longer than `thresholdMs` is time the loop
// did not run (another process, the kernel, or the hypervisor taking the CPU). A request that
// meets such a gap waits it out, whatever the code on its path: it bounds the tail of any
// round-trip figure on this machine.

import { performance } from 'node:perf_hooks';

/** Gaps in a busy loop of durationMs (ms): counts, rate over 1 ms, the longest, the share of time lost. */
export function cpuGaps({ durationMs = 5000, thresholdMs = 0.5 } = {}) {
  const gaps = [];
  const start = performance.now();
  const end = start + durationMs;
  let last = start;
  while (last < end) {
    const t = performance.now();
    if (t - last > thresholdMs) gaps.push(t - last);
    last = t;
  }
  const seconds = (last - start) / 1000;
  const over1 = gaps.filter((g) => g > 1);
  return {
    durationMs: last - start,
    thresholdMs,
    gaps: gaps.length,
    gapsOver1Ms: over1.length,
    over1MsPerSec: over1.length / seconds,
    longestMs: gaps.length === 0 ? 0 : Math.max(...gaps),
    lostShare: gaps.reduce((a, b) => a + b, 0) / (last - start),
  };
}

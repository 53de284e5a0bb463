// Owns the small statistics the reports use: median and percentiles of sample arrays, and a
// latency row (p50 / p90 / p99 / max) of timings in ms.

export function median(xs) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of a numeric array. */
export function percentile(xs, p) {
  if (xs.length === 0) return null;
  const s = Float64Array.from(xs).sort();
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1];
}

/** Latency percentiles of one set of timings (ms): samples, p50, p90, p99 and max (null when empty). */
export function latencyRow(xs) {
  return { samples: xs.length, p50Ms: percentile(xs, 50), p90Ms: percentile(xs, 90), p99Ms: percentile(xs, 99), maxMs: xs.length === 0 ? null : xs.reduce((a, b) => Math.max(a, b)) };
}

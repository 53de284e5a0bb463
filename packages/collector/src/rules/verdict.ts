// Owns the verdict the collector publishes per resource (and per resource + origin) for filters to
// enforce, and how several verdicts for the same key combine: the most restrictive one wins.
//   pass                  admit every request
//   admit, ratio p        admit each request with probability p, record PASS or BLOCK
//   block, untilMs T      reject every request; T is when the collector next reconsiders (an open
//                         breaker's retry time; after it the collector publishes the probe)
// Order, least to most restrictive: pass < admit (higher ratio less restrictive) < block (a later
// or absent untilMs more restrictive). A filter that has several applicable verdicts (the
// resource's and its origin's) draws ONE uniform u per request and admits iff u < p for every
// admit and no block applies: the same as applying the most restrictive one.

export type Verdict = { kind: 'pass' } | { kind: 'admit'; ratio: number } | { kind: 'block'; untilMs?: number };

export const PASS: Verdict = Object.freeze({ kind: 'pass' });

/** An admission ratio as a verdict: ≥ 1 passes everything. */
export function admit(ratio: number): Verdict {
  return ratio >= 1 ? PASS : { kind: 'admit', ratio: Math.max(0, ratio) };
}

function rank(v: Verdict): number {
  return v.kind === 'pass' ? 0 : v.kind === 'admit' ? 1 : 2;
}

/** The more restrictive of two verdicts. */
export function mostRestrictive(a: Verdict, b: Verdict): Verdict {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra > rb ? a : b;
  if (a.kind === 'admit' && b.kind === 'admit') return a.ratio <= b.ratio ? a : b;
  if (a.kind === 'block' && b.kind === 'block') {
    if (a.untilMs === undefined) return a;
    if (b.untilMs === undefined) return b;
    return a.untilMs >= b.untilMs ? a : b;
  }
  return a;
}

/** Whether two verdicts say the same (kind, and ratio or untilMs). */
export function sameVerdict(a: Verdict, b: Verdict): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'admit') return a.ratio === (b as { ratio: number }).ratio;
  if (a.kind === 'block') return a.untilMs === (b as { untilMs?: number }).untilMs;
  return true;
}

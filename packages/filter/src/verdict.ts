// Owns what a filter is told about admitting a request: the collector publishes a verdict per
// resource (and per resource + origin) in `<pin>/map`, read by map-reader.ts; anything the map
// cannot vouch for reads as PASS.

export type Verdict =
  /** Admit everything. */
  | { readonly kind: 'pass' }
  /**
   * Reject everything. `untilMs` is when the collector reconsiders (an open circuit breaker's
   * retry time); the block holds after it until the collector rewrites the verdict.
   */
  | { readonly kind: 'block'; readonly untilMs: number }
  /** Admit a share `ratio` of the requests (a limit being enforced, or a breaker's probe). */
  | { readonly kind: 'admit'; readonly ratio: number };

export const VERDICT_PASS: Verdict = Object.freeze({ kind: 'pass' });

/**
 * Whether a request with this verdict goes ahead, by one draw: `random01` in [0, 1) is used only by
 * `admit` (for callers deciding themselves with verdict(); entry() spreads an `admit` ratio by
 * error diffusion instead, admission.ts).
 */
export function admits(verdict: Verdict, random01: number): boolean {
  switch (verdict.kind) {
    case 'pass':
      return true;
    case 'block':
      return false;
    case 'admit':
      return random01 < verdict.ratio;
  }
}

/** The more restrictive of two verdicts (a block over an admit over a pass; the lower ratio). */
export function mostRestrictive(a: Verdict, b: Verdict): Verdict {
  const rank = (v: Verdict): number => (v.kind === 'pass' ? 0 : v.kind === 'admit' ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) > rank(b) ? a : b;
  if (a.kind === 'admit' && b.kind === 'admit') return a.ratio <= b.ratio ? a : b;
  if (a.kind === 'block' && b.kind === 'block') return a.untilMs >= b.untilMs ? a : b;
  return a;
}

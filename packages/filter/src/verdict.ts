// Owns what a filter is told about admitting a request. The collector will publish verdicts per
// resource in `<pin>/map` (read by map-reader.ts); until the rules work defines that map's contents, every resource
// reads as PASS.

export type Verdict =
  /** Admit everything. */
  | { readonly kind: 'pass' }
  /** Reject everything until `untilMs` (an open circuit breaker). */
  | { readonly kind: 'block'; readonly untilMs: number }
  /** Admit each request with probability `ratio` (a QPS limit being enforced). */
  | { readonly kind: 'admit'; readonly ratio: number };

export const VERDICT_PASS: Verdict = Object.freeze({ kind: 'pass' });

/**
 * Whether a request with this verdict goes ahead. `random01` is a number in [0, 1) (used only by
 * `admit` verdicts), `nowMs` the current time (used only by `block` verdicts).
 */
export function admits(verdict: Verdict, nowMs: number, random01: number): boolean {
  switch (verdict.kind) {
    case 'pass':
      return true;
    case 'block':
      return nowMs >= verdict.untilMs;
    case 'admit':
      return random01 < verdict.ratio;
  }
}

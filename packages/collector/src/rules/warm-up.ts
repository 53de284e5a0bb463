// Owns the warm-up threshold of a QPS rule with controlBehavior 1 or 3: Sentinel's
// WarmUpController token bucket (Guava's SmoothWarmingUp), computed with the same integer
// truncations, so the allowed QPS starts at about count / coldFactor after a quiet period and
// climbs to count over warmUpPeriodSec of sustained traffic:
//   warningToken = ⌊warmUpPeriodSec · count⌋ / (coldFactor − 1)            (integer division)
//   maxToken     = warningToken + ⌊2 · warmUpPeriodSec · count / (1 + coldFactor)⌋
//   slope        = (coldFactor − 1) / count / (maxToken − warningToken)
// Once per second (at the first reading in a new second) the stored tokens are refilled by
// elapsed · count / 1000 (only while below warningToken, or above it when last second's pass was
// below ⌊count⌋ / coldFactor), capped at maxToken, then reduced by last second's pass (floor 0).
// Allowed QPS: 1 / ((stored − warningToken) · slope + 1 / count) when stored ≥ warningToken, else count.
// The admission loop tracks this moving threshold; the clock is the caller's nowMs.

export const COLD_FACTOR = 3;

export class WarmUpThreshold {
  readonly count: number;
  readonly warningToken: number;
  readonly maxToken: number;
  readonly slope: number;
  private readonly coldFactor: number;
  private storedTokens = 0;
  /** −∞ before the first reading: the first refill fills to maxToken (a new rule starts cold). */
  private lastFilledMs = Number.NEGATIVE_INFINITY;

  constructor(count: number, warmUpPeriodSec: number, coldFactor = COLD_FACTOR) {
    this.count = count;
    this.coldFactor = coldFactor;
    this.warningToken = Math.trunc(Math.trunc(warmUpPeriodSec * count) / (coldFactor - 1));
    this.maxToken = this.warningToken + Math.trunc((2 * warmUpPeriodSec * count) / (1 + coldFactor));
    // No warm-up band (maxToken = warningToken: a small count · warmUpPeriodSec truncates to 0), or
    // a count so large the slope underflows: the threshold is count throughout. (Sentinel's slope is
    // then Infinity and 0 · Infinity = NaN blocks every request; here it stays a number.)
    const slope = (coldFactor - 1) / count / (this.maxToken - this.warningToken);
    this.slope = Number.isFinite(slope) ? slope : 0;
  }

  /** Tokens stored after the last refill (for tests and status). */
  get tokens(): number {
    return this.storedTokens;
  }

  /** The allowed QPS at nowMs, given the pass count of the whole second before nowMs's second. */
  allowedQpsAt(nowMs: number, previousSecondPass: number): number {
    this.sync(nowMs, Math.trunc(previousSecondPass));
    if (this.count <= 0) return 0;
    if (this.storedTokens >= this.warningToken) {
      const above = this.storedTokens - this.warningToken;
      const qps = 1 / (above * this.slope + 1 / this.count);
      if (Number.isFinite(qps) && qps >= 0) return qps;
    }
    return this.count;
  }

  private sync(nowMs: number, previousPass: number): void {
    const secondMs = nowMs - (nowMs % 1000);
    if (secondMs <= this.lastFilledMs) return;
    const old = this.storedTokens;
    let next = old;
    const refill = Math.trunc(old + ((secondMs - this.lastFilledMs) * this.count) / 1000);
    if (old < this.warningToken) next = refill;
    else if (old > this.warningToken && previousPass < Math.trunc(Math.trunc(this.count) / this.coldFactor)) next = refill;
    next = Math.min(next, this.maxToken);
    this.storedTokens = Math.max(0, next - previousPass);
    this.lastFilledMs = secondMs;
  }
}

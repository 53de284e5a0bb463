// Owns the smoothed offered rate of one node: an exponentially weighted moving average of
// (pass + block) per second over the collector's ticks, with time constant τ:
//   λ̂ ← λ̂ + (1 − e^(−dt/τ)) · (offered/dt − λ̂)
// Uneven tick intervals weigh correctly; a tick that does not advance the clock is ignored.
// A step in the offered rate is followed at once instead of over a few τ: when a tick's count is
// further from the expected λ̂·dt than Poisson noise plausibly explains (more than
// 4·√(λ̂·dt) + 4 requests away), the estimate restarts from that tick's rate.

const STEP_SIGMAS = 4;
const STEP_SLACK_REQUESTS = 4;

export class OfferedRate {
  private lastMs: number;
  private perSecEstimate: number;
  private readonly timeConstantMs: number;

  constructor(startMs: number, initialPerSec: number, timeConstantMs: number) {
    this.lastMs = startMs;
    this.perSecEstimate = initialPerSec;
    this.timeConstantMs = timeConstantMs;
  }

  get perSec(): number {
    return this.perSecEstimate;
  }

  /** Raises the estimate to `perSec` if it is lower (a caller that knows demand did not fall). */
  keepAtLeast(perSec: number): void {
    if (this.perSecEstimate < perSec) this.perSecEstimate = perSec;
  }

  /** Adds the requests offered since the previous update; returns the elapsed ms (0: clock did not advance). */
  update(nowMs: number, offered: number): number {
    const dtMs = nowMs - this.lastMs;
    if (!(dtMs > 0)) return 0;
    this.lastMs = nowMs;
    const expected = (this.perSecEstimate * dtMs) / 1000;
    if (Math.abs(offered - expected) > STEP_SIGMAS * Math.sqrt(expected) + STEP_SLACK_REQUESTS) {
      this.perSecEstimate = (offered * 1000) / dtMs;
    } else {
      const alpha = 1 - Math.exp(-dtMs / this.timeConstantMs);
      this.perSecEstimate += alpha * ((offered * 1000) / dtMs - this.perSecEstimate);
    }
    return dtMs;
  }
}

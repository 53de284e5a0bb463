// Owns the admission control loop of one QPS flow rule on one node (a resource, or a resource
// seen from one origin). Filters decide locally: each request is admitted with probability p (the
// ratio the collector publishes) and recorded as PASS or BLOCK. So every request is counted once
// and offered = pass + block. Each tick the loop sets p so that the admitted rate converges on
// the threshold, with no shared counter between filters:
//
//   offered   λ̂ ← λ̂ + α · (offered/dt − λ̂),  α = 1 − e^(−dt/τ)      (smoothed, τ = offeredTimeConstantMs)
//   error     E ← E + passed − threshold · dt                          (cumulative: admitted − allowed)
//   target    r = threshold − E / Ti                                    (integral action, Ti = integralTimeMs)
//   ratio     p = clamp(r / λ̂, 0, 1)                                   (feed-forward through λ̂)
//
// The integral term works the cumulative error off, so the long-run average is exact rather
// than off by the bias of λ̂ or the delay. Ti is two control ticks (200 ms): in the flow
// benchmark's simulation at 10/s and 2× count, 38 of 60 000 10 s windows strayed past ±5 %
// against 59 with 500 ms (Sentinel's exact limiting on the same offered seconds: 19), and the
// mean error and the per-second spread fell by a seventh to a quarter at 10-1000/s; 100–150 ms
// overshoot when records come 50 ms late. Admissions while p = 0 (filters still on an older
// ratio, records that came late) are integrated like any others: they were admitted, and leaving
// them out biased the average over count when records come late (50 ms late, 10/s, 2×: 46 of
// 1 800 windows outside left out, 11 integrated). Anti-windup: the error is clamped to
// ±max(threshold · maxErrorSec, MIN_ERROR_BOUND_REQUESTS) (below a few requests a second, one
// admission over is more than a second of threshold: it is still worked off, so a threshold of
// 0.1/s admits one per 10 s). p = 1 admitting less (not enough traffic, λ̂ ≤ threshold) is
// integrated only down to −threshold · catchUpSec, and only for a lull: once λ̂ has stayed at or
// under the threshold for longer than catchUpWithinMs the shortfall is dropped. A lull of a few
// hundred ms inside an overload is made up, as Sentinel's one-second window would let the rest of
// the second admit it; a long quiet or blocked spell never turns into a burst later.
//
// Between ticks, in a quiet spell (p = 1 and λ̂ at or under the threshold for over
// catchUpWithinMs: nothing limits a burst until a tick sees it), burstPast says when the PASS
// counted since the tick would take E past max(threshold · burstSec, MIN_BURST_REQUESTS): the
// caller then admits nothing until the next tick, which sizes p from everything seen. (In the
// simulation, after 30 s without traffic a burst of 20× count got ~2.0 s of count in its first
// second without the stop, ~1.4 s with it; steady overload is unchanged: the stop never acts there.)
//
// Inputs are the PASS and BLOCK counts the collector counted since the previous tick (records
// arrive with the filters' flush delay; the integral absorbs it). The tick interval is the
// caller's (the daemon ticks every ≤ 100 ms); the clock is the caller's nowMs.

export interface AdmissionLoopOptions {
  /** Ti: a cumulative error of E requests is worked off at E / Ti (default 200 ms). */
  integralTimeMs?: number;
  /** τ of the offered-rate smoothing (default 500 ms). */
  offeredTimeConstantMs?: number;
  /** Anti-windup bound on the cumulative error, in seconds of threshold (default 1). */
  maxErrorSec?: number;
  /** The largest shortfall of a lull (p = 1, λ̂ ≤ threshold) made up later, in seconds of threshold (default 0.5; 0: none). */
  catchUpSec?: number;
  /** A lull longer than this is a quiet spell and its shortfall is dropped (default 1000 ms). */
  catchUpWithinMs?: number;
  /** Between ticks, in a quiet spell: the cumulative error a burst may reach before admission stops until the next tick, in seconds of threshold (default 0.2; 0: no stop between ticks). */
  burstSec?: number;
}

export interface TickCounts {
  nowMs: number;
  /** PASS records (× count) counted since the previous tick. */
  passed: number;
  /** BLOCK records (× count) counted since the previous tick. */
  blocked: number;
}

import { OfferedRate } from './offered-rate.js';

export const DEFAULT_INTEGRAL_TIME_MS = 200;
export const DEFAULT_OFFERED_TIME_CONSTANT_MS = 500;
export const DEFAULT_MAX_ERROR_SEC = 1;
export const DEFAULT_CATCH_UP_SEC = 0.5;
export const DEFAULT_CATCH_UP_WITHIN_MS = 1000;
export const DEFAULT_BURST_SEC = 0.2;
/** The cumulative error's bound never falls below this many requests (low thresholds). */
export const MIN_ERROR_BOUND_REQUESTS = 4;
/** Nor does the burst bound (a few requests of Poisson noise in a tick are not a burst). */
export const MIN_BURST_REQUESTS = 4;

export class AdmissionLoop {
  /** The ratio to publish (1 = admit everything). */
  ratio = 1;
  private readonly offered: OfferedRate;
  private errorRequests = 0;
  private readonly integralTimeMs: number;
  private readonly maxErrorSec: number;
  private readonly catchUpSec: number;
  private readonly catchUpWithinMs: number;
  private quietSinceMs = -1;
  private readonly burstSec: number;
  /** Whether the offered rate had stayed at or under the threshold for over catchUpWithinMs at the last tick (a quiet spell). */
  private quietAtTick = false;

  /** `offeredPerSec`: the offered rate already known when the rule appears (e.g. the window's pass + block QPS). */
  constructor(startMs: number, offeredPerSec = 0, opts: AdmissionLoopOptions = {}) {
    this.offered = new OfferedRate(startMs, offeredPerSec, opts.offeredTimeConstantMs ?? DEFAULT_OFFERED_TIME_CONSTANT_MS);
    this.integralTimeMs = opts.integralTimeMs ?? DEFAULT_INTEGRAL_TIME_MS;
    this.maxErrorSec = opts.maxErrorSec ?? DEFAULT_MAX_ERROR_SEC;
    this.catchUpSec = opts.catchUpSec ?? DEFAULT_CATCH_UP_SEC;
    this.catchUpWithinMs = opts.catchUpWithinMs ?? DEFAULT_CATCH_UP_WITHIN_MS;
    this.burstSec = opts.burstSec ?? DEFAULT_BURST_SEC;
  }

  /** Smoothed offered rate (requests/s). */
  get offeredPerSec(): number {
    return this.offered.perSec;
  }

  /** Cumulative admitted − allowed, in requests (after anti-windup). */
  get error(): number {
    return this.errorRequests;
  }

  /** Whether burstPast can say true before the next tick: a quiet spell at the last tick (ratio 1) and the stop on (burstSec > 0). */
  get burstArmed(): boolean {
    return this.ratio >= 1 && this.quietAtTick && this.burstSec > 0;
  }

  /**
   * Between ticks: whether admission should stop until the next tick because a burst is under
   * way. Only in a quiet spell (at the last tick the ratio was 1 and the offered rate had stayed
   * at or under the threshold for over catchUpWithinMs: nothing limits a burst until a tick sees
   * it): true when the cumulative error with the `passedSinceTick` PASS seen `sinceTickMs` after
   * the last tick would pass max(threshold · burstSec, MIN_BURST_REQUESTS). Otherwise the tick's
   * ratio stands: a limited node's loop already sizes it, and a lull inside traffic is for the
   * loop to make up.
   */
  burstPast(passedSinceTick: number, sinceTickMs: number, thresholdPerSec: number): boolean {
    if (!this.burstArmed) return false;
    const error = this.errorRequests + passedSinceTick - (thresholdPerSec * Math.max(0, sinceTickMs)) / 1000;
    return error > Math.max(thresholdPerSec * this.burstSec, MIN_BURST_REQUESTS);
  }

  /** One control step; returns the new ratio. A tick that does not advance the clock changes nothing. */
  tick(counts: TickCounts, thresholdPerSec: number): number {
    const dtMs = this.offered.update(counts.nowMs, counts.passed + counts.blocked);
    if (dtMs === 0) return this.ratio;
    const offeredPerSec = this.offered.perSec;
    const increment = counts.passed - (thresholdPerSec * dtMs) / 1000;
    const saturatedLow = increment < 0 && this.ratio >= 1 && offeredPerSec <= thresholdPerSec;
    const bound = Math.max(thresholdPerSec * this.maxErrorSec, MIN_ERROR_BOUND_REQUESTS);
    if (offeredPerSec > thresholdPerSec) this.quietSinceMs = -1;
    else if (this.quietSinceMs < 0) this.quietSinceMs = counts.nowMs - dtMs;
    const longQuiet = this.quietSinceMs >= 0 && counts.nowMs - this.quietSinceMs > this.catchUpWithinMs;
    this.quietAtTick = longQuiet;
    if (saturatedLow) {
      const floor = longQuiet ? 0 : -thresholdPerSec * this.catchUpSec;
      if (this.errorRequests > floor) this.errorRequests = Math.max(floor, this.errorRequests + increment);
      else if (longQuiet) this.errorRequests = 0;
    } else this.errorRequests += increment;
    this.errorRequests = Math.min(bound, Math.max(-bound, this.errorRequests));
    const targetPerSec = thresholdPerSec - (this.errorRequests * 1000) / this.integralTimeMs;
    if (offeredPerSec <= 0) this.ratio = thresholdPerSec > 0 ? 1 : 0;
    else this.ratio = Math.min(1, Math.max(0, targetPerSec / offeredPerSec));
    return this.ratio;
  }
}

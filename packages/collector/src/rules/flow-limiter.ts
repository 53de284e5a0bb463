// Owns the enforcement of one FlowRule on one node (a resource's traffic, or one origin's) as an
// admission ratio, per the rule's grade and control behavior:
//   QPS, reject (0) and rate limiter (2): the admission loop tracks `count`;
//   QPS, warm up (1) and warm up + rate limiter (3): the loop tracks the warm-up threshold, which
//     moves once per second from the pass count of the previous second (counted here per second
//     of the tick time that reported it);
//   concurrency (grade 0): from the in-flight count the collector sees, c. Ratio 0 while c ≥ count;
//     below it the headroom (count − c) is shared over the next tick: p = (count − c) / (λ̂ · dt),
//     capped at 1, so it recovers as c drops. While c ≥ count, λ̂ does not fall (callers whose
//     requests are in flight offer nothing until they end: not a drop in demand).
//     Between ticks, `saturate(c)` turns the verdict to ratio 0 as soon as the collector sees c
//     reach count (the engine's saturatedVerdicts, run after each read of the segments): an
//     admission seen is not answered by further admissions for the rest of the tick.
// Concurrency rules, and QPS rules with reject (0) or warm up (1), admit whole requests up to the threshold, as Sentinel's controllers
// compare the window's pass count (a whole number) plus one with it: the loop tracks ⌊threshold⌋
// (a count below 1 admits nothing). The rate limiters (2, 3) space requests at the threshold's
// exact rate in Sentinel: the loop tracks the threshold itself (0.1 admits one per 10 s).
// Rate limiter (2, 3): filters cannot queue a request for another process's turn, so
// maxQueueingTimeMs is not enforced; the admitted rate converges on count, with per-second noise
// instead of Sentinel's even spacing.

import { AdmissionLoop, DEFAULT_OFFERED_TIME_CONSTANT_MS, type AdmissionLoopOptions } from './admission-loop.js';
import { OfferedRate } from './offered-rate.js';
import { ControlBehavior, FlowGrade, type FlowRule } from './rule-flow.js';
import { admit, type Verdict } from './verdict.js';
import { WarmUpThreshold } from './warm-up.js';

/** What the limiter needs of its node each tick. */
export interface FlowTraffic {
  /** PASS (× count) counted since the previous tick. */
  passed: number;
  /** BLOCK (× count) counted since the previous tick. */
  blocked: number;
  /** In-flight entries now (PASS − EXIT). */
  concurrency: number;
}

export class FlowLimiter {
  readonly rule: FlowRule;
  private readonly loop: AdmissionLoop | undefined;
  private readonly offered: OfferedRate | undefined;
  private readonly warmUp: WarmUpThreshold | undefined;
  private lastMs: number;
  private second = -1;
  private passInSecond = 0;
  private passPreviousSecond = 0;
  private thresholdNow: number;
  private verdictNow: Verdict = admit(1);
  /** Reject or warm up: the threshold is taken in whole requests (⌊threshold⌋). */
  private readonly wholeRequests: boolean;

  constructor(rule: FlowRule, startMs: number, offeredPerSec = 0, opts: AdmissionLoopOptions = {}) {
    this.rule = rule;
    this.lastMs = startMs;
    this.wholeRequests = rule.controlBehavior === ControlBehavior.REJECT || rule.controlBehavior === ControlBehavior.WARM_UP;
    // A concurrency count is of whole entries too (Sentinel: in flight + 1 > count blocks).
    this.thresholdNow = rule.grade === FlowGrade.THREAD || this.wholeRequests ? Math.floor(rule.count) : rule.count;
    if (rule.grade === FlowGrade.THREAD) {
      this.offered = new OfferedRate(startMs, offeredPerSec, opts.offeredTimeConstantMs ?? DEFAULT_OFFERED_TIME_CONSTANT_MS);
    } else {
      this.loop = new AdmissionLoop(startMs, offeredPerSec, opts);
      const warm = rule.controlBehavior === ControlBehavior.WARM_UP || rule.controlBehavior === ControlBehavior.WARM_UP_RATE_LIMITER;
      if (warm) this.warmUp = new WarmUpThreshold(rule.count, rule.warmUpPeriodSec);
    }
  }

  /** The threshold in force: count (⌊count⌋ in whole requests), or the warm-up threshold at the last tick. */
  get threshold(): number {
    return this.thresholdNow;
  }

  get verdict(): Verdict {
    return this.verdictNow;
  }

  tick(nowMs: number, t: FlowTraffic): Verdict {
    const dtMs = nowMs - this.lastMs;
    if (!(dtMs > 0)) return this.verdictNow;
    this.lastMs = nowMs;
    if (this.offered !== undefined) {
      const before = this.offered.perSec;
      this.offered.update(nowMs, t.passed + t.blocked);
      const headroom = this.thresholdNow - t.concurrency;
      // Saturated, the callers in flight offer nothing until theirs end: that lull is not lower
      // demand, so the estimate does not fall then (it would admit a burst when they come back).
      if (headroom <= 0) this.offered.keepAtLeast(before);
      const perTick = (this.offered.perSec * dtMs) / 1000;
      this.verdictNow = admit(headroom <= 0 ? 0 : perTick <= headroom ? 1 : headroom / perTick);
      return this.verdictNow;
    }
    this.countPass(nowMs, t.passed);
    const threshold = this.warmUp !== undefined ? this.warmUp.allowedQpsAt(nowMs, this.passPreviousSecond) : this.rule.count;
    this.thresholdNow = this.wholeRequests ? Math.floor(threshold) : threshold;
    this.verdictNow = admit(this.loop!.tick({ nowMs, passed: t.passed, blocked: t.blocked }, this.thresholdNow));
    return this.verdictNow;
  }

  /**
   * A concurrency rule (grade 0) whose node the collector now sees with `concurrency` in flight:
   * when that reaches count and the verdict still admits, the verdict becomes ratio 0 at once
   * (not at the next tick); returns whether it changed. QPS rules never change here.
   */
  saturate(concurrency: number): boolean {
    if (this.offered === undefined || concurrency < this.thresholdNow) return false;
    if (this.verdictNow.kind === 'admit' && this.verdictNow.ratio === 0) return false;
    this.verdictNow = admit(0);
    return true;
  }

  private countPass(nowMs: number, passed: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      this.passPreviousSecond = second === this.second + 1 ? this.passInSecond : 0;
      this.passInSecond = 0;
      this.second = second;
    }
    this.passInSecond += passed;
  }
}

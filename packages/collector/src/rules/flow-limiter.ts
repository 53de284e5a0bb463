// Owns the enforcement of one FlowRule on one node (a resource's traffic, or one origin's) as an
// admission ratio, per the rule's grade and control behavior:
//   QPS, reject (0) and rate limiter (2): the admission loop tracks `count`;
//   QPS, warm up (1) and warm up + rate limiter (3): the loop tracks the warm-up threshold, which
//     moves once per second from the pass count of the previous second (counted here per second
//     of the tick time that reported it);
//   concurrency (grade 0): from the in-flight count the collector sees, c. Ratio 0 while c ≥ count;
//     below it the headroom (count − c) is shared over what the next admissions will hold in
//     flight: an admitted request stays W (the mean RT of recent completions), so admitting at
//     rate p · λ̂ adds p · λ̂ · min(W, dt) in flight: p = (count − c) / (λ̂ · min(W, dt)), capped at
//     1 (dt before any completion was seen). A caller whose requests never overlap (λ̂ · W ≤ 1)
//     is so admitted whole at count 1. While c ≥ count, λ̂ does not fall (callers whose requests
//     are in flight offer nothing until they end: not a drop in demand).
//     Between ticks, `react(c)` (the engine's betweenTicks, run after each read of the
//     segments) turns the verdict to ratio 0 as soon as the collector sees c reach count, and back
//     to the share of the headroom as soon as it sees c below count again: an admission seen is
//     not answered by further admissions, and an exit seen opens the slot it left at once.
//   QPS, between ticks: `reactPassed` (the engine's betweenTicks too) stops a burst that comes
//     after a quiet spell (AdmissionLoop.burstPast): ratio 0 until the next step or tick. While the rule
//     limits (a ratio below 1, or an offered rate over the threshold), `step` (the engine's
//     qpsSteps, every QPS_STEP_MS) runs the loop on the counts since the tick or the last step,
//     so the ratio follows the traffic every 20 ms instead of every tick; the tick then takes
//     only what the steps have not. A QPS limiter made with its offered rate already known (a rule
//     that appears under traffic) starts at the feed-forward share, threshold ÷ offered (warm up:
//     of its cold threshold).
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
import { admit, sameVerdict, type Verdict } from './verdict.js';
import { WarmUpThreshold } from './warm-up.js';

/** What the limiter needs of its node each tick. */
export interface FlowTraffic {
  /** PASS (× count) counted since the previous tick. */
  passed: number;
  /** BLOCK (× count) counted since the previous tick. */
  blocked: number;
  /** In-flight entries now (PASS − EXIT). */
  concurrency: number;
  /** Completions (EXIT, CALL) counted since the previous tick, and their RT sum (ms): concurrency rules' W. */
  completed?: number;
  rtSumMs?: number;
}

/** A limiting QPS rule's loop steps this often between ticks (FlowLimiter.step); filters keep a ratio at most 20 ms (their verdict cache). */
export const QPS_STEP_MS = 20;

/** Weight of a tick's mean RT in the smoothed W of a concurrency rule. */
const RT_SMOOTHING = 0.3;

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
  /** Concurrency: the mean RT of recent completions (ms; < 0 before one), and λ̂ · min(W, dt) at the last tick. */
  private meanRtMs = -1;
  private inFlightPerAdmitted = 0;
  /** Reject or warm up: the threshold is taken in whole requests (⌊threshold⌋). */
  private readonly wholeRequests: boolean;
  /** QPS: PASS and BLOCK the steps since the tick have fed the loop (of the tick's counts so far). */
  private stepPassed = 0;
  private stepBlocked = 0;

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
      // An offered rate already known (a rule that appears under traffic): the feed-forward share
      // from the start (of the cold threshold, warming up), not a pass until the first tick that
      // counted its node.
      if (offeredPerSec > 0) {
        if (this.warmUp !== undefined) this.thresholdNow = this.inWholeRequests(this.warmUp.allowedQpsAt(startMs, 0));
        if (offeredPerSec > this.thresholdNow) this.verdictNow = admit((this.loop.ratio = this.thresholdNow / offeredPerSec));
      }
    }
  }

  /** A threshold as the loop tracks it: ⌊threshold⌋ for reject and warm up (whole requests), else as it is. */
  private inWholeRequests(threshold: number): number {
    return this.wholeRequests ? Math.floor(threshold) : threshold;
  }

  /** The threshold in force: count (⌊count⌋ in whole requests), or the warm-up threshold at the last tick. */
  get threshold(): number {
    return this.thresholdNow;
  }

  get verdict(): Verdict {
    return this.verdictNow;
  }

  tick(nowMs: number, t: FlowTraffic): Verdict {
    // What the steps since the previous tick fed the loop is not counted again.
    const passed = Math.max(0, t.passed - this.stepPassed);
    const blocked = Math.max(0, t.blocked - this.stepBlocked);
    const dtMs = nowMs - this.lastMs;
    // A tick at the instant of the last step: its counts go to the next step or tick (held as
    // taken less than nothing), not lost.
    this.stepPassed = dtMs > 0 ? 0 : -passed;
    this.stepBlocked = dtMs > 0 ? 0 : -blocked;
    if (!(dtMs > 0)) return this.verdictNow;
    this.lastMs = nowMs;
    if (this.offered !== undefined) {
      const before = this.offered.perSec;
      this.offered.update(nowMs, t.passed + t.blocked);
      const headroom = this.thresholdNow - t.concurrency;
      // Saturated, the callers in flight offer nothing until theirs end: that lull is not lower
      // demand, so the estimate does not fall then (it would admit a burst when they come back).
      if (headroom <= 0) this.offered.keepAtLeast(before);
      const completed = t.completed ?? 0;
      if (completed > 0) {
        const rtMs = (t.rtSumMs ?? 0) / completed;
        this.meanRtMs = this.meanRtMs < 0 ? rtMs : this.meanRtMs + RT_SMOOTHING * (rtMs - this.meanRtMs);
      }
      const horizonMs = this.meanRtMs < 0 ? dtMs : Math.min(dtMs, Math.max(1, this.meanRtMs));
      this.inFlightPerAdmitted = (this.offered.perSec * horizonMs) / 1000;
      this.verdictNow = this.shareOf(headroom);
      return this.verdictNow;
    }
    this.countPass(nowMs, passed);
    this.thresholdNow = this.inWholeRequests(this.warmUp !== undefined ? this.warmUp.allowedQpsAt(nowMs, this.passPreviousSecond) : this.rule.count);
    this.verdictNow = admit(this.loop!.tick({ nowMs, passed, blocked }, this.thresholdNow));
    return this.verdictNow;
  }

  /**
   * Whether `step` would run the loop at nowMs: a QPS rule that limits (its verdict admits a ratio
   * below 1, or its offered rate is over the threshold) whose last tick or step is QPS_STEP_MS or
   * more ago. The engine asks this before it looks up the node's counts.
   */
  stepDueAt(nowMs: number): boolean {
    if (this.loop === undefined || nowMs - this.lastMs < QPS_STEP_MS) return false;
    return this.verdictNow.kind === 'admit' || this.loop.offeredPerSec > this.thresholdNow;
  }

  /**
   * A QPS rule between ticks, when stepDueAt(nowMs): one step of the loop on the PASS and BLOCK
   * (× count) the collector has counted since the tick, less what earlier steps took; the threshold
   * stays the tick's. Returns whether the verdict changed. Otherwise nothing changes.
   */
  step(nowMs: number, passedSinceTick: number, blockedSinceTick: number): boolean {
    if (!this.stepDueAt(nowMs)) return false;
    const passed = Math.max(0, passedSinceTick - this.stepPassed);
    const blocked = Math.max(0, blockedSinceTick - this.stepBlocked);
    this.stepPassed += passed;
    this.stepBlocked += blocked;
    this.lastMs = nowMs;
    this.countPass(nowMs, passed);
    const before = this.verdictNow;
    this.verdictNow = admit(this.loop!.tick({ nowMs, passed, blocked }, this.thresholdNow));
    return !sameVerdict(before, this.verdictNow);
  }

  /**
   * A concurrency rule (grade 0) whose node the collector now sees with `concurrency` in flight,
   * between ticks: when that reaches count and the verdict still admits, the verdict becomes ratio
   * 0 at once; when it is below count and the verdict is ratio 0, the verdict becomes the share of
   * the headroom now (as the tick would compute it). Returns whether it changed. Nothing else
   * changes between ticks, and QPS rules never change here.
   */
  react(concurrency: number): boolean {
    if (this.offered === undefined) return false;
    const stopped = this.verdictNow.kind === 'admit' && this.verdictNow.ratio === 0;
    if (concurrency >= this.thresholdNow) {
      if (stopped) return false;
      this.verdictNow = admit(0);
      return true;
    }
    if (!stopped) return false;
    this.verdictNow = this.shareOf(this.thresholdNow - concurrency);
    return true;
  }

  /**
   * Whether reactPassed can stop admission before the next tick (a QPS rule whose verdict passes
   * everything after a quiet spell): the engine asks this before it looks up the node's PASS count.
   */
  get burstArmed(): boolean {
    return this.loop !== undefined && this.verdictNow.kind === 'pass' && this.loop.burstArmed;
  }

  /**
   * A QPS rule (grade 1) whose node the collector has now seen `passedSinceTick` PASS (× count)
   * since the last tick, between ticks: while the verdict passes everything after a quiet spell
   * (the offered rate at or under the threshold for over a second), a burst that takes the loop's
   * cumulative error past its burst bound (AdmissionLoop.burstPast) turns the verdict to ratio 0
   * until the next step or tick, which sizes the ratio from everything seen. Returns whether it changed. Concurrency rules never change here.
   */
  reactPassed(nowMs: number, passedSinceTick: number): boolean {
    if (!this.burstArmed || !this.loop!.burstPast(passedSinceTick - this.stepPassed, nowMs - this.lastMs, this.thresholdNow)) return false;
    this.verdictNow = admit(0);
    return true;
  }

  /** Concurrency: the ratio that shares `headroom` over the admissions' expected time in flight. */
  private shareOf(headroom: number): Verdict {
    const perAdmitted = this.inFlightPerAdmitted;
    return admit(headroom <= 0 ? 0 : perAdmitted <= headroom ? 1 : headroom / perAdmitted);
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

// Owns one circuit breaker (one DegradeRule), Sentinel's state machine driven by the completions
// the collector counts instead of by each call's exit:
//
//   CLOSED ──(bucket total ≥ minRequestAmount and ratio/count over threshold)──► OPEN
//   OPEN ──(nowMs ≥ nextRetryMs)──► HALF_OPEN (offering the probe)
//   HALF_OPEN offering ──(a PASS is seen: the probe is in flight)──► HALF_OPEN waiting
//   HALF_OPEN ──(a completion is seen: all ok)──► CLOSED (bucket reset)
//   HALF_OPEN ──(a completion is seen: slow or error)──► OPEN (nextRetryMs = now + timeWindow)
//   HALF_OPEN waiting ──(no completion within probeTimeoutMs, and none of the resource's entries
//                        in flight any more)──► OPEN (new nextRetryMs)
//
// Trip test, as Sentinel: slow ratio (grade 0) trips when slow/total > slowRatioThreshold, and also
// at == when the threshold is 1.0; exception ratio (1) when errors/total > count; exception count
// (2) when errors > count; never below minRequestAmount completions in the current bucket. The
// bucket is one statIntervalMs long, aligned to the epoch (Sentinel's single-bucket LeapArray).
//
// Input: `observe(sample)` once per collector tick with what was counted since the previous one
// (deltas): PASS count, completions (one per EXIT or CALL record, as Sentinel counts an entry of
// any batch count once), of those errored ones, of those slower
// than this rule's count (rt > count ms, needs the record's own RT: the ingest counts it per rule
// threshold), and their RT sum (reported in transitions). Completions are placed in the bucket of
// the tick that reports them.
//
// The probe. Filters decide locally and per-request instances keep no memory, so "exactly one
// request" cannot be a token a filter consumes. While offering, the verdict is ADMIT with a small
// ratio, p = 1 / (offered/s · probeWindowMs/1000) (1 when nothing is offered): about one request a
// probe window gets through. As soon as the collector sees a PASS it switches to BLOCK and waits
// for the completion. Trade-off: the count of probes is random — requests admitted between the
// first probe and the collector seeing it (one tick plus the filters' flush delay, expected
// delay/probeWindow of them) also go through, and the wait for the first probe is about one probe
// window. If several probe completions arrive together, any slow or errored one reopens.
//
// A probe is waited for as long as it is in flight (the resource has entries the collector sees
// open), as Sentinel waits for the probe's exit however slow it is: a probe slower than
// probeTimeoutMs is judged when it completes. Once nothing is in flight and no completion came
// within probeTimeoutMs (the probe was recorded as a CALL that never came, or its entry expired
// after --max-entry-age-ms: a filter that died mid-request), the breaker opens again.

import { DegradeGrade, type DegradeRule } from './rule-degrade.js';
import { PASS, admit, type Verdict } from './verdict.js';

export const BreakerState = { CLOSED: 'CLOSED', OPEN: 'OPEN', HALF_OPEN: 'HALF_OPEN' } as const;
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

export const DEFAULT_PROBE_WINDOW_MS = 1000;
export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

export interface BreakerOptions {
  /** About one request per probe window is admitted while half-open (default 1000 ms). */
  probeWindowMs?: number;
  /** A probe whose completion is not seen within this long, with nothing in flight, reopens the breaker (default 5000 ms). */
  probeTimeoutMs?: number;
}

export interface BreakerSample {
  nowMs: number;
  /** PASS (× count) since the previous sample. */
  passed: number;
  /** Completions (EXIT, CALL records; one each, whatever their count) since the previous sample. */
  completed: number;
  /** Of `completed`: errored. */
  errors: number;
  /** Of `completed`: slower than the rule's count (ms). Only grade 0 reads it. */
  slow: number;
  /** RT sum of `completed`, ms. */
  rtSumMs: number;
  /** Entries of the resource in flight now (PASS − EXIT as the collector sees them; default 0). */
  concurrency?: number;
}

export interface BreakerTransition {
  atMs: number;
  resource: string;
  from: BreakerState;
  to: BreakerState;
  /** Why: `threshold` (value is the ratio or count that tripped), `probe-ok`, `probe-failed`, `probe-timeout`, `retry`. */
  cause: 'threshold' | 'probe-ok' | 'probe-failed' | 'probe-timeout' | 'retry';
  value: number;
  /** Average RT (ms) of the completions the decision was made on (0 when none). */
  avgRtMs: number;
}

export class CircuitBreaker {
  readonly rule: DegradeRule;
  private stateNow: BreakerState = BreakerState.CLOSED;
  private nextRetryMs = 0;
  /** HALF_OPEN: -1 while offering the probe, else when the probe times out. */
  private probeDeadlineMs = -1;
  /** The resource had entries in flight at the last sample (a probe still running is not timed out). */
  private inFlight = false;
  private bucketStartMs = -1;
  private total = 0;
  private errors = 0;
  private slow = 0;
  private rtSumMs = 0;
  private readonly probeWindowMs: number;
  private readonly probeTimeoutMs: number;
  private readonly log: BreakerTransition[] = [];

  constructor(rule: DegradeRule, opts: BreakerOptions = {}) {
    this.rule = rule;
    this.probeWindowMs = opts.probeWindowMs ?? DEFAULT_PROBE_WINDOW_MS;
    this.probeTimeoutMs = opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  }

  get state(): BreakerState {
    return this.stateNow;
  }

  /** The retry time of an open breaker (epoch ms). */
  get retryAtMs(): number {
    return this.nextRetryMs;
  }

  /** Transitions since the last call, oldest first. */
  drainTransitions(): BreakerTransition[] {
    return this.log.splice(0);
  }

  observe(s: BreakerSample): void {
    // A completion in this sample is the probe's end: judged below, not timed out first.
    this.inFlight = (s.concurrency ?? 0) > 0 || s.completed > 0;
    this.advance(s.nowMs);
    if (this.stateNow === BreakerState.HALF_OPEN) {
      if (s.completed > 0) {
        const bad = this.rule.grade === DegradeGrade.SLOW_REQUEST_RATIO ? s.slow > 0 : s.errors > 0;
        const avgRtMs = s.rtSumMs / s.completed;
        if (bad) this.toOpen(s.nowMs, 'probe-failed', this.rule.grade === DegradeGrade.SLOW_REQUEST_RATIO ? s.slow : s.errors, avgRtMs);
        else this.toClosed(s.nowMs, avgRtMs);
      } else if (s.passed > 0 && this.probeDeadlineMs < 0) {
        this.probeDeadlineMs = s.nowMs + this.probeTimeoutMs;
      }
      return;
    }
    const start = s.nowMs - (s.nowMs % this.rule.statIntervalMs);
    if (start !== this.bucketStartMs) this.resetBucket(start);
    this.total += s.completed;
    this.errors += s.errors;
    this.slow += s.slow;
    this.rtSumMs += s.rtSumMs;
    if (this.stateNow === BreakerState.CLOSED) this.checkThreshold(s.nowMs);
  }

  /** The verdict at nowMs; `offeredPerSec` (pass + block rate the collector sees) sizes the probe. */
  verdictAt(nowMs: number, offeredPerSec: number): Verdict {
    this.advance(nowMs);
    if (this.stateNow === BreakerState.CLOSED) return PASS;
    if (this.stateNow === BreakerState.OPEN) return { kind: 'block', untilMs: this.nextRetryMs };
    if (this.probeDeadlineMs >= 0) return { kind: 'block', untilMs: this.probeDeadlineMs };
    const perWindow = (offeredPerSec * this.probeWindowMs) / 1000;
    return admit(perWindow > 1 ? 1 / perWindow : 1);
  }

  /** Time-driven transitions: the retry time passing, the probe timing out. */
  private advance(nowMs: number): void {
    if (this.stateNow === BreakerState.OPEN && nowMs >= this.nextRetryMs) {
      this.move(nowMs, BreakerState.HALF_OPEN, 'retry', 0, 0);
      this.probeDeadlineMs = -1;
    } else if (this.stateNow === BreakerState.HALF_OPEN && this.probeDeadlineMs >= 0 && nowMs >= this.probeDeadlineMs && !this.inFlight) {
      this.toOpen(nowMs, 'probe-timeout', 0, 0);
    }
  }

  private checkThreshold(nowMs: number): void {
    if (this.total < this.rule.minRequestAmount) return;
    const r = this.rule;
    const avgRtMs = this.rtSumMs / this.total;
    if (r.grade === DegradeGrade.SLOW_REQUEST_RATIO) {
      const ratio = this.slow / this.total;
      if (ratio > r.slowRatioThreshold || (ratio === r.slowRatioThreshold && r.slowRatioThreshold === 1)) this.toOpen(nowMs, 'threshold', ratio, avgRtMs);
    } else if (r.grade === DegradeGrade.EXCEPTION_RATIO) {
      const ratio = this.errors / this.total;
      if (ratio > r.count) this.toOpen(nowMs, 'threshold', ratio, avgRtMs);
    } else if (this.errors > r.count) {
      this.toOpen(nowMs, 'threshold', this.errors, avgRtMs);
    }
  }

  private toOpen(nowMs: number, cause: BreakerTransition['cause'], value: number, avgRtMs: number): void {
    this.nextRetryMs = nowMs + this.rule.timeWindow * 1000;
    this.probeDeadlineMs = -1;
    this.move(nowMs, BreakerState.OPEN, cause, value, avgRtMs);
  }

  private toClosed(nowMs: number, avgRtMs: number): void {
    this.resetBucket(nowMs - (nowMs % this.rule.statIntervalMs));
    this.move(nowMs, BreakerState.CLOSED, 'probe-ok', 0, avgRtMs);
  }

  private move(atMs: number, to: BreakerState, cause: BreakerTransition['cause'], value: number, avgRtMs: number): void {
    this.log.push({ atMs, resource: this.rule.resource, from: this.stateNow, to, cause, value, avgRtMs });
    this.stateNow = to;
  }

  private resetBucket(startMs: number): void {
    this.bucketStartMs = startMs;
    this.total = 0;
    this.errors = 0;
    this.slow = 0;
    this.rtSumMs = 0;
  }
}

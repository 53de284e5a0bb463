// Owns turning a resource's rules and the traffic the collector counted into the verdicts it
// publishes, one tick at a time (the daemon ticks every ≤ 100 ms; the clock is its nowMs):
// - flow rules, by limitApp: `default` limits all the resource's traffic (verdict key origin '');
//   a named origin limits only that origin's traffic (key = the origin); `other` limits each
//   origin that no other flow rule of the resource names, each on its own (one key per origin
//   seen, as Sentinel checks the caller's own origin node). Requests without an origin are never
//   `other`. A limiter per (rule, key); an `other` key unseen for otherIdleMs is forgotten.
// - degrade rules: one circuit breaker per rule, on the resource's traffic (key origin '').
// - several verdicts on one key combine to the most restrictive (verdict.ts); a filter applies
//   the resource's key and its origin's key together.
// - between ticks (betweenTicks, after each read of the segments): concurrency rules follow the
//   in-flight count, and a QPS rule stops a burst that comes after a quiet spell (FlowLimiter);
//   every QPS_STEP_MS (qpsSteps) a QPS rule that limits steps its loop on the counts so far.
// Reloading a rule that limits the same way keeps its state (limiters, breakers), whatever its `id`
// or unmodelled fields (Sentinel's rule equality); a changed rule starts afresh.
//
// What the statistics must feed per tick (ResourceTraffic): per resource and per origin node,
// the PASS, BLOCK, completion (EXIT/CALL), error and RT-sum counts since the previous tick and
// the current concurrency; for slow-ratio breakers, `slowOverMs`: per threshold returned by
// slowThresholdsMs(resource), the completions whose own RT exceeded it (per record at ingest:
// the windows keep only RT sums).

import { BreakerState, CircuitBreaker, type BreakerOptions, type BreakerTransition } from './circuit-breaker.js';
import { FlowLimiter } from './flow-limiter.js';
import { DEFAULT_BURST_SEC, type AdmissionLoopOptions } from './admission-loop.js';
import { OfferedRate } from './offered-rate.js';
import { DegradeGrade, degradeRuleKey, type DegradeRule } from './rule-degrade.js';
import { FlowGrade, flowRuleKey, type FlowRule } from './rule-flow.js';
import { PASS, mostRestrictive, sameVerdict, type Verdict } from './verdict.js';

export interface NodeTraffic {
  passed: number;
  blocked: number;
  completed: number;
  errors: number;
  rtSumMs: number;
  concurrency: number;
  /** Completions slower than each requested threshold (ms → count). */
  slowOverMs?: ReadonlyMap<number, number>;
}

export interface ResourceTraffic {
  node: NodeTraffic;
  /** Per origin (non-empty names). */
  origins?: ReadonlyMap<string, NodeTraffic>;
}

export interface VerdictEntry {
  resource: string;
  /** '' = every request of the resource; else only requests from this origin. */
  origin: string;
  verdict: Verdict;
}

/** Why a verdict changed between ticks: a concurrency rule's in-flight count, a QPS rule's burst stop, or a limiting QPS rule's step. */
export type BetweenTickCause = 'concurrency' | 'burst' | 'step';

export interface BetweenTickVerdict extends VerdictEntry {
  cause: BetweenTickCause;
}

export interface EngineOptions {
  loop?: AdmissionLoopOptions;
  breaker?: BreakerOptions;
  /** An `other` origin without traffic for this long loses its limiter (default 60 000 ms). */
  otherIdleMs?: number;
  /** τ of the offered rate that sizes breaker probes (default 1000 ms). */
  probeRateTimeConstantMs?: number;
}

export const ZERO_TRAFFIC: NodeTraffic = Object.freeze({ passed: 0, blocked: 0, completed: 0, errors: 0, rtSumMs: 0, concurrency: 0 });

interface FlowEntry {
  key: string;
  rule: FlowRule;
  limiters: Map<string, { limiter: FlowLimiter; lastSeenMs: number }>;
}

interface DegradeEntry {
  key: string;
  breaker: CircuitBreaker;
}

/** A degrade rule's circuit breaker as health reports it. */
export interface BreakerStatus {
  resource: string;
  /** The rule's grade (0 slow request ratio, 1 error ratio, 2 error count). */
  grade: number;
  state: BreakerState;
  /** OPEN: when the breaker lets a probe through (epoch ms); null otherwise. */
  retryAtMs: number | null;
}

export class RuleEngine {
  private flow: FlowEntry[] = [];
  private degrade: DegradeEntry[] = [];
  private readonly offered = new Map<string, OfferedRate>();
  private lastTickMs: number | undefined;
  /** When setFlowRules last changed the rules (with a time): new limiters start no earlier. */
  private flowRulesAtMs = -Infinity;
  /** The verdict of each key (resource NUL origin) as the last tick or betweenTicks gave it. */
  private published = new Map<string, Verdict>();
  /** Per key, the verdict of the last tick's sources other than the flow limiters (breakers; PASS). */
  private othersAtTick = new Map<string, Verdict>();
  private readonly opts: EngineOptions;

  constructor(opts: EngineOptions = {}) {
    this.opts = opts;
  }

  /**
   * Replaces the flow rules; identical rules keep their state. `nowMs`: when the traffic of the
   * new rules' nodes starts being counted (a limiter made for a new rule starts there, not at the
   * tick before).
   */
  setFlowRules(rules: readonly FlowRule[], nowMs?: number): { changed: boolean } {
    if (nowMs !== undefined) this.flowRulesAtMs = nowMs;
    const old = this.flow;
    this.flow = reuse(rules, flowRuleKey, old, (key, rule) => ({ key, rule, limiters: new Map() }));
    return { changed: !sameKeys(old, this.flow) };
  }

  /** Each degrade rule's breaker, in rule order: its state and, when open, its retry time. */
  breakers(): BreakerStatus[] {
    return this.degrade.map(({ breaker: b }) => ({
      resource: b.rule.resource,
      grade: b.rule.grade,
      state: b.state,
      retryAtMs: b.state === BreakerState.OPEN ? b.retryAtMs : null,
    }));
  }

  /** Replaces the degrade rules; identical rules keep their breaker (and its state). */
  setDegradeRules(rules: readonly DegradeRule[]): { changed: boolean } {
    const old = this.degrade;
    this.degrade = reuse(rules, degradeRuleKey, old, (key, rule) => ({ key, breaker: new CircuitBreaker(rule, this.opts.breaker) }));
    return { changed: !sameKeys(old, this.degrade) };
  }

  /** The RT thresholds (ms) whose slow completions the ingest must count for this resource. */
  slowThresholdsMs(resource: string): number[] {
    const out = new Set<number>();
    for (const d of this.degrade) if (d.breaker.rule.resource === resource && d.breaker.rule.grade === DegradeGrade.SLOW_REQUEST_RATIO) out.add(slowThresholdMs(d.breaker.rule));
    return [...out].sort((a, b) => a - b);
  }

  /** Resources that have rules. */
  resources(): string[] {
    const out = new Set<string>();
    for (const f of this.flow) out.add(f.rule.resource);
    for (const d of this.degrade) out.add(d.breaker.rule.resource);
    return [...out].sort();
  }

  /**
   * One tick: the traffic counted since the previous tick (resources absent: none). `offeredOf`:
   * a node's offered rate (pass + block per second) the statistics know now, which a limiter made
   * at this tick starts from (default: none known).
   */
  tick(nowMs: number, traffic: ReadonlyMap<string, ResourceTraffic>, offeredOf: (resource: string, origin: string) => number = () => 0): { verdicts: VerdictEntry[]; transitions: BreakerTransition[] } {
    const startMs = this.lastTickMs ?? nowMs;
    this.lastTickMs = nowMs;
    const verdicts = new Map<string, VerdictEntry>();
    // Per key, what every source but the flow limiters decided (betweenTicks and qpsSteps combine it with every limiter's verdict now).
    const others = new Map<string, Verdict>();
    const put = (resource: string, origin: string, v: Verdict, fromLimiter = false) => {
      const k = `${resource}\u0000${origin}`;
      const cur = verdicts.get(k);
      verdicts.set(k, { resource, origin, verdict: cur === undefined ? v : mostRestrictive(cur.verdict, v) });
      if (!fromLimiter) others.set(k, mostRestrictive(others.get(k) ?? PASS, v));
    };
    const named = new Map<string, Set<string>>();
    for (const f of this.flow) {
      if (f.rule.limitApp === 'default' || f.rule.limitApp === 'other') continue;
      const s = named.get(f.rule.resource) ?? new Set<string>();
      s.add(f.rule.limitApp);
      named.set(f.rule.resource, s);
    }
    for (const f of this.flow) {
      const tr = traffic.get(f.rule.resource);
      const app = f.rule.limitApp;
      if (app === 'default') this.runLimiter(f, '', tr?.node ?? ZERO_TRAFFIC, startMs, nowMs, put, offeredOf);
      else if (app !== 'other') this.runLimiter(f, app, tr?.origins?.get(app) ?? ZERO_TRAFFIC, startMs, nowMs, put, offeredOf);
      else {
        const skip = named.get(f.rule.resource);
        for (const [origin, node] of tr?.origins ?? []) if (origin !== '' && !skip?.has(origin)) this.runLimiter(f, origin, node, startMs, nowMs, put, offeredOf);
        for (const [origin, l] of f.limiters) {
          if (tr?.origins?.has(origin) && !skip?.has(origin)) continue;
          if (nowMs - l.lastSeenMs > (this.opts.otherIdleMs ?? 60_000) || skip?.has(origin)) f.limiters.delete(origin);
          else put(f.rule.resource, origin, l.limiter.tick(nowMs, ZERO_TRAFFIC), true);
        }
      }
    }
    const transitions: BreakerTransition[] = [];
    for (const d of this.degrade) {
      const rule = d.breaker.rule;
      const node = traffic.get(rule.resource)?.node ?? ZERO_TRAFFIC;
      const slow = rule.grade === DegradeGrade.SLOW_REQUEST_RATIO ? (node.slowOverMs?.get(slowThresholdMs(rule)) ?? 0) : 0;
      d.breaker.observe({ nowMs, passed: node.passed, completed: node.completed, errors: node.errors, slow, rtSumMs: node.rtSumMs, concurrency: node.concurrency });
      put(rule.resource, '', d.breaker.verdictAt(nowMs, this.offeredRate(rule.resource, startMs, nowMs, node)));
      transitions.push(...d.breaker.drainTransitions());
    }
    for (const r of this.resources()) if (!verdicts.has(`${r}\u0000`)) put(r, '', PASS);
    this.published = new Map([...verdicts].map(([k, v]) => [k, v.verdict]));
    this.othersAtTick = others;
    const list = [...verdicts.values()].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
    return { verdicts: list, transitions };
  }

  /** Whether a QPS flow rule is in force (grade 1): only then has qpsSteps anything to step. */
  get hasQpsRules(): boolean {
    return this.flow.some((f) => f.rule.grade !== FlowGrade.THREAD);
  }

  /**
   * Whether a flow rule can change a verdict between ticks: a concurrency rule (grade 0), or a QPS
   * rule while the loop's burst stop is on (burstSec > 0, the default). Only then has
   * betweenTicks anything to do.
   */
  get hasBetweenTickRules(): boolean {
    if ((this.opts.loop?.burstSec ?? DEFAULT_BURST_SEC) > 0) return this.flow.length > 0;
    return this.flow.some((f) => f.rule.grade === FlowGrade.THREAD);
  }

  /**
   * Between ticks, right after the collector read new records. Each concurrency rule's limiter
   * reacts to the in-flight count now (FlowLimiter.react: stops admitting once `count` is in
   * flight, admits again once it no longer is); each QPS rule's limiter that passes everything
   * after a quiet spell stops admitting until the next step or tick once the PASS counted since the tick
   * (`passedOf`) make a burst (FlowLimiter.reactPassed). Returns the keys whose verdict that
   * changes, with the verdict to write now: every limiter's on the key combined with what the last
   * tick's other sources decided for it (an open breaker's block stays a block), and the cause
   * (`burst` when a QPS rule stopped the key). The next tick recomputes every key as usual.
   */
  betweenTicks(nowMs: number, concurrencyOf: (resource: string, origin: string) => number, passedOf: (resource: string, origin: string) => number): BetweenTickVerdict[] {
    const changed = new Map<string, { resource: string; origin: string; cause: BetweenTickCause }>();
    for (const f of this.flow) {
      const resource = f.rule.resource;
      const concurrency = f.rule.grade === FlowGrade.THREAD;
      for (const [origin, l] of f.limiters) {
        // After each read, for every QPS limiter: a disarmed one costs a property read, no lookup.
        const stopped = concurrency ? l.limiter.react(concurrencyOf(resource, origin)) : l.limiter.burstArmed && l.limiter.reactPassed(nowMs, passedOf(resource, origin));
        if (!stopped) continue;
        const k = `${resource}\u0000${origin}`;
        if (changed.get(k)?.cause !== 'burst') changed.set(k, { resource, origin, cause: concurrency ? 'concurrency' : 'burst' });
      }
    }
    return this.publishChanged(changed);
  }

  /**
   * Between ticks, every QPS_STEP_MS (the daemon's timer): each QPS rule's limiter that limits
   * (FlowLimiter.stepDueAt) steps its loop on the PASS and BLOCK counted since the tick
   * (`passedOf`, `blockedOf`; FlowLimiter.step). Returns the keys whose verdict that changes, as
   * betweenTicks does, with cause `step`. A limiter that does not limit costs a property read.
   */
  qpsSteps(nowMs: number, passedOf: (resource: string, origin: string) => number, blockedOf: (resource: string, origin: string) => number): BetweenTickVerdict[] {
    const changed = new Map<string, { resource: string; origin: string; cause: BetweenTickCause }>();
    for (const f of this.flow) {
      if (f.rule.grade === FlowGrade.THREAD) continue;
      const resource = f.rule.resource;
      for (const [origin, l] of f.limiters) {
        if (!l.limiter.stepDueAt(nowMs) || !l.limiter.step(nowMs, passedOf(resource, origin), blockedOf(resource, origin))) continue;
        changed.set(`${resource}\u0000${origin}`, { resource, origin, cause: 'step' });
      }
    }
    return this.publishChanged(changed);
  }

  /** The keys of `changed` whose combined verdict now differs from the one published: recorded as published and returned. */
  private publishChanged(changed: ReadonlyMap<string, { resource: string; origin: string; cause: BetweenTickCause }>): BetweenTickVerdict[] {
    const out: BetweenTickVerdict[] = [];
    for (const [k, { resource, origin, cause }] of changed) {
      let now = this.othersAtTick.get(k) ?? PASS;
      for (const f of this.flow) {
        if (f.rule.resource !== resource) continue;
        const l = f.limiters.get(origin);
        if (l !== undefined) now = mostRestrictive(now, l.limiter.verdict);
      }
      const before = this.published.get(k) ?? PASS;
      if (sameVerdict(now, before)) continue;
      this.published.set(k, now);
      out.push({ resource, origin, verdict: now, cause });
    }
    return out;
  }

  private runLimiter(f: FlowEntry, origin: string, node: NodeTraffic, startMs: number, nowMs: number, put: (r: string, o: string, v: Verdict, fromLimiter?: boolean) => void, offeredOf: (resource: string, origin: string) => number): void {
    let l = f.limiters.get(origin);
    if (l === undefined) {
      // From when its node's traffic is counted (the tick before, or the rules' change after it).
      const fromMs = Math.min(nowMs, Math.max(startMs, this.flowRulesAtMs));
      l = { limiter: new FlowLimiter(f.rule, fromMs, offeredOf(f.rule.resource, origin), this.opts.loop), lastSeenMs: nowMs };
      f.limiters.set(origin, l);
    }
    if (node.passed + node.blocked > 0 || node.concurrency > 0) l.lastSeenMs = nowMs;
    put(f.rule.resource, origin, l.limiter.tick(nowMs, node), true);
  }

  /** Offered rate per resource for probe sizing (one estimate per resource, updated once a tick). */
  private offeredRate(resource: string, startMs: number, nowMs: number, node: NodeTraffic): number {
    let r = this.offered.get(resource);
    if (r === undefined) {
      r = new OfferedRate(startMs, 0, this.opts.probeRateTimeConstantMs ?? 1000);
      this.offered.set(resource, r);
    }
    r.update(nowMs, node.passed + node.blocked);
    return r.perSec;
  }
}

/** Sentinel compares a call's RT with the rule's count rounded to whole ms. */
export function slowThresholdMs(rule: DegradeRule): number {
  return Math.round(rule.count);
}

function reuse<R, E extends { key: string }>(rules: readonly R[], keyOf: (r: R) => string, old: readonly E[], make: (key: string, r: R) => E): E[] {
  const pool = new Map<string, E[]>();
  for (const e of old) pool.set(e.key, [...(pool.get(e.key) ?? []), e]);
  return rules.map((r) => {
    const key = keyOf(r);
    return pool.get(key)?.shift() ?? make(key, r);
  });
}

function sameKeys(a: readonly { key: string }[], b: readonly { key: string }[]): boolean {
  return a.length === b.length && a.every((e, i) => e.key === b[i]!.key);
}

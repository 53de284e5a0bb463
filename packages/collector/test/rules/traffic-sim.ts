// Test and benchmark helper: a seeded simulation of filters enforcing an admission ratio and a
// collector ticking a control loop. Time advances in steps (default 10 ms); in each step the
// offered requests are Poisson, each admitted with the ratio in force (so admitted ~ Binomial);
// the PASS/BLOCK records reach the collector `recordDelayMs` later (the filters' flush and the
// tail); every `tickMs` the collector hands the counts it has seen to `decide`, whose ratio the
// filters use from the next step on (a map read per request); between ticks, a step whose records
// became visible hands the counts seen since the tick to `decide.react` when it has one (the
// daemon's check after each read), whose ratio, if it gives one, applies from that step; and with
// `qpsStepMs`, every such multiple between ticks hands them to `decide.step` when it has one (the
// daemon's step timer), likewise. How a filter turns the ratio into
// admissions: by default a Bernoulli draw per request (a fresh instance per request); with
// `filters: N`, N long-lived instances each admitting by error diffusion (the SDK's admission.ts:
// a credit per instance from a uniform draw, + ratio per request, admitted at 1), each request
// going to one of them at random; with `serveRequestMs` as well, as `serve`'s pool hands them out
// instead (the most recently released idle instance; an extra one, with a credit of its own, while
// all are busy), each request arriving at its own time within the step and keeping its instance
// that long. Exact samplers for small means, a rounded normal approximation above a mean of 30.
// The bench drives the same module.

import { prng } from '../../../../test/helpers/seeded.js';

export interface Phase {
  /** The phase lasts until this simulated time (ms from the start). */
  untilMs: number;
  offeredPerSec: number;
}

/** The collector side: counts seen since the last tick → the ratio to publish. */
export type Decide = ((nowMs: number, passed: number, blocked: number) => number) & {
  /**
   * Between ticks, after each read that found records: the counts seen since the last tick so far
   * → a ratio to publish now, or undefined to keep the one in force (the daemon's react path).
   */
  react?: (nowMs: number, passedSinceTick: number, blockedSinceTick: number) => number | undefined;
  /**
   * Between ticks, every `qpsStepMs` of the run (the daemon's step timer): the counts seen since
   * the last tick → a ratio to publish now, or undefined to keep the one in force.
   */
  step?: (nowMs: number, passedSinceTick: number, blockedSinceTick: number) => number | undefined;
  /** The ratio to publish as soon as the rule starts (the daemon's tick when the rules change); none: 1 until the first tick. */
  initialRatio?: number;
};

export interface SimOptions {
  seed: number;
  phases: Phase[];
  tickMs?: number;
  stepMs?: number;
  recordDelayMs?: number;
  /** Before this time there is no rule: ratio 1, decide is not called (default 0). */
  ruleAtMs?: number;
  /** Called once at ruleAtMs with the offered rate of the last second; returns the tick function. */
  start: (nowMs: number, offeredLastSecond: number) => Decide;
  /** Long-lived filter instances admitting by error diffusion; 0 (default): a Bernoulli draw per request. */
  filters?: number;
  /**
   * With `filters`: requests go to the instances as `serve`'s pool (host instance-pool.ts) hands
   * them out, each keeping its instance this many ms; unset (default): each to one of them at random.
   */
  serveRequestMs?: number;
  /** Between ticks, `decide.step` is called at every multiple of this (default 0: never). */
  qpsStepMs?: number;
  /**
   * With `filters`: each instance keeps the ratio it read for this long (the SDK's verdict cache;
   * a ratio of 0 is not kept), reading it again at its first request after (default 0: every request reads it).
   */
  verdictCacheMs?: number;
}

export interface SimResult {
  /** Per simulated second: requests admitted / offered (by decision time). */
  admittedPerSecond: number[];
  offeredPerSecond: number[];
  /** Per tick interval: requests admitted (by decision time). */
  admittedPerTick: number[];
  /** The ratio after each tick (from ruleAtMs on). */
  ratios: number[];
}

export function poisson(rand: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(rand)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

export function binomial(rand: () => number, n: number, p: number): number {
  if (p <= 0 || n <= 0) return 0;
  if (p >= 1) return n;
  if (n < 64) {
    let k = 0;
    for (let i = 0; i < n; i++) if (rand() < p) k++;
    return k;
  }
  const mean = n * p;
  const variance = mean * (1 - p);
  if (variance > 30) return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(variance) * gaussian(rand))));
  // Inversion from 0 on the smaller-probability side.
  const q = Math.min(p, 1 - p);
  const ratio = q / (1 - q);
  let prob = Math.pow(1 - q, n);
  let cdf = prob;
  const u = rand();
  let k = 0;
  while (u > cdf && k < n) {
    prob *= (ratio * (n - k)) / (k + 1);
    cdf += prob;
    k++;
  }
  return q === p ? k : n - k;
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export function simulate(o: SimOptions): SimResult {
  const rand = prng(o.seed);
  const tickMs = o.tickMs ?? 100;
  const stepMs = o.stepMs ?? 10;
  const delayMs = o.recordDelayMs ?? 50;
  const ruleAtMs = o.ruleAtMs ?? 0;
  const endMs = o.phases[o.phases.length - 1]!.untilMs;
  const seconds = Math.ceil(endMs / 1000);
  const admittedPerSecond = new Array<number>(seconds).fill(0);
  const offeredPerSecond = new Array<number>(seconds).fill(0);
  const ratios: number[] = [];
  const admittedPerTick = new Array<number>(Math.ceil(endMs / tickMs)).fill(0);
  const inFlight: Array<{ visibleAtMs: number; passed: number; blocked: number }> = [];
  let seenPassed = 0;
  let seenBlocked = 0;
  let ratio = 1;
  let decide: Decide | undefined;
  let phase = 0;
  const filters = o.filters ?? 0;
  const credits = Array.from({ length: filters }, () => rand());
  const verdictCacheMs = o.verdictCacheMs ?? 0;
  const cachedRatio = new Array<number>(filters).fill(1);
  // The instances' caches run out at different steps (instance f first at f · stepMs mod verdictCacheMs),
  // as requests at random times would make them; with the same phase, under dense traffic every
  // instance would read again at each multiple of the cache's length, ticks and steps included.
  const cachedUntilMs = Array.from({ length: filters }, (_, f) => (verdictCacheMs > 0 ? (f * stepMs) % verdictCacheMs : -1));
  /** One request to instance f at step t: its cached ratio (read again when its cache ran out) added to its credit; 1 when admitted. */
  const admitOn = (f: number, ratioNow: number, t: number): number => {
    if (t >= cachedUntilMs[f]!) {
      cachedRatio[f] = ratioNow;
      cachedUntilMs[f] = ratioNow > 0 ? t + verdictCacheMs : t;
    }
    const c = credits[f]! + (verdictCacheMs > 0 ? cachedRatio[f]! : ratioNow);
    if (c < 1) {
      credits[f] = c;
      return 0;
    }
    credits[f] = c - 1;
    return 1;
  };
  /** Error diffusion: each request to a random instance, admitted when its credit reaches 1. */
  const diffuse = (offered: number, ratioNow: number, t: number): number => {
    let admitted = 0;
    for (let i = 0; i < offered; i++) admitted += admitOn(Math.floor(rand() * filters), ratioNow, t);
    return admitted;
  };
  // serve's pool: idle instances as a stack (the most recently released on top), busy ones in the
  // order they finish (every request keeps its instance equally long).
  const requestMs = o.serveRequestMs;
  const idle = Array.from({ length: filters }, (_, f) => f);
  const busy: Array<{ f: number; untilMs: number }> = [];
  let busyHead = 0;
  const spacings: number[] = [];
  /** Error diffusion as serve hands out instances: arrivals in time order, each to the instance on top of the idle stack. */
  const diffuseServed = (offered: number, ratioNow: number, t: number): number => {
    // Ordered arrival times within [t, t + stepMs): normalised sums of offered + 1 exponential spacings.
    let total = 0;
    for (let i = 0; i <= offered; i++) total += spacings[i] = -Math.log(1 - rand());
    let admitted = 0;
    let at = t;
    for (let i = 0; i < offered; i++) {
      at += (stepMs * spacings[i]!) / total;
      while (busyHead < busy.length && busy[busyHead]!.untilMs <= at) idle.push(busy[busyHead++]!.f);
      if (busyHead > 1024 && busyHead * 2 > busy.length) {
        busy.splice(0, busyHead);
        busyHead = 0;
      }
      const f = idle.pop();
      if (f === undefined) {
        // Every instance busy: serve makes one more for this request (a credit of its own), dropped after it.
        if (rand() + ratioNow >= 1) admitted++;
        continue;
      }
      admitted += admitOn(f, ratioNow, t);
      busy.push({ f, untilMs: at + requestMs! });
    }
    return admitted;
  };
  const qpsStepMs = o.qpsStepMs ?? 0;
  for (let t = 0; t < endMs; t += stepMs) {
    const tickNow = t >= ruleAtMs && t % tickMs === 0;
    const stepNow = !tickNow && qpsStepMs > 0 && decide?.step !== undefined && t % qpsStepMs === 0;
    if (tickNow || stepNow || decide?.react !== undefined) {
      let read = false;
      while (inFlight.length > 0 && inFlight[0]!.visibleAtMs <= t) {
        const r = inFlight.shift()!;
        seenPassed += r.passed;
        seenBlocked += r.blocked;
        read = true;
      }
      if (!tickNow && read && decide?.react !== undefined) {
        const now = decide.react(t, seenPassed, seenBlocked);
        if (now !== undefined) ratio = now;
      }
      if (stepNow) {
        const now = decide!.step!(t, seenPassed, seenBlocked);
        if (now !== undefined) ratio = now;
      }
    }
    if (tickNow) {
      if (decide === undefined) {
        const lastSecond = Math.floor(t / 1000) - 1;
        decide = o.start(t, lastSecond >= 0 ? offeredPerSecond[lastSecond]! : 0);
        if (decide.initialRatio !== undefined) ratio = decide.initialRatio;
        seenPassed = 0;
        seenBlocked = 0;
      } else {
        ratio = decide(t, seenPassed, seenBlocked);
        ratios.push(ratio);
        seenPassed = 0;
        seenBlocked = 0;
      }
    }
    while (t >= o.phases[phase]!.untilMs) phase++;
    const offered = poisson(rand, (o.phases[phase]!.offeredPerSec * stepMs) / 1000);
    const admitted = filters === 0 ? binomial(rand, offered, ratio) : requestMs === undefined ? diffuse(offered, ratio, t) : diffuseServed(offered, ratio, t);
    const sec = Math.floor(t / 1000);
    admittedPerSecond[sec]! += admitted;
    admittedPerTick[Math.floor(t / tickMs)]! += admitted;
    offeredPerSecond[sec]! += offered;
    if (t >= ruleAtMs) inFlight.push({ visibleAtMs: t + stepMs + delayMs, passed: admitted, blocked: offered - admitted });
  }
  return { admittedPerSecond, offeredPerSecond, admittedPerTick, ratios };
}

/** Mean of xs[from..to). */
export function meanOf(xs: readonly number[], from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  return s / (to - from);
}

/**
 * Whether `value` is within ±share of `target`, the boundary included: a 10 s average exactly 5 %
 * off (95 of 100 requests) is within ±5 %, though 9.5 / 10 − 1 is a hair past −0.05 in floating point.
 */
export function withinShare(value: number, target: number, share: number): boolean {
  return Math.abs(value - target) <= share * target + 1e-9 * Math.max(1, Math.abs(target));
}

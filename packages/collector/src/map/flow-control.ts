// Owns closing the flow-control loop in the daemon: the rule files (rules/rule-files.ts) feed the
// rules engine; every control tick (≤ 100 ms) the engine runs on the traffic counted since the
// previous tick (traffic-tap.ts) and the verdicts of every resource under a rule are written to
// `<pin>/map` (map-writer.ts), so each verdict slot is refreshed at least once a tick; resources
// counted for the first time (`resourceCounted`) get a PASS slot, and so a resource id filters
// write in frames, at the next tick. Rules pushed over
// HTTP go through here too (checked, persisted, applied at the next tick). Between ticks, right
// after each read of the segments, a concurrency rule whose count is now in flight, and a QPS rule
// whose PASS since the tick make a burst after a quiet spell, have their slot written at once
// (react); every QPS_STEP_MS (step) a QPS rule that limits has its loop stepped on the counts so
// far and its slot written when its ratio changed. Sentinel's switch (setSwitch): while it is off no rule is enforced (the engine runs
// with no rules, so every ruled key's slot goes back to PASS at the next tick) and the rules stay
// in force as files and for getRules; it is on at start. When the collector
// stops, nothing refreshes the slots: they go stale and filters fail open.

import { RuleEngine, type BreakerStatus, type EngineOptions } from '../rules/engine.js';
import { RuleFiles, type RuleChange, type RuleFileStatus } from '../rules/rule-files.js';
import { ruleType, serializeRules, type RuleType } from '../rules/rule-set.js';
import type { BreakerTransition } from '../rules/circuit-breaker.js';
import { MapWriter, type MapProblemSink, type MapWriterCounters } from './map-writer.js';
import { TrafficTap } from './traffic-tap.js';
import { mapKeyOf } from '@sentinel-wasi/protocol/encode';

/** Longest control tick: slots are refreshed at least this often. */
export const MAX_CONTROL_TICK_MS = 100;

export interface FlowControlHealth {
  /**
   * Each rule file: the rules in force, the first MAX_REPORTED_REJECTIONS rules refused alone
   * (index, code, reason; never the rule as given) and how many were refused in all, or the
   * file's error. Bounded whatever the file holds.
   */
  flow: RuleFileStatus;
  degrade: RuleFileStatus;
  /** Each degrade rule's circuit breaker (state, and retry time when open). */
  breakers: BreakerStatus[];
  /**
   * `saturationWrites`: verdicts a concurrency rule changed between ticks (stopped as soon as its
   * count was seen in flight, opened again as soon as an exit left room); `burstWrites`: verdicts
   * a QPS rule stopped between ticks, a burst seen after a quiet spell (react); `stepWrites`:
   * verdicts a limiting QPS rule's step changed between ticks (step).
   */
  map: MapWriterCounters & { epoch: number; slotsUsed: number; ticks: number; saturationWrites: number; burstWrites: number; stepWrites: number };
  /** Sentinel's switch: false while rules are not enforced (setSwitch?value=false). */
  switchOn: boolean;
}

export interface FlowControlOptions {
  pinDir: string;
  rulesDir: string;
  collectorDir: string;
  mapSlots?: number;
  engine?: EngineOptions;
  random?: () => number;
  /** Where the map writer reports failed writes (E_MAP_WRITE): the collector's health. */
  problems?: MapProblemSink;
}

export class FlowControl {
  readonly tap = new TrafficTap();
  readonly files: RuleFiles;
  readonly writer: MapWriter;
  private engine: RuleEngine;
  private ticks = 0;
  private saturationWrites = 0;
  private burstWrites = 0;
  private stepWrites = 0;
  private newResources: string[] = [];
  private switchOn = true;
  /** The sealed frontier at the last pruneRetired. */
  private prunedAtSealedMs = 0;

  constructor(options: FlowControlOptions) {
    this.files = new RuleFiles(options.rulesDir);
    this.writer = new MapWriter({ pinDir: options.pinDir, collectorDir: options.collectorDir, ...(options.mapSlots === undefined ? {} : { slotCount: options.mapSlots }), ...(options.random === undefined ? {} : { random: options.random }), ...(options.problems === undefined ? {} : { problems: options.problems }) });
    this.engine = new RuleEngine(options.engine);
  }

  /** Opens (or creates) the map and loads the rule files. */
  start(nowMs: number): RuleChange[] {
    this.writer.open(nowMs);
    return this.reloadFiles(nowMs);
  }

  /** Reads rule files that changed; applies their sets. */
  reloadFiles(nowMs: number): RuleChange[] {
    const changes = this.files.reload(nowMs);
    if (changes.length > 0) this.applyRules(nowMs);
    return changes;
  }

  /** A resource the statistics count for the first time: it gets a slot (and an id) at the next tick. */
  resourceCounted(name: string): void {
    this.newResources.push(name);
  }

  /**
   * One control tick: the engine on the traffic since the last tick, then the map. `sealedThroughMs`
   * (the end of the collector's newest sealed second): retired ids no record can count with any more
   * are forgotten, once a second at most. `offeredOf`: a node's offered rate as the statistics
   * have it now, for the limiters of rules that appeared since the last tick.
   */
  tick(nowMs: number, concurrencyOf: (resource: string, origin: string) => number, sealedThroughMs = 0, offeredOf?: (resource: string, origin: string) => number): BreakerTransition[] {
    this.ticks++;
    if (sealedThroughMs - this.prunedAtSealedMs >= 1000) {
      this.prunedAtSealedMs = sealedThroughMs;
      this.writer.pruneRetired(sealedThroughMs);
    }
    const traffic = this.tap.take(concurrencyOf);
    const { verdicts, transitions } = this.engine.tick(nowMs, traffic, offeredOf);
    if (this.newResources.length > 0) {
      this.writer.addResources(this.newResources);
      this.newResources = [];
    }
    this.writer.publish(nowMs, verdicts.map((v) => ({ key: mapKeyOf(v.resource, v.origin), verdict: v.verdict })));
    return transitions;
  }

  /**
   * Right after the collector read new records, between ticks: a concurrency rule whose count is
   * now in flight stops admitting at once, and one that was stopped admits again as soon as an
   * exit leaves room; a QPS rule in a quiet spell stops admitting until the next step or tick once the
   * PASS counted since the tick make a burst (the engine's betweenTicks). Their verdict slots are
   * written now, not at the next tick; filters do not keep a ratio-0 verdict in their cache, so
   * the next request reads the slot. Returns how many slots it wrote (nothing without a flow rule).
   */
  react(nowMs: number, concurrencyOf: (resource: string, origin: string) => number): number {
    if (!this.engine.hasBetweenTickRules) return 0;
    const verdicts = this.engine.betweenTicks(nowMs, concurrencyOf, (resource, origin) => this.tap.passedSinceTake(resource, origin));
    if (verdicts.length === 0) return 0;
    const slots = (cause: string) => verdicts.filter((v) => v.cause === cause).map((v) => ({ key: mapKeyOf(v.resource, v.origin), verdict: v.verdict }));
    const saturation = this.writer.rewrite(nowMs, slots('concurrency'));
    const burst = this.writer.rewrite(nowMs, slots('burst'));
    this.saturationWrites += saturation;
    this.burstWrites += burst;
    return saturation + burst;
  }

  /**
   * Every QPS_STEP_MS between ticks (the daemon's timer): each QPS rule that limits steps its loop
   * on the PASS and BLOCK counted since the tick (the engine's qpsSteps), and the slots whose
   * verdict that changes are written now. Returns how many slots it wrote (nothing while no QPS
   * rule limits).
   */
  step(nowMs: number): number {
    const verdicts = this.engine.qpsSteps(
      nowMs,
      (resource, origin) => this.tap.passedSinceTake(resource, origin),
      (resource, origin) => this.tap.blockedSinceTake(resource, origin),
    );
    if (verdicts.length === 0) return 0;
    const written = this.writer.rewrite(nowMs, verdicts.map((v) => ({ key: mapKeyOf(v.resource, v.origin), verdict: v.verdict })));
    this.stepWrites += written;
    return written;
  }

  /** `/getRules?type=`: the rules in force as Sentinel's JSON (throws RuleSetError for an unknown type). */
  getRules(type: string): string {
    const t = ruleType(type);
    return t === 'flow' ? serializeRules('flow', this.files.rules('flow')) : serializeRules('degrade', this.files.rules('degrade'));
  }

  /** `/setRules`: checks, persists and applies a pushed set; throws RuleSetError (nothing changes) when it is unusable as a whole or cannot be written (E_RULES_WRITE). */
  setRules(type: string, json: string, nowMs: number): RuleFileStatus {
    const t: RuleType = ruleType(type);
    const status = this.files.save(t, json, nowMs);
    this.applyRules(nowMs);
    return status;
  }

  /** Sentinel's switch: whether the rules in force are enforced. */
  get switchedOn(): boolean {
    return this.switchOn;
  }

  /**
   * `/setSwitch`: off, the engine runs with no rules (each ruled key's slot is PASS from the next
   * tick; breakers and admission loops start afresh when it is on again); on, the rules in force
   * apply again. Returns whether it changed.
   */
  setSwitch(on: boolean, nowMs?: number): boolean {
    if (on === this.switchOn) return false;
    this.switchOn = on;
    this.applyRules(nowMs);
    return true;
  }

  /** Whether `step` can have work: a QPS rule in force (none while the switch is off). The daemon runs its step timer only then. */
  get steps(): boolean {
    return this.engine.hasQpsRules;
  }

  /** True when a rule is loaded or a verdict slot is in use (the tick then reads the segments first). */
  get active(): boolean {
    return this.engine.resources().length > 0 || this.writer.verdictSlots > 0;
  }

  health(): FlowControlHealth {
    return {
      flow: this.files.statusOf('flow'),
      degrade: this.files.statusOf('degrade'),
      breakers: this.engine.breakers(),
      map: { ...this.writer.counters, epoch: this.writer.epoch, slotsUsed: this.writer.size, ticks: this.ticks, saturationWrites: this.saturationWrites, burstWrites: this.burstWrites, stepWrites: this.stepWrites },
      switchOn: this.switchOn,
    };
  }

  close(): void {
    this.writer.close();
  }

  /** `nowMs`: when the tap starts counting the new rules' nodes (limiters made for them start there). */
  private applyRules(nowMs?: number): void {
    this.engine.setFlowRules(this.switchOn ? this.files.rules('flow') : [], nowMs);
    this.engine.setDegradeRules(this.switchOn ? this.files.rules('degrade') : []);
    const watched = new Map<string, number[]>();
    for (const r of this.engine.resources()) watched.set(r, this.engine.slowThresholdsMs(r));
    this.tap.watch(watched);
  }
}

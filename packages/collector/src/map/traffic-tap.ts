// Owns the per-tick traffic the rules engine needs, counted as records are ingested: for each
// resource under a rule (and each of its origins), the PASS and BLOCK counts (× each record's
// count) and the completion, error and RT-sum counts (one per EXIT or CALL record) since the previous tick, and the completions slower than each slow-ratio threshold of the
// resource (per record: the windows keep only RT sums). It takes records one by one (`record`:
// a resource without rules costs one Map miss per record) or a frame's decoded columns (`columns`,
// the collector's fast path: nothing while no resource is watched, else one Map lookup per name a
// frame's records use). `take()` hands the counts over and starts the next tick from zero;
// `passedSinceTake` and `blockedSinceTake` read one node's PASS and BLOCK counts so far (between ticks).

import { RecordKind, type FlowRecord, type RecordColumns } from '@sentinel-wasi/protocol';
import type { NodeTraffic, ResourceTraffic } from '../rules/engine.js';

interface Counts {
  passed: number;
  blocked: number;
  completed: number;
  errors: number;
  rtSumMs: number;
  slow: Map<number, number>;
}

interface Watched {
  slowThresholdsMs: readonly number[];
  node: Counts;
  origins: Map<string, Counts>;
}

function zero(): Counts {
  return { passed: 0, blocked: 0, completed: 0, errors: 0, rtSumMs: 0, slow: new Map() };
}

function add(c: Counts, r: FlowRecord, thresholds: readonly number[]): void {
  addCounts(c, r.kind, r.count, r.rtMs, r.error, thresholds);
}

function addCounts(c: Counts, kind: number, n: number, rtMs: number, error: boolean, thresholds: readonly number[]): void {
  switch (kind) {
    case RecordKind.PASS:
      c.passed += n;
      return;
    case RecordKind.BLOCK:
      c.blocked += n;
      return;
    case RecordKind.CALL:
      c.passed += n;
      break;
    case RecordKind.EXIT:
      break;
    default:
      return;
  }
  // One completion per record, whatever its count: an entry of n (Sentinel's batch entry) exits
  // once, and a circuit breaker counts it once, with its RT once.
  c.completed++;
  if (error) c.errors++;
  c.rtSumMs += rtMs;
  for (const ms of thresholds) if (rtMs > ms) c.slow.set(ms, (c.slow.get(ms) ?? 0) + 1);
}

/** The counts of one origin of a watched resource (created at its first record). */
function originCounts(w: Watched, origin: string): Counts {
  let c = w.origins.get(origin);
  if (c === undefined) w.origins.set(origin, (c = zero()));
  return c;
}

export class TrafficTap {
  private watched = new Map<string, Watched>();
  /** columns(): the current frame's names resolved to their watch entries (null: not watched), by name index. */
  private readonly watchedByIndex: Array<Watched | null | undefined> = [];

  /** The resources to count (those under a rule) and each one's slow thresholds; counts so far are kept for resources still watched. */
  watch(resources: ReadonlyMap<string, readonly number[]>): void {
    const next = new Map<string, Watched>();
    for (const [name, slowThresholdsMs] of resources) {
      const old = this.watched.get(name);
      next.set(name, { slowThresholdsMs, node: old?.node ?? zero(), origins: old?.origins ?? new Map() });
    }
    this.watched = next;
  }

  /** Counts one ingested record (a no-op for resources without rules). */
  record(r: FlowRecord): void {
    const w = this.watched.get(r.name);
    if (w === undefined) return;
    add(w.node, r, w.slowThresholdsMs);
    if (r.origin !== '') add(originCounts(w, r.origin), r, w.slowThresholdsMs);
  }

  /**
   * Counts a frame's records from its columns, as `record` would each of them: a name's watch entry
   * is looked up once per frame (`watchedByIndex`), and a frame costs nothing while no resource is watched.
   */
  columns(c: RecordColumns): void {
    if (this.watched.size === 0) return;
    const byIndex = this.watchedByIndex;
    byIndex.length = 0;
    const names = c.names;
    const n = c.accepted;
    for (let i = 0; i < n; i++) {
      const kind = c.kind[i]!;
      // A WRITER record counts nothing here (record() finds no traffic in it either).
      if (kind === RecordKind.WRITER) continue;
      const idx = c.nameIndex[i]!;
      let w = byIndex[idx];
      if (w === undefined) w = byIndex[idx] = this.watched.get(names[idx]!) ?? null;
      if (w === null) continue;
      const count = c.count[i]!;
      const rtMs = c.rtMs[i]!;
      const error = c.error[i] === 1;
      addCounts(w.node, kind, count, rtMs, error, w.slowThresholdsMs);
      const o = c.originIndex[i]!;
      const origin = o < 0 ? '' : names[o]!;
      if (origin !== '') addCounts(originCounts(w, origin), kind, count, rtMs, error, w.slowThresholdsMs);
    }
  }

  /** PASS (× count) counted since the previous take for a resource ('' origin: all its traffic) or one of its origins; 0 when not watched. */
  passedSinceTake(resource: string, origin: string): number {
    return this.countsSinceTake(resource, origin)?.passed ?? 0;
  }

  /** BLOCK (× count) counted since the previous take, as passedSinceTake. */
  blockedSinceTake(resource: string, origin: string): number {
    return this.countsSinceTake(resource, origin)?.blocked ?? 0;
  }

  /** One node's counts since the previous take; undefined when not watched or nothing counted for that origin. */
  private countsSinceTake(resource: string, origin: string): Counts | undefined {
    const w = this.watched.get(resource);
    return origin === '' ? w?.node : w?.origins.get(origin);
  }

  /** The counts since the previous take, with the concurrency the statistics see now. */
  take(concurrencyOf: (resource: string, origin: string) => number): Map<string, ResourceTraffic> {
    const out = new Map<string, ResourceTraffic>();
    for (const [name, w] of this.watched) {
      const origins = new Map<string, NodeTraffic>();
      for (const [origin, c] of w.origins) origins.set(origin, toNode(c, concurrencyOf(name, origin)));
      out.set(name, { node: toNode(w.node, concurrencyOf(name, '')), origins });
      w.node = zero();
      w.origins = new Map();
    }
    return out;
  }
}

function toNode(c: Counts, concurrency: number): NodeTraffic {
  return { passed: c.passed, blocked: c.blocked, completed: c.completed, errors: c.errors, rtSumMs: c.rtSumMs, concurrency, slowOverMs: c.slow };
}

// Owns the per-tick traffic the rules engine needs, counted as records are ingested: for each
// resource under a rule (and each of its origins), the PASS, BLOCK, completion, error and RT-sum
// counts since the previous tick, and the completions slower than each slow-ratio threshold of the
// resource (per record: the windows keep only RT sums). Resources without rules cost one Map miss
// per record. `take()` hands the counts over and starts the next tick from zero.

import { RecordKind, type FlowRecord } from '@sentinel-wasi/protocol';
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
  const n = r.count;
  switch (r.kind) {
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
  c.completed += n;
  if (r.error) c.errors += n;
  c.rtSumMs += r.rtMs * n;
  for (const ms of thresholds) if (r.rtMs > ms) c.slow.set(ms, (c.slow.get(ms) ?? 0) + n);
}

export class TrafficTap {
  private watched = new Map<string, Watched>();

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
    if (r.origin !== '') {
      let o = w.origins.get(r.origin);
      if (o === undefined) w.origins.set(r.origin, (o = zero()));
      add(o, r, w.slowThresholdsMs);
    }
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

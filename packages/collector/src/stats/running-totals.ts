// Owns the running totals per resource since the collector started: pass, block, success,
// exception and ΣRT summed over every sealed second (the lines written to the metric log, late
// extras included), so they only grow. ΣRT is the exact sum the collector sealed (a line without it
// adds its integer average × success, as the metric log keeps it). Prometheus exposes them as counters. Keyed by the tracked resource
// names, so bounded by the tracked-resource cap; `__total_inbound_traffic__` is kept like any line.

import type { ResourceTotals, SecondLine } from './types.js';

export class RunningTotals {
  private readonly byResource = new Map<string, ResourceTotals>();

  /** Adds one sealed second's lines. */
  addLines(lines: readonly SecondLine[]): void {
    for (const l of lines) {
      let t = this.byResource.get(l.resource);
      if (t === undefined) {
        t = { pass: 0, block: 0, success: 0, exception: 0, rtSumMs: 0 };
        this.byResource.set(l.resource, t);
      }
      t.pass += l.pass;
      t.block += l.block;
      t.success += l.success;
      t.exception += l.exception;
      t.rtSumMs += l.rtSumMs ?? (l.success > 0 ? l.rtMs * l.success : l.rtMs);
    }
  }

  /** The totals of one resource, or undefined when none of its seconds was sealed yet. */
  of(resource: string): ResourceTotals | undefined {
    return this.byResource.get(resource);
  }
}

// Owns the running totals per resource since the collector started: pass, block, success and
// exception summed over every sealed second (the lines written to the metric log, late extras
// included), so they only grow. Prometheus exposes them as counters. Keyed by the tracked resource
// names, so bounded by the tracked-resource cap; `__total_inbound_traffic__` is kept like any line.

import type { ResourceTotals, SecondLine } from './types.js';

export class RunningTotals {
  private readonly byResource = new Map<string, ResourceTotals>();

  /** Adds one sealed second's lines. */
  addLines(lines: readonly SecondLine[]): void {
    for (const l of lines) {
      let t = this.byResource.get(l.resource);
      if (t === undefined) {
        t = { pass: 0, block: 0, success: 0, exception: 0 };
        this.byResource.set(l.resource, t);
      }
      t.pass += l.pass;
      t.block += l.block;
      t.success += l.success;
      t.exception += l.exception;
    }
  }

  /** The totals of one resource, or undefined when none of its seconds was sealed yet. */
  of(resource: string): ResourceTotals | undefined {
    return this.byResource.get(resource);
  }
}

// Owns the admitted entries the collector believes are in flight, per node, by entry time: what a
// node's concurrency (PASS − EXIT) is made of, so that entries whose EXIT will never come can be
// expired. A filter killed in the middle of a request (SIGKILL, an engine trap, a host that stops
// under load) wrote the PASS of a resource under a rule at entry and never writes its EXIT; without
// expiry the resource would count one more in flight for good (the concurrency is checkpointed).
//
// Matching: an EXIT the SDK writes carries RT = exit time − entry time, so its entry time is
// exactly its PASS's (tsMs − rtMs). An EXIT is matched to that entry, open or expired; failing
// that, to the oldest open entry of its node (an EXIT recorded by hand with another RT), then to
// the oldest expired one; else (an EXIT read before its PASS) it is left alone. When it closes an
// expired entry, whose concurrency the expiry already took back, its own decrement is given back
// (reported to the caller). Expiry takes an entry older than maxAgeMs out and the node's
// concurrency down by its count, never below 0. Expired entries are kept (and checkpointed) for
// EXPIRED_KEPT_AGES × maxAgeMs, for the EXITs of requests that outlived the bound.
// Only PASS and EXIT records touch this (CALL and BLOCK leave the concurrency alone).

import type { NodeStats } from './node-stats.js';

/** Expired entries are kept for this many maxAgeMs after they began (the caller's forget bound). */
export const EXPIRED_KEPT_AGES = 10;

/** An open entry as the checkpoint keeps it: resource, origin ('' for the resource's own node), entry time, count. */
export type OpenEntryRow = [resource: string, origin: string, entryMs: number, count: number];

/** Entry time → count, one per node. */
type Times = Map<number, number>;

export class OpenEntries {
  private readonly open = new Map<NodeStats, Times>();
  private readonly expired = new Map<NodeStats, Times>();

  /** A PASS of `count` entries at entryMs on `node`. */
  pass(node: NodeStats, entryMs: number, count: number): void {
    add(this.open, node, entryMs, count);
  }

  /**
   * An EXIT of `count` entries that began at entryMs on `node` (its concurrency already taken down
   * by count). Returns how many of them had been expired: the caller gives that much back.
   */
  exit(node: NodeStats, entryMs: number, count: number): number {
    const times = this.open.get(node);
    const gone = this.expired.get(node);
    let left = count;
    let back = 0;
    // Its own entry first, open or expired; then another: the oldest open, the oldest expired.
    if (times !== undefined) left = take(times, entryMs, left);
    if (left > 0 && gone !== undefined) {
      const before = left;
      left = take(gone, entryMs, left);
      back += before - left;
    }
    if (times !== undefined) while (left > 0 && times.size > 0) left = take(times, oldest(times), left);
    if (gone !== undefined) {
      const before = left;
      while (left > 0 && gone.size > 0) left = take(gone, oldest(gone), left);
      back += before - left;
    }
    if (times !== undefined && times.size === 0) this.open.delete(node);
    if (gone !== undefined && gone.size === 0) this.expired.delete(node);
    return back;
  }

  /**
   * Expires the entries of every node that began before cutoffMs: takes each node's concurrency
   * down by their count (not below 0) and calls `expiredOn(node, n, taken)` with how many it
   * expired and how much concurrency it took. Forgets expired entries that began before
   * forgetBeforeMs.
   */
  expireBefore(cutoffMs: number, forgetBeforeMs: number, expiredOn: (node: NodeStats, n: number, taken: number) => void): void {
    for (const [node, times] of this.open) {
      let n = 0;
      for (const [entryMs, count] of times) {
        if (entryMs >= cutoffMs) continue;
        times.delete(entryMs);
        n += count;
        this.restoreExpired(node, entryMs, count);
      }
      if (times.size === 0) this.open.delete(node);
      if (n === 0) continue;
      const taken = Math.min(n, Math.max(0, node.concurrency));
      node.concurrency -= taken;
      expiredOn(node, n, taken);
    }
    for (const [node, gone] of this.expired) {
      for (const entryMs of gone.keys()) if (entryMs < forgetBeforeMs) gone.delete(entryMs);
      if (gone.size === 0) this.expired.delete(node);
    }
  }

  /** Open (or expired, kept for late EXITs) entries per node, for the checkpoint. */
  exportRows(which: 'open' | 'expired' = 'open'): OpenEntryRow[] {
    const rows: OpenEntryRow[] = [];
    for (const [node, times] of which === 'open' ? this.open : this.expired) for (const [entryMs, count] of times) rows.push([node.resource, node.origin, entryMs, count]);
    return rows;
  }

  /** An expired entry (kept for a late EXIT): one just expired, or read back from a checkpoint. */
  restoreExpired(node: NodeStats, entryMs: number, count: number): void {
    add(this.expired, node, entryMs, count);
  }

  /** How many entries are open on `node`. */
  countOn(node: NodeStats): number {
    let n = 0;
    for (const c of this.open.get(node)?.values() ?? []) n += c;
    return n;
  }
}

/** Adds `count` entries of entryMs to node's times in byNode. */
function add(byNode: Map<NodeStats, Times>, node: NodeStats, entryMs: number, count: number): void {
  let times = byNode.get(node);
  if (times === undefined) byNode.set(node, (times = new Map()));
  times.set(entryMs, (times.get(entryMs) ?? 0) + count);
}

/** Takes up to `want` from times[entryMs]; returns what is still wanted. */
function take(times: Times, entryMs: number, want: number): number {
  const have = times.get(entryMs);
  if (have === undefined) return want;
  const used = Math.min(have, want);
  if (have === used) times.delete(entryMs);
  else times.set(entryMs, have - used);
  return want - used;
}

function oldest(times: Times): number {
  let min = Number.POSITIVE_INFINITY;
  for (const t of times.keys()) if (t < min) min = t;
  return min;
}

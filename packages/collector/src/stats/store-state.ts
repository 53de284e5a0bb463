// Owns the store's checkpointable state: what of the live statistics survives a restart (the
// sealed front, the health counters, the pending and late rows, every non-zero concurrency and the
// open entries it is made of) and how it is loaded back (rows are also replayed into the nodes'
// windows).

import { addCounts } from './counters.js';
import type { FullHealthCounters, HealthLog } from './health.js';
import type { ResourceRegistry } from './registry.js';
import type { BatchRows, SecondBatches } from './second-batches.js';
import type { OpenEntries, OpenEntryRow } from './open-entries.js';
import type { NodeStats } from './node-stats.js';

/** The store's part of a checkpoint. */
export interface StoreState {
  lastSealedSec: number;
  counters: FullHealthCounters;
  pending: BatchRows;
  late: BatchRows;
  /** [resource, origin, concurrency] for every node whose concurrency is not 0. */
  concurrency: Array<[string, string, number]>;
  /** [resource, origin, entryMs, count]: the open entries (absent in checkpoints from before they were kept). */
  openEntries?: OpenEntryRow[];
  /** The same for entries expired lately, kept for the EXITs of requests that outlived the bound. */
  expiredEntries?: OpenEntryRow[];
  /** SecondBatches.alreadyLoggedThroughSec while records of those seconds could still come (absent otherwise). */
  alreadyLoggedThroughSec?: number;
}

export function exportStoreState(registry: ResourceRegistry, batches: SecondBatches, health: HealthLog, open: OpenEntries): StoreState {
  const { pending, late } = batches.exportRows((id) => registry.nameOf(id));
  const concurrency: StoreState['concurrency'] = [];
  for (const e of registry.allEntries()) {
    if (e.node.concurrency !== 0) concurrency.push([e.name, '', e.node.concurrency]);
    if (e.origins !== null) for (const o of e.origins.values()) if (o.concurrency !== 0) concurrency.push([e.name, o.origin, o.concurrency]);
  }
  const state: StoreState = { lastSealedSec: batches.lastSealedSec, counters: { ...health.counters }, pending, late, concurrency, openEntries: open.exportRows('open'), expiredEntries: open.exportRows('expired') };
  // Kept while a record of those seconds would not be too late anyway (a restart re-reads what the
  // checkpoint had not: it must skip them too).
  if (batches.alreadyLoggedThroughSec >= batches.lastSealedSec - batches.lateLimitSec) state.alreadyLoggedThroughSec = batches.alreadyLoggedThroughSec;
  return state;
}

/**
 * Loads a checkpointed state into an empty store; pending and late rows are also replayed into the
 * windows. A node's concurrency that its listed open entries do not make up (an older checkpoint)
 * counts as entries opened at checkpointAtMs, when given.
 */
export function importStoreState(state: StoreState, registry: ResourceRegistry, batches: SecondBatches, health: HealthLog, open: OpenEntries, checkpointAtMs?: number): void {
  batches.lastSealedSec = state.lastSealedSec;
  if (Number.isSafeInteger(state.alreadyLoggedThroughSec)) batches.alreadyLoggedThroughSec = state.alreadyLoggedThroughSec!;
  health.restore(state.counters);
  const load = (list: BatchRows, late: boolean): void => {
    for (const { sec, rows } of list) {
      const batch = batches.restoredBatch(sec, late);
      for (const [name, pass, block, success, exception, rt] of rows) {
        const e = registry.entryOrTotal(name);
        if (e === null) continue;
        const row = batch.rowBase(e.id); // first: making a row may replace batch.values
        addCounts(batch.values, row, pass, block, success, exception, rt);
        e.node.addCounts(sec * 1000, pass, block, success, exception, rt);
      }
    }
  };
  load(state.pending, false);
  load(state.late, true);
  const nodeOf = (name: string, origin: string): NodeStats | null => {
    const e = registry.entryOrTotal(name);
    if (e === null) return null;
    return origin === '' ? e.node : registry.originFor(e, origin);
  };
  const withConcurrency: NodeStats[] = [];
  for (const [name, origin, value] of state.concurrency) {
    const node = nodeOf(name, origin);
    if (node === null) continue;
    node.concurrency = value;
    if (name !== registry.total.name) withConcurrency.push(node);
  }
  const loadEntries = (rows: OpenEntryRow[] | undefined, add: (node: NodeStats, entryMs: number, count: number) => void): void => {
    for (const [name, origin, entryMs, count] of rows ?? []) {
      const node = nodeOf(name, origin);
      if (node !== null && name !== registry.total.name) add(node, entryMs, count);
    }
  };
  loadEntries(state.openEntries, (node, entryMs, count) => open.pass(node, entryMs, count));
  loadEntries(state.expiredEntries, (node, entryMs, count) => open.restoreExpired(node, entryMs, count));
  if (checkpointAtMs === undefined) return;
  for (const node of withConcurrency) {
    const untracked = node.concurrency - open.countOn(node);
    if (untracked > 0) open.pass(node, checkpointAtMs, untracked);
  }
}

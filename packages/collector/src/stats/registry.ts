// Owns the tracked nodes: one NodeStats per resource (cap 6000, as Sentinel), each resource's
// per-origin nodes (cap shared by all resources) and the total node `__total_inbound_traffic__`
// (a record naming that resource counts on the total node alone: no resource of that name, so a
// checkpoint's or the metric log's lines of that name are the total's, unambiguously),
// all with their rings in the registry's own storage (nodes are never dropped before the registry),
// with the small integer ids the per-second rows are indexed by (the total node's id is the
// resource cap, so ids fit in maxResources + 1).

import type { BucketStage } from './bucket-stage.js';
import { NodeStats, ringStorage } from './node-stats.js';
import { OriginIndex } from './origin-index.js';
import type { RingStorage } from './ring-storage.js';
import type { PendingWrites } from './total-run.js';

/** Sentinel's inbound entry node: every record, also those of resources beyond the cap. */
export const TOTAL_RESOURCE = '__total_inbound_traffic__';
export const DEFAULT_MAX_RESOURCES = 6000;
export const DEFAULT_MAX_ORIGIN_NODES = 6000;

export interface ResourceEntry {
  id: number;
  name: string;
  node: NodeStats;
  origins: Map<string, NodeStats> | null;
}

export class ResourceRegistry {
  readonly maxResources: number;
  readonly maxOriginNodes: number;
  /** Where this registry's nodes keep their rings: it goes with the registry (no finalizer per node). */
  private readonly rings: RingStorage = ringStorage();
  private readonly totalEntry: ResourceEntry;
  private pendingWrites: PendingWrites | null = null;
  private readonly entries = new Map<string, ResourceEntry>();
  private readonly byId: ResourceEntry[] = [];
  private originNodes = 0;
  /** The origin nodes' stage indexes by (entry id, origin number), for the store's column path (origin-index.ts). */
  readonly originIndex = new OriginIndex();
  /** Id → place in name order (nameRanks), or null until asked for since the last entry was created. */
  private ranks: Int32Array | null = null;

  /** Where the store stages resource and origin nodes' records (bucket-stage.ts); the total node gets the stage's sums of the resource nodes (sumsTo) and has its runs for the rest. */
  private readonly stage: BucketStage | undefined;

  constructor(maxResources = DEFAULT_MAX_RESOURCES, maxOriginNodes = DEFAULT_MAX_ORIGIN_NODES, stage?: BucketStage) {
    this.maxResources = maxResources;
    this.maxOriginNodes = maxOriginNodes;
    this.stage = stage;
    this.totalEntry = { id: maxResources, name: TOTAL_RESOURCE, node: new NodeStats(TOTAL_RESOURCE, '', this.rings), origins: null };
  }

  /** Writes (the total node's run) applied before any node is handed out for reading. */
  settleWith(pending: PendingWrites): void {
    this.pendingWrites = pending;
  }

  /** The total node's entry, settled: for writing it directly, use a TotalRun instead of this. */
  get total(): ResourceEntry {
    this.settle();
    return this.totalEntry;
  }

  /** The total node's id (its row in every batch). */
  get totalId(): number {
    return this.totalEntry.id;
  }

  /** Row ids run from 0 to this (exclusive). */
  get idCapacity(): number {
    return this.maxResources + 1;
  }

  /** The resource entry of id `id` (an id entryFor gave), null for -1 (none: beyond the cap). */
  entryAt(id: number): ResourceEntry | null {
    return id < 0 ? null : this.byId[id]!;
  }

  /** The resource entry for a name, created if the cap allows; null beyond the cap. */
  entryFor(name: string): ResourceEntry | null {
    return this.entries.get(name) ?? this.createEntry(name);
  }

  /** entryFor, with TOTAL_RESOURCE naming the total node. */
  entryOrTotal(name: string): ResourceEntry | null {
    return name === TOTAL_RESOURCE ? this.total : this.entryFor(name);
  }

  /** A tracked entry (or the total node), never creating one. */
  find(name: string): ResourceEntry | undefined {
    return name === TOTAL_RESOURCE ? this.total : this.entries.get(name);
  }

  /** The origin node of an entry, created if the cap allows; null beyond it. */
  originFor(e: ResourceEntry, origin: string): NodeStats | null {
    const o = e.origins?.get(origin);
    if (o !== undefined) return o;
    if (this.originNodes >= this.maxOriginNodes) return null;
    const created = new NodeStats(e.name, origin, this.rings, this.stage);
    (e.origins ??= new Map()).set(origin, created);
    this.originNodes++;
    if (created.stageIndex >= 0) this.originIndex.add(e.id, origin, created.stageIndex);
    return created;
  }

  nameOf(id: number): string {
    return id === this.totalEntry.id ? TOTAL_RESOURCE : this.byId[id]!.name;
  }

  /**
   * Id → the entry's place in name order (JavaScript string order; the total node included; equal
   * names share a place): sorting rows by it sorts them by name without comparing strings.
   * Computed again only after an entry was created.
   */
  nameRanks(): Int32Array {
    if (this.ranks !== null) return this.ranks;
    const ranks = new Int32Array(this.idCapacity);
    const sorted = [this.totalEntry, ...this.byId].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (let i = 0; i < sorted.length; i++) {
      const e = sorted[i]!;
      ranks[e.id] = i > 0 && sorted[i - 1]!.name === e.name ? ranks[sorted[i - 1]!.id]! : i;
    }
    this.ranks = ranks;
    return ranks;
  }

  /** Resource entries sorted by name (the total node not included). */
  sortedEntries(): ResourceEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The total node's entry, then every resource entry, in id order. */
  allEntries(): ResourceEntry[] {
    return [this.total, ...this.byId];
  }

  private settle(): void {
    this.pendingWrites?.flush();
  }

  /** A new resource entry; null beyond the cap, and for TOTAL_RESOURCE (a record naming the total node counts on it alone). */
  private createEntry(name: string): ResourceEntry | null {
    if (this.byId.length >= this.maxResources || name === TOTAL_RESOURCE) return null;
    const id = this.byId.length;
    const e: ResourceEntry = { id, name, node: new NodeStats(name, '', this.rings, this.stage, id), origins: null };
    this.byId.push(e);
    this.entries.set(name, e);
    this.ranks = null;
    return e;
  }
}

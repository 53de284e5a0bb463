// Owns the staged sums that have left the stage (bucket-stage.ts) but are not yet in their nodes'
// rings: one entry per (node, half-second bucket) the stage touched, kept until the node is read
// (then merged into its ring, mergeAt) or until no read can count it any more (then dropped).
//
// Why: merging every touched node's sums into its ring as the stage moves on is a cache miss or
// three per node (its object, its slot directory, its ring bucket, last touched a minute before),
// most of the store's cost on a busy collector, and most nodes are never read while their buckets
// are in the minute. An entry appended here is a few sequential writes.
//
// Entries are numbered in the order they come (seq) and kept in a ring buffer indexed by seq; each
// entry links to its node's previous pending entry, so reading a node walks its own entries only.
// Exactness, as NodeStats.reclaimBefore argues for freed buckets: merges of a node's bucket sums
// commute with each other and with the node's direct writes (bucket-stage.ts), so merging later
// leaves the same ring; and an entry whose bucket started at or before `dropBeforeMs` (a minute and
// READ_LAG_MS before the newest `now` the store was given) is outside both windows of every read at
// that now − READ_LAG_MS or later, so it may be dropped unmerged: the ring then differs only in
// buckets no such read counts. (A read a little behind the newest now is an ordinary thing: a query
// answered at a clock read just before a batch was counted at a later one.)
// Memory is bounded: when the buffer is full, its oldest entry is dropped (if it may be), else
// merged into its node at once.

import { COUNTER_FIELDS } from './counters.js';
import { MINUTE_INTERVAL_MS, type NodeStats } from './node-stats.js';
// Module-local names for imported constants the hot path reads (V8 folds these into the code;
// an imported binding is read from its cell at every use: ARCHITECTURE.md, "Constants on the hot path").
const FIELDS = COUNTER_FIELDS;
const MINUTE_MS = MINUTE_INTERVAL_MS;

/** At most this many entries are kept (68 bytes each): beyond, the oldest is merged at once. */
export const MAX_ENTRIES = 1 << 16;
/** How far behind the newest `now` a read may be and still count every bucket it should. */
export const READ_LAG_MS = 2000;
/** A node index no entry has: the entry was merged (or its node has no entry). */
const NONE = -1;

export class PendingMerges {
  /** Buckets that started at or before this are outside every window a read can still ask for. */
  private dropBeforeMs = Number.NEGATIVE_INFINITY;
  private readonly capacity: number;
  /** By seq mod capacity: the node's index (NONE once merged), the bucket's start, its sums, the node's previous entry's seq. */
  private readonly node: Int32Array;
  private readonly startMs: Float64Array;
  private readonly sums: Float64Array;
  private readonly previous: Float64Array;
  /** Entries firstSeq … nextSeq − 1 are kept. */
  private firstSeq = 0;
  private nextSeq = 0;
  /** By node index: the seq of its newest pending entry, or -1. */
  private newest = new Float64Array(64).fill(-1);
  /** How many entries were merged because the buffer was full (a diagnostic). */
  mergedEarly = 0;

  /** `nodes` by index: where entries are merged; at most `maxEntries` (a power of two) kept. */
  constructor(
    private readonly nodes: readonly NodeStats[],
    maxEntries = MAX_ENTRIES,
  ) {
    if (!(maxEntries >= 1 && (maxEntries & (maxEntries - 1)) === 0)) throw new RangeError(`PendingMerges: maxEntries ${maxEntries} is not a power of two`);
    // Allocated whole at once: its pages become resident only as entries first reach them.
    const capacity = (this.capacity = maxEntries);
    this.node = new Int32Array(capacity);
    this.startMs = new Float64Array(capacity);
    this.sums = new Float64Array(capacity * FIELDS);
    this.previous = new Float64Array(capacity);
  }

  /** The store's clock moved to nowMs: buckets that started a minute and READ_LAG_MS or more before it may be dropped. */
  observeNow(nowMs: number): void {
    const before = nowMs - READ_LAG_MS - MINUTE_MS;
    if (before > this.dropBeforeMs) this.dropBeforeMs = before;
  }

  /** Keeps node `index`'s sums src[sb…] for the bucket starting at startMs, to merge when it is read. */
  add(index: number, startMs: number, src: Float64Array, sb: number): void {
    if (startMs <= this.dropBeforeMs) return;
    if (this.nextSeq - this.firstSeq === this.capacity) this.makeRoom();
    const seq = this.nextSeq++;
    const at = seq & (this.capacity - 1);
    if (index >= this.newest.length) this.growNodes(index);
    this.node[at] = index;
    this.startMs[at] = startMs;
    this.previous[at] = this.newest[index]!;
    this.newest[index] = seq;
    const to = at * FIELDS;
    const s = this.sums;
    for (let f = 0; f < FIELDS; f++) s[to + f] = src[sb + f]!;
  }

  /** Merges node `index`'s pending entries into its ring (those that may still be read). */
  settle(index: number): void {
    if (index >= this.newest.length) return;
    let seq = this.newest[index]!;
    if (seq < 0) return;
    this.newest[index] = -1;
    const target = this.nodes[index]!;
    const mask = this.capacity - 1;
    while (seq >= this.firstSeq) {
      const at = seq & mask;
      if (this.startMs[at]! > this.dropBeforeMs) target.mergeAt(this.startMs[at]!, this.sums, at * FIELDS);
      this.node[at] = NONE;
      seq = this.previous[at]!;
    }
  }

  /** Whether node `index` has entries not merged yet. */
  has(index: number): boolean {
    return index < this.newest.length && this.newest[index]! >= this.firstSeq;
  }

  /** How many entries are kept (merged ones included, until their place is reused). */
  get size(): number {
    return this.nextSeq - this.firstSeq;
  }

  /** Frees the oldest place: drops its entry if merged already or no read can count it, else merges it now. */
  private makeRoom(): void {
    const at = this.firstSeq & (this.capacity - 1);
    const index = this.node[at]!;
    if (index === NONE || this.startMs[at]! <= this.dropBeforeMs) {
      this.firstSeq++;
      return;
    }
    // Its node's older entries are all merged or dropped already (they came first): only this one.
    this.nodes[index]!.mergeAt(this.startMs[at]!, this.sums, at * FIELDS);
    this.node[at] = NONE;
    this.mergedEarly++;
    this.firstSeq++;
  }

  private growNodes(index: number): void {
    let length = this.newest.length;
    while (length <= index) length *= 2;
    const newest = new Float64Array(length).fill(-1);
    newest.set(this.newest);
    this.newest = newest;
  }
}

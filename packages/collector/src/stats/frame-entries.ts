// Owns the resource entries of one frame's name table, by name index, for the readers that count
// a frame (the store's column path and the Ingestor's record-by-record path): each name is
// resolved to its entry at most once per frame, and nothing is cleared between frames (an index
// is current when its frame stamp is this frame's). It keeps, by name index, the entry's id (the
// store gives the entry of an id: StatsStore.entryAt) and its node's stage index (so a record on
// the column path reads no entry or node object), and for a name used as an origin its origin
// number (origin-index.ts).

import { MAX_PAYLOAD_BYTES, nextFrameStamp } from '@sentinel-wasi/protocol';
import type { ResourceEntry } from './registry.js';

/** originNumberOf's answer for an origin name not resolved in this frame yet. */
export const UNRESOLVED = -2;

export class FrameEntries {
  /** By name index: current when its stamp is `stamp`. */
  private readonly stamps = new Int32Array(MAX_PAYLOAD_BYTES);
  /** By name index: the entry's id and its node's stage index (-1 for both: no entry, beyond the resource cap). */
  private readonly ids = new Int32Array(MAX_PAYLOAD_BYTES);
  private readonly stageIndexes = new Int32Array(MAX_PAYLOAD_BYTES);
  /** By name index of an origin: its origin number (-1: none), current when its origin stamp is `stamp`. */
  private readonly originNumbers = new Int32Array(MAX_PAYLOAD_BYTES);
  private readonly originStamps = new Int32Array(MAX_PAYLOAD_BYTES);
  private stamp = 0;

  /** Starts the next frame: no name index is resolved. */
  nextFrame(): void {
    this.stamp = nextFrameStamp(this.stamp, this.stamps);
    // nextFrameStamp cleared `stamps` when it started over at 1: the origin stamps start over with them.
    if (this.stamp === 1) this.originStamps.fill(0);
  }

  /** Whether name index `idx` is resolved in this frame. */
  has(idx: number): boolean {
    return this.stamps[idx] === this.stamp;
  }

  /** The id of the entry resolved for `idx` (-1: none; call only when has(idx)). */
  idOf(idx: number): number {
    return this.ids[idx]!;
  }

  /** The stage index of the node of the entry resolved for `idx` (-1: no entry, or no stage; call only when has(idx)). */
  stageIndexOf(idx: number): number {
    return this.stageIndexes[idx]!;
  }

  /** Keeps `entry` (its id and its node's stage index) as idx's for the rest of this frame; returns it. */
  set(idx: number, entry: ResourceEntry | null): ResourceEntry | null {
    this.setIds(idx, entry === null ? -1 : entry.id, entry === null ? -1 : entry.node.stageIndex);
    return entry;
  }

  /** Keeps the id of idx's entry and its node's stage index (-1 for both: no entry) for the rest of this frame. */
  setIds(idx: number, id: number, stageIndex: number): void {
    this.stamps[idx] = this.stamp;
    this.ids[idx] = id;
    this.stageIndexes[idx] = stageIndex;
  }

  /** The origin number kept for origin name index `idx` in this frame, or UNRESOLVED. */
  originNumberOf(idx: number): number {
    return this.originStamps[idx] === this.stamp ? this.originNumbers[idx]! : UNRESOLVED;
  }

  /** Keeps `originNumber` (-1: none) as origin name index idx's for the rest of this frame; returns it. */
  setOriginNumber(idx: number, originNumber: number): number {
    this.originStamps[idx] = this.stamp;
    this.originNumbers[idx] = originNumber;
    return originNumber;
  }
}

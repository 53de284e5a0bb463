// Owns the resource entries of one frame's name table, by name index, for the readers that count
// a frame (the store's column path and the Ingestor's record-by-record path): each name is
// resolved to its entry at most once per frame, and nothing is cleared between frames (an index
// is current when its frame stamp is this frame's).

import { MAX_PAYLOAD_BYTES, nextFrameStamp } from '@sentinel-wasi/protocol';
import type { ResourceEntry } from './registry.js';

export class FrameEntries {
  /** By name index: the entry resolved for it (null: beyond the resource cap); current when its stamp is `stamp`. */
  private readonly entries: Array<ResourceEntry | null> = new Array<ResourceEntry | null>(MAX_PAYLOAD_BYTES).fill(null);
  private readonly stamps = new Int32Array(MAX_PAYLOAD_BYTES);
  private stamp = 0;

  /** Starts the next frame: no name index is resolved. */
  nextFrame(): void {
    this.stamp = nextFrameStamp(this.stamp, this.stamps);
  }

  /** Whether name index `idx` is resolved in this frame. */
  has(idx: number): boolean {
    return this.stamps[idx] === this.stamp;
  }

  /** The entry resolved for `idx` in this frame (call only when has(idx)). */
  get(idx: number): ResourceEntry | null {
    return this.entries[idx]!;
  }

  /** Keeps `entry` as idx's for the rest of this frame; returns it. */
  set(idx: number, entry: ResourceEntry | null): ResourceEntry | null {
    this.stamps[idx] = this.stamp;
    this.entries[idx] = entry;
    return entry;
  }
}

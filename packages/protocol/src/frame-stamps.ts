// Owns the frame stamp: the number a reader gives each frame so that a per-name array reused from
// frame to frame needs no clearing. An entry is current when its stamp equals the frame's; stamps
// start at 0 and the first frame is 1, so a fresh array holds nothing current.

/** The largest stamp; the frame after it is 1 again, with every stamp cleared. */
const MAX_STAMP = 0x7fffffff;

/**
 * The stamp of the frame after the one stamped `stamp`: stamp + 1, or 1 with `stamps` cleared
 * once 2^31 − 1 frames have been stamped (so an old stamp never reads as current).
 */
export function nextFrameStamp(stamp: number, stamps: Int32Array): number {
  if (stamp !== MAX_STAMP) return stamp + 1;
  stamps.fill(0);
  return 1;
}

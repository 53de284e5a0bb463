// Owns the seam between the SDK's logic and the platform: the two things a filter needs from its
// host (the time, and one append of one frame to a segment in the pin's log directory). The WASI
// implementation is wasi-host.ts; tests use an in-memory host.

export interface FilterHost {
  /** Wall-clock time, epoch milliseconds. */
  nowMs(): number;
  /**
   * Appends `frame` (one whole frame, ≤ 4096 bytes) to `<pin>/log/<segmentFile>` with one write.
   * Returns false when it could not (pin missing, disk full, any I/O error); never throws.
   * The bytes are only valid during the call.
   */
  appendFrame(segmentFile: string, frame: Uint8Array): boolean;
}

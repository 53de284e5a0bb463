// Owns the seam between the SDK's logic and the platform: the two things a filter needs from its
// host (the time, one append of one frame to a segment in the pin's log directory, and opening a
// pin file for positioned reads: the resource map). The WASI
// implementation is wasi-host.ts; tests use an in-memory host.

import type { PinFile } from './map-reader.js';

export interface FilterHost {
  /** Wall-clock time, epoch milliseconds. */
  nowMs(): number;
  /**
   * Appends `frame` (one whole frame, ≤ 4096 bytes) to `<pin>/log/<segmentFile>` with one write.
   * Returns false when it could not (pin missing, disk full, any I/O error); never throws.
   * The bytes are only valid during the call.
   */
  appendFrame(segmentFile: string, frame: Uint8Array): boolean;
  /**
   * Opens `<pin>/<path>` read-only for positioned reads (the resource map); null when missing.
   * Never throws. A host without it reads every verdict as PASS.
   */
  openPinFile?(path: string): PinFile | null;
}

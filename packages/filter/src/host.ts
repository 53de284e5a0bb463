// Owns the seam between the SDK's logic and the platform: what a filter needs from its host (the
// time, one append of one frame to a segment in the pin's log directory, opening a pin file for
// positioned reads: the resource map, and random numbers seeded at run time). The WASI
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
  /**
   * Uniform numbers in [0, 1), different in every run of the component: the default source of
   * the admission credits' first draws (else Math.random, which an engine may restore from the
   * build's snapshot, the same numbers in every run).
   */
  random?(): number;
  /**
   * Why the last appendFrame returned false, in a few words (e.g. "no pin preopened at /pin", "the
   * pin refused it: access"); '' when unknown.
   */
  lastAppendFailure?(): string;
  /** Writes one line for the filter's operator (the WASI host: to stderr). Never throws. */
  warn?(line: string): void;
}

// Owns the seeded record mix the store equivalence tests write into frames: one record at a time,
// its kind and its fields drawn from the test's generator, into a FrameBuilder whose full frames
// go to the test's chunks (the bytes it then hands to its ingestors).

import type { FrameBuilder } from '@sentinel-wasi/protocol';

/**
 * Cumulative shares of the record kinds: a draw below `call` is a CALL (RT below maxCallRtMs), below
 * `block` a BLOCK, below `pass` a PASS, below `exit` an EXIT; the rest are WRITER records of `w0`.
 */
export interface RecordMix {
  call: number;
  block: number;
  pass: number;
  exit: number;
  maxCallRtMs: number;
}

/**
 * Adds one record of `mix` at tsMs; when the frame is full, its bytes go to `chunks` and the record
 * starts the next frame. False when the record fits no frame (the test fails on that).
 */
export function addRandomRecord(builder: FrameBuilder, rand: () => number, mix: RecordMix, tsMs: number, name: string, origin: string | undefined, chunks: Uint8Array[]): boolean {
  const k = rand();
  const add = (): boolean =>
    k < mix.call ? builder.addCall(tsMs, name, Math.floor(rand() * mix.maxCallRtMs), rand() < 0.1, origin)
    : k < mix.block ? builder.addBlock(tsMs, name, 1 + Math.floor(rand() * 3), origin)
    : k < mix.pass ? builder.addPass(tsMs, name, 1 + Math.floor(rand() * 3), origin)
    : k < mix.exit ? builder.addExit(tsMs, name, Math.floor(rand() * 900), rand() < 0.2, 1 + Math.floor(rand() * 2), origin)
    : builder.addWriter(tsMs, 'w0', Math.floor(rand() * 5), Math.floor(rand() * 2));
  return addToFrames(builder, chunks, add);
}

/**
 * Runs `add` (one record into `builder`); when the frame is full, its bytes go to `chunks` and
 * `add` runs again on the next frame. False when the record fits no frame.
 */
export function addToFrames(builder: FrameBuilder, chunks: Uint8Array[], add: () => boolean): boolean {
  if (add()) return true;
  chunks.push(builder.finish().slice());
  return add();
}

// Owns this command's WASI stdio: arguments, reading stdin in chunks, writing text to stderr
// (in pieces of at most 4096 bytes, the blocking-write-and-flush limit).

import { getArguments } from 'wasi:cli/environment@0.2.12';
import { getStdin } from 'wasi:cli/stdin@0.2.12';
import { getStderr } from 'wasi:cli/stderr@0.2.12';
import { utf8Encode } from '@sentinel-wasi/protocol/encode';

/** A u64 parameter: a JS number, which both engines accept (QuickJS accepts nothing else). */
const READ_BYTES = 65536;

/** Command-line arguments without the program name. */
export function args(): string[] {
  return getArguments().slice(1);
}

/** Calls onChunk for each chunk read from stdin until it is closed. */
export function readStdin(onChunk: (chunk: Uint8Array) => void): void {
  const stdin = getStdin();
  for (;;) {
    let chunk: Uint8Array;
    try {
      chunk = stdin.blockingRead(READ_BYTES);
    } catch {
      return; // closed (end of input) or failed
    }
    if (chunk.length > 0) onChunk(chunk);
  }
}

export function writeStderr(text: string): void {
  const bytes = utf8Encode(text);
  const stderr = getStderr();
  for (let p = 0; p < bytes.length; p += 4096) {
    try {
      stderr.blockingWriteAndFlush(bytes.subarray(p, Math.min(p + 4096, bytes.length)));
    } catch {
      return;
    }
  }
}

// Owns writing text to wasi:cli/stderr for the SDK (the QuickJS engine's `console`, the SDK's one
// warning line): UTF-8, in writes of at most 4096 bytes (blocking-write-and-flush's limit). Never
// throws: a failed or closed stderr drops the text.

import { getStderr } from 'wasi:cli/stderr@0.2.12';
import { utf8Encode } from '@sentinel-wasi/protocol/encode';

/** blocking-write-and-flush takes at most this many bytes per call. */
const MAX_WRITE_BYTES = 4096;

export function writeStderr(text: string): void {
  try {
    const bytes = utf8Encode(text);
    const stderr = getStderr();
    for (let p = 0; p < bytes.length; p += MAX_WRITE_BYTES) {
      stderr.blockingWriteAndFlush(bytes.subarray(p, Math.min(p + MAX_WRITE_BYTES, bytes.length)));
    }
  } catch {
    // stderr closed or failed: a line of text is not worth a trap
  }
}

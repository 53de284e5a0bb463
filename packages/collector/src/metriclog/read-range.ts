// Owns reading a byte range of a metric-log file (data or `.idx`) in one go: what warm start reads
// back after a restart, the writer's index at a start without a checkpoint, and the tail past a
// checkpoint's position the stop note looks at.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Bytes [fromBytes, min(limitBytes, size)) of a file (fewer if it shrinks meanwhile). Throws what open throws (ENOENT…). */
export function readUpTo(path: string, limitBytes: number, fromBytes = 0): Buffer {
  const fd = openSync(path, 'r');
  try {
    const length = Math.max(0, Math.min(limitBytes, fstatSync(fd).size) - fromBytes);
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, fromBytes + done);
      if (n <= 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

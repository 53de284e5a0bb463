// Owns reading a metric-log data file line by line from a byte offset, in bounded chunks, without
// loading the whole file (files grow to 50 MB). A last line without its '\n' is an append in
// progress and is not returned.

import { open } from 'node:fs/promises';

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** Called per complete line (without '\n'); return false to stop reading. */
export type LineVisitor = (line: string) => boolean;

export type ReadOutcome = 'eof' | 'stopped' | 'missing';

export async function readLinesFrom(path: string, offsetBytes: number, visit: LineVisitor): Promise<ReadOutcome> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    const decoder = new TextDecoder('utf-8');
    let position = offsetBytes;
    let carry: Buffer[] = [];
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) return 'eof';
      position += bytesRead;
      let start = 0;
      for (let nl = chunk.indexOf(NEWLINE, 0); nl !== -1 && nl < bytesRead; nl = chunk.indexOf(NEWLINE, start)) {
        let bytes: Uint8Array = chunk.subarray(start, nl);
        if (carry.length > 0) {
          carry.push(chunk.subarray(start, nl));
          bytes = Buffer.concat(carry);
          carry = [];
        }
        start = nl + 1;
        let line = decoder.decode(bytes);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (!visit(line)) return 'stopped';
      }
      // Keep the unterminated rest for the next chunk (copied: the chunk buffer is reused).
      if (start < bytesRead) carry.push(Buffer.from(chunk.subarray(start, bytesRead)));
    }
  } finally {
    await handle.close();
  }
}

// Owns the metric log's `.idx` layout (Sentinel's MetricWriter): a sequence of 16-byte records, each a
// big-endian signed 64-bit epoch second followed by a big-endian 64-bit byte offset into the data file
// where that second's lines start. Reading side: seek to the first second at or after a given one.

import { readFile } from 'node:fs/promises';

export const INDEX_RECORD_BYTES = 16;
export const INDEX_SUFFIX = '.idx';

export interface IndexEntry {
  epochSec: number;
  offsetBytes: number;
}

/** One index record, as the writer appends it. */
export function encodeIndexRecord(epochSec: number, offsetBytes: number): Buffer {
  const b = Buffer.alloc(INDEX_RECORD_BYTES);
  b.writeBigInt64BE(BigInt(epochSec), 0);
  b.writeBigInt64BE(BigInt(offsetBytes), 8);
  return b;
}

/** Decodes every whole record of an index buffer; a trailing partial record (an append in progress) is ignored. */
export function decodeIndex(bytes: Uint8Array): IndexEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: IndexEntry[] = [];
  for (let p = 0; p + INDEX_RECORD_BYTES <= bytes.byteLength; p += INDEX_RECORD_BYTES) {
    out.push({ epochSec: Number(view.getBigInt64(p, false)), offsetBytes: Number(view.getBigInt64(p + 8, false)) });
  }
  return out;
}

/** Reads `<dataFile>.idx`; undefined when it does not exist. */
export async function readIndexFile(dataFilePath: string): Promise<IndexEntry[] | undefined> {
  try {
    return decodeIndex(await readFile(dataFilePath + INDEX_SUFFIX));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The first entry whose second is ≥ beginSec (Sentinel's MetricSearcher.findOffset); undefined when none is. */
export function seekIndex(entries: readonly IndexEntry[], beginSec: number): IndexEntry | undefined {
  for (const e of entries) {
    if (e.epochSec >= beginSec) return e;
  }
  return undefined;
}

// Owns reading a metric-log `.idx` (layout.ts) without loading all of it: positioned reads of single
// 16-byte records, for the searcher's seek and the newest indexed second.

import { open, type FileHandle } from 'node:fs/promises';
import { decodeIndexRecord, INDEX_RECORD_BYTES, indexPathOf, type IndexEntry } from './layout.js';

async function openIndex(dataFilePath: string) {
  try {
    return await open(indexPathOf(dataFilePath), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function entryAt(handle: FileHandle, i: number, scratch: Buffer): Promise<IndexEntry> {
  await handle.read(scratch, 0, INDEX_RECORD_BYTES, i * INDEX_RECORD_BYTES);
  return decodeIndexRecord(scratch);
}

/**
 * layout.ts's seekIndex over `<dataFile>.idx` without reading all of it: the writer appends records in
 * ascending second order, so a binary search over positioned 16-byte reads finds the same record
 * as Sentinel's linear scan (a day's index holds up to 86 400 records). Undefined when the index is
 * missing or has no second ≥ beginSec.
 */
export async function seekIndexFile(dataFilePath: string, beginSec: number): Promise<IndexEntry | undefined> {
  const handle = await openIndex(dataFilePath);
  if (handle === undefined) return undefined;
  try {
    const count = Math.floor((await handle.stat()).size / INDEX_RECORD_BYTES);
    const scratch = Buffer.alloc(INDEX_RECORD_BYTES);
    if (count === 0 || (await entryAt(handle, count - 1, scratch)).epochSec < beginSec) return undefined;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((await entryAt(handle, mid, scratch)).epochSec >= beginSec) hi = mid;
      else lo = mid + 1;
    }
    return entryAt(handle, lo, scratch);
  } finally {
    await handle.close();
  }
}

/** The last whole record of `<dataFile>.idx`; undefined when missing or empty. */
export async function lastIndexEntry(dataFilePath: string): Promise<IndexEntry | undefined> {
  const handle = await openIndex(dataFilePath);
  if (handle === undefined) return undefined;
  try {
    const count = Math.floor((await handle.stat()).size / INDEX_RECORD_BYTES);
    return count === 0 ? undefined : await entryAt(handle, count - 1, Buffer.alloc(INDEX_RECORD_BYTES));
  } finally {
    await handle.close();
  }
}

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

const SCAN_RECORDS = 4096;

/**
 * layout.ts's seekIndex over `<dataFile>.idx`: the first record (in file order, which is offset
 * order) whose second is ≥ beginSec, as Sentinel's linear scan finds it. The index is ascending
 * except for records of late lines (writer.ts), so it is scanned in chunks of SCAN_RECORDS records
 * (a day's index holds about 86 400 records: 1.4 MB) rather than binary-searched. Undefined when
 * the index is missing or has no second ≥ beginSec.
 */
export async function seekIndexFile(dataFilePath: string, beginSec: number): Promise<IndexEntry | undefined> {
  const handle = await openIndex(dataFilePath);
  if (handle === undefined) return undefined;
  try {
    const count = Math.floor((await handle.stat()).size / INDEX_RECORD_BYTES);
    const chunk = Buffer.alloc(SCAN_RECORDS * INDEX_RECORD_BYTES);
    for (let first = 0; first < count; first += SCAN_RECORDS) {
      const n = Math.min(SCAN_RECORDS, count - first);
      await handle.read(chunk, 0, n * INDEX_RECORD_BYTES, first * INDEX_RECORD_BYTES);
      for (let i = 0; i < n; i++) {
        const e = decodeIndexRecord(chunk.subarray(i * INDEX_RECORD_BYTES, (i + 1) * INDEX_RECORD_BYTES));
        if (e.epochSec >= beginSec) return e;
      }
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/** The last whole record of `<dataFile>.idx` (possibly a late line's: not always the newest second); undefined when missing or empty. */
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

// Owns reading a metric-log `.idx` (layout.ts) without loading all of it: chunked scans for the
// searcher's seek and for the oldest and newest seconds indexed (the greatest, not the last
// record's: late lines' records follow newer seconds).

import { open } from 'node:fs/promises';
import { decodeIndexRecord, INDEX_RECORD_BYTES, indexPathOf, type IndexEntry } from './layout.js';

async function openIndex(dataFilePath: string) {
  try {
    return await open(indexPathOf(dataFilePath), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const SCAN_RECORDS = 4096;

/**
 * Hands `<dataFile>.idx`'s whole records to `visit` in file order (offset order), read in chunks of
 * SCAN_RECORDS records (a day's index holds about 86 400 records: 1.4 MB), until `visit` returns
 * false. Nothing when the index is missing.
 */
async function scanIndexFile(dataFilePath: string, visit: (e: IndexEntry) => boolean): Promise<void> {
  const handle = await openIndex(dataFilePath);
  if (handle === undefined) return;
  try {
    const count = Math.floor((await handle.stat()).size / INDEX_RECORD_BYTES);
    const chunk = Buffer.alloc(SCAN_RECORDS * INDEX_RECORD_BYTES);
    for (let first = 0; first < count; first += SCAN_RECORDS) {
      const n = Math.min(SCAN_RECORDS, count - first);
      await handle.read(chunk, 0, n * INDEX_RECORD_BYTES, first * INDEX_RECORD_BYTES);
      for (let i = 0; i < n; i++) {
        if (!visit(decodeIndexRecord(chunk.subarray(i * INDEX_RECORD_BYTES, (i + 1) * INDEX_RECORD_BYTES)))) return;
      }
    }
  } finally {
    await handle.close();
  }
}

/**
 * layout.ts's seekIndex over `<dataFile>.idx`: the first record (in file order, which is offset
 * order) whose second is ≥ beginSec, as Sentinel's linear scan finds it. The index is ascending
 * except for records of late lines (writer.ts), so it is scanned rather than binary-searched.
 * Undefined when the index is missing or has no second ≥ beginSec.
 */
export async function seekIndexFile(dataFilePath: string, beginSec: number): Promise<IndexEntry | undefined> {
  let hit: IndexEntry | undefined;
  await scanIndexFile(dataFilePath, (e) => {
    if (e.epochSec >= beginSec) hit = e;
    return hit === undefined;
  });
  return hit;
}

/**
 * The least and the greatest second of `<dataFile>.idx`'s records: the writer indexes every second
 * newer than any before it, and every batch of late lines (writer.ts), so these are the oldest and
 * newest seconds written to the file even when it ends with late lines of older ones. Undefined
 * when missing or empty.
 */
export async function indexedSecondRange(dataFilePath: string): Promise<{ oldestSec: number; newestSec: number } | undefined> {
  let range: { oldestSec: number; newestSec: number } | undefined;
  await scanIndexFile(dataFilePath, (e) => {
    if (range === undefined) range = { oldestSec: e.epochSec, newestSec: e.epochSec };
    else if (e.epochSec > range.newestSec) range.newestSec = e.epochSec;
    else if (e.epochSec < range.oldestSec) range.oldestSec = e.epochSec;
    return true;
  });
  return range;
}


// Owns the metric log's `.idx` layout (Sentinel's MetricWriter): a sequence of 16-byte records, each a
// big-endian signed 64-bit epoch second followed by a big-endian 64-bit byte offset into the data file
// where that second's lines start. Reading side: seek to the first second at or after a given one.

import { open, readFile, type FileHandle } from 'node:fs/promises';

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

async function openIndex(dataFilePath: string) {
  try {
    return await open(dataFilePath + INDEX_SUFFIX, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function entryAt(handle: FileHandle, i: number, scratch: Buffer): Promise<IndexEntry> {
  await handle.read(scratch, 0, INDEX_RECORD_BYTES, i * INDEX_RECORD_BYTES);
  return { epochSec: Number(scratch.readBigInt64BE(0)), offsetBytes: Number(scratch.readBigInt64BE(8)) };
}

/**
 * seekIndex over `<dataFile>.idx` without reading all of it: the writer appends records in
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

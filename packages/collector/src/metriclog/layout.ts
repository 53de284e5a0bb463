// Owns the metric log's on-disk layout (Sentinel's MetricWriter): the base name
// `<app with '.' → '-'>-metrics.log`, data files `<base>.<yyyy-MM-dd>[.n]` (n = roll number, none
// for the day's first file), their reading order (date, then roll), and the `.idx` beside each
// data file: 16-byte records of a big-endian signed 64-bit epoch second and a big-endian 64-bit
// byte offset into the data file where that second's lines start, in ascending second order.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The metric log's directory under the pin's collector/ directory. */
export const METRIC_DIR_NAME = 'metrics';
export const INDEX_RECORD_BYTES = 16;
export const INDEX_SUFFIX = '.idx';

export interface MetricFile {
  name: string;
  path: string;
  /** `yyyy-MM-dd` from the name. */
  date: string;
  /** Roll number; 0 for the day's first file (no suffix). */
  roll: number;
}

export interface IndexEntry {
  epochSec: number;
  offsetBytes: number;
}

/** `<app with '.' → '-'>-metrics.log` (Sentinel's base name, without the pid option). */
export function metricLogBaseName(app: string): string {
  return `${app.replaceAll('.', '-')}-metrics.log`;
}

/** The data file name for a date and roll number. */
export function metricFileName(base: string, date: string, roll: number): string {
  return roll === 0 ? `${base}.${date}` : `${base}.${date}.${roll}`;
}

/** The `.idx` path of a data file path. */
export function indexPathOf(dataPath: string): string {
  return dataPath + INDEX_SUFFIX;
}

const DATE_ROLL = /^(\d{4}-\d{2}-\d{2})(?:\.(\d{1,9}))?$/;

/** Date and roll of a data file name of `base`; null for anything else (`.idx`, `.lck`, other bases). */
export function parseMetricFileName(base: string, name: string): { date: string; roll: number } | null {
  if (!name.startsWith(`${base}.`)) return null;
  const m = DATE_ROLL.exec(name.slice(base.length + 1));
  return m === null ? null : { date: m[1]!, roll: m[2] === undefined ? 0 : Number(m[2]) };
}

/** Reading order: by date, then roll number. */
export function compareMetricFiles(a: MetricFile, b: MetricFile): number {
  return a.date < b.date ? -1 : a.date > b.date ? 1 : a.roll - b.roll;
}

/** Data files of `base` in `dir`, in reading order (oldest first); [] when the directory cannot be read. */
export function listMetricFiles(dir: string, base: string): MetricFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const files: MetricFile[] = [];
  for (const name of names) {
    const p = parseMetricFileName(base, name);
    if (p !== null) files.push({ name, path: join(dir, name), date: p.date, roll: p.roll });
  }
  return files.sort(compareMetricFiles);
}

/** Writes one index record into `into` (INDEX_RECORD_BYTES long) and returns it. */
export function encodeIndexRecord(epochSec: number, offsetBytes: number, into: Buffer = Buffer.alloc(INDEX_RECORD_BYTES)): Buffer {
  into.writeBigInt64BE(BigInt(epochSec), 0);
  into.writeBigInt64BE(BigInt(offsetBytes), 8);
  return into;
}

/** The index record at bytes[at…]. */
export function decodeIndexRecord(bytes: Buffer, at = 0): IndexEntry {
  return { epochSec: Number(bytes.readBigInt64BE(at)), offsetBytes: Number(bytes.readBigInt64BE(at + 8)) };
}

/** Every whole record of an index buffer; a trailing partial record (an append in progress) is ignored. */
export function decodeIndex(bytes: Buffer): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let p = 0; p + INDEX_RECORD_BYTES <= bytes.byteLength; p += INDEX_RECORD_BYTES) out.push(decodeIndexRecord(bytes, p));
  return out;
}

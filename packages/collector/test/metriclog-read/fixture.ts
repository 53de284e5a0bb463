// Test fixture: writes metric-log data files and their `.idx` exactly as Sentinel's MetricWriter lays
// them out (fat lines; one index record at the first line of each new second).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecondLine } from '../../src/stats/types.js';
import { formatFatLine } from '../../src/metriclog/line.js';
import { encodeIndexRecord } from '../../src/metriclog/layout.js';

export function line(timestampMs: number, resource: string, pass: number, extra: Partial<SecondLine> = {}): SecondLine {
  return {
    timestampMs,
    resource,
    pass,
    block: 0,
    success: pass,
    exception: 0,
    rtMs: 5,
    occupiedPass: 0,
    concurrency: 0,
    classification: 0,
    ...extra,
  };
}

/** Writes `<dir>/<fileName>` and `<fileName>.idx`; returns the data bytes' offsets per second. */
export function writeMetricFile(dir: string, fileName: string, lines: SecondLine[]): Map<number, number> {
  mkdirSync(dir, { recursive: true });
  const data: Buffer[] = [];
  const idx: Buffer[] = [];
  const offsets = new Map<number, number>();
  let offset = 0;
  let lastSec = -1;
  for (const l of lines) {
    const sec = Math.floor(l.timestampMs / 1000);
    if (sec !== lastSec) {
      idx.push(encodeIndexRecord(sec, offset));
      offsets.set(sec, offset);
      lastSec = sec;
    }
    const bytes = Buffer.from(formatFatLine(l, 0), 'utf8');
    data.push(bytes);
    offset += bytes.length;
  }
  writeFileSync(join(dir, fileName), Buffer.concat(data));
  writeFileSync(join(dir, fileName + '.idx'), Buffer.concat(idx));
  return offsets;
}

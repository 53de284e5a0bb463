// Owns refilling the minute windows after a restart: the seconds already sealed in the last
// minute are read back from the current metric-log file (seeking with its .idx) and added to the
// resource and total nodes, so one-minute totals do not drop to zero because the collector
// restarted. Per-origin nodes and min RT are not in the metric log and start empty; seconds in an
// earlier (rolled) file are not read back.

import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { parseFatLine } from '../metriclog/line.js';
import { IDX_RECORD_BYTES, type MetricLogPosition } from '../metriclog/writer.js';
import type { StatsStore } from '../stats/store.js';

const MINUTE_SEC = 60;

/** Adds the metric-log lines of seconds in (lastSealedSec − 60, lastSealedSec] to the store's windows; returns lines read. */
export function warmStart(store: StatsStore, metricDir: string, position: MetricLogPosition | null): number {
  if (position === null || store.lastSealedSec < 0) return 0;
  const fromSec = store.lastSealedSec - MINUTE_SEC + 1;
  const dataPath = join(metricDir, position.file);
  let startOffset = 0;
  let idxFd = -1;
  let fd = -1;
  try {
    idxFd = openSync(`${dataPath}.idx`, 'r');
    const idxBytes = Math.min(position.idxBytes, fstatSync(idxFd).size);
    const rec = Buffer.alloc(IDX_RECORD_BYTES);
    // The index is ascending: the last record before fromSec is where reading starts.
    for (let off = idxBytes - IDX_RECORD_BYTES; off >= 0; off -= IDX_RECORD_BYTES) {
      readSync(idxFd, rec, 0, IDX_RECORD_BYTES, off);
      const sec = Number(rec.readBigInt64BE(0));
      startOffset = Number(rec.readBigInt64BE(8));
      if (sec < fromSec) break;
    }
    fd = openSync(dataPath, 'r');
    const length = Math.max(0, Math.min(position.sizeBytes, fstatSync(fd).size) - startOffset);
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, startOffset + done);
      if (n <= 0) break;
      done += n;
    }
    let lines = 0;
    for (const text of buf.toString('utf8', 0, done).split('\n')) {
      const l = text === '' ? null : parseFatLine(text);
      if (l === null) continue;
      const sec = Math.floor(l.timestampMs / 1000);
      if (sec < fromSec || sec > store.lastSealedSec) continue;
      // rt in a line is an integer average: ΣRT is restored as rt × success (exact when it divided evenly).
      store.addSealedCounts(l.resource, l.timestampMs, l.pass, l.block, l.success, l.exception, l.success > 0 ? l.rtMs * l.success : l.rtMs);
      lines++;
    }
    return lines;
  } catch {
    return 0; // a missing or unreadable file only means colder windows
  } finally {
    if (idxFd >= 0) closeSync(idxFd);
    if (fd >= 0) closeSync(fd);
  }
}

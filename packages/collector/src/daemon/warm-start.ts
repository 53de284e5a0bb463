// Owns refilling the minute windows after a restart: the seconds already sealed in the last
// minute are read back from the current metric-log file (seeking with its .idx) and added to the
// resource and total nodes, so one-minute totals do not drop to zero because the collector
// restarted. Per-origin nodes and min RT are not in the metric log and start empty; seconds in an
// earlier (rolled) file are not read back.

import { join } from 'node:path';
import { decodeIndex, indexPathOf } from '../metriclog/layout.js';
import { parseFatLine } from '../metriclog/line.js';
import { readUpTo } from '../metriclog/read-range.js';
import type { MetricLogPosition } from '../metriclog/writer.js';
import type { StatsStore } from '../stats/store.js';

const MINUTE_SEC = 60;

/** Adds the metric-log lines of seconds in (lastSealedSec − 60, lastSealedSec] to the store's windows; returns lines read. */
export function warmStart(store: StatsStore, metricDir: string, position: MetricLogPosition | null): number {
  if (position === null || store.lastSealedSec < 0) return 0;
  const fromSec = store.lastSealedSec - MINUTE_SEC + 1;
  const dataPath = join(metricDir, position.file);
  try {
    // The index is ascending: the last record before fromSec (else the first) is where reading starts.
    const index = decodeIndex(readUpTo(indexPathOf(dataPath), position.idxBytes));
    let startOffset = 0;
    for (let i = index.length - 1; i >= 0; i--) {
      startOffset = index[i]!.offsetBytes;
      if (index[i]!.epochSec < fromSec) break;
    }
    let lines = 0;
    for (const text of readUpTo(dataPath, position.sizeBytes, startOffset).toString('utf8').split('\n')) {
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
  }
}

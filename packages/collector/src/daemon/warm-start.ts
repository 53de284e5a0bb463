// Owns refilling the minute windows after a restart: the seconds already sealed in the minute
// before the restart are read back from the current metric-log file (seeking with its .idx) and
// added to the resource and total nodes, so one-minute totals do not drop to zero because the
// collector restarted. Per-origin nodes and min RT are not in the metric log and start empty; seconds in an
// earlier (rolled) file are not read back.
// A line names its resource escaped (`|` and control characters as `_`: metriclog/line.ts), so
// it is read back under the name it stands for among the names the collector counted before
// (`knownNames`, from the map's id file): `a_b` is `a|b` when that is the known name it escapes;
// a line that stands for two known names at once (`a|b` and `a_b`) is left out (cold windows for
// them, rather than one's counts in the other's); a name no known one escapes to is taken as is.

import { join } from 'node:path';
import { decodeIndex, indexPathOf } from '../metriclog/layout.js';
import { escapeResource, parseFatLine } from '../metriclog/line.js';
import { readUpTo } from '../metriclog/read-range.js';
import type { MetricLogPosition } from '../metriclog/writer.js';
import type { StatsStore } from '../stats/store.js';

const MINUTE_SEC = 60;

/**
 * Adds the metric-log lines of seconds in (lastSealedSec − 60, lastSealedSec] that are still in the
 * minute before nowMs to the store's windows; returns lines read. A collector stopped for a minute
 * or more refills nothing: those seconds are out of every window, and the resources they name are
 * not tracked (taking places of the resource cap) until they come again.
 */
export function warmStart(store: StatsStore, metricDir: string, position: MetricLogPosition | null, nowMs: number, knownNames: Iterable<string> = []): number {
  if (position === null || store.lastSealedSec < 0) return 0;
  const originalOf = escapedNames(knownNames);
  const fromSec = Math.max(store.lastSealedSec, Math.floor(nowMs / 1000)) - MINUTE_SEC + 1;
  if (fromSec > store.lastSealedSec) return 0;
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
      const known = originalOf.get(l.resource);
      if (known === null) continue; // stands for two known names
      // rt in a line is an integer average: ΣRT is restored as rt × success (exact when it divided evenly).
      store.addSealedCounts(known ?? l.resource, l.timestampMs, l.pass, l.block, l.success, l.exception, l.success > 0 ? l.rtMs * l.success : l.rtMs);
      lines++;
    }
    return lines;
  } catch {
    return 0; // a missing or unreadable file only means colder windows
  }
}

/** Escaped name → the known name it stands for, or null when it stands for more than one. */
function escapedNames(knownNames: Iterable<string>): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const name of knownNames) {
    const escaped = escapeResource(name);
    const prev = out.get(escaped);
    out.set(escaped, prev === undefined || prev === name ? name : null);
  }
  return out;
}

// Owns what a stopped collector has not yet written to the metric log: the seconds of the
// pending and late rows its checkpoint holds (a collector keeps the last seconds open for late
// records, so a stop leaves up to a grace period's worth unsealed; they are written at its next
// start). `stats` and `top`, reading the metric log while no collector runs, say so instead of
// silently showing an older second. A missing or unreadable checkpoint is not an error here:
// the collector itself reports that when it starts.

import { readFileSync } from 'node:fs';
import { formatDateTime } from '../metriclog/line.js';
import { pinPaths } from '../pin/pin.js';

/** The distinct seconds (epoch s, ascending) with rows the checkpoint holds and the log has not. */
export function unwrittenSeconds(pinDir: string): number[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(pinPaths(pinDir).checkpoint, 'utf8'));
  } catch {
    return [];
  }
  const store = (doc as { store?: { pending?: unknown; late?: unknown } } | null)?.store;
  const seconds = new Set<number>();
  for (const list of [store?.pending, store?.late]) {
    if (!Array.isArray(list)) continue;
    for (const batch of list as Array<{ sec?: unknown; rows?: unknown }>) {
      if (Number.isSafeInteger(batch?.sec) && Array.isArray(batch.rows) && batch.rows.length > 0) seconds.add(batch.sec as number);
    }
  }
  return [...seconds].sort((a, b) => a - b);
}

/** The note for those seconds, or undefined when there are none. */
export function unwrittenNote(seconds: number[]): string | undefined {
  if (seconds.length === 0) return undefined;
  const first = formatDateTime(seconds[0]! * 1000);
  const span = seconds.length === 1 ? first : `${first} to ${formatDateTime(seconds[seconds.length - 1]! * 1000)}`;
  const what = seconds.length === 1 ? '1 second' : `${seconds.length} seconds`;
  const them = seconds.length === 1 ? 'it, and it is' : 'them, and they are';
  return `the collector stopped with ${what} not yet in the metric log (${span}): its checkpoint holds ${them} written when the collector starts again`;
}

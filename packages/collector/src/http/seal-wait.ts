// Owns `/metric`'s short wait for the last second of a range to be sealed into the metric log: the
// dashboard fetches each window once, about 2 s after its end, while a collector seals a second about
// grace + 1 s after it ends.

import type { StatsQuery } from '../stats/types.js';

/** The dashboard fetches a 7 s window once its end is 2 s old; its read timeout is 3 s. */
export const DEFAULT_METRIC_WAIT_MS = 1500;
const SEAL_POLL_MS = 50;

/**
 * waitForSealed for the transport: polls the query's sealed front (real time, every 50 ms) until it
 * reaches sec, maxWaitMs has passed, or `stop` is aborted (the server closes). Without
 * query.sealedThroughSecAt there is nothing to wait for.
 */
export function sealWaiter(query: StatsQuery, nowMs: () => number, maxWaitMs: number, stop: AbortSignal): (sec: number) => Promise<void> {
  return async (sec) => {
    if (query.sealedThroughSecAt === undefined || maxWaitMs <= 0) return;
    const deadline = Date.now() + maxWaitMs;
    while (!stop.aborted && query.sealedThroughSecAt(nowMs()) < sec && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(SEAL_POLL_MS, Math.max(1, deadline - Date.now())));
        function done(): void {
          clearTimeout(timer);
          stop.removeEventListener('abort', done);
          resolve();
        }
        stop.addEventListener('abort', done);
      });
    }
  };
}

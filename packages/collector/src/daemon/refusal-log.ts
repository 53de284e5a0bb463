// Owns the log's account of state-changing requests the HTTP server refused (a missing or wrong
// token, a browser or a GET from the trusted dashboard address): one warn line per (code, address),
// and within REFUSAL_LOG_QUIET_MS of it only a count, said with the next line, so that a client
// retrying in a loop (or someone guessing tokens) leaves a trail without flooding the log. At most
// REFUSAL_LOG_KEYS (code, address) pairs are remembered; the oldest is forgotten first.

import type { Logger } from 'pino';
import type { Refusal } from '../http/server.js';

export const REFUSAL_LOG_QUIET_MS = 10_000;
export const REFUSAL_LOG_KEYS = 256;

export type RefusalLog = (r: Refusal) => void;

/** A refusal reporter that writes to `log` at most once per (code, address) per REFUSAL_LOG_QUIET_MS of `nowMs`. */
export function refusalLog(log: Logger, nowMs: () => number): RefusalLog {
  const last = new Map<string, { atMs: number; since: number }>();
  return (r) => {
    const key = `${r.code} ${r.remoteAddress}`;
    const t = nowMs();
    const seen = last.get(key);
    if (seen !== undefined && t - seen.atMs < REFUSAL_LOG_QUIET_MS && t >= seen.atMs) {
      seen.since++;
      return;
    }
    last.delete(key);
    last.set(key, { atMs: t, since: 0 });
    if (last.size > REFUSAL_LOG_KEYS) last.delete(last.keys().next().value!);
    const more = seen !== undefined && seen.since > 0 ? ` (${seen.since} more refused in the ${Math.round((t - seen.atMs) / 1000)} s before)` : '';
    log.warn({ code: r.code, command: r.command, status: r.status, remoteAddress: r.remoteAddress }, `refused a /${r.command} from ${r.remoteAddress}: ${r.code}${more}`);
  };
}

// Owns the log's account of state-changing requests the HTTP server refused (a missing or wrong
// token, a browser or a GET from the trusted dashboard address): one warn line per (code, address),
// and within REFUSAL_LOG_QUIET_MS of it only a count, said with the next line, so that a client
// retrying in a loop (or someone guessing tokens) leaves a trail without flooding the log. At most
// REFUSAL_LOG_KEYS (code, address) pairs are remembered; the oldest is forgotten first (RepeatGate,
// as the health log's problems).

import type { Logger } from 'pino';
import type { Refusal } from '../http/server.js';
import { RepeatGate } from '../stats/repeat-gate.js';

export const REFUSAL_LOG_QUIET_MS = 10_000;
export const REFUSAL_LOG_KEYS = 256;

export type RefusalLog = (r: Refusal) => void;

/** A refusal reporter that writes to `log` at most once per (code, address) per REFUSAL_LOG_QUIET_MS of `nowMs`. */
export function refusalLog(log: Logger, nowMs: () => number): RefusalLog {
  const gate = new RepeatGate(REFUSAL_LOG_QUIET_MS, REFUSAL_LOG_KEYS);
  return (r) => {
    const passed = gate.pass(`${r.code} ${r.remoteAddress}`, nowMs());
    if (passed === null) return;
    const more = passed.repeats > 0 ? ` (${passed.repeats} more refused in the ${Math.round(passed.sinceMs / 1000)} s before)` : '';
    log.warn({ code: r.code, command: r.command, status: r.status, remoteAddress: r.remoteAddress }, `refused a /${r.command} from ${r.remoteAddress}: ${r.code}${more}`);
  };
}

// Owns the daemon's log lines about rules: a rule file's load (an unusable file at error level,
// saying what stays in force; a set that leaves no rule in force while rejecting some at warn
// level, saying what it dropped; the first MAX_REPORTED_REJECTIONS rejected rules one by one, then
// one line with how many more; the same for unknown fields of rules in force that look like a
// misspelt field), a /setRules push refused as a whole, and a circuit breaker's transition with its cause.

import type { Logger } from 'pino';
import { droppedBefore, inForceAfterError, type RuleFileStatus } from '../rules/rule-files.js';
import { RuleSetError, type RuleType } from '../rules/rule-set.js';
import type { BreakerTransition } from '../rules/circuit-breaker.js';

/**
 * One rule file's load: an unusable file at error level (saying what stays in force); a set that
 * leaves no rule in force while rejecting some at warn level (saying what it dropped); else info.
 * Then the first MAX_REPORTED_REJECTIONS rejected rules one by one (the status keeps no more) and
 * one line with how many more.
 */
export function logRuleStatus(log: Logger, type: RuleType, status: RuleFileStatus): void {
  const { file, active, rejectedTotal } = status;
  if (status.error !== undefined) log.error({ code: status.error.code, file, active }, `${type} rules not loaded: ${status.error.reason}; ${inForceAfterError(status)}`);
  else if (active === 0 && rejectedTotal > 0) log.warn({ file, active, rejected: rejectedTotal, activeBefore: status.activeBefore }, `${type} rules loaded: 0 in force, ${rejectedTotal} rejected; ${droppedBefore(status.activeBefore)}`);
  else log.info({ file, active, rejected: rejectedTotal }, `${type} rules loaded`);
  if (status.error !== undefined) return; // its rejections were logged when that set was loaded
  for (const r of status.rejected) {
    const which = r.resource === undefined ? '' : ` (resource ${JSON.stringify(r.resource)})`;
    log.warn({ code: r.code, file, index: r.index, resource: r.resource }, `${type} rule ${r.index}${which} rejected: ${r.reason}`);
  }
  const more = rejectedTotal - status.rejected.length;
  if (more > 0) log.warn({ file, rejected: rejectedTotal, notLogged: more }, `${type} rules: ${more} more rejected, not logged one by one`);
  for (const l of status.lookalikes) {
    log.warn({ code: 'E_RULE_FIELD_LOOKALIKE', file, index: l.index, resource: l.resource, field: l.field }, `${type} rule ${l.index} (resource ${JSON.stringify(l.resource)}): unknown field ${JSON.stringify(l.field)} is kept but does nothing; did you mean ${JSON.stringify(l.like)}?`);
  }
  const moreLookalikes = status.lookalikesTotal - status.lookalikes.length;
  if (moreLookalikes > 0) log.warn({ code: 'E_RULE_FIELD_LOOKALIKE', file, lookalikes: status.lookalikesTotal, notLogged: moreLookalikes }, `${type} rules: ${moreLookalikes} more unknown fields that look like misspelt ones, not logged one by one`);
}

/** A /setRules push refused as a whole: a write failure at error level, a bad set at warn level; nothing changed. */
export function logRefusedPush(log: Logger, type: RuleType, inForce: RuleFileStatus, err: unknown): void {
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? 'E_RULES_PUSH';
  const fields = { code, file: inForce.file, active: inForce.active };
  const message = `${type} rules pushed over /setRules not applied: ${e.message}; the rules in force are unchanged`;
  if (err instanceof RuleSetError && code !== 'E_RULES_WRITE') log.warn(fields, message);
  else log.error(fields, message);
}

/** A circuit breaker's transition as its log line carries it: why (cause) and the value that decided. */
export function breakerLogFields(tr: BreakerTransition): Record<string, unknown> {
  return { resource: tr.resource, from: tr.from, to: tr.to, cause: tr.cause, value: tr.value, avgRtMs: tr.avgRtMs };
}

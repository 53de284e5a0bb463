// Owns the rule sources in the pin: `<pin>/rules/flow.json` and `<pin>/rules/degrade.json`
// (Sentinel JSON arrays). `reload()` reads a file only when its size or mtime changed, and only a
// regular file of its own, never through a link (rule-file-read.ts: E_RULES_NOT_FILE,
// E_RULES_TOO_LARGE, E_RULES_READ, each keeping the set in force); a file that
// parses keeps its valid rules and reports each invalid rule alone (index, code, reason), even when
// that leaves none (as Sentinel: the set in force is replaced; the status says how many were in
// force before, see droppedBefore); a file that is not JSON (or not an array, or holds more than
// MAX_RULES_PER_TYPE entries) keeps the previous set (none at start-up) and is reported, saying
// what stays in force (inForceAfterError); a missing file is an empty set. `save()` writes a set
// atomically (the project's no-follow safe write) and makes it current; a write that fails is
// E_RULES_WRITE and changes nothing. Each reason is reported once per file content (callers log
// what `reload` returns). The status keeps the first MAX_REPORTED_REJECTIONS rejections (index,
// code, reason, and the rule's resource when it names one; not the rule as given, which may be
// large) and the count of all of them.

import { join } from 'node:path';
import { writeFileSafely } from '../pin/safe-write.js';
import { isPlainObject } from './rule-fields.js';
import { readRuleFile, RuleFileReadError, ruleFileStamp } from './rule-file-read.js';
import { MAX_REPORTED_REJECTIONS, parseRules, RULE_TYPES, RuleSetError, serializeRules, type FieldLookalike, type ParsedRules, type RejectedRule, type RuleOf, type RuleType } from './rule-set.js';

/**
 * A rule refused alone, as the status keeps it: not the rule as given (it may be large), but its
 * `resource` when that is a string (shown as shownResource cuts it), so a log line and health say
 * which rule it was.
 */
export type RejectionReport = Omit<RejectedRule, 'rule'> & { resource?: string };

/** How much of a rule's resource its report (a rejection, a lookalike field) keeps, in UTF-16 units. */
export const RESOURCE_SHOWN_UNITS = 80;

/** A resource as a report shows it: whole up to RESOURCE_SHOWN_UNITS units, else its first ones and `…`. */
export function shownResource(resource: string): string {
  if (resource.length <= RESOURCE_SHOWN_UNITS) return resource;
  // Not cut between the two halves of a surrogate pair.
  const end = isHighSurrogate(resource.charCodeAt(RESOURCE_SHOWN_UNITS - 1)) ? RESOURCE_SHOWN_UNITS - 1 : RESOURCE_SHOWN_UNITS;
  return `${resource.slice(0, end)}…`;
}

/** The report of a rejected rule: index, code, reason, and its resource when it names one. */
function reportOf({ index, code, reason, rule }: RejectedRule): RejectionReport {
  const resource = isPlainObject(rule) && typeof rule.resource === 'string' ? rule.resource : undefined;
  return resource === undefined ? { index, code, reason } : { index, code, reason, resource: shownResource(resource) };
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

export interface RuleFileStatus {
  type: RuleType;
  file: string;
  /** Rules in force (after an unusable file: those loaded before it, 0 at start-up). */
  active: number;
  /** Rules in force just before this load (after an unusable file: `active`, nothing was replaced). */
  activeBefore: number;
  /** The first MAX_REPORTED_REJECTIONS rules of the file refused alone, with their reasons (and resources). */
  rejected: RejectionReport[];
  /** How many rules of the file were refused alone (`rejected` lists the first of them). */
  rejectedTotal: number;
  /**
   * The first MAX_REPORTED_REJECTIONS unknown fields of the rules in force that look like a
   * misspelt field (kept, and doing nothing): rule index, resource (as shownResource cuts it), the
   * field, the field it looks like.
   */
  lookalikes: FieldLookalike[];
  /** How many such fields the rules in force have (`lookalikes` lists the first of them). */
  lookalikesTotal: number;
  /** The whole file was unusable (the previous set, `active` rules, stays): code and reason. */
  error?: { code: string; reason: string };
  /** When the file was last read (epoch ms), 0 before. */
  loadedAtMs: number;
}

export interface RuleChange {
  type: RuleType;
  status: RuleFileStatus;
}

/** What a set that left no rule in force did to the rules in force before it (its log line, the /setRules answer). */
export function droppedBefore(activeBefore: number): string {
  if (activeBefore === 0) return 'no rule was in force before';
  return activeBefore === 1 ? 'the 1 rule in force before is dropped' : `the ${activeBefore} rules in force before are dropped`;
}

/** What is in force after a file that could not be used (for its log line): the rules loaded before it, or none. */
export function inForceAfterError(status: RuleFileStatus): string {
  if (status.active === 0) return `no ${status.type} rules are in force until the file is fixed`;
  return status.active === 1 ? 'the previous rule stays in force' : `the previous ${status.active} rules stay in force`;
}

export class RuleFiles {
  private readonly dir: string;
  private readonly sets: { flow: RuleOf<'flow'>[]; degrade: RuleOf<'degrade'>[] } = { flow: [], degrade: [] };
  private readonly status = new Map<RuleType, RuleFileStatus>();
  private readonly seen = new Map<RuleType, string>();

  constructor(rulesDir: string) {
    this.dir = rulesDir;
    for (const type of RULE_TYPES) this.status.set(type, { type, file: this.pathOf(type), active: 0, activeBefore: 0, rejected: [], rejectedTotal: 0, lookalikes: [], lookalikesTotal: 0, loadedAtMs: 0 });
  }

  pathOf(type: RuleType): string {
    return join(this.dir, `${type}.json`);
  }

  rules<T extends RuleType>(type: T): RuleOf<T>[] {
    return this.sets[type] as RuleOf<T>[];
  }

  statusOf(type: RuleType): RuleFileStatus {
    return this.status.get(type)!;
  }

  /** Reads the files that changed since the last look; returns what changed (to apply and log). */
  reload(nowMs: number): RuleChange[] {
    const changes: RuleChange[] = [];
    for (const type of RULE_TYPES) {
      const path = this.pathOf(type);
      const stamp = ruleFileStamp(path);
      if (this.seen.get(type) === stamp) continue;
      this.seen.set(type, stamp);
      let text: string | null = null;
      if (stamp !== 'missing') {
        try {
          text = readRuleFile(path);
        } catch (err) {
          if (!(err instanceof RuleFileReadError)) throw err;
          changes.push({ type, status: this.failed(type, err.code, err.message, nowMs) });
          continue;
        }
      }
      changes.push({ type, status: this.apply(type, text ?? '[]', nowMs) });
    }
    return changes;
  }

  /** Checks `json` as a rule set of `type`, keeping the previous set when it is unusable as a whole. */
  apply(type: RuleType, json: string, nowMs: number): RuleFileStatus {
    let parsed: ParsedRules<RuleType>;
    try {
      parsed = parseRules(type, json);
    } catch (err) {
      if (!(err instanceof RuleSetError)) throw err;
      return this.failed(type, err.code, err.message, nowMs);
    }
    return this.loaded(type, parsed, nowMs);
  }

  /**
   * Checks a pushed set (`/setRules`); when it is usable as a whole, writes its valid rules to the
   * file atomically and makes them current. Throws RuleSetError (nothing changes) otherwise.
   */
  save(type: RuleType, json: string, nowMs: number): RuleFileStatus {
    const parsed = parseRules(type, json); // throws RuleSetError: nothing written
    const path = this.pathOf(type);
    const text = `${serializeRules(type, parsed.rules)}\n`; // before the write: only a failed write is E_RULES_WRITE
    try {
      writeFileSafely(path, text);
    } catch (err) {
      throw new RuleSetError('E_RULES_WRITE', `cannot write ${path}: ${(err as Error).message}`);
    }
    const status = this.loaded(type, parsed, nowMs);
    const stamp = ruleFileStamp(path);
    if (stamp === 'missing') this.seen.delete(type);
    else this.seen.set(type, stamp);
    return status;
  }

  /** Makes a parsed set current; its status keeps the first rejections and counts them all. */
  private loaded(type: RuleType, parsed: ParsedRules<RuleType>, nowMs: number): RuleFileStatus {
    const activeBefore = this.statusOf(type).active;
    (this.sets as Record<RuleType, unknown[]>)[type] = parsed.rules;
    const rejected = parsed.rejected.slice(0, MAX_REPORTED_REJECTIONS).map(reportOf);
    const lookalikes = parsed.lookalikes.slice(0, MAX_REPORTED_REJECTIONS).map((l) => ({ ...l, resource: shownResource(l.resource) }));
    const status: RuleFileStatus = {
      type,
      file: this.pathOf(type),
      active: parsed.rules.length,
      activeBefore,
      rejected,
      rejectedTotal: parsed.rejected.length,
      lookalikes,
      lookalikesTotal: parsed.lookalikes.length,
      loadedAtMs: nowMs,
    };
    this.status.set(type, status);
    return status;
  }

  /** A file that could not be used: the set in force stays, the status says why. */
  private failed(type: RuleType, code: string, reason: string, nowMs: number): RuleFileStatus {
    const before = this.statusOf(type);
    const status: RuleFileStatus = { ...before, activeBefore: before.active, error: { code, reason }, loadedAtMs: nowMs };
    this.status.set(type, status);
    return status;
  }
}

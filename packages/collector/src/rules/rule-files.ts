// Owns the rule sources in the pin: `<pin>/rules/flow.json` and `<pin>/rules/degrade.json`
// (Sentinel JSON arrays). `reload()` reads a file only when its size or mtime changed; a file that
// parses keeps its valid rules and reports each invalid rule alone (index, code, reason); a file
// that is not JSON (or not an array) keeps the previous set (none at start-up) and is reported,
// saying what stays in force (inForceAfterError); a missing file is an empty set. `save()` writes
// a set atomically (the project's no-follow safe write) and makes it current. Each reason is
// reported once per file content (callers log what `reload` returns).

import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileSafely } from '../pin/safe-write.js';
import { parseRules, RULE_TYPES, RuleSetError, serializeRules, type RejectedRule, type RuleOf, type RuleType } from './rule-set.js';

export interface RuleFileStatus {
  type: RuleType;
  file: string;
  /** Rules in force (after an unusable file: those loaded before it, 0 at start-up). */
  active: number;
  /** Rules of the file refused alone, with their reasons. */
  rejected: RejectedRule[];
  /** The whole file was unusable (the previous set, `active` rules, stays): code and reason. */
  error?: { code: string; reason: string };
  /** When the file was last read (epoch ms), 0 before. */
  loadedAtMs: number;
}

export interface RuleChange {
  type: RuleType;
  status: RuleFileStatus;
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
    for (const type of RULE_TYPES) this.status.set(type, { type, file: this.pathOf(type), active: 0, rejected: [], loadedAtMs: 0 });
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
      let stamp: string;
      try {
        const st = statSync(path);
        stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
      } catch {
        stamp = 'missing';
      }
      if (this.seen.get(type) === stamp) continue;
      this.seen.set(type, stamp);
      let text: string | null = null;
      if (stamp !== 'missing') {
        try {
          text = readFileSync(path, 'utf8');
        } catch (err) {
          this.status.set(type, { ...this.statusOf(type), error: { code: 'E_RULES_READ', reason: (err as Error).message }, loadedAtMs: nowMs });
          changes.push({ type, status: this.statusOf(type) });
          continue;
        }
      }
      changes.push({ type, status: this.apply(type, text ?? '[]', nowMs) });
    }
    return changes;
  }

  /** Checks `json` as a rule set of `type`, keeping the previous set when it is unusable as a whole. */
  apply(type: RuleType, json: string, nowMs: number): RuleFileStatus {
    let status: RuleFileStatus;
    try {
      const parsed = parseRules(type, json);
      (this.sets as Record<RuleType, unknown[]>)[type] = parsed.rules;
      status = { type, file: this.pathOf(type), active: parsed.rules.length, rejected: parsed.rejected, loadedAtMs: nowMs };
    } catch (err) {
      if (!(err instanceof RuleSetError)) throw err;
      status = { ...this.statusOf(type), error: { code: err.code, reason: err.message }, loadedAtMs: nowMs };
    }
    this.status.set(type, status);
    return status;
  }

  /**
   * Checks a pushed set (`/setRules`); when it is usable as a whole, writes its valid rules to the
   * file atomically and makes them current. Throws RuleSetError (nothing changes) otherwise.
   */
  save(type: RuleType, json: string, nowMs: number): RuleFileStatus {
    const parsed = parseRules(type, json); // throws RuleSetError: nothing written
    const path = this.pathOf(type);
    writeFileSafely(path, `${serializeRules(type, parsed.rules)}\n`);
    (this.sets as Record<RuleType, unknown[]>)[type] = parsed.rules;
    const status: RuleFileStatus = { type, file: path, active: parsed.rules.length, rejected: parsed.rejected, loadedAtMs: nowMs };
    this.status.set(type, status);
    try {
      const st = statSync(path);
      this.seen.set(type, `${st.size}:${st.mtimeMs}:${st.ino}`);
    } catch {
      this.seen.delete(type);
    }
    return status;
  }
}

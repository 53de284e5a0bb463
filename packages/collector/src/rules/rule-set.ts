// Owns reading and writing a rule set in Sentinel's JSON (what the dashboard's setRules and
// Sentinel's data sources send): `parseRules(type, json)` checks every rule alone and refuses an
// invalid one with its index, the rule as given, a stable code and a reason — the valid rest is
// kept, so a half-bad reload never empties a running set. A set of more than MAX_RULES_PER_TYPE
// entries is refused as a whole (E_RULES_TOO_MANY), as is one that is not a JSON array. A JSON
// text may start with a UTF-8 byte order mark, skipped as Sentinel's parser (fastjson) skips it.
// `serializeRules` writes the normalised set back (defaults filled in, unknown fields kept), as
// `/getRules` serves it. MAX_REPORTED_REJECTIONS bounds how many rejected rules are reported one
// by one (log lines, the `/setRules` answer, health); the rest are counted.

import { DEGRADE_RULE_FIELDS, readDegradeRule, writeDegradeRule, type DegradeRule } from './rule-degrade.js';
import { FieldError, isPlainObject, lookalikeOf } from './rule-fields.js';
import { FLOW_RULE_FIELDS, readFlowRule, writeFlowRule, type FlowRule } from './rule-flow.js';

export type RuleType = 'flow' | 'degrade';
export const RULE_TYPES: readonly RuleType[] = ['flow', 'degrade'];
export type RuleOf<T extends RuleType> = T extends 'flow' ? FlowRule : DegradeRule;

/**
 * Most entries a flow or degrade rule set may hold (its JSON array's length, valid or not): 2048.
 * Each rule is a verdict key the collector decides and writes to `<pin>/map` every control tick
 * (≤ 100 ms). Measured (FlowControl.tick, one rule per resource): about 5 µs a rule a tick, so
 * both sets at the cap (4096 keys) take about 20 ms of each 100 ms tick, and 4096 keys fill a
 * quarter of the default map's 16384 home slots, within the map's design load (under 40 % with
 * the 6000 counted resources, map-writer.ts). Twice that (8192 keys) took 40 ms a tick and left
 * 215 keys without a slot; the reported 30 001 rules brought ticks down to ~6.6/s. Sentinel
 * applications use tens to hundreds of rules.
 */
export const MAX_RULES_PER_TYPE = 2048;

/**
 * Most rejected rules reported one by one (each a log line, a reason in the `/setRules` answer,
 * an entry in health); beyond it they are counted (one log line, "and N more").
 */
export const MAX_REPORTED_REJECTIONS = 20;

export interface RejectedRule {
  index: number;
  rule: unknown;
  code: string;
  reason: string;
}

/** An unknown field of a rule in force that looks like a misspelt field it models (rule-fields.ts lookalikeOf). */
export interface FieldLookalike {
  /** The rule's index in the set as given. */
  index: number;
  /** The rule's resource. */
  resource: string;
  /** The field as given: kept, and it does nothing. */
  field: string;
  /** The field it looks like. */
  like: string;
}

export interface ParsedRules<T extends RuleType> {
  rules: RuleOf<T>[];
  rejected: RejectedRule[];
  /** Unknown fields of the rules kept that look like misspelt known ones, in rule order. */
  lookalikes: FieldLookalike[];
}

/**
 * The whole input is unusable (not JSON, not an array, too many entries, unknown type), or a
 * pushed set could not be written (E_RULES_WRITE, rule-files.ts): nothing is applied.
 */
export class RuleSetError extends Error {
  constructor(
    readonly code: 'E_RULES_TYPE' | 'E_RULES_JSON' | 'E_RULES_NOT_ARRAY' | 'E_RULES_TOO_MANY' | 'E_RULES_WRITE',
    message: string,
  ) {
    super(message);
  }
}

/** Sentinel's rule types are case-insensitive (`getRules?type=FLOW`). */
export function ruleType(name: string): RuleType {
  const t = name.toLowerCase();
  if (t === 'flow' || t === 'degrade') return t;
  throw new RuleSetError('E_RULES_TYPE', `invalid type ${JSON.stringify(name)}: supported are ${RULE_TYPES.join(', ')}`);
}

/**
 * A byte order mark (EF BB BF, U+FEFF once decoded as UTF-8), as editors on Windows start a file
 * with: fastjson skips one at the start of its input, JSON.parse refuses it ("Unexpected token").
 */
const BYTE_ORDER_MARK = '\uFEFF';

/** `json`: the JSON text (one leading byte order mark skipped) or the already parsed value (an array of rule objects). */
export function parseRules<T extends RuleType>(type: T, json: unknown): ParsedRules<T> {
  ruleType(type);
  let value = json;
  if (typeof json === 'string') {
    const text = json.startsWith(BYTE_ORDER_MARK) ? json.slice(BYTE_ORDER_MARK.length) : json;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new RuleSetError('E_RULES_JSON', `rules are not valid JSON: ${withoutQuotedText((e as Error).message)}`);
    }
  }
  if (!Array.isArray(value)) throw new RuleSetError('E_RULES_NOT_ARRAY', 'rules must be a JSON array of rule objects');
  if (value.length > MAX_RULES_PER_TYPE) throw new RuleSetError('E_RULES_TOO_MANY', `a ${type} rule set may hold at most ${MAX_RULES_PER_TYPE} rules, got ${value.length}`);
  const rules: RuleOf<T>[] = [];
  const rejected: RejectedRule[] = [];
  const lookalikes: FieldLookalike[] = [];
  const known = type === 'flow' ? FLOW_RULE_FIELDS : DEGRADE_RULE_FIELDS;
  value.forEach((raw: unknown, index) => {
    try {
      if (!isPlainObject(raw)) throw new FieldError('E_RULE_NOT_OBJECT', 'a rule must be a JSON object');
      const rule = (type === 'flow' ? readFlowRule(raw) : readDegradeRule(raw)) as RuleOf<T>;
      rules.push(rule);
      for (const field of Object.keys(rule.extra)) {
        const like = lookalikeOf(field, known);
        if (like !== undefined) lookalikes.push({ index, resource: rule.resource, field, like });
      }
    } catch (e) {
      /* c8 ignore next -- only FieldErrors are thrown by the readers */
      if (!(e instanceof FieldError)) throw e;
      rejected.push({ index, rule: raw, code: e.code, reason: e.message });
    }
  });
  return { rules, rejected, lookalikes };
}

/**
 * A JSON.parse message without the bytes it quotes (`Unexpected token 'r', "root:x:0:0"... is not
 * valid JSON`): a refused file's reason is served by /api/v1/health to anyone who can connect.
 */
function withoutQuotedText(message: string): string {
  // A structural character is kept (it says what is wrong, and is no secret): a ']' or '}' right
  // after a ',' is the usual trailing comma.
  const token = /^Unexpected token '([\s\S])', [\s\S]* is not valid JSON$/.exec(message)?.[1];
  if (token !== undefined) return ']},:'.includes(token) ? `Unexpected token '${token}'${token === ']' || token === '}' ? ' (a trailing comma?)' : ''}` : 'Unexpected token';
  return message.replace(/^Unexpected token [\s\S]*? is not valid JSON$/, 'Unexpected token').replace(/^"[\s\S]*" is not valid JSON$/, 'not valid JSON');
}

/** The rules as Sentinel's JSON array text. */
export function serializeRules<T extends RuleType>(type: T, rules: readonly RuleOf<T>[]): string {
  ruleType(type);
  return JSON.stringify(rules.map((r) => (type === 'flow' ? writeFlowRule(r as FlowRule) : writeDegradeRule(r as DegradeRule))));
}

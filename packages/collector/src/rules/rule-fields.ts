// Owns the field checks shared by the flow and degrade rule parsers: each returns either the
// normalised value or a rejection with a stable code. A JSON null is an absent field (Sentinel's
// rules have primitive fields: its JSON reader keeps their defaults for null). A rule is Sentinel's JSON object; fields
// this project does not model are kept verbatim (in `extra`) so that a rule set re-serialises to
// what was given, plus the defaults Sentinel fills in; a kept field may nest arrays and objects at
// most MAX_FIELD_DEPTH levels deep (E_RULE_TOO_DEEP), checked without recursion, so that writing
// the set back (`/getRules`, the file a push writes) never overflows the stack.

import { MAX_NAME_BYTES } from '@sentinel-wasi/protocol';

/** Why one rule of a set was refused. */
export interface RuleRejection {
  code: string;
  reason: string;
}

export class FieldError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `id` is optional (Sentinel's Long): absent or null → undefined; else a safe integer. */
export function optionalId(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new FieldError('E_RULE_ID', `id must be an integer, got ${show(v)}`);
  return v;
}

export function resourceName(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new FieldError('E_RULE_RESOURCE', `resource must be a non-blank string, got ${show(v)}`);
  // A longer name is no resource's: filters refuse names over MAX_NAME_BYTES (the rule would never apply).
  const bytes = Buffer.byteLength(v, 'utf8');
  if (bytes > MAX_NAME_BYTES) throw new FieldError('E_RULE_RESOURCE', `resource must be at most ${MAX_NAME_BYTES} UTF-8 bytes (the longest name a filter records), got ${bytes}`);
  return v;
}

/** Blank or absent → `default`, as Sentinel's rule managers normalise it. */
export function limitApp(v: unknown): string {
  if (v === undefined || v === null) return 'default';
  if (typeof v !== 'string') throw new FieldError('E_RULE_LIMIT_APP', `limitApp must be a string, got ${show(v)}`);
  return v.trim() === '' ? 'default' : v;
}

/** A field that must be one of `allowed` (integers), `fallback` when absent or null. */
export function oneOf<T extends number>(name: string, code: string, v: unknown, allowed: readonly T[], fallback: T): T {
  if (v === undefined || v === null) return fallback;
  if (!allowed.includes(v as T)) throw new FieldError(code, `${name} must be one of ${allowed.join(', ')}, got ${show(v)}`);
  return v as T;
}

/** A finite number ≥ min (required when `fallback` is undefined); null is absent. */
export function numberAtLeast(name: string, code: string, v: unknown, min: number, fallback?: number): number {
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (v === undefined || v === null) throw new FieldError(code, `${name} is required`);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new FieldError(code, `${name} must be a number ≥ ${min}, got ${show(v)}`);
  return v;
}

/** The largest integer field Sentinel's rules hold (a Java int): timeWindow, statIntervalMs, warmUpPeriodSec, … */
export const MAX_INT_FIELD = 2_147_483_647;

/** An integer ≥ min and ≤ MAX_INT_FIELD (Sentinel's int fields), `fallback` when absent or null. */
export function integerAtLeast(name: string, code: string, v: unknown, min: number, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new FieldError(code, `${name} must be an integer ≥ ${min}, got ${show(v)}`);
  if (v > MAX_INT_FIELD) throw new FieldError(code, `${name} must be at most ${MAX_INT_FIELD} (an int in Sentinel's rules), got ${show(v)}`);
  return v;
}

/** A flag this project supports only as false (absent → false). */
export function falseOnly(name: string, code: string, v: unknown, why: string): false {
  if (v === undefined || v === null || v === false) return false;
  if (v === true) throw new FieldError(code, `${name}: true is not supported (${why})`);
  throw new FieldError(code, `${name} must be a boolean, got ${show(v)}`);
}

/**
 * How deep the value of a field this project does not model may nest arrays and objects: 64
 * levels (`[]` is 1, `[[]]` is 2). Such fields are kept and written back with JSON.stringify
 * (`/getRules`, the rules file a push writes), which recurses once per level: past a few thousand
 * levels it overflows the stack (measured on Node 20's default stack: 2 000 levels serialise, 5 000 do not), and JSON.parse
 * reads 100 000 levels without complaint. Sentinel's own rule fields nest two levels at most
 * (clusterConfig, an object; a param-flow rule's paramFlowItemList, an array of objects), so 64 is
 * ample for anything a dashboard or data source adds, and far from the stack's limit wherever the
 * serialisation runs.
 */
export const MAX_FIELD_DEPTH = 64;

/**
 * True when `v` nests arrays or objects more than `limit` levels deep. Iterative (an explicit
 * stack, never recursion) and it stops at the first value past the limit: each value of `v` is
 * looked at once at most, however deep `v` goes.
 */
export function nestsDeeperThan(v: unknown, limit: number): boolean {
  // The arrays and objects still to look at, each with its level (`v` itself is level 1).
  const stack: Array<{ value: object; level: number }> = [];
  if (typeof v === 'object' && v !== null) stack.push({ value: v, level: 1 });
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (next.level > limit) return true;
    for (const child of Object.values(next.value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, level: next.level + 1 });
    }
  }
  return false;
}

/**
 * The fields of `raw` not in `known`, as own properties (a `__proto__` key stays a plain key); a
 * field whose value nests deeper than MAX_FIELD_DEPTH refuses the rule (E_RULE_TOO_DEEP).
 */
export function extraFields(raw: Record<string, unknown>, known: readonly string[]): Record<string, unknown> {
  const extra = Object.fromEntries(Object.entries(raw).filter(([k]) => !known.includes(k)));
  for (const [name, value] of Object.entries(extra)) {
    if (nestsDeeperThan(value, MAX_FIELD_DEPTH)) {
      throw new FieldError('E_RULE_TOO_DEEP', `unknown field ${show(name)} nests arrays or objects more than ${MAX_FIELD_DEPTH} levels deep (an unknown field is kept and served back by /getRules: at most ${MAX_FIELD_DEPTH} levels)`);
    }
  }
  return extra;
}

/**
 * The field of `known` that the unknown field `name` looks like a misspelling of: the same name
 * in other letter case, or (for a known name of 5 or more characters) one letter added, dropped,
 * changed or two swapped, and for one of 10 or more, two such edits. Undefined when none. An
 * unknown field is kept and does nothing, as in Sentinel, so `contolBehavior` would silently leave
 * a rule at its default behaviour: the daemon says so (E_RULE_FIELD_LOOKALIKE).
 */
export function lookalikeOf(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  for (const k of known) if (k.toLowerCase() === lower) return k;
  for (const k of known) {
    const most = k.length >= 10 ? 2 : k.length >= 5 ? 1 : 0;
    if (most > 0 && Math.abs(k.length - name.length) <= most && editDistance(lower, k.toLowerCase()) <= most) return k;
  }
  return undefined;
}

/** Edits (insert, delete, substitute, swap two neighbours) from a to b: optimal string alignment distance. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0]![j] = j;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/** A value for a reason: short, and never stringified when it nests too deep to stringify safely. */
function show(v: unknown): string {
  if (typeof v === 'number') return String(v); // Infinity (JSON's 1e400), not JSON's null
  if (nestsDeeperThan(v, MAX_FIELD_DEPTH)) return `${Array.isArray(v) ? 'an array' : 'an object'} nested more than ${MAX_FIELD_DEPTH} levels deep`;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

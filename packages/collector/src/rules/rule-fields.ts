// Owns the field checks shared by the flow and degrade rule parsers: each returns either the
// normalised value or a rejection with a stable code. A JSON null is an absent field (Sentinel's
// rules have primitive fields: its JSON reader keeps their defaults for null). A rule is Sentinel's JSON object; fields
// this project does not model are kept verbatim (in `extra`) so that a rule set re-serialises to
// what was given, plus the defaults Sentinel fills in.

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

/** The fields of `raw` not in `known`, as own properties (a `__proto__` key stays a plain key). */
export function extraFields(raw: Record<string, unknown>, known: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => !known.includes(k)));
}

function show(v: unknown): string {
  if (typeof v === 'number') return String(v); // Infinity (JSON's 1e400), not JSON's null
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

// Owns Sentinel's DegradeRule (circuit breaker) as this project reads it: fields, defaults as
// Sentinel's DegradeRule has them, and the validity check of DegradeRuleManager, each refusal
// with a stable code. `limitApp` is kept but, as in Sentinel, a breaker covers all callers.

import { FieldError, extraFields, falseOnly, integerAtLeast, limitApp, numberAtLeast, oneOf, optionalId, resourceName } from './rule-fields.js';

export const DegradeGrade = { SLOW_REQUEST_RATIO: 0, EXCEPTION_RATIO: 1, EXCEPTION_COUNT: 2 } as const;
export type DegradeGrade = (typeof DegradeGrade)[keyof typeof DegradeGrade];

/** Sentinel DegradeRule defaults. */
export const DEFAULT_MIN_REQUEST_AMOUNT = 5;
export const DEFAULT_STAT_INTERVAL_MS = 1000;
export const DEFAULT_SLOW_RATIO_THRESHOLD = 1.0;

export interface DegradeRule {
  id?: number;
  resource: string;
  limitApp: string;
  grade: DegradeGrade;
  /** Grade 0: the max allowed RT in ms (a call slower than this is slow); 1: error ratio (≤ 1); 2: error count. */
  count: number;
  /** Seconds the breaker stays open before it lets a probe through (> 0). */
  timeWindow: number;
  minRequestAmount: number;
  statIntervalMs: number;
  slowRatioThreshold: number;
  regex: false;
  extra: Record<string, unknown>;
}

/** The fields this project models (the rest of a rule is kept verbatim in `extra`). */
export const DEGRADE_RULE_FIELDS = ['id', 'resource', 'limitApp', 'grade', 'count', 'timeWindow', 'minRequestAmount', 'statIntervalMs', 'slowRatioThreshold', 'regex'] as const;

/** Validates one DegradeRule object; throws a FieldError (with its code) when it is not usable. */
export function readDegradeRule(raw: Record<string, unknown>): DegradeRule {
  const id = optionalId(raw.id);
  const resource = resourceName(raw.resource);
  const app = limitApp(raw.limitApp);
  const grade = oneOf('grade', 'E_RULE_GRADE', raw.grade, [0, 1, 2], DegradeGrade.SLOW_REQUEST_RATIO);
  const count = numberAtLeast('count', 'E_RULE_COUNT', raw.count, 0);
  if (grade === DegradeGrade.EXCEPTION_RATIO && count > 1) throw new FieldError('E_RULE_COUNT', `count is an exception ratio for grade 1 and must be ≤ 1, got ${count}`);
  if (raw.timeWindow === undefined || raw.timeWindow === null) throw new FieldError('E_RULE_TIME_WINDOW', 'timeWindow (seconds) is required');
  const timeWindow = integerAtLeast('timeWindow', 'E_RULE_TIME_WINDOW', raw.timeWindow, 1, 0);
  const minRequestAmount = integerAtLeast('minRequestAmount', 'E_RULE_MIN_REQUEST_AMOUNT', raw.minRequestAmount, 1, DEFAULT_MIN_REQUEST_AMOUNT);
  const statIntervalMs = integerAtLeast('statIntervalMs', 'E_RULE_STAT_INTERVAL', raw.statIntervalMs, 1, DEFAULT_STAT_INTERVAL_MS);
  // Only a slow-ratio rule reads it (Sentinel checks its range for grade 0 alone): any number on another grade.
  const slowRatioThreshold = numberAtLeast('slowRatioThreshold', 'E_RULE_SLOW_RATIO', raw.slowRatioThreshold, grade === DegradeGrade.SLOW_REQUEST_RATIO ? 0 : -Infinity, DEFAULT_SLOW_RATIO_THRESHOLD);
  if (grade === DegradeGrade.SLOW_REQUEST_RATIO && slowRatioThreshold > 1) throw new FieldError('E_RULE_SLOW_RATIO', `slowRatioThreshold must be within 0..1, got ${slowRatioThreshold}`);
  const regex = falseOnly('regex', 'E_RULE_REGEX_UNSUPPORTED', raw.regex, 'resources are matched by exact name');
  const rule: DegradeRule = { resource, limitApp: app, grade, count, timeWindow, minRequestAmount, statIntervalMs, slowRatioThreshold, regex, extra: extraFields(raw, DEGRADE_RULE_FIELDS) };
  if (id !== undefined) rule.id = id;
  return rule;
}

/**
 * What makes two degrade rules the same breaker, as Sentinel's DegradeRule.equals: not `id`, not
 * fields this project does not model (a rule re-pushed with a new id keeps its breaker's state).
 */
export function degradeRuleKey(r: DegradeRule): string {
  return JSON.stringify([r.resource, r.limitApp, r.grade, r.count, r.timeWindow, r.minRequestAmount, r.statIntervalMs, r.slowRatioThreshold]);
}

export function writeDegradeRule(r: DegradeRule): Record<string, unknown> {
  return {
    ...(r.id !== undefined ? { id: r.id } : {}),
    resource: r.resource,
    limitApp: r.limitApp,
    grade: r.grade,
    count: r.count,
    timeWindow: r.timeWindow,
    minRequestAmount: r.minRequestAmount,
    statIntervalMs: r.statIntervalMs,
    slowRatioThreshold: r.slowRatioThreshold,
    regex: r.regex,
    ...r.extra,
  };
}

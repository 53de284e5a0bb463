// Owns Sentinel's FlowRule as this project reads it: the fields, their defaults (as Sentinel's
// FlowRule constructor and rule manager fill them in) and the per-rule validity check, with a
// stable code for every refusal. Supported: direct strategy (0), local mode (clusterMode false),
// exact resource names (regex false). Relate/chain strategies and cluster mode are valid Sentinel
// but refused here with their own codes, so the operator sees why the rule does nothing.

import { FieldError, extraFields, falseOnly, integerAtLeast, limitApp, numberAtLeast, oneOf, optionalId, resourceName } from './rule-fields.js';

export const FlowGrade = { THREAD: 0, QPS: 1 } as const;
export type FlowGrade = (typeof FlowGrade)[keyof typeof FlowGrade];

export const ControlBehavior = { REJECT: 0, WARM_UP: 1, RATE_LIMITER: 2, WARM_UP_RATE_LIMITER: 3 } as const;
export type ControlBehavior = (typeof ControlBehavior)[keyof typeof ControlBehavior];

/** Sentinel FlowRule defaults. */
export const DEFAULT_WARM_UP_PERIOD_SEC = 10;
export const DEFAULT_MAX_QUEUEING_TIME_MS = 500;

export interface FlowRule {
  id?: number;
  resource: string;
  /** `default` (all callers), `other` (origins no other rule of the resource names), or an origin. */
  limitApp: string;
  grade: FlowGrade;
  /** The threshold: QPS (grade 1) or concurrent entries (grade 0). */
  count: number;
  strategy: 0;
  controlBehavior: ControlBehavior;
  warmUpPeriodSec: number;
  /** Kept and re-served; not enforced (a filter admits or blocks at once, it never queues). */
  maxQueueingTimeMs: number;
  clusterMode: false;
  regex: false;
  /** Fields not modelled here (refResource, clusterConfig, anything else), kept verbatim. */
  extra: Record<string, unknown>;
}

/** The fields this project models (the rest of a rule is kept verbatim in `extra`). */
export const FLOW_RULE_FIELDS = ['id', 'resource', 'limitApp', 'grade', 'count', 'strategy', 'controlBehavior', 'warmUpPeriodSec', 'maxQueueingTimeMs', 'clusterMode', 'regex'] as const;

/** Validates one FlowRule object; throws a FieldError (with its code) when it is not usable. */
export function readFlowRule(raw: Record<string, unknown>): FlowRule {
  const id = optionalId(raw.id);
  const resource = resourceName(raw.resource);
  const app = limitApp(raw.limitApp);
  const grade = oneOf('grade', 'E_RULE_GRADE', raw.grade, [FlowGrade.THREAD, FlowGrade.QPS], FlowGrade.QPS);
  const count = numberAtLeast('count', 'E_RULE_COUNT', raw.count, 0);
  const strategy = oneOf('strategy', 'E_RULE_STRATEGY', raw.strategy, [0, 1, 2], 0);
  if (strategy !== 0) {
    throw new FieldError('E_RULE_STRATEGY_UNSUPPORTED', `strategy ${strategy} (${strategy === 1 ? 'relate' : 'chain'}) is not supported: only 0 (direct) is`);
  }
  const controlBehavior = oneOf('controlBehavior', 'E_RULE_CONTROL_BEHAVIOR', raw.controlBehavior, [0, 1, 2, 3], ControlBehavior.REJECT);
  const warmUpPeriodSec = integerAtLeast('warmUpPeriodSec', 'E_RULE_WARM_UP_PERIOD', raw.warmUpPeriodSec, 0, DEFAULT_WARM_UP_PERIOD_SEC);
  const maxQueueingTimeMs = integerAtLeast('maxQueueingTimeMs', 'E_RULE_MAX_QUEUEING_TIME', raw.maxQueueingTimeMs, 0, DEFAULT_MAX_QUEUEING_TIME_MS);
  // Sentinel only shapes QPS rules; for those, warm up needs a period and queueing a positive wait.
  if (grade === FlowGrade.QPS) {
    const warm = controlBehavior === ControlBehavior.WARM_UP || controlBehavior === ControlBehavior.WARM_UP_RATE_LIMITER;
    const queue = controlBehavior === ControlBehavior.RATE_LIMITER || controlBehavior === ControlBehavior.WARM_UP_RATE_LIMITER;
    if (warm && warmUpPeriodSec <= 0) throw new FieldError('E_RULE_WARM_UP_PERIOD', 'warmUpPeriodSec must be > 0 for a warm-up rule');
    if (queue && maxQueueingTimeMs <= 0) throw new FieldError('E_RULE_MAX_QUEUEING_TIME', 'maxQueueingTimeMs must be > 0 for a rate-limiter rule');
  }
  const clusterMode = falseOnly('clusterMode', 'E_RULE_CLUSTER_UNSUPPORTED', raw.clusterMode, 'no token server: every collector limits its own pin');
  const regex = falseOnly('regex', 'E_RULE_REGEX_UNSUPPORTED', raw.regex, 'resources are matched by exact name');
  const rule: FlowRule = { resource, limitApp: app, grade, count, strategy: 0, controlBehavior, warmUpPeriodSec, maxQueueingTimeMs, clusterMode, regex, extra: extraFields(raw, FLOW_RULE_FIELDS) };
  if (id !== undefined) rule.id = id;
  return rule;
}

/**
 * What makes two flow rules the same limiter, as Sentinel's FlowRule.equals (the fields that
 * limit; not `id`, not fields this project does not model): a rule re-pushed unchanged but for
 * those keeps its limiter's state.
 */
export function flowRuleKey(r: FlowRule): string {
  return JSON.stringify([r.resource, r.limitApp, r.grade, r.count, r.strategy, r.controlBehavior, r.warmUpPeriodSec, r.maxQueueingTimeMs]);
}

/** The rule as Sentinel serialises it (known fields in Sentinel's order, then the kept ones). */
export function writeFlowRule(r: FlowRule): Record<string, unknown> {
  return {
    ...(r.id !== undefined ? { id: r.id } : {}),
    resource: r.resource,
    limitApp: r.limitApp,
    grade: r.grade,
    count: r.count,
    strategy: r.strategy,
    controlBehavior: r.controlBehavior,
    warmUpPeriodSec: r.warmUpPeriodSec,
    maxQueueingTimeMs: r.maxQueueingTimeMs,
    clusterMode: r.clusterMode,
    regex: r.regex,
    ...r.extra,
  };
}

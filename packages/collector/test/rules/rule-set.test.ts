// parseRules / serializeRules: every field's check with its code, defaults as Sentinel fills
// them in, an invalid rule refused alone (the rest kept), unknown fields kept on the way back.

import t from 'tap';
import { MAX_REPORTED_REJECTIONS, MAX_RULES_PER_TYPE, RuleSetError, parseRules, ruleType, serializeRules } from '../../src/rules/rule-set.js';
import { lookalikeOf, MAX_FIELD_DEPTH, nestsDeeperThan } from '../../src/rules/rule-fields.js';
import { FLOW_RULE_FIELDS } from '../../src/rules/rule-flow.js';

const flowDefaults = { limitApp: 'default', grade: 1, strategy: 0, controlBehavior: 0, warmUpPeriodSec: 10, maxQueueingTimeMs: 500, clusterMode: false, regex: false };
const degradeDefaults = { limitApp: 'default', grade: 0, minRequestAmount: 5, statIntervalMs: 1000, slowRatioThreshold: 1, regex: false };

t.test('a minimal flow rule gets Sentinel defaults, in Sentinel field order', async (t) => {
  const { rules, rejected } = parseRules('flow', '[{"resource":"GET /a","count":10}]');
  t.same(rejected, []);
  t.equal(
    serializeRules('flow', rules),
    '[{"resource":"GET /a","limitApp":"default","grade":1,"count":10,"strategy":0,"controlBehavior":0,"warmUpPeriodSec":10,"maxQueueingTimeMs":500,"clusterMode":false,"regex":false}]',
  );
  t.same(JSON.parse(serializeRules('flow', rules)), [{ resource: 'GET /a', ...flowDefaults, count: 10 }]);
});

t.test('a minimal degrade rule gets Sentinel defaults', async (t) => {
  const { rules, rejected } = parseRules('degrade', [{ resource: 'r', count: 50, timeWindow: 10 }]);
  t.same(rejected, []);
  t.same(JSON.parse(serializeRules('degrade', rules)), [{ resource: 'r', ...degradeDefaults, count: 50, timeWindow: 10 }]);
  t.equal(Object.keys(JSON.parse(serializeRules('degrade', rules))[0]).join(), 'resource,limitApp,grade,count,timeWindow,minRequestAmount,statIntervalMs,slowRatioThreshold,regex');
});

t.test('what the dashboard sends round-trips unchanged, unknown fields included', async (t) => {
  const flow = [
    { id: 7, resource: 'GET /orders', limitApp: 'app-a', grade: 1, count: 20.5, strategy: 0, refResource: null, controlBehavior: 1, warmUpPeriodSec: 5, maxQueueingTimeMs: 500, clusterMode: false, clusterConfig: { flowId: null, thresholdType: 0 }, regex: false, gmtCreate: 1700000000000 },
  ];
  const text = JSON.stringify(flow);
  const parsed = parseRules('flow', text);
  t.same(parsed.rejected, []);
  t.same(JSON.parse(serializeRules('flow', parsed.rules)), flow);
  const degrade = [{ id: 1, resource: 'POST /pay', limitApp: 'default', grade: 2, count: 3, timeWindow: 30, minRequestAmount: 10, statIntervalMs: 60000, slowRatioThreshold: 1, regex: false, app: 'shop', ip: '10.0.0.1', port: 8719 }];
  t.same(JSON.parse(serializeRules('degrade', parseRules('degrade', degrade).rules)), degrade);
});

t.test('an unknown field that looks like a misspelt known one is reported (the rule kept, the field kept); the dashboard\'s own fields are not', async (t) => {
  const flow = [
    { resource: 'a', count: 5, contolBehavior: 1 },
    { resource: 'b', count: 5, controlbehavior: 2, LimitApp: 'x' },
    { resource: 'c', count: 5, maxQueueingTimeMS: 100, warmUpPeriodSce: 3 },
    { resource: 'd', count: 5 },
    { resource: 'e', count: 5, id: 1, app: 'shop', ip: '10.0.0.1', port: 8719, gmtCreate: 1, gmtModified: 2, refResource: null, clusterConfig: {}, rater: 1, greade: 1 },
    { resource: 'f', count: 'x', contolBehavior: 1 },
  ];
  const parsed = parseRules('flow', flow);
  t.same(parsed.rules.map((r) => r.resource), ['a', 'b', 'c', 'd', 'e'], 'every rule but the invalid one is kept');
  t.same(parsed.lookalikes, [
    { index: 0, resource: 'a', field: 'contolBehavior', like: 'controlBehavior' },
    { index: 1, resource: 'b', field: 'controlbehavior', like: 'controlBehavior' },
    { index: 1, resource: 'b', field: 'LimitApp', like: 'limitApp' },
    { index: 2, resource: 'c', field: 'maxQueueingTimeMS', like: 'maxQueueingTimeMs' },
    { index: 2, resource: 'c', field: 'warmUpPeriodSce', like: 'warmUpPeriodSec' },
    { index: 4, resource: 'e', field: 'greade', like: 'grade' },
  ], 'a refused rule has no lookalikes of its own; Sentinel\'s and the dashboard\'s fields are not lookalikes');
  t.same(JSON.parse(serializeRules('flow', parsed.rules))[0], { resource: 'a', ...flowDefaults, count: 5, contolBehavior: 1 }, 'the field is kept, the behaviour stays the default');
  const degrade = parseRules('degrade', [{ resource: 'r', count: 50, timeWindow: 10, minRequestAmmount: 3, statIntervallMs: 2000, slowRatioTreshold: 0.5 }]);
  t.same(degrade.lookalikes.map((l) => `${l.field}→${l.like}`), ['minRequestAmmount→minRequestAmount', 'statIntervallMs→statIntervalMs', 'slowRatioTreshold→slowRatioThreshold']);
});

t.test('lookalikeOf: letter case always; one edit for names of 5+, two for 10+; short names by case only', async (t) => {
  t.equal(lookalikeOf('ID', FLOW_RULE_FIELDS), 'id');
  t.equal(lookalikeOf('ip', FLOW_RULE_FIELDS), undefined, 'id is too short to guess at');
  t.equal(lookalikeOf('cuont', FLOW_RULE_FIELDS), 'count', 'two letters swapped');
  t.equal(lookalikeOf('countt', FLOW_RULE_FIELDS), 'count');
  t.equal(lookalikeOf('cnt', FLOW_RULE_FIELDS), undefined, 'two edits from a 5-letter name');
  t.equal(lookalikeOf('strtegy', FLOW_RULE_FIELDS), 'strategy');
  t.equal(lookalikeOf('clusterMod', FLOW_RULE_FIELDS), 'clusterMode');
  t.equal(lookalikeOf('clustrMod', FLOW_RULE_FIELDS), 'clusterMode', 'two edits from an 11-letter name');
  t.equal(lookalikeOf('clstrMod', FLOW_RULE_FIELDS), undefined, 'three');
  t.equal(lookalikeOf('resources', FLOW_RULE_FIELDS), 'resource');
  t.equal(lookalikeOf('refResource', FLOW_RULE_FIELDS), undefined);
  t.equal(lookalikeOf('clusterConfig', FLOW_RULE_FIELDS), undefined);
});

t.test('a __proto__ key is kept as a plain field, not a prototype', async (t) => {
  const { rules } = parseRules('flow', '[{"resource":"r","count":1,"__proto__":{"polluted":true}}]');
  t.equal(({} as Record<string, unknown>).polluted, undefined);
  t.equal((rules[0] as unknown as Record<string, unknown>).polluted, undefined);
  t.match(serializeRules('flow', rules), /"__proto__":\{"polluted":true\}/);
});

t.test('an invalid rule is refused alone, with its index, the rule as given, a code and a reason', async (t) => {
  const input = [{ resource: 'ok-1', count: 1 }, { resource: '', count: 1 }, 42, { resource: 'ok-2', count: 2 }, { resource: 'bad', count: -1 }];
  const { rules, rejected } = parseRules('flow', input);
  t.same(
    rules.map((r) => r.resource),
    ['ok-1', 'ok-2'],
  );
  t.same(
    rejected.map(({ index, rule, code }) => ({ index, rule, code })),
    [
      { index: 1, rule: { resource: '', count: 1 }, code: 'E_RULE_RESOURCE' },
      { index: 2, rule: 42, code: 'E_RULE_NOT_OBJECT' },
      { index: 4, rule: { resource: 'bad', count: -1 }, code: 'E_RULE_COUNT' },
    ],
  );
  t.match(rejected[2]!.reason, /count must be a number ≥ 0, got -1/);
});

const flowCases: Array<[string, Record<string, unknown>, string]> = [
  ['id not an integer', { id: 1.5 }, 'E_RULE_ID'],
  ['id a string', { id: '7' }, 'E_RULE_ID'],
  ['resource missing', { resource: undefined }, 'E_RULE_RESOURCE'],
  ['resource blank', { resource: '  ' }, 'E_RULE_RESOURCE'],
  ['resource a number', { resource: 5 }, 'E_RULE_RESOURCE'],
  ['limitApp a number', { limitApp: 3 }, 'E_RULE_LIMIT_APP'],
  ['grade 2', { grade: 2 }, 'E_RULE_GRADE'],
  ['grade "1"', { grade: '1' }, 'E_RULE_GRADE'],
  ['count missing', { count: undefined }, 'E_RULE_COUNT'],
  ['count NaN-like string', { count: 'ten' }, 'E_RULE_COUNT'],
  ['count negative', { count: -0.5 }, 'E_RULE_COUNT'],
  ['strategy 1 (relate)', { strategy: 1 }, 'E_RULE_STRATEGY_UNSUPPORTED'],
  ['strategy 2 (chain)', { strategy: 2 }, 'E_RULE_STRATEGY_UNSUPPORTED'],
  ['strategy 3', { strategy: 3 }, 'E_RULE_STRATEGY'],
  ['controlBehavior 4', { controlBehavior: 4 }, 'E_RULE_CONTROL_BEHAVIOR'],
  ['warmUpPeriodSec fractional', { warmUpPeriodSec: 1.5 }, 'E_RULE_WARM_UP_PERIOD'],
  ['warmUpPeriodSec 0 on a warm-up rule', { controlBehavior: 1, warmUpPeriodSec: 0 }, 'E_RULE_WARM_UP_PERIOD'],
  ['warmUpPeriodSec 0 on a warm-up rate limiter', { controlBehavior: 3, warmUpPeriodSec: 0 }, 'E_RULE_WARM_UP_PERIOD'],
  ['maxQueueingTimeMs negative', { maxQueueingTimeMs: -1 }, 'E_RULE_MAX_QUEUEING_TIME'],
  ['maxQueueingTimeMs 0 on a rate limiter', { controlBehavior: 2, maxQueueingTimeMs: 0 }, 'E_RULE_MAX_QUEUEING_TIME'],
  ['clusterMode true', { clusterMode: true }, 'E_RULE_CLUSTER_UNSUPPORTED'],
  ['clusterMode "no"', { clusterMode: 'no' }, 'E_RULE_CLUSTER_UNSUPPORTED'],
  ['regex true', { regex: true }, 'E_RULE_REGEX_UNSUPPORTED'],
];

t.test('flow rule fields: each bad value refused with its code', async (t) => {
  for (const [name, patch, code] of flowCases) {
    const rule = { resource: 'r', count: 10, ...patch };
    const { rules, rejected } = parseRules('flow', [rule]);
    t.equal(rules.length, 0, name);
    t.equal(rejected[0]?.code, code, name);
  }
});

t.test('flow rule values Sentinel accepts are accepted', async (t) => {
  const ok: Array<Record<string, unknown>> = [
    { count: 0 },
    { id: null },
    { limitApp: '' },
    { limitApp: null },
    { limitApp: 'other' },
    { grade: 0, controlBehavior: 1, warmUpPeriodSec: 0 },
    { controlBehavior: 2, maxQueueingTimeMs: 1 },
    { controlBehavior: 3 },
    { clusterMode: null, regex: null },
  ];
  for (const patch of ok) {
    const { rules, rejected } = parseRules('flow', [{ resource: 'r', count: 10, ...patch }]);
    t.same(rejected, [], JSON.stringify(patch));
    t.equal(rules.length, 1);
  }
  t.equal(parseRules('flow', [{ resource: 'r', count: 1, limitApp: ' ' }]).rules[0]!.limitApp, 'default', 'blank limitApp → default');
});

t.test('a resource name longer than a filter can record (1024 UTF-8 bytes) is refused; 1024 bytes are accepted', async (t) => {
  t.equal(parseRules('flow', [{ resource: 'é'.repeat(512), count: 1 }]).rules.length, 1, '1024 bytes');
  const long = parseRules('flow', [{ resource: 'é'.repeat(512) + 'x', count: 1 }]).rejected[0]!;
  t.same([long.code, long.reason], ['E_RULE_RESOURCE', 'resource must be at most 1024 UTF-8 bytes (the longest name a filter records), got 1025']);
  t.equal(parseRules('degrade', [{ resource: 'x'.repeat(300_000), count: 1, timeWindow: 1 }]).rejected[0]!.code, 'E_RULE_RESOURCE');
});

t.test('a JSON null is an absent field: Sentinel\'s default (count and timeWindow stay required)', async (t) => {
  const flowNulls = { grade: null, strategy: null, controlBehavior: null, warmUpPeriodSec: null, maxQueueingTimeMs: null };
  const f = parseRules('flow', [{ resource: 'r', count: 10, ...flowNulls }]);
  t.same(f.rejected, []);
  t.same([f.rules[0]!.grade, f.rules[0]!.strategy, f.rules[0]!.controlBehavior, f.rules[0]!.warmUpPeriodSec, f.rules[0]!.maxQueueingTimeMs], [1, 0, 0, 10, 500]);
  const d = parseRules('degrade', [{ resource: 'r', count: 10, timeWindow: 5, grade: null, minRequestAmount: null, statIntervalMs: null, slowRatioThreshold: null }]);
  t.same(d.rejected, []);
  t.same([d.rules[0]!.grade, d.rules[0]!.minRequestAmount, d.rules[0]!.statIntervalMs, d.rules[0]!.slowRatioThreshold], [0, 5, 1000, 1]);
  t.equal(parseRules('flow', [{ resource: 'r', count: null }]).rejected[0]!.reason, 'count is required');
  t.equal(parseRules('degrade', [{ resource: 'r', count: 1, timeWindow: null }]).rejected[0]!.code, 'E_RULE_TIME_WINDOW');
});

t.test('slowRatioThreshold is checked on slow-ratio rules only (as Sentinel); other grades keep any number', async (t) => {
  for (const grade of [1, 2]) {
    for (const v of [2, -1]) {
      const { rules, rejected } = parseRules('degrade', [{ resource: 'r', grade, count: 1, timeWindow: 1, slowRatioThreshold: v }]);
      t.same(rejected, [], `grade ${grade}, ${v}`);
      t.equal(rules[0]!.slowRatioThreshold, v, 'kept as given');
    }
  }
  t.equal(parseRules('degrade', [{ resource: 'r', grade: 1, count: 1, timeWindow: 1, slowRatioThreshold: 'x' }]).rejected[0]!.code, 'E_RULE_SLOW_RATIO', 'not a number: refused on any grade');
  t.equal(parseRules('degrade', [{ resource: 'r', grade: 0, count: 1, timeWindow: 1, slowRatioThreshold: 2 }]).rejected[0]!.code, 'E_RULE_SLOW_RATIO');
});

const degradeCases: Array<[string, Record<string, unknown>, string]> = [
  ['grade 3', { grade: 3 }, 'E_RULE_GRADE'],
  ['count missing', { count: undefined }, 'E_RULE_COUNT'],
  ['count negative', { count: -1 }, 'E_RULE_COUNT'],
  ['exception ratio over 1', { grade: 1, count: 1.5 }, 'E_RULE_COUNT'],
  ['timeWindow missing', { timeWindow: undefined }, 'E_RULE_TIME_WINDOW'],
  ['timeWindow 0', { timeWindow: 0 }, 'E_RULE_TIME_WINDOW'],
  ['timeWindow fractional', { timeWindow: 0.5 }, 'E_RULE_TIME_WINDOW'],
  ['timeWindow over an int', { timeWindow: 2_147_483_648 }, 'E_RULE_TIME_WINDOW'],
  ['statIntervalMs over an int', { statIntervalMs: 10_000_000_000_000 }, 'E_RULE_STAT_INTERVAL'],
  ['minRequestAmount 0', { minRequestAmount: 0 }, 'E_RULE_MIN_REQUEST_AMOUNT'],
  ['statIntervalMs 0', { statIntervalMs: 0 }, 'E_RULE_STAT_INTERVAL'],
  ['slowRatioThreshold 1.2', { slowRatioThreshold: 1.2 }, 'E_RULE_SLOW_RATIO'],
  ['slowRatioThreshold negative', { slowRatioThreshold: -0.1 }, 'E_RULE_SLOW_RATIO'],
  ['regex true', { regex: true }, 'E_RULE_REGEX_UNSUPPORTED'],
  ['resource missing', { resource: undefined }, 'E_RULE_RESOURCE'],
];

t.test('degrade rule fields: each bad value refused with its code', async (t) => {
  for (const [name, patch, code] of degradeCases) {
    const { rules, rejected } = parseRules('degrade', [{ resource: 'r', count: 100, timeWindow: 5, ...patch }]);
    t.equal(rules.length, 0, name);
    t.equal(rejected[0]?.code, code, name);
  }
  t.equal(parseRules('degrade', [{ resource: 'r', grade: 1, count: 1, timeWindow: 1 }]).rules.length, 1, 'exception ratio 1 is valid');
  t.equal(parseRules('degrade', [{ resource: 'r', grade: 2, count: 1000, timeWindow: 1 }]).rules.length, 1, 'an exception count may exceed 1');
  t.equal(parseRules('degrade', [{ resource: 'r', grade: 2, count: 1, timeWindow: 2_147_483_647 }]).rules.length, 1, 'the largest int timeWindow is valid');
  t.equal(
    parseRules('degrade', [{ resource: 'r', count: 1, timeWindow: 10_000_000_000_000 }]).rejected[0]!.reason,
    'timeWindow must be at most 2147483647 (an int in Sentinel\'s rules), got 10000000000000',
  );
  t.equal(parseRules('degrade', '[{"resource": "r", "count": 1e400, "timeWindow": 1}]').rejected[0]!.reason, 'count must be a number ≥ 0, got Infinity', 'JSON\'s 1e400 is shown as Infinity, not null');
});

t.test('the whole input: bad JSON, not an array, unknown type → RuleSetError, nothing applied', async (t) => {
  t.throws(() => parseRules('flow', '[{'), { code: 'E_RULES_JSON' });
  t.throws(() => parseRules('flow', '{"resource":"r"}'), { code: 'E_RULES_NOT_ARRAY' });
  t.throws(() => parseRules('flow', null), { code: 'E_RULES_NOT_ARRAY' });
  t.throws(() => parseRules('authority' as 'flow', []), { code: 'E_RULES_TYPE' });
  t.throws(() => serializeRules('system' as 'flow', []), { code: 'E_RULES_TYPE' });
  try {
    parseRules('flow', 'nope');
  } catch (e) {
    t.ok(e instanceof RuleSetError, 'a RuleSetError');
  }
  t.equal(ruleType('FLOW'), 'flow');
  t.equal(ruleType('Degrade'), 'degrade');
  t.same(parseRules('degrade', '[]'), { rules: [], rejected: [], lookalikes: [] });
});

t.test('a set of more than MAX_RULES_PER_TYPE (2048) entries is refused as a whole, valid or not', async (t) => {
  t.equal(MAX_RULES_PER_TYPE, 2048);
  t.equal(MAX_REPORTED_REJECTIONS, 20);
  const rule = { resource: 'r', count: 1, timeWindow: 1 };
  const atCap = parseRules('degrade', Array.from({ length: 2048 }, () => rule));
  t.same([atCap.rules.length, atCap.rejected.length], [2048, 0], '2048 rules are taken');
  for (const [what, entries] of [
    ['2049 valid rules', Array.from({ length: 2049 }, () => rule)],
    ['2049 entries that are not rules', Array.from({ length: 2049 }, () => 1)],
  ] as const) {
    let err: unknown;
    try {
      parseRules('degrade', JSON.stringify(entries));
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof RuleSetError, `${what}: a RuleSetError`);
    t.same([(err as RuleSetError).code, (err as RuleSetError).message], ['E_RULES_TOO_MANY', 'a degrade rule set may hold at most 2048 rules, got 2049'], what);
  }
  t.throws(() => parseRules('flow', Array.from({ length: 30_001 }, () => ({ resource: 'a', count: 1 }))), { code: 'E_RULES_TOO_MANY', message: 'a flow rule set may hold at most 2048 rules, got 30001' });
});

/** `[[…]]`, `levels` arrays deep, as JSON text. */
const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
const TOO_DEEP = 'unknown field "x" nests arrays or objects more than 64 levels deep (an unknown field is kept and served back by /getRules: at most 64 levels)';

t.test('an unknown field nested more than 64 levels deep refuses its rule alone (E_RULE_TOO_DEEP); the set still serialises', async (t) => {
  t.equal(MAX_FIELD_DEPTH, 64);
  for (const levels of [65, 2_000, 5_000, 100_000]) {
    const { rules, rejected } = parseRules('flow', `[{"resource":"a","count":1},{"resource":"r","count":1,"x":${nested(levels)}},{"resource":"b","count":2}]`);
    t.same(rules.map((r) => r.resource), ['a', 'b'], `${levels} levels: the other rules kept`);
    t.same(rejected.map(({ index, code, reason }) => ({ index, code, reason })), [{ index: 1, code: 'E_RULE_TOO_DEEP', reason: TOO_DEEP }], `${levels} levels`);
    t.same(JSON.parse(serializeRules('flow', rules)).map((r: { resource: string }) => r.resource), ['a', 'b'], `${levels} levels: what /getRules serves`);
  }
  const deepObject = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
  const degrade = parseRules('degrade', `[{"resource":"r","count":1,"timeWindow":1,"x":${deepObject}}]`);
  t.same(degrade.rejected.map(({ code, reason }) => [code, reason]), [['E_RULE_TOO_DEEP', TOO_DEEP]], 'objects count as levels too, on degrade rules too');
  // 64 levels are kept and served back as given.
  const atLimit = parseRules('flow', `[{"resource":"r","count":1,"x":${nested(64)},"y":{"z":[${nested(62)}]}}]`);
  t.same(atLimit.rejected, []);
  t.match(serializeRules('flow', atLimit.rules), `"x":${nested(64)},"y":{"z":[${nested(62)}]}`);
});

t.test('a known field nested deep is refused with its own code and a short reason, never a stack overflow', async (t) => {
  const deep = nested(100_000);
  for (const [field, code, reason] of [
    ['count', 'E_RULE_COUNT', 'count must be a number ≥ 0, got an array nested more than 64 levels deep'],
    ['resource', 'E_RULE_RESOURCE', 'resource must be a non-blank string, got an array nested more than 64 levels deep'],
    ['grade', 'E_RULE_GRADE', 'grade must be one of 0, 1, got an array nested more than 64 levels deep'],
    ['regex', 'E_RULE_REGEX_UNSUPPORTED', 'regex must be a boolean, got an array nested more than 64 levels deep'],
  ] as const) {
    const { rules, rejected } = parseRules('flow', `[{"resource":"r","count":1,"${field}":${deep}},{"resource":"ok","count":1}]`);
    t.same([rules.map((r) => r.resource), rejected.map((r) => [r.index, r.code, r.reason])], [['ok'], [[0, code, reason]]], field);
  }
  t.equal(parseRules('flow', [{ resource: 'r', count: [[1]] }]).rejected[0]!.reason, 'count must be a number ≥ 0, got [[1]]', 'a shallow value is still shown');
});

t.test('nestsDeeperThan: levels counted from 1, iterative (a million levels), stops at the limit', async (t) => {
  t.same([nestsDeeperThan(1, 0), nestsDeeperThan(null, 0), nestsDeeperThan('[[', 0)], [false, false, false], 'a primitive has no level');
  t.same([nestsDeeperThan([], 0), nestsDeeperThan([], 1)], [true, false], '[] is 1 level');
  t.same([nestsDeeperThan({ a: [1, { b: 2 }] }, 2), nestsDeeperThan({ a: [1, { b: 2 }] }, 3)], [true, false]);
  t.same([nestsDeeperThan([[], [[[]]], []], 3), nestsDeeperThan([[], [[[]]], []], 4)], [true, false], 'the deepest branch counts, wherever it is');
  let v: unknown[] = [];
  for (let i = 1; i < 1_000_000; i++) v = [v];
  t.equal(nestsDeeperThan(v, 64), true, 'a million levels: no recursion, no overflow');
  const cycle: unknown[] = [];
  cycle.push(cycle, cycle);
  t.equal(nestsDeeperThan(cycle, 64), true, 'a cycle (an already parsed value) ends at the limit');
});

t.test('a leading UTF-8 byte order mark is skipped, as Sentinel (fastjson) does; nothing else changes', async (t) => {
  const { rules, rejected } = parseRules('flow', '\uFEFF[{"resource":"GET /a","count":10}]');
  t.same([rules.map((r) => r.resource), rejected], [['GET /a'], []]);
  t.same(parseRules('degrade', '\uFEFF[]'), { rules: [], rejected: [], lookalikes: [] });
  t.throws(() => parseRules('flow', '\uFEFF'), { code: 'E_RULES_JSON', message: 'rules are not valid JSON: Unexpected end of JSON input' }, 'a mark alone is an empty text');
  t.throws(() => parseRules('flow', '\uFEFF\uFEFF[]'), { code: 'E_RULES_JSON', message: 'rules are not valid JSON: Unexpected token' }, 'one mark only');
  t.throws(() => parseRules('flow', ' \uFEFF[]'), { code: 'E_RULES_JSON', message: 'rules are not valid JSON: Unexpected token' }, 'at the start only');
  t.throws(() => parseRules('flow', '\uFEFF{}'), { code: 'E_RULES_NOT_ARRAY' }, 'the rest is checked as before');
});

// Owns the Sentinel transport commands the collector answers (sentinel-transport-common handlers):
// metric, clusterNode, clusterNodeById, jsonTree, tree, cnode, origin, version, api, basicInfo, the dashboard's
// rule and cluster reads (getRules: the flow and degrade rules in force, authority and system `[]`;
// getParamFlowRules `[]`; getClusterMode: cluster mode not started), systemStatus (the inbound
// total), getSwitch/setSwitch (whether the rules are enforced), and setRules (the token is
// checked by the server from the headers before the body; a refusal keeps Sentinel's text with a
// stable code appended, and an answer lists at most MAX_REPORTED_REJECTIONS rejected rules). `metric` leaves out Sentinel's `__system_load__` /
// `__cpu_usage__` lines (the dashboard ignores them). A handler returns a status and a plain-text body; an unknown command is
// 400 "Unknown command `x`", which is how the dashboard recognises a missing command.

import { hostname, networkInterfaces } from 'node:os';
import type { StatsQuery } from '../stats/types.js';
import { escapeResource, formatThinLine, metricLogBaseName } from '../metriclog/line.js';
import { MetricSearcher } from '../metriclog/search.js';
import { jsonTree, toNodeVo } from './node-vo.js';
import { cnodeTable, javaDouble, originTable, treeText } from './node-text.js';
import { TOTAL_RESOURCE } from '../stats/registry.js';
import { figuresOf, invocationTree, ZERO_FIGURES } from './invocation-tree.js';
import { droppedBefore } from '../rules/rule-files.js';
import { MAX_REPORTED_REJECTIONS } from '../rules/rule-set.js';
import { CommandParams } from './command-request.js';

/** The Sentinel release whose transport API these commands reproduce (answered by `/version`). */
export const SENTINEL_API_VERSION = '1.8.9';
/** `metric` without endTime: default and cap of maxLines (SendMetricCommandHandler). */
export const METRIC_DEFAULT_MAX_LINES = 6000;
export const METRIC_MAX_LINES_CAP = 12000;

export interface TransportContext {
  query: StatsQuery;
  searcher: MetricSearcher;
  nowMs: () => number;
  /** True when the server let a state-changing command through (token, or the trusted dashboard address). */
  authorized?: boolean;
  /** The daemon's rules (getRules, setRules); absent: none loaded. */
  rules?: RulesControl;
  hostIp: string;
  /** Resolves once every second ≤ sec is sealed into the metric log, or when waiting longer makes no sense. */
  waitForSealed: (sec: number) => Promise<void>;
}

export interface CommandResult {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

type Handler = (params: Map<string, string>, ctx: TransportContext) => Promise<CommandResult> | CommandResult;

const ok = (body: string): CommandResult => ({ status: 200, body });
const failure = (message: string): CommandResult => ({ status: 400, body: message });
const blank = (v: string | undefined): boolean => v === undefined || v.trim() === '';

/** An integer parameter: any integer JavaScript holds exactly (±(2^53 − 1), beyond every epoch-ms time). */
function parseLong(name: string, v: string): number | CommandResult {
  const s = v.trim();
  if (!/^[+-]?\d+$/.test(s)) return failure(`Invalid parameter ${name}: ${JSON.stringify(v)} is not an integer (E_PARAM_INTEGER)`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) return failure(`Invalid parameter ${name}: ${s} is out of range; an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER} is accepted (E_PARAM_RANGE)`);
  return n;
}

async function metric(params: Map<string, string>, ctx: TransportContext): Promise<CommandResult> {
  const startText = params.get('startTime');
  if (blank(startText)) return ok('');
  const start = parseLong('startTime', startText!);
  if (typeof start !== 'number') return start;
  // The log holds names escaped (`|` and control characters as `_`): a name asked for as the
  // filters wrote it finds its lines too, as `sentinel-wasi metric --resource` does.
  const asked = params.get('identity');
  const identity = asked === undefined ? undefined : escapeResource(asked);
  const endText = params.get('endTime');
  let lines;
  if (!blank(endText)) {
    const end = parseLong('endTime', endText!);
    if (typeof end !== 'number') return end;
    await ctx.waitForSealed(Math.floor(end / 1000));
    lines = (await ctx.searcher.findByTimeAndResource(start, end, identity)).lines;
  } else {
    let maxLines = METRIC_DEFAULT_MAX_LINES;
    const maxText = params.get('maxLines');
    if (!blank(maxText)) {
      const parsed = parseLong('maxLines', maxText!);
      if (typeof parsed !== 'number') return parsed;
      maxLines = parsed;
    }
    lines = (await ctx.searcher.find(start, Math.min(maxLines, METRIC_MAX_LINES_CAP), identity)).lines;
  }
  let body = '';
  for (const l of lines) body += formatThinLine(l);
  return ok(body);
}

function clusterNode(params: Map<string, string>, ctx: TransportContext): CommandResult {
  const now = ctx.nowMs();
  const notZero = (params.get('type') ?? '').toLowerCase() === 'notzero';
  const nodes = ctx.query.resourcesAt(now).filter((n) => !notZero || n.minute.totalRequest > 0);
  return ok(JSON.stringify(nodes.map((n) => toNodeVo(n, now))));
}

/** The `id` a node command needs (clusterNodeById, cnode, origin), or Sentinel's refusal of an empty one. */
function nodeId(params: Map<string, string>): string | CommandResult {
  const id = params.get('id');
  return id === undefined || id === '' ? failure('Invalid parameter: empty clusterNode name') : id;
}

function clusterNodeById(params: Map<string, string>, ctx: TransportContext): CommandResult {
  const id = nodeId(params);
  if (typeof id !== 'string') return id;
  const now = ctx.nowMs();
  const found = ctx.query.resourceAt(id, now);
  return ok(found === undefined ? '{}' : JSON.stringify(toNodeVo(found.node, now)));
}

function jsonTreeCommand(_params: Map<string, string>, ctx: TransportContext): CommandResult {
  const now = ctx.nowMs();
  return ok(JSON.stringify(jsonTree(ctx.query.resourcesAt(now), now)));
}

/** tree[?id=entrance]: the invocation tree as text (the default context's entrance holds every resource). */
function tree(params: Map<string, string>, ctx: TransportContext): CommandResult {
  return ok(treeText(invocationTree(ctx.query.resourcesAt(ctx.nowMs())), params.get('id')));
}

/**
 * origin?id=resource: the resource's per-origin table; a resource named exactly, else the first
 * (by name) whose name contains `id`. None: Sentinel's `Not find cNode with id …` (status 200).
 */
function origin(params: Map<string, string>, ctx: TransportContext): CommandResult {
  const id = nodeId(params);
  if (typeof id !== 'string') return id;
  const now = ctx.nowMs();
  let found = ctx.query.resourceAt(id, now);
  if (found === undefined) {
    // By name alone when the query can list names (no snapshot of every resource to find one).
    const near = firstContaining(ctx.query.resourceNames?.() ?? ctx.query.resourcesAt(now).map((n) => n.resource), id);
    if (near !== undefined) found = ctx.query.resourceAt(near, now);
  }
  if (found === undefined) return ok(`Not find cNode with id ${id}`);
  return ok(originTable(found.node.resource, found.origins));
}

/** The first name (in JavaScript string order) of `names` that contains `part`, or undefined. */
function firstContaining(names: readonly string[], part: string): string | undefined {
  let first: string | undefined;
  for (const name of names) if (name.includes(part) && (first === undefined || name < first)) first = name;
  return first;
}

function cnode(params: Map<string, string>, ctx: TransportContext): CommandResult {
  const id = nodeId(params);
  if (typeof id !== 'string') return id;
  return ok(cnodeTable(ctx.query.resourcesAt(ctx.nowMs()), id));
}

/**
 * systemStatus: the inbound total node's second window as Sentinel's FetchSystemStatusCommandHandler
 * answers it (success, pass and block QPS, average RT, concurrency), its keys in the order fastjson
 * writes that handler's HashMap, doubles as Java prints them.
 */
function systemStatus(_params: Map<string, string>, ctx: TransportContext): CommandResult {
  const total = ctx.query.resourceAt(TOTAL_RESOURCE, ctx.nowMs());
  const f = total === undefined ? ZERO_FIGURES : figuresOf(total.node);
  return ok(`{"b":${javaDouble(f.blockQps)},"r":${javaDouble(f.avgRtMs)},"t":${f.threadNum},"qps":${javaDouble(f.passQps)},"rqps":${javaDouble(f.successQps)}}`);
}

function basicInfo(_params: Map<string, string>, ctx: TransportContext): CommandResult {
  return ok(JSON.stringify({ machine: hostname(), ip: ctx.hostIp }, null, '\t'));
}


/** What the rule commands need from the daemon (absent: no rules are loaded, getRules answers `[]`). */
export interface RulesControl {
  /** The rules in force as Sentinel's JSON array (type flow or degrade). */
  getRules(type: 'flow' | 'degrade'): string;
  /**
   * Checks, persists and applies a set; throws an error with an `E_RULES_…` code when it is
   * unusable as a whole or cannot be written. Answers the rules in force now and before, the first
   * rules refused alone and how many were refused in all.
   */
  setRules(type: 'flow' | 'degrade', json: string, nowMs: number): SetRulesResult;
  /** A push refused before its rules were read (no type, no data, undecodable data): for the log. */
  refused?(code: string, message: string): void;
  /** Sentinel's switch: whether the rules in force are enforced. */
  switchOn(): boolean;
  /** setSwitch: turns enforcement off or on. */
  setSwitch(on: boolean): void;
}

export interface SetRulesResult {
  active: number;
  activeBefore: number;
  rejected: Array<{ index: number; code: string; reason: string }>;
  rejectedTotal: number;
}

/** Java's URLDecoder.decode(s, "utf-8"): '+' is a space, %XX are UTF-8 bytes; undefined when malformed. */
function javaUrlDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/**
 * setRules (form fields `type` and `data`, as the dashboard sends them; `data` is URL-decoded once
 * more, as Sentinel's ModifyRulesCommandHandler does). The server has already checked the token
 * (or the trusted dashboard address) from the headers. Answers `success` when every rule was
 * taken; otherwise the rules refused alone, each with its code and reason (the rest is in force;
 * see setRulesAnswer). Sentinel's failure texts are kept, with a code appended.
 */
function setRules(params: Map<string, string>, ctx: TransportContext): CommandResult {
  const rules = rulesToChange(ctx, 'rules');
  if ('status' in rules) return rules;
  const refuse = (code: string, text: string): CommandResult => {
    rules.refused?.(code, text);
    return failure(`${text} (${code})`);
  };
  const type = (params.get('type') ?? '').toLowerCase();
  if (type !== 'flow' && type !== 'degrade') {
    if ((RULE_TYPES as readonly string[]).includes(type)) return refuse('E_RULES_TYPE', `${type} rules are not supported`);
    return refuse('E_RULES_TYPE', 'invalid type');
  }
  const raw = params.get('data');
  // A `data` value that is not valid URL encoding (a stray '%') was skipped by the parser: say so.
  if (raw === undefined && params instanceof CommandParams && params.undecodable.has('data')) return refuse('E_RULES_DECODE', 'decode rule data error');
  if (blank(raw)) return refuse('E_RULES_DATA', 'Bad data');
  const data = javaUrlDecode(raw!);
  if (data === undefined) return refuse('E_RULES_DECODE', 'decode rule data error');
  let result;
  try {
    result = rules.setRules(type, data, ctx.nowMs());
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('E_RULES')) return failure(`${(err as Error).message} (${code}); the rules in force are unchanged`);
    throw err;
  }
  return ok(setRulesAnswer(result));
}

/**
 * `success`, or `partial success: N rule(s) in force, M rejected: rule i: CODE: reason; …` with
 * at most MAX_REPORTED_REJECTIONS reasons and then `; and K more rejected`. When no rule is left
 * in force it says what happened to the rules in force before (`… M rejected (the 1 rule in
 * force before is dropped): …`), as the daemon's log line does.
 */
export function setRulesAnswer(result: SetRulesResult): string {
  if (result.rejectedTotal === 0) return 'success';
  const listed = result.rejected.slice(0, MAX_REPORTED_REJECTIONS);
  const reasons = listed.map((r) => `rule ${r.index}: ${r.code}: ${r.reason}`);
  const more = result.rejectedTotal - listed.length;
  if (more > 0) reasons.push(`and ${more} more rejected`);
  const dropped = result.active === 0 ? ` (${droppedBefore(result.activeBefore)})` : '';
  return `partial success: ${result.active} rule(s) in force, ${result.rejectedTotal} rejected${dropped}: ${reasons.join('; ')}`;
}

/** The rule types Sentinel's getRules accepts (case-insensitive). */
export const RULE_TYPES = ['flow', 'degrade', 'authority', 'system'] as const;

/** getRules?type=…: a JSON array of the rules in force of that type (authority and system: `[]`). */
function getRules(params: Map<string, string>, ctx: TransportContext): CommandResult {
  const type = (params.get('type') ?? '').toLowerCase();
  if (!(RULE_TYPES as readonly string[]).includes(type)) return failure('invalid type (E_RULES_TYPE)');
  if ((type === 'flow' || type === 'degrade') && ctx.rules !== undefined) return ok(ctx.rules.getRules(type));
  return ok('[]');
}

/**
 * The daemon's rules for a state-changing command (setRules, setSwitch), or its refusal: 403 when
 * the server did not let it through (a second line behind the server's token check), 503 when this
 * collector loads no rules.
 */
function rulesToChange(ctx: TransportContext, what: string): RulesControl | CommandResult {
  if (ctx.authorized !== true) return { status: 403, body: `Forbidden: changing ${what} needs the collector token (E_FORBIDDEN)` };
  if (ctx.rules === undefined) return { status: 503, body: 'rules are not loaded by this collector (E_NO_RULES)' };
  return ctx.rules;
}

/** getSwitch: Sentinel's answer, `Sentinel switch value: true|false`. */
function getSwitch(_params: Map<string, string>, ctx: TransportContext): CommandResult {
  return ok(`Sentinel switch value: ${ctx.rules?.switchOn() ?? true}`);
}

/**
 * setSwitch?value=true|false (the token checked by the server, as for setRules): off, no rule is
 * enforced (every ruled resource's verdict is PASS within a control tick) until it is set on again
 * or the collector restarts; the rules stay in force for getRules and the files. Any other value
 * is refused (Sentinel would read it as false).
 */
function setSwitch(params: Map<string, string>, ctx: TransportContext): CommandResult {
  const rules = rulesToChange(ctx, 'the switch');
  if ('status' in rules) return rules;
  const value = (params.get('value') ?? '').trim().toLowerCase();
  if (value !== 'true' && value !== 'false') return failure(`bad argument: value must be true or false, not ${JSON.stringify(params.get('value') ?? '')} (E_PARAM_SWITCH)`);
  rules.setSwitch(value === 'true');
  return ok(`Sentinel set switch value: ${value}`);
}

/** Sentinel's ClusterStateManager before cluster mode is set up: mode -1 (not started), no cluster client or server. */
export const CLUSTER_MODE_NOT_STARTED = { mode: -1, lastModified: -1, clientAvailable: false, serverAvailable: false };

interface CommandSpec {
  desc: string;
  handle: Handler;
}

const COMMANDS: Record<string, CommandSpec> = {
  metric: { desc: 'get and aggregate metrics, accept param: startTime={startTime}&endTime={endTime}&maxLines={maxLines}&identity={resourceName}', handle: metric },
  clusterNode: { desc: 'get all clusterNode VO, use type=notZero to ignore those nodes with totalRequest <=0', handle: clusterNode },
  clusterNodeById: { desc: 'get clusterNode VO by id, request param: id={resourceName}', handle: clusterNodeById },
  jsonTree: { desc: 'get tree node VO start from root node', handle: jsonTreeCommand },
  tree: { desc: 'get metrics in tree mode, use id to specify detailed tree root', handle: tree },
  cnode: { desc: 'get clusterNode metrics by id, request param: id={resourceName}', handle: cnode },
  origin: { desc: 'get origin clusterNode by id, request param: id={resourceName}', handle: origin },
  version: { desc: 'get sentinel version', handle: () => ok(SENTINEL_API_VERSION) },
  api: { desc: 'get all available command handlers', handle: () => ok(JSON.stringify(Object.entries(COMMANDS).map(([name, c]) => ({ url: `/${name}`, desc: c.desc })))) },
  basicInfo: { desc: 'get sentinel config info', handle: basicInfo },
  systemStatus: { desc: 'get system status', handle: systemStatus },
  getRules: { desc: 'get all active rules by type, request param: type={ruleType}', handle: getRules },
  getParamFlowRules: { desc: 'get all active param flow rules', handle: () => ok('[]') },
  getClusterMode: { desc: 'get cluster mode status', handle: () => ok(JSON.stringify(CLUSTER_MODE_NOT_STARTED)) },
  setRules: { desc: 'modify the rules, accept param: type={ruleType}&data={ruleJson} (requires the collector token)', handle: setRules },
  getSwitch: { desc: 'get sentinel switch status', handle: getSwitch },
  setSwitch: { desc: 'set sentinel switch, accept param: value={true|false} (requires the collector token)', handle: setSwitch },
};

export const TRANSPORT_COMMANDS: readonly string[] = Object.keys(COMMANDS);

/** Runs one command; an exception from a handler is the caller's 500. */
export async function runTransportCommand(command: string, params: Map<string, string>, ctx: TransportContext): Promise<CommandResult> {
  if (command === '') return failure('Invalid command');
  const spec = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (spec === undefined) return failure(`Unknown command \`${command}\``);
  return spec.handle(params, ctx);
}

/** The first non-internal IPv4 address, as Sentinel's HostNameUtil picks one; 127.0.0.1 when there is none. */
export function defaultHostIp(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function metricSearcherFor(metricDir: string, app: string): MetricSearcher {
  return new MetricSearcher(metricDir, metricLogBaseName(app));
}

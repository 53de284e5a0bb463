// Owns the Sentinel transport commands the collector answers (sentinel-transport-common handlers):
// metric, clusterNode, clusterNodeById, jsonTree, cnode, version, api, basicInfo, the dashboard's
// rule and cluster reads (getRules, getParamFlowRules: no rules are loaded yet, so `[]`;
// getClusterMode: cluster mode not started), and setRules (guarded by the token; not implemented yet). `metric` leaves out Sentinel's `__system_load__` /
// `__cpu_usage__` lines (the dashboard ignores them). A handler returns a status and a plain-text body; an unknown command is
// 400 "Unknown command `x`", which is how the dashboard recognises a missing command.

import { hostname, networkInterfaces } from 'node:os';
import { timingSafeEqual } from 'node:crypto';
import type { StatsQuery } from '../stats/types.js';
import { formatThinLine, metricLogBaseName } from '../metriclog/line.js';
import { MetricSearcher } from '../metriclog/search.js';
import { cnodeTable, jsonTree, toNodeVo } from './node-vo.js';

/** The Sentinel release whose transport API these commands reproduce (answered by `/version`). */
export const SENTINEL_API_VERSION = '1.8.9';
/** `metric` without endTime: default and cap of maxLines (SendMetricCommandHandler). */
export const METRIC_DEFAULT_MAX_LINES = 6000;
export const METRIC_MAX_LINES_CAP = 12000;

export interface TransportContext {
  query: StatsQuery;
  searcher: MetricSearcher;
  nowMs: () => number;
  token: string | undefined;
  /** The request's `Authorization` header, for state-changing commands. */
  authorization: string | undefined;
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

function parseLong(name: string, v: string): number | CommandResult {
  const s = v.trim();
  if (!/^[+-]?\d{1,16}$/.test(s) || !Number.isSafeInteger(Number(s))) return failure(`Invalid parameter ${name}: ${JSON.stringify(v)} is not an integer`);
  return Number(s);
}

async function metric(params: Map<string, string>, ctx: TransportContext): Promise<CommandResult> {
  const startText = params.get('startTime');
  if (blank(startText)) return ok('');
  const start = parseLong('startTime', startText!);
  if (typeof start !== 'number') return start;
  const identity = params.get('identity');
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

function clusterNodeById(params: Map<string, string>, ctx: TransportContext): CommandResult {
  const id = params.get('id');
  if (id === undefined || id === '') return failure('Invalid parameter: empty clusterNode name');
  const now = ctx.nowMs();
  const found = ctx.query.resourceAt(id, now);
  return ok(found === undefined ? '{}' : JSON.stringify(toNodeVo(found.node, now)));
}

function tree(_params: Map<string, string>, ctx: TransportContext): CommandResult {
  const now = ctx.nowMs();
  return ok(JSON.stringify(jsonTree(ctx.query.resourcesAt(now), now)));
}

function cnode(params: Map<string, string>, ctx: TransportContext): CommandResult {
  const id = params.get('id');
  if (id === undefined || id === '') return failure('Invalid parameter: empty clusterNode name');
  return ok(cnodeTable(ctx.query.resourcesAt(ctx.nowMs()), id));
}

function basicInfo(_params: Map<string, string>, ctx: TransportContext): CommandResult {
  return ok(JSON.stringify({ machine: hostname(), ip: ctx.hostIp }, null, '\t'));
}

function tokenMatches(expected: string, authorization: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  if (m === null) return false;
  const a = Buffer.from(m[1]!, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Changing rules needs the collector's token; with a valid one the command is still not implemented (501). */
function setRules(_params: Map<string, string>, ctx: TransportContext): CommandResult {
  if (ctx.token === undefined) return { status: 403, body: 'Forbidden: changing state over HTTP is disabled (the collector runs without a token) (E_FORBIDDEN)' };
  if (ctx.authorization === undefined) {
    return { status: 401, body: 'Unauthorized: send "Authorization: Bearer <token>" (E_UNAUTHORIZED)', headers: { 'www-authenticate': 'Bearer' } };
  }
  if (!tokenMatches(ctx.token, ctx.authorization)) return { status: 403, body: 'Forbidden: wrong token (E_FORBIDDEN)' };
  return { status: 501, body: 'setRules is not implemented yet: put rule files in <pin>/rules/ instead (E_NOT_IMPLEMENTED)' };
}

/** The rule types Sentinel's getRules accepts (case-insensitive). */
export const RULE_TYPES = ['flow', 'degrade', 'authority', 'system'] as const;

/** getRules?type=…: a JSON array of the loaded rules of that type; none are loaded yet, so `[]`. */
function getRules(params: Map<string, string>): CommandResult {
  const type = (params.get('type') ?? '').toLowerCase();
  if (!(RULE_TYPES as readonly string[]).includes(type)) return failure('invalid type');
  return ok('[]');
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
  jsonTree: { desc: 'get tree node VO start from root node', handle: tree },
  cnode: { desc: 'get clusterNode metrics by id, request param: id={resourceName}', handle: cnode },
  version: { desc: 'get sentinel version', handle: () => ok(SENTINEL_API_VERSION) },
  api: { desc: 'get all available command handlers', handle: () => ok(JSON.stringify(Object.entries(COMMANDS).map(([name, c]) => ({ url: `/${name}`, desc: c.desc })))) },
  basicInfo: { desc: 'get sentinel config info', handle: basicInfo },
  getRules: { desc: 'get all active rules by type, request param: type={ruleType}', handle: getRules },
  getParamFlowRules: { desc: 'get all active param flow rules', handle: () => ok('[]') },
  getClusterMode: { desc: 'get cluster mode status', handle: () => ok(JSON.stringify(CLUSTER_MODE_NOT_STARTED)) },
  setRules: { desc: 'modify the rules (requires the collector token; not implemented yet)', handle: setRules },
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

// Test helper: a StatsQuery over fixed NodeSnapshot values (the live figures a collector would hold),
// plus the Sentinel dashboard's own parsing of the answers (MetricNode.fromThinString, NodeVo fields).

import { zeroCounters } from '../../src/stats/store.js';
import type { Health, NodeSnapshot, ResourceTotals, StatsQuery } from '../../src/stats/types.js';

export function node(resource: string, origin: string, s: Partial<NodeSnapshot['second']>, m: Partial<NodeSnapshot['minute']>, concurrency = 0): NodeSnapshot {
  const second = { passQps: 0, blockQps: 0, successQps: 0, exceptionQps: 0, totalQps: 0, occupiedPassQps: 0, avgRtMs: 0, minRtMs: 5000, ...s };
  second.totalQps = second.passQps + second.blockQps;
  const minute = { pass: 0, block: 0, success: 0, exception: 0, totalRequest: 0, rtSumMs: 0, occupiedPass: 0, ...m };
  minute.totalRequest = minute.pass + minute.block;
  return { resource, origin, concurrency, second, minute };
}

export function health(counters: Partial<Health['counters']> = {}): Health {
  return {
    counters: { ...zeroCounters(), ...counters },
    checkpointAtMs: 0,
    segments: [],
    recentProblems: [],
  };
}

export class FixedStatsQuery implements StatsQuery {
  readonly calls: number[] = [];
  constructor(
    private readonly nodes: NodeSnapshot[],
    private readonly h: Health = health(),
    private readonly totals: Map<string, ResourceTotals> = new Map(),
  ) {}
  resourceTotalsAt(resource: string, nowMs: number): ResourceTotals | undefined {
    this.calls.push(nowMs);
    return this.totals.get(resource);
  }
  resourcesAt(nowMs: number): NodeSnapshot[] {
    this.calls.push(nowMs);
    return this.nodes.filter((n) => n.origin === '').sort((a, b) => (a.resource < b.resource ? -1 : 1));
  }
  resourceAt(name: string, nowMs: number): { node: NodeSnapshot; origins: NodeSnapshot[] } | undefined {
    this.calls.push(nowMs);
    const own = this.nodes.find((n) => n.resource === name && n.origin === '');
    if (own === undefined) return undefined;
    return { node: own, origins: this.nodes.filter((n) => n.resource === name && n.origin !== '') };
  }
  healthAt(nowMs: number): Health {
    this.calls.push(nowMs);
    return this.h;
  }
}

/** The dashboard's MetricNode.fromThinString: `|`-split, Long.parseLong on every number field (throws on anything else). */
export function parseThinAsDashboard(line: string) {
  const f = line.split('|');
  const long = (i: number): number => {
    if (!/^-?\d+$/.test(f[i] ?? '')) throw new Error(`field ${i} of ${JSON.stringify(line)} is not a long`);
    return Number(f[i]);
  };
  if (f.length < 7) throw new Error(`short thin line ${JSON.stringify(line)}`);
  return {
    timestamp: long(0),
    resource: f[1]!,
    passQps: long(2),
    blockQps: long(3),
    successQps: long(4),
    exceptionQps: long(5),
    rt: long(6),
    occupiedPassQps: f.length >= 8 ? long(7) : 0,
    concurrency: f.length >= 9 ? long(8) : 0,
    classification: f.length === 10 ? long(9) : 0,
    fields: f.length,
  };
}

/** What MetricFetcher does with a /metric body: split on '\n', skip blank lines, parse each. */
export function parseMetricBodyAsDashboard(body: string) {
  if (body === '' || body.startsWith('No metrics')) return [];
  return body.split('\n').filter((l) => l.trim() !== '').map(parseThinAsDashboard);
}

/** The NodeVo fields the dashboard's clusterNode parsing (JSON.parseArray(body, NodeVo.class)) binds. */
export const NODE_VO_FIELDS = [
  'averageRt',
  'blockQps',
  'exceptionQps',
  'oneMinuteBlock',
  'oneMinuteException',
  'oneMinutePass',
  'oneMinuteTotal',
  'passQps',
  'resource',
  'successQps',
  'threadNum',
  'timestamp',
  'totalQps',
];

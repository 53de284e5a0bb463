// Owns the replay example's input for tests: deterministic tab-separated request lines
// (`tsMs  resource  rtMs  ok|error|block  [origin]`) and the aggregates those lines must produce.

import { RecordKind } from '@sentinel-wasi/protocol';
import { prng } from './seeded.js';
import { addRecord, type Aggregates } from './segments.js';

export interface TrafficLine {
  tsMs: number;
  resource: string;
  rtMs: number;
  outcome: 'ok' | 'error' | 'block';
  origin?: string;
}

const RESOURCES = ['GET /api/users', 'POST /api/orders', 'GET /health', '查询订单', 'GET /static/app.js', 'PUT /api/users/{id}'];
const ORIGINS = ['app-a', 'app-b', '移动端'];

/** `count` lines over `seconds` seconds from startMs, ~85 % ok, 5 % error, 10 % block, 20 % with an origin. */
export function makeTraffic(count: number, options: { seed: number; startMs: number; seconds: number; resourcePrefix?: string }): TrafficLine[] {
  const next = prng(options.seed); // seeded, so every run sees the same traffic
  const lines: TrafficLine[] = [];
  const spanMs = options.seconds * 1000;
  for (let i = 0; i < count; i++) {
    const r = next();
    const outcome = r < 0.85 ? 'ok' : r < 0.9 ? 'error' : 'block';
    const line: TrafficLine = {
      tsMs: options.startMs + Math.floor((i * spanMs) / count),
      resource: `${options.resourcePrefix ?? ''}${RESOURCES[Math.floor(next() * RESOURCES.length)]!}`,
      rtMs: outcome === 'block' ? 0 : Math.floor(next() * 250),
      outcome,
    };
    if (next() < 0.2) line.origin = ORIGINS[Math.floor(next() * ORIGINS.length)]!;
    lines.push(line);
  }
  return lines;
}

export function toTsv(lines: TrafficLine[]): string {
  return lines.map((l) => [l.tsMs, l.resource, l.rtMs, l.outcome, ...(l.origin === undefined ? [] : [l.origin])].join('\t')).join('\n') + '\n';
}

/** What the collector must count for these lines (ok/error: a call; block: a blocked entry). */
export function expectedAggregates(lines: TrafficLine[], into: Aggregates = new Map()): Aggregates {
  for (const l of lines) {
    if (l.outcome === 'block') addRecord(into, RecordKind.BLOCK, l.tsMs, l.resource, 1, 0, false);
    else addRecord(into, RecordKind.CALL, l.tsMs, l.resource, 1, l.rtMs, l.outcome === 'error');
  }
  return into;
}

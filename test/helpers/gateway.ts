// Owns the http-gateway example's request mix for tests and what it must produce: the status and
// body of each request, and the per-resource counts (RT is measured by the filter, so only its
// consistency is checked, not its value).

import type { Aggregates, SecondCounts } from './segments.js';

export interface GatewayRequest {
  method: string;
  target: string;
  resource: string;
  status: number;
  body: string;
}

/** `count` requests cycling through ok, failing and origin-carrying ones. */
export function gatewayRequests(count: number): GatewayRequest[] {
  const kinds: GatewayRequest[] = [
    { method: 'GET', target: '/api/users', resource: 'GET /api/users', status: 200, body: 'ok\n' },
    { method: 'GET', target: '/api/users?fail=1', resource: 'GET /api/users', status: 500, body: 'failed (fail=1)\n' },
    { method: 'POST', target: '/api/orders?origin=app-a', resource: 'POST /api/orders', status: 200, body: 'ok\n' },
    { method: 'GET', target: '/health', resource: 'GET /health', status: 200, body: 'ok\n' },
  ];
  return [...Array(count).keys()].map((i) => kinds[i % kinds.length]!);
}

/** Per-resource totals (seconds summed away). */
export function totalsByResource(map: Aggregates): Record<string, SecondCounts> {
  const out: Record<string, SecondCounts> = {};
  for (const [key, c] of map) {
    const resource = key.slice(key.indexOf('\t') + 1);
    const t = (out[resource] ??= { pass: 0, block: 0, success: 0, exception: 0, rtSum: 0 });
    t.pass += c.pass;
    t.block += c.block;
    t.success += c.success;
    t.exception += c.exception;
    t.rtSum += c.rtSum;
  }
  return out;
}

/** What the requests must add up to: every request admitted (no verdicts), fail=1 an exception. */
export function expectedTotals(requests: GatewayRequest[]): Record<string, Omit<SecondCounts, 'rtSum'>> {
  const out: Record<string, Omit<SecondCounts, 'rtSum'>> = {};
  for (const r of requests) {
    const t = (out[r.resource] ??= { pass: 0, block: 0, success: 0, exception: 0 });
    t.pass++;
    t.success++;
    if (r.status === 500) t.exception++;
  }
  return out;
}

export function withoutRt(totals: Record<string, SecondCounts>): Record<string, Omit<SecondCounts, 'rtSum'>> {
  return Object.fromEntries(Object.entries(totals).map(([k, { rtSum: _rt, ...rest }]) => [k, rest]));
}

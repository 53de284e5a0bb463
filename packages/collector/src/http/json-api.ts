// Owns the collector's JSON API under /api/v1: every resource's current second and minute figures
// (optionally the busiest N only), one resource with its per-origin nodes, and health (what was
// counted, skipped and dropped). Errors are JSON too: {"error": {"code": "E_…", "message": "…"}}.

import type { NodeSnapshot, StatsQuery } from '../stats/types.js';

export const JSON_API_PREFIX = '/api/v1/';

export interface JsonResult {
  status: number;
  body: unknown;
}

function error(status: number, code: string, message: string): JsonResult {
  return { status, body: { error: { code, message } } };
}

/** Busiest first: current pass + block, then the minute's total, then name. */
export function byBusiest(a: NodeSnapshot, b: NodeSnapshot): number {
  return b.second.totalQps - a.second.totalQps || b.minute.totalRequest - a.minute.totalRequest || (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0);
}

/**
 * `resources`: all, sorted by name; `?sort=busy` sorts busiest first; `?limit=N` keeps the first N.
 * `total` is always the number of tracked resources.
 */
function resources(params: URLSearchParams, query: StatsQuery, nowMs: number): JsonResult {
  const sort = params.get('sort') ?? 'name';
  if (sort !== 'name' && sort !== 'busy') return error(400, 'E_BAD_PARAM', `sort must be "name" or "busy", got ${JSON.stringify(sort)}`);
  const limitText = params.get('limit');
  if (limitText !== null && !/^\d{1,9}$/.test(limitText)) return error(400, 'E_BAD_PARAM', `limit must be a whole number, got ${JSON.stringify(limitText)}`);
  let list = query.resourcesAt(nowMs);
  const total = list.length;
  if (sort === 'busy') list = [...list].sort(byBusiest);
  if (limitText !== null) list = list.slice(0, Number(limitText));
  return { status: 200, body: { nowMs, total, resources: list } };
}

/** Answers a GET of `path` with its query string `search` (without '?'). */
export function runJsonApi(path: string, search: string, query: StatsQuery, nowMs: number): JsonResult {
  const rest = path.slice(JSON_API_PREFIX.length);
  if (rest === 'resources' || rest === 'resources/') return resources(new URLSearchParams(search), query, nowMs);
  if (rest.startsWith('resources/')) {
    let name: string;
    try {
      name = decodeURIComponent(rest.slice('resources/'.length));
    } catch {
      return error(400, 'E_BAD_NAME', 'the resource name is not valid URL encoding');
    }
    const found = query.resourceAt(name, nowMs);
    if (found === undefined) return error(404, 'E_UNKNOWN_RESOURCE', `no tracked resource named ${JSON.stringify(name)}`);
    return { status: 200, body: { nowMs, node: found.node, origins: found.origins } };
  }
  if (rest === 'health') {
    return { status: 200, body: { nowMs, ...query.healthAt(nowMs) } };
  }
  return error(404, 'E_NOT_FOUND', `no such endpoint: ${path}`);
}

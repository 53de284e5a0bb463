// Owns the collector's JSON API under /api/v1: every resource's current second and minute figures,
// one resource with its per-origin nodes, and health (what was counted, skipped and dropped).
// Errors are JSON too: {"error": {"code": "E_…", "message": "…"}}.

import type { StatsQuery } from '../stats/types.js';

export const JSON_API_PREFIX = '/api/v1/';

export interface JsonResult {
  status: number;
  body: unknown;
}

function error(status: number, code: string, message: string): JsonResult {
  return { status, body: { error: { code, message } } };
}

/** Answers a GET of `path` (already without the query string); undefined is never returned for /api/v1/ paths. */
export function runJsonApi(path: string, query: StatsQuery, nowMs: number): JsonResult {
  const rest = path.slice(JSON_API_PREFIX.length);
  if (rest === 'resources' || rest === 'resources/') {
    return { status: 200, body: { nowMs, resources: query.resourcesAt(nowMs) } };
  }
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

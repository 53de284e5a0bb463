// Owns /api/v1/series: per-second series of a few resources over the last minutes, read from the
// sealed seconds in the metric log (so they end at the sealed front, 2–3 s behind now), for the
// live page's charts. Bounded: at most SERIES_MAX_SECONDS seconds and SERIES_MAX_RESOURCES
// resources per answer, and the metric-log read stops at its line cap (`truncated`).
//
//   GET /api/v1/series?seconds=300                      the busiest 6 resources (minute total)
//   GET /api/v1/series?seconds=60&resource=a&resource=b  those resources
//   → { nowMs, startSec, endSec, seconds: [epoch s…], series: [{ resource, pass: [], block: [],
//       success: [], exception: [], avgRtMs: [] }], unknown: [resource…], truncated }
// Every array has one entry per second from startSec to endSec; avgRtMs is null for a second
// without completions. A resource whose name holds `|` is found under its logged name (`_`).
// `unknown` lists the asked-for resources the collector does not track and the metric log has no
// line of in the range (a typo, most likely): their series are zeros, as for a quiet resource.

import { escapeResource } from '../metriclog/line.js';
import type { MetricSearcher } from '../metriclog/search.js';
import type { NodeSnapshot, StatsQuery } from '../stats/types.js';
import type { JsonResult } from './json-api.js';

export const SERIES_PATH = '/api/v1/series';
export const SERIES_DEFAULT_SECONDS = 300;
export const SERIES_MAX_SECONDS = 900;
export const SERIES_DEFAULT_RESOURCES = 6;
export const SERIES_MAX_RESOURCES = 20;

export interface ResourceSeries {
  resource: string;
  pass: number[];
  block: number[];
  success: number[];
  exception: number[];
  avgRtMs: Array<number | null>;
}

function error(status: number, code: string, message: string): JsonResult {
  return { status, body: { error: { code, message } } };
}

function busiestByMinute(a: NodeSnapshot, b: NodeSnapshot): number {
  return b.minute.totalRequest - a.minute.totalRequest || (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0);
}

export async function runSeries(search: string, query: StatsQuery, searcher: MetricSearcher, nowMs: number): Promise<JsonResult> {
  const params = new URLSearchParams(search);
  const secondsText = params.get('seconds') ?? String(SERIES_DEFAULT_SECONDS);
  if (!/^\d{1,6}$/.test(secondsText) || Number(secondsText) < 1 || Number(secondsText) > SERIES_MAX_SECONDS) {
    return error(400, 'E_BAD_PARAM', `seconds must be a whole number from 1 to ${SERIES_MAX_SECONDS}, got ${JSON.stringify(secondsText)}`);
  }
  const limitText = params.get('limit') ?? String(SERIES_DEFAULT_RESOURCES);
  if (!/^\d{1,3}$/.test(limitText) || Number(limitText) > SERIES_MAX_RESOURCES) {
    return error(400, 'E_BAD_PARAM', `limit must be a whole number from 0 to ${SERIES_MAX_RESOURCES}, got ${JSON.stringify(limitText)}`);
  }
  let names = [...new Set(params.getAll('resource'))];
  if (names.length > SERIES_MAX_RESOURCES) return error(400, 'E_BAD_PARAM', `at most ${SERIES_MAX_RESOURCES} resource parameters`);
  if (names.includes('')) return error(400, 'E_BAD_PARAM', 'resource must not be empty');
  if (names.length === 0) {
    names = query.resourcesAt(nowMs).sort(busiestByMinute).slice(0, Number(limitText)).map((n) => n.resource);
  }
  const count = Number(secondsText);
  const sealed = query.sealedThroughSecAt?.(nowMs);
  const endSec = sealed !== undefined && sealed >= 0 ? Math.min(sealed, Math.floor(nowMs / 1000)) : Math.floor(nowMs / 1000) - 1;
  const startSec = endSec - count + 1;

  const byLogName = new Map<string, ResourceSeries>();
  const rtTimesSuccess = new Map<ResourceSeries, number[]>();
  const series = names.map((resource) => {
    const s: ResourceSeries = { resource, pass: new Array<number>(count).fill(0), block: new Array<number>(count).fill(0), success: new Array<number>(count).fill(0), exception: new Array<number>(count).fill(0), avgRtMs: [] };
    if (!byLogName.has(escapeResource(resource))) byLogName.set(escapeResource(resource), s);
    rtTimesSuccess.set(s, new Array<number>(count).fill(0));
    return s;
  });
  let truncated = false;
  const withLines = new Set<ResourceSeries>();
  if (series.length > 0) {
    const found = await searcher.findByTimeAndResource(startSec * 1000, endSec * 1000, names.length === 1 ? escapeResource(names[0]!) : undefined);
    truncated = found.truncated;
    for (const l of found.lines) {
      const s = byLogName.get(l.resource);
      if (s === undefined) continue;
      const i = Math.floor(l.timestampMs / 1000) - startSec;
      if (i < 0 || i >= count) continue;
      withLines.add(s);
      // Late extras are further lines for the same second: they add up.
      s.pass[i]! += l.pass;
      s.block[i]! += l.block;
      s.success[i]! += l.success;
      s.exception[i]! += l.exception;
      rtTimesSuccess.get(s)![i]! += l.rtMs * l.success;
    }
  }
  for (const s of series) {
    const rts = rtTimesSuccess.get(s)!;
    s.avgRtMs = s.success.map((n, i) => (n > 0 ? Math.round((rts[i]! / n) * 100) / 100 : null));
  }
  const seconds = Array.from({ length: count }, (_, i) => startSec + i);
  const unknown = series.filter((s) => !withLines.has(s) && query.resourceAt(s.resource, nowMs) === undefined).map((s) => s.resource);
  return { status: 200, body: { nowMs, startSec, endSec, seconds, series, unknown, truncated } };
}

// Owns "the live figures" the stats and top commands show, from wherever they can be had: the
// running collector (found through `<pin>/collector/address.json`, or `--url`), or — when none runs —
// the metric log, whose newest second stands in for the second window and whose last 60 seconds
// stand in for the minute window.

import { join } from 'node:path';
import { PinLayout } from '@sentinel-wasi/protocol';
import { readPinHeader } from '@sentinel-wasi/protocol/node';
import type { NodeSnapshot, SecondLine } from '../stats/types.js';
import { escapeResource, formatDateTime, metricLogBaseName } from '../metriclog/line.js';
import { MetricSearcher } from '../metriclog/search.js';
import { TOTAL_RESOURCE } from '../stats/store.js';
import { findDaemon, getJson } from './daemon.js';
import { QueryError } from './errors.js';
import { pinPaths } from '../pin/pin.js';

/** One table row: a resource (or, for one resource, an origin) with its second and minute figures. */
export interface FigureRow {
  name: string;
  passQps: number;
  blockQps: number;
  successQps: number;
  exceptionQps: number;
  avgRtMs: number;
  concurrency: number;
  minutePass: number;
  minuteBlock: number;
  minuteException: number;
}

export interface LiveView {
  /** One line saying where the figures come from and for when. */
  sourceLine: string;
  /** 'resource' for all resources, 'origin' for one resource's nodes. */
  nameColumn: 'resource' | 'origin';
  rows: FigureRow[];
  /** What --json prints. */
  json: unknown;
}

export interface ViewRequest {
  pinDir: string;
  /** Explicit collector URL (`--url`): no fallback to the log when it does not answer. */
  url?: string;
  resource?: string;
  /** Where notes go (e.g. "collector not reachable; reading the metric log"). */
  note: (message: string) => void;
}

export function rowOfNode(name: string, n: NodeSnapshot): FigureRow {
  return {
    name,
    passQps: n.second.passQps,
    blockQps: n.second.blockQps,
    successQps: n.second.successQps,
    exceptionQps: n.second.exceptionQps,
    avgRtMs: n.second.avgRtMs,
    concurrency: n.concurrency,
    minutePass: n.minute.pass,
    minuteBlock: n.minute.block,
    minuteException: n.minute.exception,
  };
}

async function fromDaemon(url: string, resource: string | undefined): Promise<LiveView> {
  if (resource === undefined) {
    const r = await getJson(url, '/api/v1/resources');
    if (r.status !== 200) throw new QueryError('E_BAD_ANSWER', `${url}/api/v1/resources answered ${r.status}`);
    const body = r.body as { nowMs: number; resources: NodeSnapshot[] };
    return {
      sourceLine: `source: collector ${url} at ${formatDateTime(body.nowMs)}`,
      nameColumn: 'resource',
      rows: body.resources.map((n) => rowOfNode(n.resource, n)),
      json: body,
    };
  }
  const r = await getJson(url, `/api/v1/resources/${encodeURIComponent(resource)}`);
  if (r.status === 404) throw new QueryError('E_UNKNOWN_RESOURCE', `the collector tracks no resource named ${JSON.stringify(resource)}`);
  if (r.status !== 200) throw new QueryError('E_BAD_ANSWER', `${url} answered ${r.status} for resource ${JSON.stringify(resource)}`);
  const body = r.body as { nowMs: number; node: NodeSnapshot; origins: NodeSnapshot[] };
  return {
    sourceLine: `source: collector ${url} at ${formatDateTime(body.nowMs)}; resource ${resource}`,
    nameColumn: 'origin',
    rows: [rowOfNode('(all)', body.node), ...body.origins.map((o) => rowOfNode(o.origin, o))],
    json: body,
  };
}

function appOfPin(pinDir: string): string {
  try {
    return readPinHeader(pinDir).app;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new QueryError('E_NO_PIN', `${pinDir} is not a pin directory (no PIN file); run 'sentinel-wasi init --pin ${pinDir}' first`);
    throw new QueryError(typeof e.code === 'string' ? e.code : 'E_BAD_PIN', `cannot read ${join(pinDir, PinLayout.header)}: ${e.message}`);
  }
}

export function metricDirOf(pinDir: string): string {
  return pinPaths(pinDir).metricDir;
}

export function searcherForPin(pinDir: string): MetricSearcher {
  return new MetricSearcher(metricDirOf(pinDir), metricLogBaseName(appOfPin(pinDir)));
}

/** Per resource: its line of the newest logged second (zeros when it had none) and its sums over the last 60 s. */
async function fromLog(pinDir: string, resource: string | undefined): Promise<LiveView> {
  const searcher = searcherForPin(pinDir);
  const lastSec = await searcher.latestSecond();
  if (lastSec === undefined) throw new QueryError('E_NO_DATA', `no collector runs for ${pinDir} and its metric log (${searcher.dir}) is empty`);
  const identity = resource === undefined ? undefined : escapeResource(resource);
  const { lines } = await searcher.findByTimeAndResource((lastSec - 59) * 1000, lastSec * 1000 + 999, identity);
  const byName = new Map<string, { last?: SecondLine; pass: number; block: number; exception: number }>();
  for (const l of lines) {
    // The collector's live view lists resources only; the log's total line is shown when asked for by name.
    if (identity === undefined && l.resource === TOTAL_RESOURCE) continue;
    let agg = byName.get(l.resource);
    if (agg === undefined) byName.set(l.resource, (agg = { pass: 0, block: 0, exception: 0 }));
    agg.pass += l.pass;
    agg.block += l.block;
    agg.exception += l.exception;
    if (Math.floor(l.timestampMs / 1000) === lastSec) agg.last = l;
  }
  if (resource !== undefined && byName.size === 0) {
    throw new QueryError('E_UNKNOWN_RESOURCE', `the metric log has no line for ${JSON.stringify(resource)} in the minute up to ${formatDateTime(lastSec * 1000)}`);
  }
  const rows: FigureRow[] = [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, agg]) => ({
      name,
      passQps: agg.last?.pass ?? 0,
      blockQps: agg.last?.block ?? 0,
      successQps: agg.last?.success ?? 0,
      exceptionQps: agg.last?.exception ?? 0,
      avgRtMs: agg.last?.rtMs ?? 0,
      concurrency: agg.last?.concurrency ?? 0,
      minutePass: agg.pass,
      minuteBlock: agg.block,
      minuteException: agg.exception,
    }));
  return {
    sourceLine: `source: metric log (no collector running), second ${formatDateTime(lastSec * 1000)}`,
    nameColumn: 'resource',
    rows,
    json: { source: 'metric-log', secondMs: lastSec * 1000, resources: rows },
  };
}

export async function loadLiveView(req: ViewRequest): Promise<LiveView> {
  if (req.url !== undefined) return fromDaemon(req.url, req.resource);
  const daemon = await findDaemon(req.pinDir);
  if (daemon !== undefined) {
    try {
      return await fromDaemon(daemon.url, req.resource);
    } catch (err) {
      if (!(err instanceof QueryError) || err.code !== 'E_UNREACHABLE') throw err;
      req.note(`${err.message}; reading the metric log instead`);
    }
  }
  return fromLog(req.pinDir, req.resource);
}

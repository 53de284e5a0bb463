// Owns "the live figures" the stats and top commands show, from wherever they can be had: the
// running collector (found through `<pin>/collector/address.json`, or `--url`), or — when none runs,
// or it runs without HTTP (found through the pin's lock), or does not answer — the metric log,
// whose newest second stands in for the second window and whose last 60 seconds stand in for the
// minute window; the source line says which of these it is, and only when no collector runs is
// what a stopped one has not yet written named (unwritten-seconds.ts). The JSON it carries for
// `stats --json` has one shape for both (stats-json.ts); the table rows are read from the same nodes.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PinLayout, ProtocolError, withoutCodePrefix } from '@sentinel-wasi/protocol';
import { readPinHeader } from '@sentinel-wasi/protocol/node';
import type { NodeSnapshot } from '../stats/types.js';
import { escapeResource, formatDateTime, metricLogBaseName } from '../metriclog/line.js';
import { MetricSearcher } from '../metriclog/search.js';
import { TOTAL_RESOURCE } from '../stats/store.js';
import { findCollector, getJson, type CollectorPresence } from './daemon.js';
import { QueryError } from './errors.js';
import { accessError, PinError, pinPaths } from '../pin/pin.js';
import { osReason } from '../pin/os-error.js';
import { unwrittenNote, unwrittenOf } from './unwritten-seconds.js';
import { collectorJsonAll, collectorJsonOne, loggedJsonAll, loggedJsonOne, loggedNode, type LoggedResource, type StatsNode } from './stats-json.js';

/** One table row: a resource (or, for one resource, an origin) with its second and minute figures. */
export interface FigureRow {
  name: string;
  passQps: number;
  blockQps: number;
  successQps: number;
  exceptionQps: number;
  avgRtMs: number;
  /** null: not known (the metric log does not keep it). */
  concurrency: number | null;
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
  /** What --json prints: a StatsJsonAll, or a StatsJsonOne for one resource (stats-json.ts). */
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

/** A node's table row (a concurrency the metric log cannot know stays null: the table shows `-`). */
export function rowOfNode(name: string, n: StatsNode): FigureRow {
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
    const body = r.body as { nowMs: number; total: number; resources: NodeSnapshot[] };
    return {
      sourceLine: `source: collector ${url} at ${formatDateTime(body.nowMs)}`,
      nameColumn: 'resource',
      rows: body.resources.map((n) => rowOfNode(n.resource, n)),
      json: collectorJsonAll(body),
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
    json: collectorJsonOne(body),
  };
}

function appOfPin(pinDir: string): string {
  try {
    return readPinHeader(pinDir).app;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // A missing directory and a file are said as run and serve say them (by what is there, not by
    // the errno: a file on the way is ENOTDIR too, and is a pin that does not exist).
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') {
      if (!existsSync(pinDir)) throw new QueryError('E_NO_PIN', `pin ${pinDir} does not exist (create it with: sentinel-wasi init --pin ${pinDir})`);
      if (!statSync(pinDir).isDirectory()) throw new QueryError('E_PIN_NOT_DIRECTORY', `pin ${pinDir} is not a directory`);
    }
    if (e.code === 'ENOENT') throw new QueryError('E_NO_PIN', `${pinDir} is not a pin directory (no PIN file); run 'sentinel-wasi init --pin ${pinDir}' first`);
    const access = accessError(e, `read ${join(pinDir, PinLayout.header)}`, pinDir);
    if (access instanceof PinError) throw new QueryError(access.code, access.message);
    // The code is said once, at the end: the reason without it (a ProtocolError's message and an
    // OS error's begin with their code).
    const code = typeof e.code === 'string' ? e.code : 'E_BAD_PIN';
    const reason = err instanceof ProtocolError ? err.reason : withoutCodePrefix(osReason(err), code);
    throw new QueryError(code, `cannot read ${join(pinDir, PinLayout.header)}: ${reason}`);
  }
}

/**
 * Throws the QueryError a read through `pinDir` would meet first when it is no pin this command
 * can read (none there, not a directory, no PIN file, a PIN it cannot read); returns otherwise.
 */
export function checkPin(pinDir: string): void {
  appOfPin(pinDir);
}

export function metricDirOf(pinDir: string): string {
  return pinPaths(pinDir).metricDir;
}

export function searcherForPin(pinDir: string): MetricSearcher {
  return new MetricSearcher(metricDirOf(pinDir), metricLogBaseName(appOfPin(pinDir)));
}

/** Why the figures come from the metric log: the source line's words. */
type LogReason = 'no collector running' | 'the collector runs without HTTP' | 'the collector does not answer';

/** The reason, from what was found (a collector whose address did not answer was tried first). */
function logReasonOf(presence: CollectorPresence): LogReason {
  if (presence.lockPid === undefined) return 'no collector running';
  return presence.address === undefined ? 'the collector runs without HTTP' : 'the collector does not answer';
}

/** E_NO_DATA's words: who (if anyone) runs, and that the log is empty. */
function emptyLogMessage(pinDir: string, metricDir: string, reason: LogReason): string {
  const who = reason === 'no collector running' ? `no collector runs for ${pinDir}` : reason === 'the collector runs without HTTP' ? `the collector of ${pinDir} runs without HTTP` : `the collector of ${pinDir} does not answer`;
  return `${who} and its metric log (${metricDir}) is empty`;
}

/**
 * Per resource: its lines of the newest logged second (none: zeros) and its sums over the 60 s up
 * to it. What a stopped collector has not written yet is named only when none runs: a running one
 * writes its open seconds as they close and reads its segments itself.
 */
async function fromLog(pinDir: string, resource: string | undefined, note: (message: string) => void, reason: LogReason): Promise<LiveView> {
  const searcher = searcherForPin(pinDir);
  const lastSec = await searcher.latestSecond();
  const unwritten = reason === 'no collector running' ? unwrittenNote(unwrittenOf(pinDir, resource === undefined ? {} : { resource })) : undefined;
  if (lastSec === undefined) {
    throw new QueryError('E_NO_DATA', `${emptyLogMessage(pinDir, searcher.dir, reason)}${unwritten === undefined ? '' : `; ${unwritten}`}`);
  }
  if (unwritten !== undefined) note(unwritten);
  const identity = resource === undefined ? undefined : escapeResource(resource);
  const { lines } = await searcher.findByTimeAndResource((lastSec - 59) * 1000, lastSec * 1000 + 999, identity);
  const byName = new Map<string, LoggedResource>();
  for (const l of lines) {
    // The collector's live view lists resources only; the log's total line is shown when asked for by name.
    if (identity === undefined && l.resource === TOTAL_RESOURCE) continue;
    let r = byName.get(l.resource);
    if (r === undefined) byName.set(l.resource, (r = { resource: l.resource, newest: [], minute: { pass: 0, block: 0, success: 0, exception: 0 } }));
    r.minute.pass += l.pass;
    r.minute.block += l.block;
    r.minute.success += l.success;
    r.minute.exception += l.exception;
    if (Math.floor(l.timestampMs / 1000) === lastSec) r.newest.push(l);
  }
  if (resource !== undefined && byName.size === 0) {
    throw new QueryError('E_UNKNOWN_RESOURCE', `the metric log has no line for ${JSON.stringify(resource)} in the minute up to ${formatDateTime(lastSec * 1000)}`);
  }
  const nodes: StatsNode[] = [...byName.values()].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0)).map(loggedNode);
  const secondMs = lastSec * 1000;
  return {
    sourceLine: `source: metric log (${reason}), second ${formatDateTime(secondMs)}`,
    nameColumn: 'resource',
    rows: nodes.map((n) => rowOfNode(n.resource, n)),
    // Asked for by name, the search kept only lines of that (escaped) name: one node.
    json: resource === undefined ? loggedJsonAll(secondMs, nodes) : loggedJsonOne(secondMs, nodes[0]!),
  };
}

export async function loadLiveView(req: ViewRequest): Promise<LiveView> {
  if (req.url !== undefined) return fromDaemon(req.url, req.resource);
  const presence = await findCollector(req.pinDir);
  if (presence.address !== undefined) {
    try {
      return await fromDaemon(presence.address.url, req.resource);
    } catch (err) {
      if (!(err instanceof QueryError) || err.code !== 'E_UNREACHABLE') throw err;
      req.note(`${err.message}; reading the metric log instead`);
    }
  }
  return fromLog(req.pinDir, req.resource, req.note, logReasonOf(presence));
}

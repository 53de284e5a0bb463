// Owns the Sentinel Dashboard heartbeat: registers this collector as a machine with every listed
// dashboard, as Sentinel's simple-http heartbeat sender does — POST `/registry/machine`,
// form-urlencoded `app`, `app_type` (0), `hostname`, `ip`, `port` (the collector's HTTP port), `v`
// (the Sentinel version `/version` reports) and `version` (the current epoch ms). The first beat
// goes out `firstDelayMs` after start (5 s), then one every `intervalMs` (10 s). A dashboard that
// fails is logged (one line per beat for all failures) and tried again next time; nothing throws.
// The clock and the timers are injected. Requests go through http/outgoing.ts (node:http: a
// dashboard on a port fetch refuses, 6000 say, is reached too).

import { sendRequest } from '../http/outgoing.js';

export const HEARTBEAT_PATH = '/registry/machine';
export const DEFAULT_HEARTBEAT_FIRST_DELAY_MS = 5000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
/** One beat's request timeout (Sentinel's sender uses 3 s socket timeouts). */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 3000;

export interface HeartbeatTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HeartbeatLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface HeartbeatOptions {
  /** Dashboard base URLs, as parseDashboardList gives them. */
  dashboards: string[];
  app: string;
  hostname: string;
  /** The address the dashboard fetches this collector's commands from. */
  ip: string;
  /** The collector's HTTP port. */
  port: number;
  /** The Sentinel version string (`v`). */
  sentinelVersion: string;
  nowMs: () => number;
  log: HeartbeatLog;
  firstDelayMs?: number;
  intervalMs?: number;
  timeoutMs?: number;
  timers?: HeartbeatTimers;
}

export interface BeatResult {
  dashboard: string;
  ok: boolean;
  /** HTTP status, or the network error's message. */
  detail: string;
}

export interface RunningHeartbeat {
  /** Sends one beat to every dashboard now (also what the timer does). */
  beat(): Promise<BeatResult[]>;
  /** Beats sent so far (one per interval, to all dashboards). */
  readonly beats: number;
  stop(): void;
}

/** A dashboard address that cannot be used: E_BAD_DASHBOARD (the message says why, without the code). */
function badDashboard(message: string): Error {
  return Object.assign(new Error(message), { code: 'E_BAD_DASHBOARD' });
}

/**
 * `host[:port][,host[:port]]`, each optionally prefixed `http://` or `https://`, read as Sentinel
 * reads csp.sentinel.dashboard.server (TransportConfig.getConsoleServerList): without a port, 80
 * (443 with `https://`); a `:` without a port is refused. The base URLs, without a trailing slash.
 * Throws E_BAD_DASHBOARD.
 */
export function parseDashboardList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const withScheme = /^https?:\/\//i.test(item) ? item : `http://${item}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw badDashboard(`dashboard address ${JSON.stringify(item)} is not host[:port]`);
    }
    if (url.hostname === '' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '') {
      throw badDashboard(`dashboard address ${JSON.stringify(item)} must be host[:port], without a path`);
    }
    if (/:\/?$/.test(item)) throw badDashboard(`dashboard address ${JSON.stringify(item)} has a ":" without a port`);
    if (url.port === '0') throw badDashboard(`dashboard address ${JSON.stringify(item)} has port 0, which no dashboard listens on`);
    out.push(`${url.protocol}//${url.host}`);
  }
  if (out.length === 0) throw badDashboard('no dashboard address given');
  return out;
}

/** The heartbeat's form fields, in Sentinel's order. */
export function heartbeatForm(o: Pick<HeartbeatOptions, 'app' | 'hostname' | 'ip' | 'port' | 'sentinelVersion'>, nowMs: number): URLSearchParams {
  return new URLSearchParams([
    ['app', o.app],
    ['app_type', '0'],
    ['hostname', o.hostname],
    ['ip', o.ip],
    ['port', String(o.port)],
    ['v', o.sentinelVersion],
    ['version', String(nowMs)],
  ]);
}

const defaultTimers: HeartbeatTimers = {
  setTimeout: (fn, ms) => {
    const h = setTimeout(fn, ms);
    h.unref();
    return h;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function startHeartbeat(o: HeartbeatOptions): RunningHeartbeat {
  const timers = o.timers ?? defaultTimers;
  const intervalMs = o.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const timeoutMs = o.timeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  let stopped = false;
  let handle: unknown;
  let beats = 0;

  async function one(dashboard: string, body: string): Promise<BeatResult> {
    try {
      const res = await sendRequest(new URL(dashboard + HEARTBEAT_PATH), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body,
        timeoutMs,
      });
      return { dashboard, ok: res.status === 200, detail: `HTTP ${res.status}` };
    } catch (err) {
      // The OS's code (ECONNREFUSED, ENOTFOUND, …), or the time limit in words.
      const e = err as NodeJS.ErrnoException;
      return { dashboard, ok: false, detail: e.code === undefined || e.code === 'E_TIMEOUT' ? e.message : e.code };
    }
  }

  async function beat(): Promise<BeatResult[]> {
    beats++;
    const body = heartbeatForm(o, o.nowMs()).toString();
    const results = await Promise.all(o.dashboards.map((d) => one(d, body)));
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) {
      o.log.warn({ code: 'E_HEARTBEAT', failed: failed.map((f) => `${f.dashboard}: ${f.detail}`) }, 'dashboard heartbeat failed; retrying next interval');
    } else {
      o.log.debug({ dashboards: o.dashboards.length }, 'dashboard heartbeat sent');
    }
    return results;
  }

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    handle = timers.setTimeout(() => {
      // The next beat is timed from this one's start, so a slow dashboard does not stretch the interval.
      schedule(intervalMs);
      void beat();
    }, delayMs);
  };
  schedule(o.firstDelayMs ?? DEFAULT_HEARTBEAT_FIRST_DELAY_MS);

  return {
    beat,
    get beats() {
      return beats;
    },
    stop() {
      stopped = true;
      if (handle !== undefined) timers.clearTimeout(handle);
    },
  };
}

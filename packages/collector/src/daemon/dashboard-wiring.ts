// Owns starting the dashboard heartbeat for a running daemon: which address and port it
// announces. A collector bound to one IP address announces that address (`localhost`: 127.0.0.1);
// one bound to every interface (0.0.0.0, ::) or to a host name announces the first non-internal
// IPv4 address, as Sentinel does (the dashboard accepts only IP addresses).

import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { defaultHostIp, SENTINEL_API_VERSION } from '../http/transport.js';
import { startHeartbeat, type RunningHeartbeat } from './heartbeat.js';

export interface DashboardOptions {
  /** Sentinel Dashboard base URLs (parseDashboardList); none: no heartbeat. */
  dashboards?: string[];
  /** Heartbeat interval (default 10 s); the first beat goes out after min(5 s, interval). */
  heartbeatIntervalMs?: number;
}

/** The `ip` a collector listening on `host` announces. */
export function announcedIp(host: string, firstHostIp: () => string = defaultHostIp): string {
  if (host === 'localhost') return '127.0.0.1';
  if (host === '0.0.0.0' || host === '::' || isIP(host) === 0) return firstHostIp();
  return host;
}

export function dashboardHeartbeat(options: DashboardOptions, app: string, httpUrl: string, host: string, nowMs: () => number, log: Logger): RunningHeartbeat | undefined {
  if (options.dashboards === undefined || options.dashboards.length === 0) return undefined;
  const intervalMs = options.heartbeatIntervalMs;
  const running = startHeartbeat({
    dashboards: options.dashboards,
    app,
    hostname: hostname(),
    ip: announcedIp(host),
    port: Number(new URL(httpUrl).port),
    sentinelVersion: SENTINEL_API_VERSION,
    nowMs,
    log,
    ...(intervalMs === undefined ? {} : { intervalMs, firstDelayMs: Math.min(5000, intervalMs) }),
  });
  log.info({ dashboards: options.dashboards, intervalMs: intervalMs ?? 10_000 }, 'dashboard heartbeat started');
  return running;
}

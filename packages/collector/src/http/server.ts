// Owns the collector's HTTP surface (placeholder: the signature the daemon calls).

import type { StatsQuery } from '../stats/types.js';

export interface HttpServerOptions {
  query: StatsQuery;
  app: string;
  /** Directory of the Sentinel metric log files (`<pin>/collector/metrics`). */
  metricDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Injected clock, epoch ms. */
  nowMs: () => number;
  /** Required bearer token for state-changing requests (rules); undefined disables them. */
  token?: string;
}

export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:8719 */
  url: string;
  close(): Promise<void>;
}

export async function startHttpServer(_options: HttpServerOptions): Promise<RunningHttpServer> {
  throw new Error('E_NOT_IMPLEMENTED: the HTTP server is not implemented yet');
}

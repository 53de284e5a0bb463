// Owns the HTTP surface's resource limits, so that no client (authenticated or not) can make
// the collector hold unbounded memory: at most MAX_CONNECTIONS open connections, request bodies
// of at most MAX_BODY_BYTES each and BODY_BUDGET_BYTES across all bodies being read at once
// (reserved from Content-Length before a byte is read), and timeouts that cut slow headers,
// slow bodies and idle keep-alive connections.

import type { Server } from 'node:http';

/** Concurrent connections; one more is closed by the kernel-facing accept loop. */
export const MAX_CONNECTIONS = 512;
/** Largest POST body read for a transport command. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** All request bodies being read at one time, together. */
export const BODY_BUDGET_BYTES = 8 * 1024 * 1024;
/** The whole header block must arrive within this. */
export const HEADERS_TIMEOUT_MS = 5_000;
/** The whole request (headers and body) must arrive within this. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** An idle keep-alive connection is closed after this. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often Node checks the two timeouts above (createServer's connectionsCheckingInterval). */
export const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** A shared budget of bytes: a body is read only after its whole Content-Length is reserved. */
export class BodyBudget {
  private inFlight = 0;
  constructor(readonly totalBytes: number = BODY_BUDGET_BYTES) {}

  get inFlightBytes(): number {
    return this.inFlight;
  }

  /** Reserves n bytes; false (nothing reserved) when that would exceed the budget. */
  tryReserve(n: number): boolean {
    if (n < 0 || this.inFlight + n > this.totalBytes) return false;
    this.inFlight += n;
    return true;
  }

  release(n: number): void {
    this.inFlight = Math.max(0, this.inFlight - n);
  }
}

/** Sets the connection cap and the timeouts on a server (before it listens). */
export function applyServerLimits(server: Server, maxConnections: number = MAX_CONNECTIONS): void {
  server.maxConnections = maxConnections;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
}

// Owns the collector's HTTP surface and its routing: the live page at `/`, Prometheus text at
// `/metrics`, the JSON API under `/api/v1/`, and every other path as a Sentinel transport command
// (answered as sentinel-transport-simple-http does: plain text, `Connection: close`, 400 for an
// unknown command). Binds 127.0.0.1 unless told otherwise. Limits (connections, body bytes,
// timeouts) are in limits.ts; a state-changing command's token is checked before its body is read
// (and a client that asked `Expect: 100-continue` is told to send its body only once the checks
// made from the headers have passed). A HEAD to a state-changing command changes nothing (405).
// Every 405 carries `Allow`; no CORS header is ever sent (a browser page elsewhere cannot read an
// answer, nor add a token to a cross-site request).
// A read is answered after the I/O callbacks of the turn its request arrived in (watch events
// included), so it sees an append made before it was sent.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { StatsQuery } from '../stats/types.js';
import { isFormContentType, parseCommandTarget, parseParams } from './command-request.js';
import { checkRequest, STATE_CHANGING_COMMANDS } from './auth.js';
import { hostAllowed } from './host-check.js';
import { ASSET_PREFIX, loadAssets } from './assets.js';
import { answerHeaders, applyServerLimits, BodyBudget, lingeringClose, MAX_BODY_BYTES, rawAnswer, TIMEOUT_CHECK_INTERVAL_MS } from './limits.js';
import { JSON_API_PREFIX, runJsonApi } from './json-api.js';
import { LIVE_PAGE_CSP, livePageHtml } from './live-page.js';
import { DEFAULT_MAX_PROMETHEUS_RESOURCES, PrometheusExporter } from './prometheus.js';
import { DEFAULT_METRIC_WAIT_MS, sealWaiter } from './seal-wait.js';
import { runSeries, SERIES_PATH } from './series.js';
import { defaultHostIp, metricSearcherFor, runTransportCommand, type RulesControl, type TransportContext } from './transport.js';

export const DEFAULT_HTTP_HOST = '127.0.0.1';
/** Sentinel's default transport port (csp.sentinel.api.port). */
export const DEFAULT_HTTP_PORT = 8719;
/** On close, a request still being answered gets this long before its connection is cut. */
export const CLOSE_GRACE_MS = 1000;
export { MAX_BODY_BYTES } from './limits.js';

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
  /** Requests from this one address may change rules without the token (a Sentinel Dashboard); none by default. */
  trustDashboardAddress?: string;
  /** The daemon's rules for getRules / setRules; absent: none loaded. */
  rules?: RulesControl;
  /** Ports tried upward from `port` when one is in use (Sentinel keeps searching); default 1 = only `port`. */
  portAttempts?: number;
  /** The address `/basicInfo` reports; default: the first non-internal IPv4 address. */
  hostIp?: string;
  /** Resources that get Prometheus series at most (busiest first); default 200. */
  maxPrometheusResources?: number;
  /**
   * Longest wait of a `/metric` range request for its last second to be sealed (needs
   * query.sealedThroughSecAt); default 1500 ms, under the dashboard's 3 s read timeout. 0 disables.
   */
  metricWaitMs?: number;
  /** Concurrent connections at most; default MAX_CONNECTIONS (limits.ts). */
  maxConnections?: number;
  /** Bytes of request bodies read at one time, all requests together; default BODY_BUDGET_BYTES. */
  bodyBudgetBytes?: number;
  /** Told of each state-changing request refused: the daemon logs them. */
  onRefused?: (refusal: Refusal) => void;
}

/** A refused state-changing request: its command, status, code and client address. */
export interface Refusal {
  command: string;
  status: number;
  code: string;
  remoteAddress: string;
}


export interface RunningHttpServer {
  /** e.g. http://127.0.0.1:8719 */
  url: string;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...answerHeaders(contentType, body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON_TYPE, JSON.stringify(body), headers);
}

/** 405 Method Not Allowed, with the methods the path takes in `Allow`; `what` says why (may be ''). */
function methodNotAllowed(res: ServerResponse, method: string, allow: string, what: string): void {
  send(res, 405, TEXT, `Method ${method} not allowed${what} (E_METHOD)`, { allow, connection: 'close' });
}

/**
 * Reads a body of exactly `lengthBytes` (its reserved Content-Length). A client waiting for
 * `100 Continue` gets it now, once every check made from the headers has passed. undefined when
 * the connection was answered meanwhile (408 after REQUEST_TIMEOUT_MS, limits.ts): the request is
 * then dropped, never run.
 */
async function readBody(req: IncomingMessage, res: ServerResponse, lengthBytes: number): Promise<string | undefined> {
  if (/\b100-continue\b/i.test(req.headers.expect ?? '')) res.writeContinue();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > lengthBytes) break; // cannot happen with a Content-Length body; never read more than reserved
    chunks.push(chunk as Buffer);
  }
  if (!req.socket.writable) return undefined;
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves in the check phase of this turn of the event loop (after its I/O callbacks). */
const afterThisTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function makeHandler(options: HttpServerOptions, stop: AbortSignal) {
  const waitForSealed = sealWaiter(options.query, options.nowMs, options.metricWaitMs ?? DEFAULT_METRIC_WAIT_MS, stop);
  const searcher = metricSearcherFor(options.metricDir, options.app);
  const hostIp = options.hostIp ?? defaultHostIp();
  const prometheus = new PrometheusExporter(options.query, options.maxPrometheusResources ?? DEFAULT_MAX_PROMETHEUS_RESOURCES);
  const page = livePageHtml(options.app);
  const assets = loadAssets();
  const budget = new BodyBudget(options.bodyBudgetBytes);

  async function transport(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    const closing = { connection: 'close' };
    const { command, params } = parseCommandTarget(target);
    const changesState = STATE_CHANGING_COMMANDS.has(command);
    if (changesState) {
      // A HEAD is answered as a GET would be, without its body: it must not change anything.
      if (req.method === 'HEAD') {
        methodNotAllowed(res, 'HEAD', 'GET, POST', ` for ${command}: it changes state; send GET or POST`);
        return;
      }
      // From the headers alone, before any body byte is read.
      const denied = checkRequest(options.token, req.headers, req.socket.remoteAddress, options.trustDashboardAddress, req.method);
      if (denied !== null) {
        send(res, denied.status, TEXT, denied.body, { ...closing, ...denied.headers });
        options.onRefused?.({ command, status: denied.status, code: /\((E_[A-Z_]+)\)$/.exec(denied.body)?.[1] ?? 'E_FORBIDDEN', remoteAddress: req.socket.remoteAddress ?? '?' });
        return;
      }
    }
    if (req.method === 'POST') {
      if (!isFormContentType(req.headers['content-type'])) {
        send(res, 415, TEXT, 'Only form-encoded post request is supported (E_UNSUPPORTED_MEDIA_TYPE)', closing);
        return;
      }
      const length = Number(req.headers['content-length'] ?? 0);
      if (!(length >= 1) || !Number.isSafeInteger(length)) {
        send(res, 411, TEXT, 'Content-Length of at least 1 is required: a POST sends its parameters as a form body with its length (not empty, not chunked), as Sentinel takes them; or send them in the query string (E_LENGTH_REQUIRED)', closing);
        return;
      }
      if (length > MAX_BODY_BYTES) {
        send(res, 413, TEXT, `Request body larger than ${MAX_BODY_BYTES} bytes (E_BODY_TOO_LARGE)`, closing);
        return;
      }
      if (!budget.tryReserve(length)) {
        send(res, 503, TEXT, 'Too many request bodies in flight; try again (E_BUSY)', { ...closing, 'retry-after': '1' });
        return;
      }
      let body;
      try {
        body = await readBody(req, res, length);
      } finally {
        budget.release(length);
      }
      if (body === undefined) return;
      parseParams(body, params);
    }
    const ctx: TransportContext = {
      query: options.query,
      searcher,
      nowMs: options.nowMs,
      authorized: changesState,
      ...(options.rules === undefined ? {} : { rules: options.rules }),
      hostIp,
      waitForSealed,
    };
    let result;
    try {
      result = await runTransportCommand(command, params, ctx);
    } catch {
      send(res, 500, TEXT, 'Command server error', closing);
      return;
    }
    send(res, result.status, TEXT, result.body, { ...closing, ...result.headers });
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      methodNotAllowed(res, method, 'GET, HEAD, POST', '');
      return;
    }
    if (!hostAllowed(options.host, req.headers.host)) {
      send(res, 403, TEXT, `Forbidden: Host ${JSON.stringify(req.headers.host)} is not a loopback name (E_FORBIDDEN_HOST)`, { connection: 'close' });
      return;
    }
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q === -1 ? target : target.slice(0, q);
    const readOnly = method !== 'POST';
    // A read is answered after the other I/O callbacks of this turn of the event loop: a segment
    // append made before the request was sent, whose watch event came in the same turn, is read
    // first (an event the loop hands over after the request's bytes would otherwise miss it).
    if (readOnly) await afterThisTurn();
    if (path === '/' && readOnly) {
      send(res, 200, 'text/html; charset=utf-8', page, { 'content-security-policy': LIVE_PAGE_CSP });
    } else if (path === '/favicon.ico' && readOnly) {
      // What a browser asks for beside the live page: no icon, and no "Unknown command" either.
      res.writeHead(204, { 'cache-control': 'public, max-age=86400' });
      res.end();
    } else if (path === '/metrics' && readOnly) {
      const r = await prometheus.scrape(options.nowMs(), req.headers.accept);
      send(res, 200, r.contentType, r.body);
    } else if (path.startsWith(ASSET_PREFIX) && readOnly) {
      const a = assets.get(path);
      if (a === undefined) send(res, 404, TEXT, `no such asset: ${path}`);
      else send(res, 200, a.contentType, a.body.toString('utf8'), { 'cache-control': 'public, max-age=3600' });
    } else if (path === SERIES_PATH && readOnly) {
      const r = await runSeries(q === -1 ? '' : target.slice(q + 1), options.query, searcher, options.nowMs());
      sendJson(res, r.status, r.body);
    } else if (path.startsWith(JSON_API_PREFIX)) {
      if (!readOnly) {
        sendJson(res, 405, { error: { code: 'E_METHOD', message: 'the JSON API is read-only' } }, { allow: 'GET, HEAD', connection: 'close' });
        return;
      }
      const r = runJsonApi(path, q === -1 ? '' : target.slice(q + 1), options.query, options.nowMs());
      sendJson(res, r.status, r.body);
    } else if (!readOnly && (path === '/' || path === '/favicon.ico' || path === '/metrics' || path.startsWith(ASSET_PREFIX))) {
      // The collector's own pages are read-only; a POST there is not a transport command either.
      methodNotAllowed(res, method, 'GET, HEAD', ` for ${path}: it is read-only`);
    } else {
      await transport(req, res, target);
    }
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const stopping = new AbortController();
  const handler = makeHandler(options, stopping.signal);
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handler(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
      } else {
        send(res, 500, TEXT, 'Server error', { connection: 'close' });
      }
    });
  };
  const server = createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS }, onRequest);
  // `Expect: 100-continue`: handled as any request, readBody sends the 100 (Node's default sends it
  // before the request is looked at, inviting a body the answer may refuse).
  server.on('checkContinue', onRequest);
  // CONNECT (this is no proxy): Node would close the connection without a word.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => {}); // handed over without Node's error handler: a reset must not throw
    socket.end(rawAnswer(405, 'Method CONNECT not allowed (E_METHOD)', { allow: 'GET, HEAD, POST' }));
    lingeringClose(socket);
  });
  applyServerLimits(server, options.maxConnections);
  const attempts = Math.max(1, options.portAttempts ?? 1);
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = options.port === 0 ? 0 : options.port + i;
    try {
      await listen(server, options.host, port);
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port === 0) break;
    }
  }
  if (lastError !== undefined) {
    const e = lastError as NodeJS.ErrnoException;
    const error = new Error(`cannot listen on ${options.host}:${options.port}${attempts > 1 ? ` (tried ${attempts} ports)` : ''}: ${e.message}`) as Error & { code: string; cause: unknown };
    error.code = 'E_HTTP_LISTEN';
    error.cause = e;
    throw error;
  }
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostPart}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        stopping.abort();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
        // A request still in progress gets CLOSE_GRACE_MS to finish; then its connection is cut.
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      }),
  };
}

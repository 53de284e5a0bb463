// Owns the HTTP surface's resource limits, so that no client (authenticated or not) can make
// the collector hold unbounded memory: at most MAX_CONNECTIONS open connections, request bodies
// of at most MAX_BODY_BYTES each and BODY_BUDGET_BYTES across all bodies being read at once
// (reserved from Content-Length before a byte is read), and timeouts that cut slow headers,
// slow bodies and idle keep-alive connections. A request the parser refuses (a URL or header block
// over Node's limit, malformed bytes) or one cut by a timeout gets its 4xx answer with a short text
// and a stable code (clientErrorAnswer), and every connection closes after its
// last answer with a lingering close (the rest of a body the answer did not read is read and
// dropped), so that the client reads the answer instead of a connection reset.

import { maxHeaderSize, STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

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

/** After a connection's last answer, bytes still arriving are read and dropped for at most this long... */
export const LINGER_MS = 2_000;
/** ...and up to this many bytes; then the connection is closed. */
export const LINGER_MAX_BYTES = 4 * 1024 * 1024;

/** Sets the connection cap, the timeouts, the answer to refused requests and the lingering close on a server (before it listens). */
export function applyServerLimits(server: Server, maxConnections: number = MAX_CONNECTIONS): void {
  server.maxConnections = maxConnections;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  answerClientErrors(server);
  // Node closes a connection after an answer that ends it (`connection: close`, e.g. a refusal
  // from the headers, its body unread) with destroySoon(): on this server that close lingers.
  server.on('connection', (socket: Socket) => {
    socket.destroySoon = (): void => lingeringClose(socket);
  });
}

/** The status for a request the HTTP parser refused, as Node's own default answer picks it. */
export function clientErrorStatus(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return 413;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/** The text of the answer to a request the parser refused or a timeout cut (status from clientErrorStatus). */
export function clientErrorBody(code: string | undefined): string {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return `Request header fields too large: the request line and headers may take at most ${maxHeaderSize} bytes (E_HEADERS_TOO_LARGE)`;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'Chunk extensions too large (E_CHUNK_EXTENSIONS_TOO_LARGE)';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return `Request timeout: the headers must arrive within ${HEADERS_TIMEOUT_MS / 1000} s and the whole request within ${REQUEST_TIMEOUT_MS / 1000} s (E_REQUEST_TIMEOUT)`;
    default:
      return 'Bad request: not a valid HTTP/1.1 request (E_BAD_REQUEST)';
  }
}

/** The headers every answer carries (server.ts's answers, and rawAnswer's on a bare socket), lower-case. */
export function answerHeaders(contentType: string, body: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body, 'utf8')),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
}

/** `x-content-type-options` → `X-Content-Type-Options`. */
export function headerCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** A whole plain-text answer that closes the connection, written on a socket no ServerResponse owns. */
export function rawAnswer(status: number, body: string, headers: Record<string, string> = {}): string {
  const all = { ...answerHeaders('text/plain; charset=utf-8', body), ...headers, connection: 'close' };
  const lines = Object.entries(all).map(([k, v]) => `${headerCase(k)}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${lines}\r\n${body}`;
}

/** The whole answer (status line, headers, text) to a request the parser refused or a timeout cut. */
export function clientErrorAnswer(code: string | undefined): string {
  return rawAnswer(clientErrorStatus(code), clientErrorBody(code));
}

/**
 * Answers a refused request with its status and text and closes the connection gracefully. Node's default
 * destroys the socket right after writing the answer; when the client is still sending (a 1 MB
 * URL), closing with unread bytes makes the kernel send a reset, which can discard the answer
 * before the client reads it. Here the answer is followed by FIN, and what still arrives is read
 * and dropped (bounded by LINGER_MS and LINGER_MAX_BYTES) before the socket is destroyed.
 */
function answerClientErrors(server: Server): void {
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    // An answer already begun on this connection cannot be followed by another (as Node's default).
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || err.code === 'ECONNRESET' || err.code === 'EPIPE' || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorAnswer(err.code));
    lingeringClose(socket);
  });
}

/**
 * Closes a connection after its last answer without resetting it (a lingering close): the answer
 * is followed by FIN, and what the client still sends is read and dropped until the client closes
 * its side (the socket has then ended both ways and the stream destroys it), for at most LINGER_MS
 * and LINGER_MAX_BYTES. Destroying it with bytes unread makes the kernel reset the connection, and
 * a client still writing its request then fails on its next write before it has read the answer.
 */
export function lingeringClose(socket: Duplex): void {
  if (socket.writable) socket.end();
  let drainedBytes = 0;
  socket.on('data', (chunk: Buffer) => {
    drainedBytes += chunk.length;
    if (drainedBytes > LINGER_MAX_BYTES) socket.destroy();
  });
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

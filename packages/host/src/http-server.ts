// Owns serving `wasi:http/incoming-handler` on the host's own thread: a node:http server, and the
// request side of `wasi:http/types` (incoming request and body, outgoing response and body, the
// response outparam) implemented in memory. A request is read whole (its body up to
// `maxRequestBodyBytes`, 413 past it; the bodies of all requests being read together up to
// `maxBufferedRequestBytes`, 503 past it), handed to the handler synchronously, and the response
// the guest set is written once the handler returns (its body, held in memory until then, up to
// MAX_RESPONSE_BODY_BYTES: a write past it fails as a closed stream, and the request is answered
// 500). Bodies that clients have not taken yet count against `maxPendingResponseBytes`: past it a
// new request is answered 503. A response whose body the handler did not finish
// (OutgoingBody.finish) is incomplete, as wasi:http has it, and is answered 500 rather than sent
// as if whole. preview2-shim's own server runs node:http in its I/O worker and makes every
// resource call (body, set, write, finish, drop) a synchronous round trip to that thread; here
// none of them leaves the thread. Fields, and the outgoing-request side, stay the shim's.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { lockedRequestFields, lockShimFields, ShimFields, ShimInputStream, shimHttpTypes, subscribeDuration, type ShimPollable } from './shim.js';
import { SyncOutputStream } from './sync-output-stream.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the shim's resources are untyped JS classes */
const symbolDispose: symbol = (Symbol as any).dispose ?? Symbol.for('dispose');

/** What check-write reports for a response body (it is kept in memory until the handler returns). */
const BODY_WRITE_CAPACITY_BYTES = 1024 * 1024;
/** How long close() waits for the requests in flight before it cuts their connections (default). */
export const DEFAULT_DRAIN_MS = 10_000;
/** A request body's first buffer (grown by doubling from there). */
const FIRST_BODY_BUFFER_BYTES = 16 * 1024;
/** Request bodies larger than this are answered 413 without reaching the component (default). */
export const DEFAULT_MAX_REQUEST_BODY_BYTES = 16 * 1024 * 1024;
/**
 * The memory all request bodies being read may hold at once (default): four bodies of the largest
 * size. Past it a request is answered 503 (retry-after 1) rather than read: many slow uploads at
 * once cannot make the process hold more.
 */
export const DEFAULT_MAX_BUFFERED_REQUEST_BYTES = 4 * DEFAULT_MAX_REQUEST_BODY_BYTES;
/**
 * The most a response body may hold: the body is kept in memory until the handler returns, so a
 * guest that writes without end would otherwise take the process's memory. A write past it fails
 * (the stream is closed) and the request is answered 500, as a trap is.
 */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024 * 1024;
/**
 * The memory the response bodies not yet handed to the system may hold at once (default): clients
 * that do not read what they asked for keep theirs in the process. Past it a new request is
 * answered 503 (retry-after 1) before it is read.
 */
export const DEFAULT_MAX_PENDING_RESPONSE_BYTES = 4 * MAX_RESPONSE_BODY_BYTES;
/** Headers a guest never sees on a request (hop-by-hop, or the authority's own field), as wasmtime and the shim. */
const HIDDEN_REQUEST_HEADERS = new Set(['connection', 'keep-alive', 'host']);

/** wasi:http `method` from an HTTP method name. */
function methodOf(name: string): { tag: string; val?: string } {
  switch (name) {
    case 'GET':
    case 'HEAD':
    case 'POST':
    case 'PUT':
    case 'DELETE':
    case 'CONNECT':
    case 'OPTIONS':
    case 'TRACE':
    case 'PATCH':
      return { tag: name.toLowerCase() };
    default:
      return { tag: 'other', val: name };
  }
}

/**
 * The request target as wasi:http gives it: an absolute-form target (`GET http://h/p?q`, as a
 * client talking to a proxy sends it) is the same request as origin-form `/p?q` with authority
 * `h` (RFC 9112 3.2.2), so a filter names its resource by the path whatever form the client used.
 */
function requestTarget(url: string): { pathWithQuery: string; authority?: string } {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return { pathWithQuery: url };
  try {
    const u = new URL(url);
    return { pathWithQuery: `${u.pathname}${u.search}`, authority: u.host };
  } catch {
    return { pathWithQuery: url };
  }
}

/** A request body the guest reads: the bytes read before the handler ran. */
class BodyInputStream extends ShimInputStream {
  #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    super();
    this.#bytes = bytes;
  }

  read(len: bigint): Uint8Array {
    if (this.#offset >= this.#bytes.length) throw { tag: 'closed' };
    const end = Math.min(this.#bytes.length, this.#offset + Number(len));
    const chunk = this.#bytes.subarray(this.#offset, end);
    this.#offset = end;
    return chunk;
  }

  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }

  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }

  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }

  /** Everything is in memory: ready at once. */
  subscribe(): ShimPollable {
    return subscribeDuration(0n);
  }

  [symbolDispose](): void {
    this.#bytes = new Uint8Array(0);
  }
}

/** `trailers` of a request: never any (a body read whole has none the guest can see). */
class HostFutureTrailers {
  #taken = false;

  subscribe(): ShimPollable {
    return subscribeDuration(0n);
  }

  get(): unknown {
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }

  [symbolDispose](): void {}
}

export class HostIncomingBody {
  #stream: BodyInputStream | null;

  constructor(bytes: Uint8Array) {
    this.#stream = new BodyInputStream(bytes);
  }

  stream(): BodyInputStream {
    const s = this.#stream;
    if (s === null) throw undefined; // the stream was already taken
    this.#stream = null;
    return s;
  }

  static finish(_body: HostIncomingBody): HostFutureTrailers {
    return new HostFutureTrailers();
  }

  [symbolDispose](): void {}
}

export class HostIncomingRequest {
  readonly #method: { tag: string; val?: string };
  readonly #pathWithQuery: string;
  readonly #authority: string;
  /** The request's raw header lines (name, value, name, value…), made into fields when the guest first asks. */
  readonly #rawHeaders: string[];
  #headers: unknown = null;
  #body: Uint8Array | null;

  constructor(message: IncomingMessage, body: Uint8Array, defaultAuthority: string) {
    this.#method = methodOf(message.method ?? 'GET');
    const target = requestTarget(message.url ?? '/');
    this.#pathWithQuery = target.pathWithQuery;
    this.#authority = target.authority ?? message.headers.host ?? defaultAuthority;
    this.#rawHeaders = message.rawHeaders;
    this.#body = body;
  }

  method(): { tag: string; val?: string } {
    return this.#method;
  }

  pathWithQuery(): string {
    return this.#pathWithQuery;
  }

  scheme(): { tag: string } {
    return { tag: 'HTTP' };
  }

  authority(): string {
    return this.#authority;
  }

  headers(): unknown {
    if (this.#headers === null) {
      const raw = this.#rawHeaders;
      const entries: Array<[string, Uint8Array]> = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        if (!HIDDEN_REQUEST_HEADERS.has(raw[i]!.toLowerCase())) entries.push([raw[i]!, Buffer.from(raw[i + 1]!, 'latin1')]);
      }
      this.#headers = lockedRequestFields(entries);
    }
    return this.#headers;
  }

  consume(): HostIncomingBody {
    const body = this.#body;
    if (body === null) throw undefined; // consumed once only
    this.#body = null;
    return new HostIncomingBody(body);
  }

  [symbolDispose](): void {}
}

/**
 * What the request being handled has written into response bodies: every body it made or kept
 * counts, so that one request holds at most MAX_RESPONSE_BODY_BYTES of them. Requests are handled
 * one at a time, synchronously (HostHttpServer's dispatch resets it), so one budget serves them all.
 */
const requestBudget = { bytes: 0, overflowed: false };

/** A response body being written: kept in memory until the handler returns, within the request's budget. */
class BodyOutputStream extends SyncOutputStream {
  readonly chunks: Uint8Array[] = [];
  bytes = 0;
  #closed = false;

  constructor() {
    super(BODY_WRITE_CAPACITY_BYTES);
  }

  /** The body is finished (or dropped): no more writes. */
  close(): void {
    this.#closed = true;
  }

  [symbolDispose](): void {}

  protected ensureOpen(): void {
    if (this.#closed) throw { tag: 'closed' };
  }

  protected accept(buf: Uint8Array): void {
    this.ensureOpen();
    if (buf.byteLength === 0) return;
    if (requestBudget.bytes + buf.byteLength > MAX_RESPONSE_BODY_BYTES) {
      requestBudget.overflowed = true;
      this.#closed = true;
      this.chunks.length = 0;
      this.bytes = 0;
      throw { tag: 'closed' };
    }
    // The guest's memory view is only valid during the call: copy.
    this.chunks.push(Uint8Array.prototype.slice.call(buf));
    this.bytes += buf.byteLength;
    requestBudget.bytes += buf.byteLength;
  }
}

export class HostOutgoingBody {
  readonly #stream = new BodyOutputStream();
  #streamTaken = false;
  finished = false;

  write(): BodyOutputStream {
    if (this.#streamTaken) throw undefined; // write() may be called once
    this.#streamTaken = true;
    return this.#stream;
  }

  static finish(body: HostOutgoingBody, trailers: unknown): void {
    if (trailers !== undefined && trailers !== null) throw { tag: 'internal-error', val: 'trailers unsupported' };
    if (body.finished) throw { tag: 'internal-error', val: 'body already finished' };
    body.finished = true;
    body.#stream.close();
  }

  /** The bytes written so far. */
  static bytesOf(body: HostOutgoingBody): Buffer {
    const s = body.#stream;
    return Buffer.concat(s.chunks, s.bytes);
  }

  [symbolDispose](): void {
    this.#stream.close();
  }
}

export class HostOutgoingResponse {
  #statusCode = 200;
  readonly #headers: any;
  #body: HostOutgoingBody | null = null;

  constructor(headers: unknown) {
    // The headers belong to the response from now on: immutable, as wasi:http says.
    this.#headers = lockShimFields(headers);
  }

  statusCode(): number {
    return this.#statusCode;
  }

  setStatusCode(statusCode: number): void {
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 999) throw undefined;
    this.#statusCode = statusCode;
  }

  headers(): unknown {
    return this.#headers;
  }

  body(): HostOutgoingBody {
    if (this.#body !== null) throw undefined; // body() may be called once
    this.#body = new HostOutgoingBody();
    return this.#body;
  }

  /** Whether the response has a body that was not finished (OutgoingBody.finish): an incomplete response. */
  static bodyUnfinished(r: HostOutgoingResponse): boolean {
    return r.#body !== null && !r.#body.finished;
  }

  /** Status, header entries and body bytes, for writing the response out. */
  static parts(r: HostOutgoingResponse): { statusCode: number; headers: Array<[string, Uint8Array]>; body: Buffer } {
    return { statusCode: r.#statusCode, headers: r.#headers.entries(), body: r.#body === null ? Buffer.alloc(0) : HostOutgoingBody.bytesOf(r.#body) };
  }

  [symbolDispose](): void {}
}

export class HostResponseOutparam {
  outcome: { tag: 'ok'; val: HostOutgoingResponse } | { tag: 'err'; val: unknown } | null = null;

  static set(param: HostResponseOutparam, response: { tag: 'ok'; val: HostOutgoingResponse } | { tag: 'err'; val: unknown }): void {
    if (param.outcome !== null) throw new Error('response-outparam already set');
    param.outcome = response;
  }

  [symbolDispose](): void {}
}

/** The `wasi:http/types` a component served by this server imports: the shim's, with the request side replaced. */
export const hostHttpTypes: Record<string, unknown> = {
  ...shimHttpTypes,
  Fields: ShimFields,
  IncomingRequest: HostIncomingRequest,
  IncomingBody: HostIncomingBody,
  FutureTrailers: HostFutureTrailers,
  OutgoingResponse: HostOutgoingResponse,
  OutgoingBody: HostOutgoingBody,
  ResponseOutparam: HostResponseOutparam,
};

/** How one request went, for the server to write: the guest's response, or a status of its own. */
export type HandleOutcome = { ok: true } | { ok: false };

export interface HostHttpServerOptions {
  /**
   * Handles one request synchronously: the guest sets its response through `responseOut`. Returns
   * `{ ok: false }` when the request failed (a trap): the server then answers 500, whatever was set.
   */
  handle(request: HostIncomingRequest, responseOut: HostResponseOutparam): HandleOutcome;
  maxRequestBodyBytes?: number;
  /** The memory all request bodies being read may hold at once (default DEFAULT_MAX_BUFFERED_REQUEST_BYTES). */
  maxBufferedRequestBytes?: number;
  /** The memory response bodies their clients have not taken yet may hold (default DEFAULT_MAX_PENDING_RESPONSE_BYTES). */
  maxPendingResponseBytes?: number;
  /** Told of a response whose status is not a final one (below 200): answered 500. */
  onBadStatus?(status: number): void;
  /**
   * Told of a request whose response bodies went past MAX_RESPONSE_BODY_BYTES: answered 500.
   * `handled`: the handler returned ok (else it failed too, most likely at the refused write, and said so).
   */
  onResponseTooLarge?(handled: boolean): void;
  /**
   * Told of a request whose handler returned without a response to send: none set (`error`
   * undefined), or an error set in its place (`error`: its wasi:http error code). Answered 500.
   */
  onNoResponse?(error: string | undefined): void;
  /**
   * Told of a request whose handler set a response and returned without finishing its body
   * (OutgoingBody.finish): wasi:http takes such a body for an incomplete one. Answered 500.
   */
  onUnfinishedBody?(): void;
}

/** The 503 for a request refused because `what` (request bodies, responses) already holds all the memory it may (retry-after 1). */
function answerBusy(res: ServerResponse, what: string): void {
  res.setHeader('retry-after', '1');
  answerPlain(res, 503, `${what}, all they may at once: try again (E_BUSY)\n`);
}

/** Writes one answer with no component involved (500 after a failure, 413 for a body too large, 503 when busy). */
function answerPlain(res: ServerResponse, statusCode: number, text: string): void {
  const body = Buffer.from(text);
  res.writeHead(statusCode, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

/** Response headers the server sets itself from the body it holds whole (a guest's would mis-frame the connection). */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding']);

/**
 * Writes the response the guest set (returns the bytes of body written): its status, its headers and its body, framed by the server:
 * the body is held whole, so its length is the content-length (a guest's content-length or
 * transfer-encoding is left out: a wrong one would put a keep-alive connection out of step), and a
 * 204 or 304 goes without one and without a body. A status below 200 is no final response:
 * answered 500, as a trap is.
 */
function answerWith(res: ServerResponse, response: HostOutgoingResponse, onBadStatus: (status: number) => void): number {
  const { statusCode, headers, body } = HostOutgoingResponse.parts(response);
  if (statusCode < 200) {
    onBadStatus(statusCode);
    answerPlain(res, 500, '');
    return 0;
  }
  const bodiless = statusCode === 204 || statusCode === 304;
  const flat: string[] = [];
  for (const [name, value] of headers) {
    if (FRAMING_HEADERS.has(name.toLowerCase())) continue;
    flat.push(name, Buffer.from(value).toString('latin1'));
  }
  if (!bodiless) flat.push('content-length', String(body.length));
  res.writeHead(statusCode, flat);
  res.end(bodiless ? undefined : body);
  return bodiless ? 0 : body.length;
}

/** A wasi:http error-code as text: its case, and its payload when it has a plain one. */
function errorCodeText(code: unknown): string {
  if (typeof code !== 'object' || code === null) return String(code);
  const { tag, val } = code as { tag?: unknown; val?: unknown };
  if (typeof tag !== 'string') return 'an error';
  return val === undefined || val === null || typeof val === 'object' ? tag : `${tag} (${String(val)})`;
}

/** A node:http server handing each request, read whole, to `handle` on this thread. */
export class HostHttpServer {
  readonly #server: Server;
  readonly #options: HostHttpServerOptions;
  readonly #maxBodyBytes: number;
  readonly #maxBufferedBytes: number;
  readonly #maxPendingResponseBytes: number;
  /** Bytes of body buffers held by the requests being read now (their capacity, not what arrived). */
  #bufferedBytes = 0;
  /** Bytes of the response bodies written and not yet handed to the system (their clients have not read them). */
  #pendingResponseBytes = 0;
  #authority = 'localhost';
  /** close() was called: answers end their connections. */
  #closing = false;

  constructor(options: HostHttpServerOptions) {
    this.#options = options;
    this.#maxBodyBytes = options.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;
    this.#maxBufferedBytes = options.maxBufferedRequestBytes ?? DEFAULT_MAX_BUFFERED_REQUEST_BYTES;
    this.#maxPendingResponseBytes = options.maxPendingResponseBytes ?? DEFAULT_MAX_PENDING_RESPONSE_BYTES;
    this.#server = createServer((req, res) => this.#onRequest(req, res));
    // CONNECT asks for a tunnel, which a filter does not give: answered, not left hanging.
    this.#server.on('connect', (_req, socket) => {
      socket.end('HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    });
  }

  /** Binds host:port; resolves with the port bound (rejects with the listen error, e.g. EADDRINUSE). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        const bound = (this.#server.address() as { port: number }).port;
        this.#authority = `${host}:${bound}`;
        resolve(bound);
      });
    });
  }

  /**
   * Stops accepting connections and waits for the requests in flight: idle keep-alive connections
   * are closed at once, a busy one after its answer (which says `connection: close`); connections
   * still open after `drainMs` (a client that never finishes its request) are cut. Resolves when
   * no connection is left.
   */
  close(drainMs = DEFAULT_DRAIN_MS): Promise<void> {
    this.#closing = true;
    return new Promise((resolve) => {
      const cut = setTimeout(() => this.#server.closeAllConnections(), drainMs);
      this.#server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      this.#server.closeIdleConnections();
    });
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const tooLargeText = `request body larger than ${this.#maxBodyBytes} bytes (E_BODY_TOO_LARGE)\n`;
    const declared = Number(req.headers['content-length'] ?? 0);
    // Answered before any of the body is read, on a connection that ends with the answer: while
    // responses their clients do not take hold what they may, a declared length over the limit, or
    // one the bodies being read leave no room for.
    const refuse = (answer: () => void): void => {
      res.setHeader('connection', 'close');
      answer();
      req.resume();
    };
    if (this.#pendingResponseBytes >= this.#maxPendingResponseBytes) {
      refuse(() => answerBusy(res, `responses not yet taken by their clients hold ${this.#pendingResponseBytes} bytes (at most ${this.#maxPendingResponseBytes})`));
      return;
    }
    if (declared > this.#maxBodyBytes) {
      refuse(() => answerPlain(res, 413, tooLargeText));
      return;
    }
    if (declared > 0 && this.#bufferedBytes + Math.max(declared, FIRST_BODY_BUFFER_BYTES) > this.#maxBufferedBytes) {
      refuse(() => answerBusy(res, this.#busyText()));
      return;
    }
    // The body goes into one buffer, grown by doubling (never one Buffer per chunk: a body sent
    // in 1-byte chunks would cost hundreds of bytes of memory per byte). Its capacity counts
    // against the bytes all requests being read may hold, given back when the answer is done or
    // the connection goes; so does the answer's body until then (#pendingResponseBytes).
    let body = Buffer.alloc(0);
    let bytes = 0;
    let refused: 'too large' | 'busy' | null = null;
    let held = 0;
    let answered = 0;
    const giveBack = (): void => {
      this.#bufferedBytes -= held;
      held = 0;
    };
    res.once('close', () => {
      giveBack();
      this.#pendingResponseBytes -= answered;
    });
    req.on('data', (chunk: Buffer) => {
      if (refused !== null) return;
      if (bytes + chunk.length > this.#maxBodyBytes) {
        refused = 'too large';
      } else if (bytes + chunk.length > body.length) {
        const capacity = Math.min(this.#maxBodyBytes, Math.max(body.length * 2, bytes + chunk.length, declared, FIRST_BODY_BUFFER_BYTES));
        if (this.#bufferedBytes - held + capacity > this.#maxBufferedBytes) {
          refused = 'busy';
        } else {
          const grown = Buffer.allocUnsafe(capacity);
          body.copy(grown, 0, 0, bytes);
          body = grown;
          this.#bufferedBytes += capacity - held;
          held = capacity;
        }
      }
      if (refused !== null) {
        body = Buffer.alloc(0);
        giveBack();
        return;
      }
      chunk.copy(body, bytes);
      bytes += chunk.length;
    });
    req.on('end', () => {
      if (this.#closing) res.setHeader('connection', 'close');
      if (refused === 'too large') {
        answerPlain(res, 413, tooLargeText);
        return;
      }
      if (refused === 'busy') {
        answerBusy(res, this.#busyText());
        return;
      }
      const sent = this.#dispatch(new HostIncomingRequest(req, body.subarray(0, bytes), this.#authority), res);
      // Held until the system has taken the last byte ('close' follows 'finish'), or the connection goes.
      if (sent > 0 && !res.writableFinished) {
        answered = sent;
        this.#pendingResponseBytes += sent;
      }
    });
    req.on('error', () => res.destroy());
  }

  /** Hands the request to the handler and answers it; returns the bytes of body the answer holds. */
  #dispatch(request: HostIncomingRequest, res: ServerResponse): number {
    const out = new HostResponseOutparam();
    requestBudget.bytes = 0;
    requestBudget.overflowed = false;
    let outcome: HandleOutcome;
    try {
      outcome = this.#options.handle(request, out);
    } finally {
      requestBudget.bytes = 0; // what it wrote is the response's now (or garbage): writes outside a request start from 0
    }
    const set = out.outcome;
    // As the shim's server answers a trap: a status, no body.
    if (requestBudget.overflowed) {
      this.#options.onResponseTooLarge?.(outcome.ok);
      answerPlain(res, 500, '');
      return 0;
    }
    if (!outcome.ok) {
      answerPlain(res, 500, '');
      return 0;
    }
    if (set === null || set.tag !== 'ok') {
      this.#options.onNoResponse?.(set === null ? undefined : errorCodeText(set.val));
      answerPlain(res, 500, '');
      return 0;
    }
    if (HostOutgoingResponse.bodyUnfinished(set.val)) {
      this.#options.onUnfinishedBody?.();
      answerPlain(res, 500, '');
      return 0;
    }
    return answerWith(res, set.val, (status) => this.#options.onBadStatus?.(status));
  }

  /** What a 503 for request bodies says. */
  #busyText(): string {
    return `request bodies being read hold ${this.#maxBufferedBytes} bytes`;
  }
}

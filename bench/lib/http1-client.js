// Owns a lean HTTP/1.1 client for latency benchmarks: one keep-alive TCP connection (Nagle off),
// one request at a time, GET only. It writes the request line and a Host header, reads the status
// line and the header block, and takes the body by its Content-Length; an answer without one
// (chunked, or close-delimited) is refused with E_HTTP1_FRAMING rather than guessed at. It has none
// of node:http's per-request objects (ClientRequest, IncomingMessage, the agent's socket pool), so
// a loopback round trip measures the server and the machine rather than the client's bookkeeping.

import { connect } from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');

function framingError(message) {
  const e = new Error(message);
  e.code = 'E_HTTP1_FRAMING';
  return e;
}

/** Opens a connection to `url` (http://host:port); resolves to { get(path), close() }. */
export function openHttp1(url) {
  const u = new URL(url);
  if (u.protocol !== 'http:') throw new Error(`only http:// URLs, got ${url}`);
  const socket = connect(Number(u.port || 80), u.hostname);
  socket.setNoDelay(true);
  let pending = null;
  let buf = Buffer.alloc(0);
  let failure = null;

  const fail = (err) => {
    failure = err;
    const p = pending;
    pending = null;
    if (p !== null) p.reject(err);
  };

  socket.on('data', (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    if (pending === null) return fail(framingError('bytes arrived with no request outstanding'));
    const end = buf.indexOf(HEADER_END);
    if (end === -1) return;
    const head = buf.subarray(0, end).toString('latin1');
    const lines = head.split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3}) /.exec(lines[0]);
    if (status === null) return fail(framingError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0])}`));
    let lengthBytes = -1;
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      const name = lines[i].slice(0, colon).toLowerCase();
      if (name === 'content-length') lengthBytes = Number(lines[i].slice(colon + 1).trim());
      else if (name === 'transfer-encoding') return fail(framingError('a Transfer-Encoding answer (only Content-Length bodies are read)'));
    }
    if (!Number.isSafeInteger(lengthBytes) || lengthBytes < 0) return fail(framingError('an answer without a valid Content-Length'));
    if (buf.length < end + 4 + lengthBytes) return;
    const body = buf.subarray(end + 4, end + 4 + lengthBytes).toString('utf8');
    buf = buf.subarray(end + 4 + lengthBytes);
    const p = pending;
    pending = null;
    p.resolve({ status: Number(status[1]), body });
  });
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the connection closed')));

  const ready = new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });

  const client = {
    /** GET `path` on the open connection; resolves to { status, body } (body as UTF-8 text). */
    get(path) {
      if (failure !== null) return Promise.reject(failure);
      if (pending !== null) return Promise.reject(new Error('one request at a time'));
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        socket.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
      });
    },
    close() {
      socket.removeAllListeners('close');
      socket.destroy();
    },
  };
  return ready.then(() => client);
}

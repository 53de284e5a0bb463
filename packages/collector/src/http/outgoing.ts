// Owns the collector's outgoing HTTP requests (the client commands' GETs to a collector, the
// heartbeat's POSTs to a dashboard): node:http / node:https, one connection per request, a time
// limit, the whole answer as text. Not fetch: fetch refuses the fetch standard's "bad ports"
// (6000, 10080, …), and a collector or a dashboard may listen on any port.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface OutgoingRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/**
 * The answer's status and body text. Rejects with the reason nothing (or only part) answered: the
 * OS's error (its `code`: ECONNREFUSED, ENOTFOUND, …), `the answer was cut off` (ECONNRESET), or
 * `no answer within N ms` (code E_TIMEOUT).
 */
export function sendRequest(url: URL, o: OutgoingRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: o.method, agent: false, headers: o.headers ?? {} });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
    }, o.timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      reject(timedOut ? Object.assign(new Error(`no answer within ${o.timeoutMs} ms`), { code: 'E_TIMEOUT' }) : err);
    };
    req.once('error', fail);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', fail);
      res.once('close', () => {
        if (!res.complete) fail(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }));
      });
      res.once('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(o.body);
  });
}

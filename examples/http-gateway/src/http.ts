// Owns the gateway's wasi:http face: exports incoming-handler by hand (not fetch-event, which
// cannot serve a second request on a reused instance) and answers with handleRequest's decision.
//
//   wasmtime serve -S cli --dir <pin>::/pin http-gateway.wasm

import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam, type IncomingRequest, type Method } from 'wasi:http/types@0.2.12';
import { createSentinel, httpHandler } from '@sentinel-wasi/filter';
import { utf8Decode, utf8Encode } from '@sentinel-wasi/protocol/encode';
import { handleRequest } from './gateway.js';

// Created once per instance; it touches WASI only when it first writes.
const sentinel = createSentinel();

function methodName(m: Method): string {
  return m.tag === 'other' ? m.val : m.tag.toUpperCase();
}

/** The first value of the request's `x-sentinel-origin` header, if any (header values are bytes). */
function originHeader(request: IncomingRequest): string | undefined {
  const headers = request.headers();
  const values = headers.get('x-sentinel-origin');
  headers[Symbol.dispose](); // a child of the request: dropped before it
  return values.length === 0 ? undefined : utf8Decode(values[0]!);
}

// httpHandler flushes what the request recorded when it ends, even if something below throws.
export const incomingHandler = httpHandler((request: IncomingRequest, responseOut: ResponseOutparam): void => {
  const decision = handleRequest(sentinel, methodName(request.method()), request.pathWithQuery() ?? '/', originHeader(request));
  const headers = new Fields();
  headers.append('content-type', utf8Encode('text/plain; charset=utf-8'));
  const response = new OutgoingResponse(headers);
  response.setStatusCode(decision.status);
  const body = response.body();
  ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
  const stream = body.write();
  stream.blockingWriteAndFlush(utf8Encode(decision.body));
  stream[Symbol.dispose]();
  OutgoingBody.finish(body, undefined);
});

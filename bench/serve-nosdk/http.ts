// Bench-only: the http-gateway example's wasi:http face with the SDK's calls taken out (no
// recorder, no entry/exit, no httpHandler wrapper), so that bench/serve.js can serve it beside the
// real gateway under the same pool and load: the difference is the filter's added cost per
// request. Everything else is the gateway's: the request is split and its resource named the same
// way (splitTarget, resourceName), and the answer is the same status, headers and body.

import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam, type IncomingRequest, type Method } from 'wasi:http/types@0.2.12';
import { resourceName } from '@sentinel-wasi/filter/core';
import { utf8Encode } from '@sentinel-wasi/protocol/encode';
import { MAX_NAME_BYTES, splitTarget } from '../../examples/http-gateway/src/gateway.js';

function methodName(m: Method): string {
  return m.tag === 'other' ? m.val : m.tag.toUpperCase();
}

/** handleRequest of the gateway without the SDK: every request is admitted. */
function handleWithoutSdk(method: string, pathWithQuery: string): { status: number; body: string; resource: string } {
  const { path, params } = splitTarget(pathWithQuery);
  const resource = resourceName(`${method} ${path}`, { maxBytes: MAX_NAME_BYTES });
  const originParam = params.get('origin');
  if (originParam !== undefined && originParam !== '') resourceName(originParam, { maxBytes: MAX_NAME_BYTES });
  const fail = params.get('fail') === '1';
  return fail ? { status: 500, body: 'failed (fail=1)\n', resource } : { status: 200, body: 'ok\n', resource };
}

export const incomingHandler = {
  handle(request: IncomingRequest, responseOut: ResponseOutparam): void {
    const decision = handleWithoutSdk(methodName(request.method()), request.pathWithQuery() ?? '/');
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
  },
};

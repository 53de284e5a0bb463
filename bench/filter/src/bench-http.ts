// The benchmark component with wasi:http/outgoing-handler: the shared modes plus `http`, which
// sends each event as one POST (its NDJSON line as the body) to a local server and waits for the
// response, the way a filter without a local buffer would report each event.

import { handle } from 'wasi:http/outgoing-handler@0.2.12';
import { Fields, OutgoingBody, OutgoingRequest } from 'wasi:http/types@0.2.12';
import { utf8Encode } from '@sentinel-wasi/protocol/encode';
import { eventAt } from './events.js';
import { runSharedMode } from './record.js';

const OUTCOMES = ['ok', 'error', 'block'];

function post(authority: string, i: number): boolean {
  const e = eventAt(i);
  const origin = e.origin === undefined ? '' : `,"origin":${JSON.stringify(e.origin)}`;
  const body = utf8Encode(`{"ts":${Date.now()},"resource":${JSON.stringify(e.name)},"outcome":"${OUTCOMES[e.outcome]}","rt":${e.rtMs}${origin}}\n`);
  const headers = new Fields();
  headers.append('content-type', utf8Encode('application/x-ndjson'));
  const req = new OutgoingRequest(headers);
  req.setMethod({ tag: 'post' });
  req.setScheme({ tag: 'HTTP' });
  req.setAuthority(authority);
  req.setPathWithQuery('/event');
  const out = req.body();
  const stream = out.write();
  stream.blockingWriteAndFlush(body);
  stream[Symbol.dispose]();
  OutgoingBody.finish(out, undefined);
  const future = handle(req, undefined);
  const pollable = future.subscribe();
  pollable.block();
  pollable[Symbol.dispose]();
  const got = future.get();
  future[Symbol.dispose]();
  // option<result<result<incoming-response, error-code>>>: bindings unwrap results (throwing on err)
  let res: any = got;
  while (res !== undefined && res !== null && typeof res === 'object' && 'tag' in res) {
    if (res.tag !== 'ok') return false;
    res = res.val;
  }
  const status = res.status();
  res[Symbol.dispose]?.();
  return status === 200;
}

export const loop = {
  runEvents(mode: string, n: number, arg: string): number {
    if (mode === 'http') {
      let ok = 0;
      for (let i = 0; i < n; i++) if (post(arg, i)) ok++;
      return ok;
    }
    return runSharedMode(mode, n);
  },
};

export const run = {
  run(): void {},
};

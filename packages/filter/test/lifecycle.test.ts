// The ends of a run and of a request: command() and httpHandler() flush every registered recorder
// however the body ends, and command() turns `false` into wasi:cli/run's err (a thrown null).
// Entries left open at the end are tested in entry-end.test.ts.

import t from 'tap';
import { bucketSecOf, segmentName } from '@sentinel-wasi/protocol';
import { Sentinel } from '../src/sentinel.js';
import { command, httpHandler, register } from '../src/lifecycle.js';
import { MemoryHost, T0, decodeSegment } from './fake-host.js';

const SEG = segmentName(bucketSecOf(T0), 'shared');

function recorder(): { host: MemoryHost; s: Sentinel } {
  const host = new MemoryHost();
  return { host, s: register(new Sentinel(host, { flushOnIdle: false })) };
}

t.test('command: flushes every recorder at the end of the run; false means err', async (t) => {
  const a = recorder();
  const b = recorder();
  const ok = command(() => {
    a.s.recordCall('x', 1);
    b.s.recordBlock('y');
  });
  t.equal(ok.run(), undefined);
  t.equal(decodeSegment(a.host.bytesOf(SEG)).events.length, 1);
  t.equal(decodeSegment(b.host.bytesOf(SEG)).events.length, 1);

  const failing = command(() => {
    a.s.recordCall('x', 2);
    return false;
  });
  let thrown: unknown = 'nothing';
  try {
    failing.run();
  } catch (e) {
    thrown = e;
  }
  t.equal(thrown, null, 'err is signalled by throwing null');
  t.equal(decodeSegment(a.host.bytesOf(SEG)).events.length, 2, 'flushed before returning err');
});

t.test('command: a thrown error still flushes, then propagates', async (t) => {
  const a = recorder();
  const run = command(() => {
    a.s.recordCall('x', 1);
    throw new Error('boom');
  });
  t.throws(() => run.run(), { message: 'boom' });
  t.equal(decodeSegment(a.host.bytesOf(SEG)).events.length, 1);
});

t.test('httpHandler: flushes at the end of the request, even with an entry left open or a throw', async (t) => {
  const host = new MemoryHost();
  const s = register(new Sentinel(host)); // flushOnIdle: exits flush on their own
  const seen: Array<[string, number]> = [];
  const handler = httpHandler((request: string, out: number) => {
    seen.push([request, out]);
    s.entry(request); // never exited by the handler: exited when the request ends
    if (request === 'bad') throw new Error('handler failed');
  });
  handler.handle('GET /a', 7);
  t.same(seen, [['GET /a', 7]], 'arguments passed through');
  t.equal(host.attempts.length, 1, 'the PASS and the EXIT the end of the request added, in one frame');
  t.throws(() => handler.handle('bad', 8), { message: 'handler failed' });
  t.equal(host.attempts.length, 2);
  t.same(decodeSegment(host.bytesOf(SEG)).events.map((e) => [e.kind, e.name, 'error' in e ? e.error : null]), [
    [0, 'GET /a', null], [2, 'GET /a', false], [0, 'bad', null], [2, 'bad', true],
  ], 'left open: EXIT error=false; thrown: EXIT error=true (entry-end.test.ts has the details)');
});

// The ends of a run and of a request: command() and httpHandler() flush every registered recorder
// however the body ends, and command() turns `false`, or a throw (said on stderr), into wasi:cli/run's
// err (a thrown null); httpHandler() says a throw on stderr and returns.
// Entries left open at the end are tested in entry-end.test.ts.

import t from 'tap';
import { bucketSecOf, segmentName } from '@sentinel-wasi/protocol';
import { Sentinel } from '../src/sentinel.js';
import { command, httpHandler, register, thrownText } from '../src/lifecycle.js';
import { MemoryHost, T0, decodeSegment, thrownBy } from './fake-host.js';

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
  t.equal(thrownBy(() => failing.run()), null, 'err is signalled by throwing null');
  t.equal(decodeSegment(a.host.bytesOf(SEG)).events.length, 2, 'flushed before returning err');
});

t.test('command: a thrown error still flushes, is said on stderr with its stack, and ends the run with err', async (t) => {
  const a = recorder();
  const boom = new TypeError('boom');
  const run = command(() => {
    a.s.recordCall('x', 1);
    throw boom;
  });
  const calls = t.capture(console, 'error', () => {});
  t.equal(thrownBy(() => run.run()), null, 'err (a thrown null), as for false: not the error itself (a trap under QuickJS)');
  const said = calls().map((c) => c.args.join(' '));
  t.equal(decodeSegment(a.host.bytesOf(SEG)).events.length, 1, 'flushed first');
  t.equal(said.length, 1, 'one text');
  const lines = said[0]!.split('\n');
  t.equal(lines[0], 'sentinel-wasi filter: command() body threw TypeError: boom');
  t.ok(lines.length > 1 && lines.slice(1).every((l) => l.startsWith('    at ')), `then the stack's frames, without V8's header again: ${said[0]}`);
  t.match(lines[1], /lifecycle\.test\.ts:\d+:\d+/, 'the first frame is where it was thrown');
});

t.test('thrownText: an engine\'s stack as it comes, values that are not errors, a value that cannot be shown', async (t) => {
  const quickjs = new Error('bad input');
  quickjs.stack = '    at parse (/entry.ts:621:64)\n    at run (/entry.ts:700:3)\n';
  t.equal(thrownText(quickjs), 'Error: bad input\n    at parse (/entry.ts:621:64)\n    at run (/entry.ts:700:3)', 'QuickJS: frames alone');
  const spidermonkey = new RangeError('too far');
  spidermonkey.stack = 'parse@gw.js:2210:31\n@gw.js:1:5\n';
  t.equal(thrownText(spidermonkey), 'RangeError: too far\n    parse@gw.js:2210:31\n    @gw.js:1:5', 'SpiderMonkey: frames indented');
  const bare = new Error('no stack');
  bare.stack = undefined;
  t.equal(thrownText(bare), 'Error: no stack');
  const bindings = Object.assign(new Error('[object Object] (see error.payload)'), { payload: { tag: 'closed' } });
  bindings.stack = '';
  t.equal(thrownText(bindings), 'Error: [object Object] (see error.payload); payload {"tag":"closed"}', "a WIT error's value (componentize-js's error.payload)");
  // StarlingMonkey's bindings throw their ComponentError from another realm: not instanceof this Error.
  const otherRealm = { name: 'Error', message: '[object Object] (see error.payload)', payload: { tag: 'closed' }, stack: 'helper@initializer.js:871:15\n' };
  t.equal(thrownText(otherRealm), 'Error: [object Object] (see error.payload); payload {"tag":"closed"}\n    helper@initializer.js:871:15', 'an Error of another realm: the same text');
  t.equal(thrownText({ message: 'no name' }), 'Error: no name');
  const circular: { self?: unknown } = {};
  circular.self = circular;
  const odd = Object.assign(new Error('x'), { payload: circular });
  odd.stack = '';
  t.equal(thrownText(odd), 'Error: x; payload that cannot be shown as text', 'a payload JSON cannot show: the rest is still said');
  t.equal(thrownText('oops'), '"oops"');
  t.equal(thrownText(42), '42');
  t.equal(thrownText(undefined), 'undefined');
  t.equal(thrownText({ toString() { throw new Error('no'); } }), 'a value that cannot be shown as text');
  const calls = t.capture(console, 'error', () => {});
  t.equal(thrownBy(() => command(() => { throw 'plain'; }).run()), null);
  t.same(calls().map((c) => c.args), [['sentinel-wasi filter: command() body threw "plain"']]);
});

t.test('httpHandler: flushes at the end of the request, even with an entry left open or a throw; a throw is said on stderr, not passed on', async (t) => {
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
  const calls = t.capture(console, 'error', () => {});
  t.equal(handler.handle('bad', 8), undefined, 'a throw is not passed on: the handler returns');
  const said = calls().map((c) => c.args[0]);
  t.equal(said.length, 1);
  t.match(said[0], /^sentinel-wasi filter: httpHandler\(\) body threw Error: handler failed\n {4}/, 'said once on stderr, with its stack');
  t.equal(host.attempts.length, 2);
  t.same(decodeSegment(host.bytesOf(SEG)).events.map((e) => [e.kind, e.name, 'error' in e ? e.error : null]), [
    [0, 'GET /a', null], [2, 'GET /a', false], [0, 'bad', null], [2, 'bad', true],
  ], 'left open: EXIT error=false; thrown: EXIT error=true (entry-end.test.ts has the details)');
});

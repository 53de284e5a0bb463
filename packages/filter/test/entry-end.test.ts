// Entries still open when a request or run ends (in-memory host): httpHandler() and command() exit
// every admitted entry the request/run opened and left open — error: true when the body threw,
// false when it returned — with its RT measured to that moment, then flush; the handler's own error
// is said on stderr and the handler returns, a command's is said on stderr and ends the run with
// err. Blocked entries, entries the body exited itself and entries opened outside the request are
// left alone; a later exit() of an entry exited this way is E_ALREADY_EXITED.

import t, { type Test } from 'tap';
import { RecordKind, VerdictKind, bucketSecOf, mapEpochOf, segmentName } from '@sentinel-wasi/protocol/encode';
import { Sentinel, entryMark } from '../src/sentinel.js';
import { FilterErrorCode } from '../src/errors.js';
import { command, httpHandler, register } from '../src/lifecycle.js';
import type { Entry } from '../src/sentinel.js';
import { MemoryHost, T0, decodeSegment, thrownBy, writeMap } from './fake-host.js';

const SEG = segmentName(bucketSecOf(T0), 'shared');
const { PASS, BLOCK, EXIT } = RecordKind;

function recorder(options: { flushOnIdle?: boolean } = {}): { host: MemoryHost; s: Sentinel } {
  const host = new MemoryHost();
  return { host, s: register(new Sentinel(host, options)) };
}

function events(host: MemoryHost) {
  return decodeSegment(host.bytesOf(SEG)).events;
}

/** Runs a request whose handler throws: it returns, and says `Error: <message>` on stderr once. */
function saysThrown(t: Test, request: () => void, message: string): void {
  const calls = t.capture(console, 'error', () => {});
  t.equal(request(), undefined, 'the handler\'s error is not passed on');
  t.match(calls().map((c) => c.args[0]), [new RegExp(`^sentinel-wasi filter: httpHandler\\(\\) body threw Error: ${message}\\n`)], 'it is said on stderr, once');
}

t.test('httpHandler: a handler that throws with an entry open: that entry exits with error: true at the end of the request', async (t) => {
  const { host, s } = recorder();
  const boom = new Error('handler failed');
  let b: Entry | undefined;
  const handler = httpHandler((request: string) => {
    const a = s.entry(`${request} a`);
    host.clockMs += 5;
    b = s.entry(`${request} b`, { origin: 'app-x', count: 2 });
    host.clockMs += 10;
    a.exit();
    host.clockMs += 7;
    throw boom;
  });
  saysThrown(t, () => handler.handle('GET', 0), 'handler failed');
  t.same(events(host), [
    { kind: PASS, tsMs: T0, name: 'GET a', count: 1 },
    { kind: PASS, tsMs: T0 + 5, name: 'GET b', count: 2, origin: 'app-x' },
    { kind: EXIT, tsMs: T0 + 15, name: 'GET a', rtMs: 15, error: false, count: 1 },
    { kind: EXIT, tsMs: T0 + 22, name: 'GET b', rtMs: 17, error: true, count: 2, origin: 'app-x' },
  ], 'PASS, PASS, EXIT, EXIT: the open entry exits at the end, RT to that moment, marked as an exception');
  t.equal(host.attempts.length, 1, 'one frame, written at the end of the request');
  const stats = s.stats();
  t.equal(stats.openEntries, 0);
  t.equal(stats.entriesExitedAtEnd, 1);
  t.equal(stats.recordsBuffered, 0);

  const late = thrownBy(() => b!.exit());
  t.match(late, { code: FilterErrorCode.ALREADY_EXITED }, 'exit() after the request ended is E_ALREADY_EXITED');
  t.match(String(late), /after the request or run that opened it ended/);
  t.equal(events(host).length, 4, 'and records nothing');
  t.equal(s.stats().entriesExitedAtEnd, 1);
});

t.test('httpHandler: a handler that returns with an entry open: it exits with error: false', async (t) => {
  const { host, s } = recorder();
  const handler = httpHandler(() => {
    s.entry('GET /left');
    host.clockMs += 9;
  });
  t.equal(handler.handle(undefined, undefined), undefined);
  t.same(events(host), [
    { kind: PASS, tsMs: T0, name: 'GET /left', count: 1 },
    { kind: EXIT, tsMs: T0 + 9, name: 'GET /left', rtMs: 9, error: false, count: 1 },
  ]);
  t.same([s.stats().openEntries, s.stats().entriesExitedAtEnd], [0, 1]);

  handler.handle(undefined, undefined);
  t.equal(events(host).length, 4, 'a reused instance: the next request closes its own entry too');
  t.same([s.stats().openEntries, s.stats().entriesExitedAtEnd], [0, 2], 'counted across requests');
});

t.test('a blocked entry is not exited at the end; an admitted one beside it is', async (t) => {
  const { host, s } = recorder();
  host.files.set('map', writeMap({ 'GET /closed': [VerdictKind.BLOCK, T0 + 5000] }, T0, mapEpochOf(T0, () => 0.5) + 101));
  const handler = httpHandler(() => {
    t.equal(s.entry('GET /closed').blocked, true);
    t.equal(s.entry('GET /open').blocked, false);
    host.clockMs += 3;
    throw new Error('x');
  });
  saysThrown(t, () => handler.handle(0, 0), 'x');
  t.same(events(host).map((e) => [e.kind, e.name, 'error' in e ? e.error : null]), [
    [BLOCK, 'GET /closed', null],
    [PASS, 'GET /open', null],
    [EXIT, 'GET /open', true],
  ], 'no EXIT for the BLOCK');
  t.same([s.stats().entriesBlocked, s.stats().entriesExitedAtEnd, s.stats().openEntries], [1, 1, 0]);

  const onlyBlocked = httpHandler(() => {
    s.entry('GET /closed');
    throw new Error('y');
  });
  saysThrown(t, () => onlyBlocked.handle(0, 0), 'y');
  t.same(events(host).map((e) => e.kind), [BLOCK, PASS, EXIT, BLOCK], 'a request with only a blocked entry: nothing to exit');
  t.equal(s.stats().entriesExitedAtEnd, 1);
});

t.test('an entry the body exited itself is not exited again', async (t) => {
  const { host, s } = recorder();
  const handler = httpHandler(() => {
    const e = s.entry('GET /done');
    host.clockMs += 4;
    t.equal(e.exit({ error: true }), 4);
    host.clockMs += 4;
    throw new Error('after the exit');
  });
  saysThrown(t, () => handler.handle(0, 0), 'after the exit');
  t.same(events(host), [
    { kind: PASS, tsMs: T0, name: 'GET /done', count: 1 },
    { kind: EXIT, tsMs: T0 + 4, name: 'GET /done', rtMs: 4, error: true, count: 1 },
  ], 'exactly one EXIT, the body\'s');
  t.same([s.stats().openEntries, s.stats().entriesExitedAtEnd], [0, 0]);
});

t.test('command: a run that throws with an entry open exits it with error: true, flushes, ends with err', async (t) => {
  const { host, s } = recorder({ flushOnIdle: false });
  const run = command(() => {
    const a = s.entry('job a');
    const b = s.entry('job b');
    host.clockMs += 6;
    b.exit();
    host.clockMs += 6;
    void a;
    throw new Error('job failed');
  });
  const calls = t.capture(console, 'error', () => {});
  t.equal(thrownBy(() => run.run()), null, 'the run ends with err');
  t.match(calls().map((c) => c.args), [[/^sentinel-wasi filter: command\(\) body threw Error: job failed\n/]], 'what it threw, said on stderr');
  t.same(events(host), [
    { kind: PASS, tsMs: T0, name: 'job a', count: 1 },
    { kind: PASS, tsMs: T0, name: 'job b', count: 1 },
    { kind: EXIT, tsMs: T0 + 6, name: 'job b', rtMs: 6, error: false, count: 1 },
    { kind: EXIT, tsMs: T0 + 12, name: 'job a', rtMs: 12, error: true, count: 1 },
  ]);
  t.same([s.stats().openEntries, s.stats().entriesExitedAtEnd, s.stats().recordsBuffered], [0, 1, 0], 'flushed although flushOnIdle is off');
});

t.test('command: a run that returns (or returns false) with entries open exits them with error: false', async (t) => {
  const { host, s } = recorder();
  const ok = command(() => {
    s.entry('job ok');
    host.clockMs += 2;
  });
  t.equal(ok.run(), undefined);
  const failing = command(() => {
    s.entry('job err');
    host.clockMs += 3;
    return false;
  });
  t.equal(thrownBy(() => failing.run()), null, 'false still ends the run with err (throw null)');
  t.same(events(host), [
    { kind: PASS, tsMs: T0, name: 'job ok', count: 1 },
    { kind: EXIT, tsMs: T0 + 2, name: 'job ok', rtMs: 2, error: false, count: 1 },
    { kind: PASS, tsMs: T0 + 2, name: 'job err', count: 1 },
    { kind: EXIT, tsMs: T0 + 5, name: 'job err', rtMs: 3, error: false, count: 1 },
  ]);
  t.same([s.stats().openEntries, s.stats().entriesExitedAtEnd], [0, 2]);
});

t.test('entries opened outside the request are left open; nested entries exit innermost first; every recorder is covered', async (t) => {
  const a = recorder({ flushOnIdle: false });
  const outside = a.s.entry('outside');
  let late: { host: MemoryHost; s: Sentinel } | undefined;
  const handler = httpHandler(() => {
    a.s.entry('outer');
    a.s.entry('inner');
    late = recorder(); // registered during the request
    late.s.entry('late');
    throw new Error('z');
  });
  saysThrown(t, () => handler.handle(0, 0), 'z');
  t.same(events(a.host).map((e) => `${e.kind} ${e.name}`), [`${PASS} outside`, `${PASS} outer`, `${PASS} inner`, `${EXIT} inner`, `${EXIT} outer`]);
  t.same([a.s.stats().openEntries, a.s.stats().entriesExitedAtEnd], [1, 2], 'the entry opened before the request is still open');
  t.same(events(late!.host).map((e) => `${e.kind} ${e.name}`), [`${PASS} late`, `${EXIT} late`]);
  t.equal(late!.s.stats().entriesExitedAtEnd, 1);
  outside.exit();
  t.equal(a.s.stats().openEntries, 0, 'and its own exit() still works');
});

t.test('exitOpenEntries() called directly: exits every open entry (or those opened after a mark), returns how many', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host, { flushOnIdle: false });
  t.equal(s.exitOpenEntries(false), 0, 'none open');
  const first = s.entry('one');
  s.entry('two');
  t.equal(s.exitOpenEntries(true), 2);
  t.equal(s.exitOpenEntries(true), 0, 'nothing left');
  t.throws(() => first.exit(), { code: FilterErrorCode.ALREADY_EXITED });
  const before = s.entry('before');
  const mark = entryMark();
  s.entry('after');
  t.equal(s.exitOpenEntries(false, mark), 1, 'only the entry opened after the mark');
  t.same([s.stats().openEntries, s.stats().entriesExitedAtEnd], [1, 3]);
  before.exit();
  s.flush();
  t.same(events(host).map((e) => `${e.kind} ${e.name} ${'error' in e ? e.error : ''}`), [
    `${PASS} one `, `${PASS} two `, `${EXIT} two true`, `${EXIT} one true`,
    `${PASS} before `, `${PASS} after `, `${EXIT} after false`, `${EXIT} before false`,
  ]);
});

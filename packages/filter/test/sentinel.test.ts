// The recorder's logic against an in-memory host: what it writes (decoded with the protocol's
// scanner and msgpackr), when it flushes, frame limits, drop counting and WRITER records, misuse.

import t from 'tap';
import { RecordKind, bucketSecOf, segmentName, MAX_FRAME_BYTES } from '@sentinel-wasi/protocol';
import { Sentinel } from '../src/sentinel.js';
import { FilterError, FilterErrorCode } from '../src/errors.js';
import { VERDICT_PASS, admits } from '../src/verdict.js';
import { MemoryHost, T0, decodeSegment } from './fake-host.js';

const SEG0 = segmentName(bucketSecOf(T0), 'shared');

t.test('entry/exit records PASS then EXIT with the response time, flushed when the request ends', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host);
  const e = s.entry('GET /orders', { origin: 'app-a' });
  t.equal(host.attempts.length, 0, 'nothing written while the entry is open');
  host.clockMs += 42;
  t.equal(e.exit({ error: true }), 42);
  t.equal(host.attempts.length, 1, 'one append at the end of the request');
  const d = decodeSegment(host.bytesOf(SEG0));
  t.same(d.events, [
    { kind: RecordKind.PASS, tsMs: T0, name: 'GET /orders', count: 1, origin: 'app-a' },
    { kind: RecordKind.EXIT, tsMs: T0 + 42, name: 'GET /orders', rtMs: 42, error: true, count: 1, origin: 'app-a' },
  ]);
  t.same(s.stats(), {
    recordsBuffered: 0, recordsWritten: 2, framesWritten: 1, recordsDropped: 0, framesDropped: 0,
    unreportedRecordsDropped: 0, unreportedFramesDropped: 0, openEntries: 0, entriesExitedAtEnd: 0, entriesBlocked: 0,
    map: { lookups: 2, hits: 0, noMap: 2, readFailures: 0, misses: 0, stale: 0, idle: 0, tornSlots: 0, opens: 0, cached: 0, snapshots: 0 },
  }, 'no map: the resource and its origin read as PASS (one open tried)');
});

t.test('nested entries flush once, when the last one exits; a clock going back gives RT 0', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host);
  const outer = s.entry('outer');
  const inner = s.entry('inner', { count: 3 });
  host.clockMs -= 5;
  t.equal(inner.exit(), 0);
  t.equal(host.attempts.length, 0);
  host.clockMs += 10;
  t.equal(outer.exit(), 5);
  t.equal(host.attempts.length, 1);
  const kinds = decodeSegment(host.bytesOf(SEG0)).events.map((e) => [e.kind, e.name, 'count' in e ? e.count : undefined]);
  t.same(kinds, [[0, 'outer', 1], [0, 'inner', 3], [2, 'inner', 3], [2, 'outer', 1]]);
});

t.test('flushOnIdle: false batches across requests until flush()', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host, { flushOnIdle: false });
  for (let i = 0; i < 10; i++) s.entry('r').exit();
  t.equal(host.attempts.length, 0);
  t.equal(s.stats().recordsBuffered, 20);
  s.flush();
  s.flush(); // nothing left: no empty frame
  t.equal(host.attempts.length, 1);
  t.equal(decodeSegment(host.bytesOf(SEG0)).events.length, 20);
});

t.test('every record helper writes its kind; explicit times and origins are kept', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host, { writer: 'w-1' });
  s.recordPass('a', { tsMs: T0 + 1, count: 2 });
  s.recordBlock('a', { tsMs: T0 + 2, origin: 'o' });
  s.recordExit('a', 7, { tsMs: T0 + 3, error: false, count: 2 });
  s.recordCall('b', 9, { tsMs: T0 + 4, error: true, origin: 'o' });
  s.flush();
  t.same(decodeSegment(host.bytesOf(segmentName(bucketSecOf(T0), 'w-1'))).events, [
    { kind: RecordKind.PASS, tsMs: T0 + 1, name: 'a', count: 2 },
    { kind: RecordKind.BLOCK, tsMs: T0 + 2, name: 'a', count: 1, origin: 'o' },
    { kind: RecordKind.EXIT, tsMs: T0 + 3, name: 'a', rtMs: 7, error: false, count: 2 },
    { kind: RecordKind.CALL, tsMs: T0 + 4, name: 'b', rtMs: 9, error: true, origin: 'o' },
  ]);
});

t.test('the positional forms recordCall(resource, rtMs, error, origin?) and recordBlock(resource, origin?) write what the options forms write', async (t) => {
  const events = (use: (s: Sentinel, host: MemoryHost) => void) => {
    const host = new MemoryHost();
    const s = new Sentinel(host, { flushOnIdle: false });
    use(s, host);
    s.flush();
    t.equal(s.stats().recordsWritten, 6);
    return decodeSegment(host.bytesOf(SEG0)).events;
  };
  const positional = events((s, host) => {
    s.recordCall('a', 9, true, 'o');
    s.recordCall('a', 200, false);
    host.clockMs += 300; // a time offset past one byte
    s.recordBlock('b', 'o');
    s.recordBlock('b');
    s.recordBlock('c', undefined);
    s.recordCall('c', 0, false, undefined);
  });
  const withOptions = events((s, host) => {
    s.recordCall('a', 9, { error: true, origin: 'o' });
    s.recordCall('a', 200, { error: false });
    host.clockMs += 300;
    s.recordBlock('b', { origin: 'o' });
    s.recordBlock('b');
    s.recordBlock('c', {});
    s.recordCall('c', 0);
  });
  t.same(positional, [
    { kind: RecordKind.CALL, tsMs: T0, name: 'a', rtMs: 9, error: true, origin: 'o' },
    { kind: RecordKind.CALL, tsMs: T0, name: 'a', rtMs: 200, error: false },
    { kind: RecordKind.BLOCK, tsMs: T0 + 300, name: 'b', count: 1, origin: 'o' },
    { kind: RecordKind.BLOCK, tsMs: T0 + 300, name: 'b', count: 1 },
    { kind: RecordKind.BLOCK, tsMs: T0 + 300, name: 'c', count: 1 },
    { kind: RecordKind.CALL, tsMs: T0 + 300, name: 'c', rtMs: 0, error: false },
  ]);
  t.same(positional, withOptions, 'the same records either way');
});

t.test('the positional forms fill frames like the options forms: whole frames, every record kept', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host, { flushOnIdle: false });
  const n = 3000;
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9) s.recordBlock(`resource-${i % 37}`, i % 3 === 0 ? `origin-${i % 5}` : undefined);
    else s.recordCall(`resource-${i % 37}`, i % 300, i % 7 === 0, i % 3 === 0 ? `origin-${i % 5}` : undefined);
    if (i % 500 === 0) host.clockMs += 1;
  }
  s.flush();
  const d = decodeSegment(host.bytesOf(SEG0));
  t.equal(d.events.length, n);
  t.equal(d.rejected, 0);
  t.ok(host.attempts.length > 1 && host.attempts.every((a) => a.bytes <= MAX_FRAME_BYTES), 'several frames, none over the limit');
  t.same(d.events.map((e) => [e.kind, e.name, 'rtMs' in e ? e.rtMs : -1, 'error' in e ? e.error : null, e.origin ?? null]),
    Array.from({ length: n }, (_, i) => i % 10 === 9
      ? [RecordKind.BLOCK, `resource-${i % 37}`, -1, null, i % 3 === 0 ? `origin-${i % 5}` : null]
      : [RecordKind.CALL, `resource-${i % 37}`, i % 300, i % 7 === 0, i % 3 === 0 ? `origin-${i % 5}` : null]));
});

t.test('a full buffer is written as whole frames of at most maxFrameBytes, one append each, nothing lost', async (t) => {
  for (const maxFrameBytes of [MAX_FRAME_BYTES, 256]) {
    const host = new MemoryHost();
    const s = new Sentinel(host, { flushOnIdle: false, maxFrameBytes });
    const n = 5000;
    for (let i = 0; i < n; i++) s.recordCall(`resource-${i % 37}`, i % 100, { tsMs: T0 + i, error: i % 7 === 0 });
    s.flush();
    const d = decodeSegment(host.bytesOf(SEG0));
    t.equal(d.events.length, n, `${maxFrameBytes}: every record decodes`);
    t.equal(d.skipped, 0);
    t.equal(d.rejected, 0);
    t.equal(d.frames, host.attempts.length, 'one frame per append');
    t.ok(host.attempts.every((a) => a.bytes <= maxFrameBytes), 'no frame over the limit');
    t.ok(host.attempts.slice(0, -1).every((a) => a.bytes > maxFrameBytes - 40), 'frames are filled before they are written');
    t.same(d.events.map((e) => e.tsMs), Array.from({ length: n }, (_, i) => T0 + i), 'order kept');
    t.equal(s.stats().recordsWritten, n);
  }
});

t.test('a record older than the frame base starts a new frame (replayed, unordered times)', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host, { flushOnIdle: false });
  s.recordCall('a', 1, { tsMs: T0 + 100 });
  s.recordCall('a', 1, { tsMs: T0 + 50 });
  s.recordCall('a', 1, { tsMs: T0 + 60 });
  s.flush();
  t.equal(host.attempts.length, 2);
  t.same(decodeSegment(host.bytesOf(SEG0)).events.map((e) => e.tsMs), [T0 + 100, T0 + 50, T0 + 60]);
});

t.test('the segment is chosen by the write time: a flush in the next bucket goes to the next segment', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host, { flushOnIdle: false });
  s.recordCall('a', 1);
  host.clockMs = T0 + 10_000;
  s.recordCall('a', 1); // older records and newer ones may share a frame
  s.flush();
  t.same([...host.segments.keys()], [segmentName(bucketSecOf(T0 + 10_000), 'shared')]);
  t.equal(decodeSegment(host.bytesOf(segmentName(bucketSecOf(T0 + 10_000), 'shared'))).events.length, 2);
});

t.test('failed writes drop whole frames, are counted, and reported in the next WRITER record', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host, { writer: 'gw', flushOnIdle: false, maxFrameBytes: 128 });
  const seg = segmentName(bucketSecOf(T0), 'gw');
  host.failing = true;
  for (let i = 0; i < 30; i++) s.recordCall('a', 1, { tsMs: T0 + i });
  s.flush();
  const failedFrames = host.attempts.length;
  t.ok(failedFrames > 1, 'several frames were attempted');
  t.same(s.stats(), {
    recordsBuffered: 0, recordsWritten: 0, framesWritten: 0, recordsDropped: 30, framesDropped: failedFrames,
    unreportedRecordsDropped: 30, unreportedFramesDropped: failedFrames, openEntries: 0, entriesExitedAtEnd: 0, entriesBlocked: 0,
    map: { lookups: 1, hits: 0, noMap: 1, readFailures: 0, misses: 0, stale: 0, idle: 0, tornSlots: 0, opens: 0, cached: 0, snapshots: 0 },
  }, 'the record helpers read the map once per name (for its id): no map, no id');
  t.equal(host.segments.size, 0);

  host.failing = false;
  host.clockMs = T0 + 500;
  s.recordCall('b', 2);
  s.flush();
  const d = decodeSegment(host.bytesOf(seg));
  t.same(d.events, [
    { kind: RecordKind.WRITER, tsMs: T0 + 500, name: 'gw', droppedRecords: 30, droppedFrames: failedFrames },
    { kind: RecordKind.CALL, tsMs: T0 + 500, name: 'b', rtMs: 2, error: false },
  ]);
  t.equal(s.stats().unreportedRecordsDropped, 0);
  t.equal(s.stats().unreportedFramesDropped, 0);
  t.equal(s.stats().recordsDropped, 30, 'the totals stay');

  s.recordCall('c', 3);
  s.flush();
  t.equal(decodeSegment(host.bytesOf(seg)).events.filter((e) => e.kind === RecordKind.WRITER).length, 1, 'reported once');
});

t.test('the first failed append is said once on the host\'s warn line, with the host\'s reason; later ones are only counted', async (t) => {
  const lines: string[] = [];
  const host = Object.assign(new MemoryHost(), { warn: (line: string) => lines.push(line), lastAppendFailure: () => 'the pin refused it: access' });
  const s = new Sentinel(host, { writer: 'gw', flushOnIdle: false });
  s.recordCall('a', 1);
  s.flush();
  t.same(lines, [], 'a write that succeeds says nothing');
  host.failing = true;
  s.recordCall('a', 1);
  s.recordBlock('b');
  s.flush();
  s.recordCall('a', 1);
  s.flush();
  t.same(lines, [
    'sentinel-wasi filter: writer "gw" could not append a frame of 2 records to the pin\'s log (the pin refused it: access): ' +
      'records that cannot be written are dropped and counted (stats().recordsDropped; the collector is told in a WRITER record once a write succeeds); said once per recorder',
  ]);
  t.equal(s.stats().recordsDropped, 3);
  const quiet = new Sentinel(Object.assign(new MemoryHost(), { failing: true }), { writer: 'q' });
  quiet.entry('a').exit();
  t.equal(quiet.stats().recordsDropped, 2, 'a host without a warn line: counted only');
  const off: string[] = [];
  const silent = new Sentinel(Object.assign(new MemoryHost(), { failing: true, warn: (line: string) => off.push(line) }), { writer: 's', warnOnDrop: false });
  silent.entry('a').exit();
  t.same([off, silent.stats().recordsDropped], [[], 2], 'warnOnDrop: false: counted, not said');
  t.throws(() => new Sentinel(new MemoryHost(), { warnOnDrop: 'no' as unknown as boolean }), { code: 'E_BAD_OPTION', message: /warnOnDrop must be a boolean, got "no"/ });
  const throwing = new Sentinel(Object.assign(new MemoryHost(), { failing: true, warn: () => { throw new Error('stderr gone'); } }), { writer: 't' });
  throwing.entry('a').exit();
  t.equal(throwing.stats().recordsDropped, 2, 'a warn line that throws does not reach the filter');
});

t.test('drops with nothing else to write: flush() writes a WRITER-only frame', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host);
  host.failing = true;
  s.entry('a').exit(); // the end-of-request flush fails
  t.equal(s.stats().recordsDropped, 2);
  host.failing = false;
  s.flush();
  t.same(decodeSegment(host.bytesOf(SEG0)).events, [
    { kind: RecordKind.WRITER, tsMs: T0, name: 'shared', droppedRecords: 2, droppedFrames: 1 },
  ]);
});

t.test('a WRITER-only frame that cannot be written either is a dropped frame too', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host);
  host.failing = true;
  s.entry('a').exit(); // the request's frame (PASS, EXIT) is dropped
  s.flush(); // the frame holding just the report is dropped too
  t.same([s.stats().recordsDropped, s.stats().framesDropped], [2, 2]);
  host.failing = false;
  s.flush();
  t.same(decodeSegment(host.bytesOf(SEG0)).events, [
    { kind: RecordKind.WRITER, tsMs: T0, name: 'shared', droppedRecords: 2, droppedFrames: 2 },
  ]);
});

t.test('a failed WRITER frame keeps the counts and adds its own records', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host, { flushOnIdle: false });
  host.failing = true;
  s.recordCall('a', 1);
  s.flush(); // frame 1 dropped (1 record)
  s.recordCall('a', 1);
  s.recordCall('a', 1);
  s.flush(); // frame 2 carries WRITER(1, 1) and 2 records: dropped too
  t.same([s.stats().unreportedRecordsDropped, s.stats().unreportedFramesDropped], [3, 2]);
  host.failing = false;
  s.flush();
  t.same(decodeSegment(host.bytesOf(SEG0)).events, [
    { kind: RecordKind.WRITER, tsMs: T0, name: 'shared', droppedRecords: 3, droppedFrames: 2 },
  ]);
});

t.test('a host that throws is treated as a failed write, never passed on', async (t) => {
  const host = new MemoryHost();
  host.appendFrame = () => {
    throw new Error('EIO');
  };
  const s = new Sentinel(host);
  t.doesNotThrow(() => s.entry('a').exit());
  t.equal(s.stats().recordsDropped, 2);
});

t.test('an EXIT dropped at the end of a request while nothing is buffered is reported by the next frame', async (t) => {
  const host = new MemoryHost();
  // A 36-byte name: its PASS fits an empty 64-byte frame, its EXIT with an RT of 100 s does not.
  const name = 'n'.repeat(36);
  const s = new Sentinel(host, { flushOnIdle: false, maxFrameBytes: 64 });
  s.entry(name);
  s.flush(); // the PASS is written: nothing is buffered
  host.clockMs = T0 + 100_000;
  t.equal(s.exitOpenEntries(false), 1);
  t.same([s.stats().recordsDropped, s.stats().unreportedRecordsDropped, s.stats().recordsBuffered], [1, 1, 0]);
  s.recordCall('b', 7, false);
  t.equal(s.stats().recordsBuffered, 1, 'the WRITER record is not counted as buffered');
  s.flush();
  t.same(decodeSegment(host.bytesOf(segmentName(bucketSecOf(T0 + 100_000), 'shared'))).events, [
    { kind: RecordKind.WRITER, tsMs: T0 + 100_000, name: 'shared', droppedRecords: 1, droppedFrames: 0 },
    { kind: RecordKind.CALL, tsMs: T0 + 100_000, name: 'b', rtMs: 7, error: false },
  ]);
  t.same([s.stats().recordsWritten, s.stats().unreportedRecordsDropped], [2, 0]);
});

t.test('a WRITER record with a full frame of tiny size still gets out', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host, { flushOnIdle: false, maxFrameBytes: 64 });
  host.failing = true;
  s.recordCall('a', 1);
  s.flush();
  host.failing = false;
  const long = 'r'.repeat(30);
  s.recordCall(long, 1); // WRITER + this record do not fit in 64 bytes together
  s.flush();
  const d = decodeSegment(host.bytesOf(SEG0));
  t.same(d.events.map((e) => e.kind), [RecordKind.WRITER, RecordKind.CALL]);
  t.equal(d.frames, 2);
});

t.test('misuse throws a clear FilterError; runtime state is untouched', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host);
  const bad = (fn: () => unknown, code: string, pattern: RegExp): void => {
    let thrown: unknown;
    try {
      fn();
    } catch (e) {
      thrown = e;
    }
    t.ok(thrown instanceof FilterError, `throws a FilterError (${pattern})`);
    t.equal((thrown as FilterError).code, code);
    t.match((thrown as FilterError).message, pattern);
  };
  bad(() => s.entry(''), FilterErrorCode.BAD_ARGUMENT, /resource must be a non-empty string/);
  bad(() => s.entry(undefined as unknown as string), FilterErrorCode.BAD_ARGUMENT, /resource/);
  bad(() => s.entry('a', { origin: '' }), FilterErrorCode.BAD_ARGUMENT, /origin must be a non-empty/);
  bad(() => s.entry('a', { count: -1 }), FilterErrorCode.BAD_ARGUMENT, /count must be a positive integer, got -1/);
  bad(() => s.recordPass('a', { count: 0 }), FilterErrorCode.BAD_ARGUMENT, /count/);
  bad(() => s.recordBlock('a', { count: 1.5 }), FilterErrorCode.BAD_ARGUMENT, /count/);
  bad(() => s.recordExit('a', -3), FilterErrorCode.BAD_ARGUMENT, /rtMs must be a non-negative integer, got -3/);
  bad(() => s.entry('a', { count: '2' as unknown as number }), FilterErrorCode.BAD_ARGUMENT, /count must be a positive integer, got "2"$/);
  bad(() => s.recordExit('a', '5' as unknown as number), FilterErrorCode.BAD_ARGUMENT, /rtMs must be a non-negative integer, got "5"$/);
  bad(() => s.recordCall('a', 1, { error: 'yes' as unknown as boolean }), FilterErrorCode.BAD_ARGUMENT, /error must be a boolean, got "yes"$/);
  bad(() => s.recordExit('a', 1, { error: 1 as unknown as boolean }), FilterErrorCode.BAD_ARGUMENT, /error must be a boolean, got 1$/);
  const other = new Sentinel(host, { writer: 'exitcheck' });
  const open = other.entry('exit-check');
  bad(() => open.exit({ error: 'yes' as unknown as boolean }), FilterErrorCode.BAD_ARGUMENT, /error must be a boolean, got "yes"$/);
  t.same([other.stats().openEntries, open.exit({ error: true }) >= 0, other.stats().openEntries], [1, true, 0], 'a refused exit() leaves the entry open: exited once after it');
  bad(() => s.recordCall('a', Number.NaN), FilterErrorCode.BAD_ARGUMENT, /rtMs/);
  bad(() => s.recordCall('a', 1, { count: 2 }), FilterErrorCode.BAD_ARGUMENT, /CALL/);
  bad(() => s.recordCall('a', 1, { tsMs: -1 }), FilterErrorCode.BAD_ARGUMENT, /tsMs/);
  bad(() => s.recordCall('a', 1, false, ''), FilterErrorCode.BAD_ARGUMENT, /origin must be a non-empty/);
  bad(() => s.recordCall('', 1, false), FilterErrorCode.BAD_ARGUMENT, /resource must be a non-empty/);
  bad(() => s.recordBlock('a', ''), FilterErrorCode.BAD_ARGUMENT, /origin must be a non-empty/);
  bad(() => s.recordBlock('a', 'x'.repeat(1025)), FilterErrorCode.BAD_ARGUMENT, /origin is longer than 1024/);
  bad(() => s.recordBlock('a', 7 as unknown as string), FilterErrorCode.BAD_ARGUMENT, /origin must be a non-empty string/);
  bad(() => s.recordPass('x'.repeat(1025)), FilterErrorCode.BAD_ARGUMENT, /longer than 1024/);
  bad(() => s.recordPass('资'.repeat(342)), FilterErrorCode.BAD_ARGUMENT, /longer than 1024/);
  bad(() => s.verdict(''), FilterErrorCode.BAD_ARGUMENT, /resource/);
  bad(() => new Sentinel(host, { writer: 'Bad Writer' }), FilterErrorCode.BAD_OPTION, /writer must match/);
  bad(() => new Sentinel(host, { maxFrameBytes: 5000 }), FilterErrorCode.BAD_OPTION, /maxFrameBytes/);
  for (const ms of ['x', -1, 0, Number.NaN, Number.POSITIVE_INFINITY]) {
    bad(() => new Sentinel(host, { mapStaleAfterMs: ms as number }), FilterErrorCode.BAD_OPTION, /mapStaleAfterMs must be a finite number > 0/);
  }
  bad(() => new Sentinel(host, { mapStaleAfterMs: '3000' as unknown as number }), FilterErrorCode.BAD_OPTION, /got "3000"$/);
  bad(() => new Sentinel(host, { maxFrameBytes: '128' as unknown as number }), FilterErrorCode.BAD_OPTION, /got "128"$/);
  // A lone surrogate has no UTF-8: refused when the name is first met (the encoder), not written as U+FFFD.
  bad(() => s.entry('a\ud800b'), FilterErrorCode.BAD_ARGUMENT, /name is not well-formed UTF-16 \(a lone surrogate at index 1/);
  bad(() => s.recordCall('ok', 1, false, '\udc00'), FilterErrorCode.BAD_ARGUMENT, /origin is not well-formed UTF-16 \(a lone surrogate at index 0/);
  bad(() => s.recordBlock('x\ud83d'), FilterErrorCode.BAD_ARGUMENT, /lone surrogate at index 1/);
  t.equal(s.stats().recordsBuffered, 0, 'nothing of them was buffered');
  s.recordPass('emoji \ud83d\ude00'); // a surrogate pair is fine
  t.equal(s.stats().recordsBuffered, 1);
  s.flush();
  // A record that cannot fit the recorder's own frame size.
  const tiny = new Sentinel(host, { maxFrameBytes: 64 });
  bad(() => tiny.recordPass('n'.repeat(100)), FilterErrorCode.RECORD_TOO_LARGE, /one record does not fit in an empty frame of 64 bytes/);
  const e = s.entry('a');
  e.exit();
  bad(() => e.exit(), FilterErrorCode.ALREADY_EXITED, /exit\(\) called twice/);
  t.equal(s.stats().recordsWritten, 3, 'only the valid entry (and the emoji PASS) were recorded');
  t.equal(s.stats().openEntries, 0);
  s.recordPass('资'.repeat(341)); // exactly 1023 bytes: fine
  t.equal(s.stats().recordsBuffered, 1);
});

t.test('verdict is PASS until the verdict map is defined', async (t) => {
  const s = new Sentinel(new MemoryHost());
  t.equal(s.verdict('GET /'), VERDICT_PASS);
  t.equal(admits(VERDICT_PASS, 0.99), true);
  t.equal(admits({ kind: 'block', untilMs: T0 + 1 }, 0), false);
  t.equal(admits({ kind: 'block', untilMs: T0 + 1 }, 0), false, 'a block holds past untilMs until the collector rewrites it');
  t.equal(admits({ kind: 'admit', ratio: 0.25 }, 0.2), true);
  t.equal(admits({ kind: 'admit', ratio: 0.25 }, 0.3), false);
});

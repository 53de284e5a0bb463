// The SDK names resources by the resource id of their map slot: entries (and their exits) and
// record helpers write ids of one map epoch in version 3 frames (the id in the record, its kind
// flagged: kinds 16 … 19), names without a slot go inline,
// frames without a map stay version 1, and a map recreated with a new epoch never makes an id
// stand for another resource (the new epoch's ids go into a new frame; an open entry of the old
// epoch exits by name).

import t from 'tap';
import { Unpackr } from 'msgpackr';
import { mapEpochOf, RecordKind, VerdictKind, bucketSecOf, segmentName } from '@sentinel-wasi/protocol/encode';
import { Sentinel } from '../src/sentinel.js';
import { decodeSegment, MemoryHost, T0, writeMap } from './fake-host.js';

const SEG0 = segmentName(bucketSecOf(T0), 'shared');
const E1 = mapEpochOf(T0, () => 0.1) + 7001;
const E2 = mapEpochOf(T0 + 5000, () => 0.2) + 7002;

t.test('entries of resources with a slot are written by id (exits too); names without a slot and origins inline', async (t) => {
  const host = new MemoryHost();
  // An idle slot (a PASS written once, not refreshed: no rule): its id is used, and the entry's
  // PASS waits for its EXIT (a fresh slot's would go out at once: entry-verdict.test.ts).
  host.files.set('map', writeMap({ 'GET /orders': [VerdictKind.PASS, 0] }, T0 - 4000, E1));
  const s = new Sentinel(host);
  const a = s.entry('GET /orders', { origin: 'app-a' });
  host.clockMs += 5;
  a.exit();
  const b = s.entry('GET /unplaced');
  b.exit({ error: true });
  const d = decodeSegment(host.bytesOf(SEG0));
  t.same(d.versions, [3, 1], 'the frame with the placed resource is version 3; the other names everything inline');
  t.same(d.events, [
    { kind: RecordKind.PASS, tsMs: T0, name: 'GET /orders', count: 1, origin: 'app-a' },
    { kind: RecordKind.EXIT, tsMs: T0 + 5, name: 'GET /orders', rtMs: 5, error: false, count: 1, origin: 'app-a' },
    { kind: RecordKind.PASS, tsMs: T0 + 5, name: 'GET /unplaced', count: 1 },
    { kind: RecordKind.EXIT, tsMs: T0 + 5, name: 'GET /unplaced', rtMs: 0, error: true, count: 1 },
  ]);
  t.equal(d.rejected, 0);
  // Per-request frames get smaller: the same request without a map.
  const plain = new MemoryHost();
  const p = new Sentinel(plain);
  const pa = p.entry('GET /orders', { origin: 'app-a' });
  plain.clockMs += 5;
  pa.exit();
  t.ok(host.attempts[0]!.bytes < plain.attempts[0]!.bytes, `${host.attempts[0]!.bytes} bytes with the id, ${plain.attempts[0]!.bytes} with the name`);
});

t.test('record helpers use the id of the name\'s slot, read once per name and again after a second', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', writeMap({ a: [VerdictKind.PASS, 0] }, T0, E1, 256));
  const s = new Sentinel(host, { flushOnIdle: false });
  for (let i = 0; i < 50; i++) s.recordCall(i % 2 === 0 ? 'a' : 'b', 3);
  t.equal(s.stats().map!.lookups, 2, 'one map read per name');
  // The collector gives b a slot (same epoch, positioned writes): it is used within a second.
  const withB = writeMap({ a: [VerdictKind.PASS, 0], b: [VerdictKind.PASS, 0] }, T0, E1, 256);
  host.files.get('map')!.set(withB);
  host.clockMs += 1000;
  for (let i = 0; i < 4; i++) s.recordCall(i % 2 === 0 ? 'a' : 'b', 3);
  t.equal(s.stats().map!.lookups, 4);
  // Ids are kept for the epoch: a later second reads the map once (to notice a new epoch), not once per name.
  host.clockMs += 1000;
  for (let i = 0; i < 10; i++) s.recordCall(i % 2 === 0 ? 'a' : 'b', 3);
  t.equal(s.stats().map!.lookups, 5);
  s.flush();
  const frames = host.segments.get(SEG0)!;
  const d = decodeSegment(host.bytesOf(SEG0));
  t.same(d.events.map((e) => e.name), [...Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'a' : 'b')), 'a', 'b', 'a', 'b', ...Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'a' : 'b'))]);
  t.same(d.versions, [3]);
  t.equal(frames.length, 1);
  // The frame's table holds "b" (before its slot) alone; a (id 1) and then b (id 2) are in their records.
  const payload = new Unpackr({ useRecords: false, int64AsType: 'number' }).unpack(frames[0]!.subarray(8)) as unknown[];
  t.same(payload.slice(1, 3), [E1, ['b']], 'the frame carries its epoch; the name table is ["b"]');
  const names = (payload.slice(3) as number[][]).map((r) => (r[0] === 19 ? `id ${r[2]}` : `index ${r[2]}`));
  t.same(names, [...Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'id 1' : 'index 0')), ...Array.from({ length: 14 }, (_, i) => (i % 2 === 0 ? 'id 1' : 'id 2'))], 'CALL by id (19) for a slot, CALL (3) naming "b" until b has one');
});

t.test('the positional record forms name resources by id too; origins and names without a slot inline', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', writeMap({ a: [VerdictKind.PASS, 0] }, T0, E1, 256));
  const s = new Sentinel(host, { flushOnIdle: false });
  s.recordCall('a', 3, false, 'o');
  s.recordBlock('a', 'o');
  s.recordBlock('b');
  s.recordCall('b', 4, true);
  s.flush();
  const frames = host.segments.get(SEG0)!;
  t.equal(frames.length, 1);
  const payload = new Unpackr({ useRecords: false, int64AsType: 'number' }).unpack(frames[0]!.subarray(8)) as unknown[];
  t.same(payload.slice(1, 3), [E1, ['o', 'b']], 'table: the origin, "b" (no slot)');
  t.same(payload.slice(3), [[19, 0, 1, 3, false, 0], [17, 0, 1, 1, 0], [1, 0, 1], [3, 0, 1, 4, true]], 'a by id 1 (CALL 19, BLOCK 17), b by its table index');
  t.same(decodeSegment(host.bytesOf(SEG0)).events, [
    { kind: RecordKind.CALL, tsMs: T0, name: 'a', rtMs: 3, error: false, origin: 'o' },
    { kind: RecordKind.BLOCK, tsMs: T0, name: 'a', count: 1, origin: 'o' },
    { kind: RecordKind.BLOCK, tsMs: T0, name: 'b', count: 1 },
    { kind: RecordKind.CALL, tsMs: T0, name: 'b', rtMs: 4, error: true },
  ]);
});

t.test('the positional forms skip measuring a name with a cached id, never its type: a non-string whose text has an id is refused', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', writeMap({ '7': [VerdictKind.PASS, 0] }, T0, E1, 256));
  const s = new Sentinel(host, { flushOnIdle: false });
  s.recordCall('7', 3, false);
  s.recordBlock('7');
  t.equal(s.stats().recordsBuffered, 2, '"7" has its id in the cache now');
  let toStringCalls = 0;
  const looksLike7 = { toString: () => (toStringCalls++, '7') };
  for (const resource of [7, looksLike7, ['7']]) {
    t.throws(() => s.recordCall(resource as unknown as string, 3, false), { code: 'E_BAD_ARGUMENT', message: /resource must be a non-empty string/ });
    t.throws(() => s.recordBlock(resource as unknown as string), { code: 'E_BAD_ARGUMENT', message: /resource must be a non-empty string/ });
  }
  t.equal(toStringCalls, 0, 'the object was never turned into a property key');
  t.equal(s.stats().recordsBuffered, 2, 'nothing of them was buffered');
  s.flush();
  const payload = new Unpackr({ useRecords: false, int64AsType: 'number' }).unpack(host.segments.get(SEG0)![0]!.subarray(8)) as unknown[];
  t.same(payload.slice(3), [[19, 0, 1, 3, false], [17, 0, 1]], 'the two records by id 1');
});

t.test('a map recreated with a new epoch: its ids start a new frame, an entry of the old epoch exits by name', async (t) => {
  const host = new MemoryHost();
  // Epoch E1: a → 1, b → 2. Epoch E2 (another file): b → 1, a → 2.
  host.files.set('map', writeMap({ a: [VerdictKind.PASS, 0], b: [VerdictKind.PASS, 0] }, T0, E1));
  const s = new Sentinel(host, { flushOnIdle: false });
  const ea = s.entry('a');
  host.files.set('map', writeMap({ b: [VerdictKind.PASS, 0], a: [VerdictKind.PASS, 0] }, T0 + 5000, E2));
  host.clockMs = T0 + 5000; // E1's slots are stale now: the reader opens the map again
  const eb1 = s.entry('b'); // stale in E1: the reader drops the file
  const eb2 = s.entry('b'); // E2: id 1, into a new frame
  ea.exit(); // a's id is of E1: by name
  eb1.exit();
  eb2.exit();
  s.recordCall('a', 1); // E2 id 2
  s.flush();
  const d = decodeSegment(host.bytesOf(SEG0));
  t.same(d.events.map((e) => `${e.kind === RecordKind.PASS ? 'PASS' : e.kind === RecordKind.EXIT ? 'EXIT' : 'CALL'} ${e.name}`), ['PASS a', 'PASS b', 'PASS b', 'EXIT a', 'EXIT b', 'EXIT b', 'CALL a']);
  t.equal(d.rejected, 0);
  t.same(d.versions, [3, 3], 'one frame per epoch');
  t.equal(s.stats().map!.opens, 2);
});

t.test('record helpers alone notice a new map epoch: its ids go into a new frame', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', writeMap({ a: [VerdictKind.PASS, 0], b: [VerdictKind.PASS, 0] }, T0, E1));
  const s = new Sentinel(host, { flushOnIdle: false });
  s.recordCall('a', 1);
  s.recordCall('b', 1);
  // The collector recreates the map (another file): new epoch, other ids (b → 1, a → 2). The old
  // file's slots are no longer refreshed: stale after 3 s, then the reader opens the map again.
  host.files.set('map', writeMap({ b: [VerdictKind.PASS, 0], a: [VerdictKind.PASS, 0] }, T0 + 3500, E2));
  const lookups: number[] = [];
  for (const dtMs of [500, 3500, 4600, 4700]) {
    host.clockMs = T0 + dtMs;
    s.recordCall('a', 1);
    s.recordCall('b', 1);
    lookups.push(s.stats().map!.lookups);
  }
  s.flush();
  const frames = host.segments.get(SEG0)!;
  const epochs = frames.map((f) => (new Unpackr({ useRecords: false, int64AsType: 'number' }).unpack(f.subarray(8)) as unknown[])[1]);
  t.same(epochs, [E1, E2], 'epoch 1 ids, then (once the reader has the new map) epoch 2 ids in a new frame');
  const d = decodeSegment(host.bytesOf(SEG0));
  t.same(d.events.map((e) => e.name), ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
  t.equal(d.rejected, 0);
  t.same(lookups, [2, 3, 5, 5], 'one read per period while ids hold; every name again after the epoch changed');
});

t.test('positional records by id at the edges of the usual window (128 ms from the frame\'s base, the id cache\'s period) and after a failed write: the same records, the WRITER record first', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', writeMap({ a: [VerdictKind.PASS, 0], b: [VerdictKind.PASS, 0] }, T0, E1, 256));
  const s = new Sentinel(host, { flushOnIdle: false });
  type Want = Record<string, unknown>;
  const want: Want[] = [];
  const call = (dtMs: number, name: string, rtMs: number, error: boolean, out: Want[] = want): void => {
    host.clockMs = T0 + dtMs;
    s.recordCall(name, rtMs, error);
    out.push({ kind: RecordKind.CALL, tsMs: T0 + dtMs, name, rtMs, error });
  };
  const block = (dtMs: number, name: string, out: Want[] = want): void => {
    host.clockMs = T0 + dtMs;
    s.recordBlock(name);
    out.push({ kind: RecordKind.BLOCK, tsMs: T0 + dtMs, name, count: 1 });
  };
  // The frame's base T0 (its first id); 127 ms after it the last of the usual window, 128 the first past it.
  call(0, 'a', 1, false);
  call(126, 'b', 2, true);
  block(127, 'a');
  call(128, 'a', 3, false);
  block(129, 'b');
  call(900, 'b', 4, false);
  s.flush();
  // Written while appends fail: dropped, counted, and the next frame leads with a WRITER record.
  host.failing = true;
  const dropped: Want[] = [];
  call(950, 'a', 5, false, dropped);
  block(951, 'b', dropped);
  s.flush();
  host.failing = false;
  t.equal(s.stats().unreportedRecordsDropped, 2);
  want.push({ kind: RecordKind.WRITER, tsMs: T0 + 960, name: 'shared', droppedRecords: 2, droppedFrames: 1 });
  call(960, 'a', 6, false);
  call(961, 'b', 7, false);
  // The id cache's period ends 1 000 ms after its start (T0): the next record reads the map again, a new period.
  call(999, 'a', 8, false);
  call(1000, 'b', 9, false);
  block(1001, 'a');
  call(1087, 'a', 10, true);
  s.flush();
  const events = [...host.segments.keys()].sort().flatMap((seg) => decodeSegment(host.bytesOf(seg)).events);
  t.same(events, want, 'every record as written, with its time, and the drops reported before the records after them');
  t.same(host.attempts.map((a) => a.ok), [true, false, true]);
  t.equal(s.stats().map!.lookups, 3, 'the map read for a and b, then once in the next period');
});

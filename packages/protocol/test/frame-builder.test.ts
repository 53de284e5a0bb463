import t from 'tap';
import { pack, Unpackr } from 'msgpackr';
import * as zlib from 'node:zlib';
import {
  encodeFrames,
  FrameBuilder,
  MAX_FRAME_BYTES,
  RecordKind,
  scanFrames,
  decodeRecords,
  toFlowEvent,
  type FlowEvent,
} from '../src/index.js';
import { normalise, prng, randomEvents, testSeed } from './helpers.js';

const unpackr = new Unpackr({ useRecords: false });
const T0 = 1_764_120_000_000;

function decodeAll(bytes: Uint8Array): FlowEvent[] {
  const out: FlowEvent[] = [];
  scanFrames(bytes, 0, bytes.length, { frame: (f) => void decodeRecords(f, (r) => out.push(toFlowEvent(r))) }, { final: true });
  return out;
}

t.test('every record kind round-trips, with and without optional fields', async (t) => {
  const events: FlowEvent[] = [
    { kind: RecordKind.PASS, tsMs: T0, name: 'GET /a' },
    { kind: RecordKind.PASS, tsMs: T0 + 1, name: 'GET /a', count: 3 },
    { kind: RecordKind.PASS, tsMs: T0 + 2, name: 'GET /a', count: 1, origin: 'caller' },
    { kind: RecordKind.BLOCK, tsMs: T0 + 3, name: 'GET /b' },
    { kind: RecordKind.BLOCK, tsMs: T0 + 4, name: 'GET /b', count: 2, origin: 'caller' },
    { kind: RecordKind.EXIT, tsMs: T0 + 5, name: 'GET /a', rtMs: 12, error: false },
    { kind: RecordKind.EXIT, tsMs: T0 + 6, name: 'GET /a', rtMs: 70000, error: true, count: 4 },
    { kind: RecordKind.EXIT, tsMs: T0 + 7, name: 'GET /a', rtMs: 0, error: false, count: 1, origin: 'caller' },
    { kind: RecordKind.CALL, tsMs: T0 + 8, name: 'GET /c', rtMs: 5, error: false },
    { kind: RecordKind.CALL, tsMs: T0 + 9, name: 'GET /c', rtMs: 300, error: true, origin: 'other' },
    { kind: RecordKind.WRITER, tsMs: T0 + 10, name: 'shared', droppedRecords: 17, droppedFrames: 2 },
  ];
  const frames = encodeFrames(events);
  t.equal(frames.length, 1);
  t.same(decodeAll(frames[0]!), events.map(normalise));
});

t.test('encoder bytes equal msgpackr bytes for the same payload, and decode identically', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const frames = encodeFrames(randomEvents(prng(seed), 2000));
  t.ok(frames.length > 1);
  for (const frame of frames) {
    const payload = frame.subarray(8);
    const value = unpackr.unpack(payload) as unknown[];
    t.equal(Buffer.compare(pack(value), payload), 0, 'msgpackr re-encodes to the same bytes');
    t.equal(typeof value[0], 'number', 'base time decodes as a plain number');
  }
});

t.test('the exact wire bytes of a small frame', async (t) => {
  const b = new FrameBuilder();
  t.ok(b.addCall(T0, 'GET /a', 12, false));
  t.ok(b.addBlock(T0 + 5, 'GET /a'));
  const frame = Buffer.from(b.finish());
  // [T0, ["GET /a"], [3, 0, 0, 12, false], [1, 5, 0]]
  const payload = [
    '94', // array of 4
    'cb4279abdbef600000', // float64 1764120000000 (msgpackr's form for integers >= 2^32)
    '91', 'a6474554202f61', // ["GET /a"]
    '95', '03', '00', '00', '0c', 'c2', // [3, dt 0, name 0, rt 12, false]
    '93', '01', '05', '00', // [1, dt 5, name 0]
  ].join('');
  t.equal(frame.subarray(8).toString('hex'), payload);
  const length = payload.length / 2;
  t.equal(frame.subarray(0, 4).toString('hex'), `c101${length.toString(16).padStart(2, '0')}00`);
  t.equal(frame.readUInt32LE(4), zlib.crc32(frame.subarray(8)), 'header CRC is zlib crc32 of the payload');
});

t.test('frames never exceed 4096 bytes and fill up to exactly 4096 when records allow', async (t) => {
  // Records of one fixed size: find a name length that lands a frame on exactly 4096 bytes.
  let exact = 0;
  for (let nameLength = 1; nameLength < 200 && exact === 0; nameLength++) {
    const b = new FrameBuilder();
    const name = 'n'.repeat(nameLength);
    while (b.addCall(T0, name, 1, false));
    if (b.frameBytes === MAX_FRAME_BYTES) exact = nameLength;
    t.ok(b.frameBytes <= MAX_FRAME_BYTES);
    t.equal(b.finish().length <= MAX_FRAME_BYTES, true);
  }
  t.ok(exact > 0, `some name length fills a frame to exactly ${MAX_FRAME_BYTES} bytes`);
  const b = new FrameBuilder();
  const name = 'n'.repeat(exact);
  let n = 0;
  while (b.addCall(T0, name, 1, false)) n++;
  const frame = b.finish();
  t.equal(frame.length, MAX_FRAME_BYTES);
  t.equal(decodeAll(frame).length, n);
  t.equal(b.isEmpty, true, 'finish empties the builder');
});

t.test('a record that would overflow starts a new frame; none is oversized; order is kept', async (t) => {
  const events: FlowEvent[] = [];
  for (let i = 0; i < 3000; i++) events.push({ kind: RecordKind.CALL, tsMs: T0 + i, name: `resource-${i % 700}`, rtMs: i, error: i % 7 === 0 });
  const frames = encodeFrames(events);
  t.ok(frames.length > 3);
  for (const f of frames) t.ok(f.length <= MAX_FRAME_BYTES && f.length > 8);
  const all = frames.flatMap((f) => decodeAll(f));
  t.same(all, events);
});

t.test('a time earlier than the frame base starts a new frame', async (t) => {
  const b = new FrameBuilder();
  t.ok(b.addPass(T0 + 100, 'r'));
  t.equal(b.addPass(T0 + 99, 'r'), false);
  t.equal(b.size, 1);
  const frames = encodeFrames([
    { kind: RecordKind.PASS, tsMs: T0 + 100, name: 'r' },
    { kind: RecordKind.PASS, tsMs: T0 + 99, name: 'r' },
  ]);
  t.equal(frames.length, 2);
});

t.test('UTF-8 names: CJK, emoji, pipes, and long names up to the limit', async (t) => {
  const names = ['订单服务/创建', '🚀🔥 launch', 'a|b||c', 'é', '\u0000nul', 'x'.repeat(1024), '日'.repeat(341)];
  const events: FlowEvent[] = names.map((name, i) => ({ kind: RecordKind.CALL, tsMs: T0 + i, name, rtMs: i, error: false, origin: name }));
  t.same(decodeAll(encodeFrames(events)[0]!).concat(encodeFrames(events).slice(1).flatMap(decodeAll)), events);
  const b = new FrameBuilder();
  t.throws(() => b.addPass(T0, 'x'.repeat(1025)), { code: 'E_BAD_ARGUMENT' });
  t.throws(() => b.addPass(T0, '日'.repeat(342)), { code: 'E_BAD_ARGUMENT' }, '1026 UTF-8 bytes');
  t.equal(b.isEmpty, true, 'nothing added after misuse');
});

t.test('misuse throws E_BAD_ARGUMENT and leaves the frame unchanged', async (t) => {
  const b = new FrameBuilder();
  b.addPass(T0, 'ok');
  const before = b.frameBytes;
  t.throws(() => b.addPass(T0, ''), { code: 'E_BAD_ARGUMENT' });
  t.throws(() => b.addPass(T0, 'r', 0), { code: 'E_BAD_ARGUMENT' });
  t.throws(() => b.addPass(T0, 'r', -1), { code: 'E_BAD_ARGUMENT' });
  t.throws(() => b.addPass(T0, 'r', 1.5), { code: 'E_BAD_ARGUMENT' });
  t.throws(() => b.addExit(T0, 'r', -3, false), { code: 'E_BAD_ARGUMENT' });
  t.throws(() => b.addCall(T0, 'r', Number.NaN, false), { code: 'E_BAD_ARGUMENT' });
  t.throws(() => b.addPass(-1, 'r'), { code: 'E_BAD_ARGUMENT' });
  t.throws(() => b.addPass(T0, 'r', 1, ''), { code: 'E_BAD_ARGUMENT' });
  t.throws(() => b.addWriter(T0, 'w', -1, 0), { code: 'E_BAD_ARGUMENT' });
  t.throws(() => new FrameBuilder({ maxFrameBytes: 5000 }), { code: 'E_BAD_ARGUMENT' });
  // Lone surrogates have no UTF-8 (an encoder would write U+FFFD, merging names): refused.
  t.throws(() => b.addPass(T0, 'a\ud800'), { name: 'ProtocolError', code: 'E_BAD_ARGUMENT', message: 'E_BAD_ARGUMENT: name is not well-formed UTF-16 (a lone surrogate at index 1, which has no UTF-8 encoding): "a\\ud800"' });
  t.throws(() => b.addCall(T0, 'ok', 1, false, '\udfff-x'), { code: 'E_BAD_ARGUMENT', message: /origin is not well-formed UTF-16 \(a lone surrogate at index 0/ });
  t.equal(b.frameBytes, before);
  t.equal(b.size, 1);
  b.addPass(T0, '\ud83d\ude00');
  t.equal(b.size, 2, 'a surrogate pair is a character like any other');
});

t.test('errorOf: a library on top makes the errors of misuse its own, with the same codes', async (t) => {
  class Own extends Error {
    constructor(readonly code: string, message: string) {
      super(message);
    }
  }
  const b = new FrameBuilder({ maxFrameBytes: 64, errorOf: (code, message) => new Own(code, message) });
  t.throws(() => b.addPass(T0, ''), new Own('E_BAD_ARGUMENT', 'name must be a non-empty string'));
  t.throws(() => b.addPass(T0, 'r', 0), new Own('E_BAD_ARGUMENT', 'count must be a positive integer, got 0'));
  t.throws(() => b.addPass(T0, 'y'.repeat(100)), new Own('E_RECORD_TOO_LARGE', 'one record does not fit in an empty frame of 64 bytes'));
  t.throws(() => new FrameBuilder({ maxFrameBytes: 1, errorOf: (code, message) => new Own(code, message) }), new Own('E_BAD_ARGUMENT', 'maxFrameBytes must be an integer in [64, 4096], got 1'));
});

t.test('a smaller frame limit is honoured and a record too large for it throws', async (t) => {
  const frames = encodeFrames(randomEvents(prng(7), 500), { maxFrameBytes: 256 });
  for (const f of frames) t.ok(f.length <= 256);
  t.same(frames.flatMap(decodeAll), randomEvents(prng(7), 500).map(normalise));
  const b = new FrameBuilder({ maxFrameBytes: 64 });
  t.throws(() => b.addPass(T0, 'y'.repeat(100)), { code: 'E_RECORD_TOO_LARGE' });
});

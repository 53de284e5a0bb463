// Frames that name resources by resource id (frame version 3: the id in the record, flagged in its
// kind; version 2, the id in the name table, still read): the annotated hex dumps in FORMAT.md,
// decoding with and without the reader's id table (unresolvable ids are rejected and counted as
// E_RESOURCE_ID, never given another name), one map epoch per frame, encoder misuse, and version 1
// bytes unchanged when no id is used. Replay a failure with SW_SEED=<seed>.

import t from 'tap';
import { readFileSync } from 'node:fs';
import { pack, Unpackr } from 'msgpackr';
import {
  decodeRecords,
  FrameBuilder,
  mapEpochOf,
  RecordKind,
  scanFrames,
  toFlowEvent,
  type FlowEvent,
  type RecordTally,
  type ResourceIdResolver,
  type ScanOptions,
  deliverRecords,
} from '../src/index.js';
import { concat, prng, testSeed, wrapPayload } from './helpers.js';

const T0 = 1_764_120_000_000;
const EPOCH = mapEpochOf(T0, () => 0.5);

/** The collector's table in these tests: epoch EPOCH, 7 → GET /orders, 300 → POST /pay. */
const table: ResourceIdResolver = (epoch, id) => (epoch !== EPOCH ? null : id === 7 ? 'GET /orders' : id === 300 ? 'POST /pay' : null);

function decode(bytes: Uint8Array, options: ScanOptions = {}): { events: FlowEvent[]; tallies: RecordTally[]; versions: number[]; skips: string[] } {
  const events: FlowEvent[] = [];
  const tallies: RecordTally[] = [];
  const versions: number[] = [];
  const skips: string[] = [];
  scanFrames(bytes, 0, bytes.length, {
    frame: (f) => {
      versions.push(f.version);
      tallies.push(decodeRecords(f, (r) => events.push(toFlowEvent(r))));
    },
    skip: (s) => skips.push(s.code),
  }, { final: true, ...options });
  return { events, tallies, versions, skips };
}

/** The example of FORMAT.md: the six records of the version 1 example, `GET /orders` named by its id 7. */
function example(): Uint8Array {
  const b = new FrameBuilder();
  b.setMapEpoch(EPOCH);
  b.addCall(T0, 7, 12, false);
  b.addCall(T0 + 3, 7, 250, true, 'mobile');
  b.addBlock(T0 + 7, '订单');
  b.addPass(T0 + 9, 7, 2);
  b.addExit(T0 + 40, 7, 31, false, 2);
  b.addWriter(T0 + 41, 'shared', 0, 0);
  return b.finish().slice();
}

/** `hexdump -C` style lines. */
function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0'));
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${i.toString(16).padStart(8, '0')}  ${`${hex.slice(0, 8).join(' ')}  ${hex.slice(8).join(' ')}`.padEnd(50)}|${ascii}|`);
  }
  return lines.join('\n');
}

/** The version 2 hex dump of FORMAT.md (what earlier writers wrote for the same records), as bytes. */
function version2Example(format: string): Uint8Array {
  const dump = format.slice(format.indexOf('The same records in version 2'));
  const block = dump.slice(dump.indexOf('```\n') + 4, dump.indexOf('\n```', dump.indexOf('```\n') + 4));
  const hex = block.split('\n').map((line) => line.slice(10, 58).replace(/ /g, '')).join('');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

const SIX_RECORDS = [
  { kind: RecordKind.CALL, tsMs: T0, name: 'GET /orders', rtMs: 12, error: false },
  { kind: RecordKind.CALL, tsMs: T0 + 3, name: 'GET /orders', rtMs: 250, error: true, origin: 'mobile' },
  { kind: RecordKind.BLOCK, tsMs: T0 + 7, name: '订单', count: 1 },
  { kind: RecordKind.PASS, tsMs: T0 + 9, name: 'GET /orders', count: 2 },
  { kind: RecordKind.EXIT, tsMs: T0 + 40, name: 'GET /orders', rtMs: 31, error: false, count: 2 },
  { kind: RecordKind.WRITER, tsMs: T0 + 41, name: 'shared', droppedRecords: 0, droppedFrames: 0 },
];

t.test('the version 3 hex dump in FORMAT.md is what the encoder produces, and it decodes with the id table', async (t) => {
  const frame = example();
  const format = readFileSync(new URL('../FORMAT.md', import.meta.url), 'utf8');
  t.ok(format.includes('```\n' + hexDump(frame) + '\n```'), 'the frame dump');
  t.comment(`${frame.length} bytes, epoch ${EPOCH}\n${hexDump(frame)}`);
  t.equal(frame[1], 3, 'version 3');
  // The payload is plain msgpack: [base, epoch, ["mobile", "订单", "shared"], records...], records by id with kind 16 … 19.
  const payload = new Unpackr({ useRecords: false, int64AsType: 'number' }).unpack(frame.subarray(8)) as unknown[];
  t.same(payload.slice(0, 3), [T0, EPOCH, ['mobile', '订单', 'shared']]);
  t.same(payload.slice(3), [[19, 0, 7, 12, false], [19, 3, 7, 250, true, 0], [1, 7, 1], [16, 9, 7, 2], [18, 40, 7, 31, false, 2], [8, 41, 2, 0, 0]]);
  t.equal(Buffer.compare(pack(payload), frame.subarray(8)), 0, 'msgpackr re-encodes the payload to the same bytes');
  for (const decoder of ['fast', 'reference'] as const) {
    const got = decode(frame, { resolveId: table, decoder });
    t.same(got.events, SIX_RECORDS, `decoder ${decoder}`);
    t.same(got.tallies, [{ accepted: 6, rejected: 0, unknownKind: 0, rejectedByCode: {} }]);
  }
});

t.test('the version 2 hex dump in FORMAT.md (the id in the name table) still decodes to the same records', async (t) => {
  const frame = version2Example(readFileSync(new URL('../FORMAT.md', import.meta.url), 'utf8'));
  t.equal(frame.length, 86);
  t.equal(frame[1], 2, 'version 2');
  for (const decoder of ['fast', 'reference'] as const) {
    const got = decode(frame, { resolveId: table, decoder });
    t.same(got.versions, [2]);
    t.same(got.events, SIX_RECORDS, `decoder ${decoder}`);
    t.same(got.tallies, [{ accepted: 6, rejected: 0, unknownKind: 0, rejectedByCode: {} }]);
  }
});

t.test('ids the reader cannot resolve are rejected and counted, the rest of the frame counts', async (t) => {
  for (const frame of [example(), version2Example(readFileSync(new URL('../FORMAT.md', import.meta.url), 'utf8'))]) {
  t.comment(`version ${frame[1]}`);
  const cases: Array<[string, ScanOptions]> = [
    ['no id table', {}],
    ['a table of another epoch', { resolveId: (epoch, id) => (epoch === EPOCH + 1 ? table(EPOCH, id) : null) }],
    ['a table without id 7', { resolveId: (epoch, id) => (id === 7 ? null : table(epoch, id)) }],
    ['a table that answers an empty name', { resolveId: () => '' }],
  ];
  for (const [what, options] of cases) {
    for (const decoder of ['fast', 'reference'] as const) {
      const got = decode(frame, { ...options, decoder });
      t.same(got.events.map((e) => e.name), ['订单', 'shared'], `${what} (${decoder}): only the records named inline count`);
      t.same(got.tallies, [{ accepted: 2, rejected: 4, unknownKind: 0, rejectedByCode: { E_RESOURCE_ID: 4 } }], `version ${frame[1]}, ${what} (${decoder})`);
    }
  }
  }
});

t.test('frames without ids stay version 1, byte for byte', async (t) => {
  const plain = new FrameBuilder();
  const withEpoch = new FrameBuilder();
  withEpoch.setMapEpoch(EPOCH); // an epoch alone changes nothing
  for (const b of [plain, withEpoch]) {
    b.addCall(T0, 'GET /a', 12, false);
    b.addBlock(T0 + 5, 'GET /a');
  }
  const a = plain.finish().slice();
  const b = withEpoch.finish().slice();
  t.equal(Buffer.from(a).toString('hex'), Buffer.from(b).toString('hex'));
  t.equal(a[1], 1);
  t.equal(Buffer.from(a.subarray(8)).toString('hex'), '94cb4279abdbef600000' + '91a6474554202f61' + '950300000cc2' + '93010500');
});

t.test('one map epoch per frame: an id of another epoch starts the next frame', async (t) => {
  const b = new FrameBuilder();
  b.setMapEpoch(EPOCH);
  t.ok(b.addPass(T0, 7));
  t.ok(b.addPass(T0, 'GET /inline'));
  b.setMapEpoch(EPOCH + 1);
  t.ok(b.addPass(T0, 'GET /inline'), 'a name still fits');
  t.notOk(b.addPass(T0, 7), 'an id of the new epoch does not');
  const first = b.finish().slice();
  t.ok(b.addPass(T0 + 1, 7), 'it goes into the next frame');
  const second = b.finish().slice();
  const resolver: ResourceIdResolver = (epoch, id) => (id === 7 ? `r7@${epoch === EPOCH ? 'old' : 'new'}` : null);
  const got = decode(concat([first, second]), { resolveId: resolver });
  t.same(got.events.map((e) => e.name), ['r7@old', 'GET /inline', 'GET /inline', 'r7@new']);
  t.same(got.versions, [3, 3]);
});

t.test('addCall with its names already in the frame keeps the same rules (epoch, time, misuse)', async (t) => {
  const b = new FrameBuilder();
  b.setMapEpoch(EPOCH);
  t.ok(b.addCall(T0, 7, 5, false, 'app'));
  t.ok(b.addCall(T0 + 1, 7, 6, true, 'app'), 'id and origin in the table');
  b.setMapEpoch(EPOCH + 1);
  t.notOk(b.addCall(T0 + 2, 7, 7, false), 'an id in the table, of the old epoch, after the epoch changed: next frame');
  t.throws(() => b.addCall(String(T0 + 3) as unknown as number, 'app', 1, false), { code: 'E_BAD_ARGUMENT' }, 'a time that is not a number');
  t.throws(() => b.addCall(T0 + 3, 'app', 1, false, 7 as unknown as string), { code: 'E_BAD_ARGUMENT' }, 'an origin that is not a string');
  t.notOk(b.addCall(T0 - 1, 'app', 1, false), 'earlier than the base time: next frame');
  t.equal(b.size, 2, 'nothing added by the refused and failed calls');
  t.ok(b.addCall(T0 + 200, 'app', 1, false, 'app'), 'a name and origin in the table, 200 ms after the base');
  const first = b.finish().slice();
  t.ok(b.addCall(T0 + 2, 7, 7, false));
  const second = b.finish().slice();
  const resolver: ResourceIdResolver = (epoch, id) => (id === 7 ? `r7@${epoch === EPOCH ? 'old' : 'new'}` : null);
  const got = decode(concat([first, second]), { resolveId: resolver });
  t.same(got.events.map((e) => [e.name, e.tsMs - T0, e.rtMs, e.error, e.origin ?? '']), [
    ['r7@old', 0, 5, false, 'app'],
    ['r7@old', 1, 6, true, 'app'],
    ['app', 200, 1, false, 'app'],
    ['r7@new', 2, 7, false, ''],
  ]);
});

t.test('misuse: bad ids and ids without an epoch throw E_BAD_ARGUMENT and leave the frame unchanged', async (t) => {
  const b = new FrameBuilder();
  t.throws(() => b.addPass(T0, 7), { code: 'E_BAD_ARGUMENT', message: /map epoch/ });
  b.setMapEpoch(EPOCH);
  for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
    t.throws(() => b.addPass(T0, bad), { code: 'E_BAD_ARGUMENT' }, `id ${bad}`);
  }
  t.throws(() => b.setMapEpoch(-1), { code: 'E_BAD_ARGUMENT' });
  t.ok(b.isEmpty);
  t.ok(b.addPass(T0, 300, 1, 'o'));
  const got = decode(b.finish().slice(), { resolveId: table });
  t.same(got.events, [{ kind: RecordKind.PASS, tsMs: T0, name: 'POST /pay', count: 1, origin: 'o' }]);
});

t.test('property: frames of ids and names fill up to the limit and decode to the names on both paths', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const names = Array.from({ length: 60 }, (_, i) => `res-${i}-${'x'.repeat(i % 23)}`);
  // Ids of one epoch for even names; odd names have none (inline). Ids span the msgpack forms.
  const idOf = (i: number): number => (i % 2 === 0 ? [1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1][i % 8]! + i : 0);
  const byId = new Map<number, string>();
  names.forEach((n, i) => idOf(i) > 0 && byId.set(idOf(i), n));
  const resolver: ResourceIdResolver = (epoch, id) => (epoch === EPOCH ? (byId.get(id) ?? null) : null);
  const max = 64 + Math.floor(rand() * 4032);
  const b = new FrameBuilder({ maxFrameBytes: max });
  b.setMapEpoch(EPOCH);
  const frames: Uint8Array[] = [];
  const want: string[] = [];
  for (let k = 0; k < 3000; k++) {
    const i = Math.floor(rand() * names.length);
    const ref = idOf(i) > 0 && rand() < 0.9 ? idOf(i) : names[i]!;
    const origin = rand() < 0.3 ? `app-${Math.floor(rand() * 3)}` : undefined;
    const call = rand() < 0.5;
    const add = (): boolean => (call ? b.addCall(T0 + k, ref, k % 500, k % 7 === 0, origin) : b.addPass(T0 + k, ref, 1 + (k % 3), origin));
    if (!add()) {
      t.ok(b.frameBytes <= max);
      frames.push(b.finish().slice());
      t.ok(add(), 'fits an empty frame');
    }
    want.push(call ? `CALL ${names[i]}|${origin ?? ''}|${T0 + k}|${k % 500}|${k % 7 === 0}` : `PASS ${names[i]}|${origin ?? ''}|${T0 + k}|${1 + (k % 3)}`);
  }
  frames.push(b.finish().slice());
  t.ok(frames.every((f) => f.length <= max), 'no frame over the limit');
  t.ok(frames.some((f) => f.length >= max - 40), 'frames fill up');
  // Each number in its shortest msgpack form (ids of 1, 2 and 4 bytes included): msgpackr writes the same bytes.
  t.ok(frames.every((f) => Buffer.compare(pack(new Unpackr({ useRecords: false }).unpack(f.subarray(8))), f.subarray(8)) === 0), 'msgpackr re-encodes every payload to the same bytes');
  for (const decoder of ['fast', 'reference'] as const) {
    const events: string[] = [];
    let referenceDecoded = 0;
    const stream = concat(frames);
    const r = scanFrames(stream, 0, stream.length, { frame: (f) => void decodeRecords(f, (rec) => events.push(rec.kind === RecordKind.CALL ? `CALL ${rec.name}|${rec.origin}|${rec.tsMs}|${rec.rtMs}|${rec.error}` : `PASS ${rec.name}|${rec.origin}|${rec.tsMs}|${rec.count}`)) }, { final: true, resolveId: resolver, decoder });
    referenceDecoded += r.framesReferenceDecoded;
    t.same(events, want, `${decoder}: every record with its name, time, RT and error (or count)`);
    if (decoder === 'fast') t.equal(referenceDecoded, 0, 'the fast path read every frame');
  }
});

t.test('property: addCallOfId and addBlockOfId (and their InIdWindow forms, inside the window onIdWindow gives) write the bytes addCall and addBlock write, frame by frame', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const max = rand() < 0.5 ? 4096 : 64 + Math.floor(rand() * 4032);
  // The id window as the fast builder last told it: records by id inside it take the InIdWindow calls.
  let windowFromMs = NaN;
  let windowUntilMs = NaN;
  let windowsTold = 0;
  const fast = new FrameBuilder({
    maxFrameBytes: max,
    onIdWindow: (fromMs, untilMs) => {
      windowFromMs = fromMs;
      windowUntilMs = untilMs;
      windowsTold++;
    },
  });
  t.same([windowFromMs, windowUntilMs, windowsTold], [Infinity, -Infinity, 1], 'an empty id window, told at construction');
  const checked = new FrameBuilder({ maxFrameBytes: max });
  let epoch = EPOCH;
  fast.setMapEpoch(epoch);
  checked.setMapEpoch(epoch);
  // Ids in every msgpack form, names inline, origins old and new, times forward, jumping and back,
  // RTs past one byte, an epoch change now and then: the usual record and every way out of it.
  const ids = [1, 5, 127, 128, 255, 256, 300, 65535, 65536, 2 ** 32 - 1];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const fastFrames: string[] = [];
  const checkedFrames: string[] = [];
  let ts = T0;
  let refused = 0;
  let flushes = 0;
  let fastPath = 0;
  let inWindow = 0;
  const differ: string[] = [];
  for (let k = 0; k < 4000; k++) {
    const r = rand();
    ts += r < 0.9 ? Math.floor(rand() * 3) : r < 0.97 ? 100 + Math.floor(rand() * 200) : -Math.floor(rand() * 50);
    if (rand() < 0.005) {
      epoch++;
      fast.setMapEpoch(epoch);
      checked.setMapEpoch(epoch);
    }
    const origin = rand() < 0.25 ? `app-${Math.floor(rand() * (rand() < 0.9 ? 3 : 400))}` : undefined;
    const rtMs = rand() < 0.95 ? Math.floor(rand() * 128) : Math.floor(rand() * 100_000);
    const error = rand() < 0.1;
    const kind = rand();
    const byName = rand() < 0.1;
    const id = pick(ids);
    const name = `res-${Math.floor(rand() * 20)}`;
    const addFast = (): boolean => {
      if (!byName && ts >= windowFromMs && ts < windowUntilMs) {
        inWindow++;
        return kind < 0.8 ? fast.addCallInIdWindow(ts, id, rtMs, error, origin) : fast.addBlockInIdWindow(ts, id, origin);
      }
      return kind < 0.8 ? (byName ? fast.addCall(ts, name, rtMs, error, origin) : fast.addCallOfId(ts, id, rtMs, error, origin)) : byName ? fast.addBlock(ts, name, 1, origin) : fast.addBlockOfId(ts, id, origin);
    };
    const addChecked = (): boolean => (kind < 0.8 ? checked.addCall(ts, byName ? name : id, rtMs, error, origin) : checked.addBlock(ts, byName ? name : id, 1, origin));
    const bytesBefore = fast.frameBytes;
    const a = addFast();
    const b = addChecked();
    if (a !== b) differ.push(`record ${k}: ${a} / ${b}`);
    if (a && bytesBefore > 0) fastPath++;
    if (!a) {
      refused++;
      fastFrames.push(Buffer.from(fast.finish()).toString('hex'));
      checkedFrames.push(Buffer.from(checked.finish()).toString('hex'));
      if (!(addFast() && addChecked())) differ.push(`record ${k}: refused by an empty frame`);
    }
    if (fast.frameBytes !== checked.frameBytes) differ.push(`record ${k}: frame bytes ${fast.frameBytes} / ${checked.frameBytes}`);
    // Now and then a frame written before it is full (a flush): the next records start a frame
    // within a few ms of the last one's base time, on neither frame's epoch or base.
    if (rand() < 0.02 && fast.frameBytes > 0) {
      flushes++;
      fastFrames.push(Buffer.from(fast.finish()).toString('hex'));
      checkedFrames.push(Buffer.from(checked.finish()).toString('hex'));
    }
  }
  t.same(differ, [], 'both take or refuse every record, an empty frame takes each, the frames grow alike');
  fastFrames.push(Buffer.from(fast.finish()).toString('hex'));
  checkedFrames.push(Buffer.from(checked.finish()).toString('hex'));
  t.equal(fastFrames.length, refused + flushes + 1);
  t.ok(flushes > 20, `frames were written before they were full (${flushes})`);
  t.ok(refused > 5, `frames were refused records (${refused})`);
  t.ok(fastPath > 1000, `records joined a frame with records (${fastPath})`);
  t.ok(inWindow > 200 && windowsTold > 20, `records by id inside the id window took the InIdWindow calls (${inWindow}; the window told ${windowsTold} times)`);
  t.same(fastFrames, checkedFrames, 'every frame byte for byte');
});

t.test('version 3 records by id: flagged kinds, bad ids, unknown kinds, and the numbers deliverRecords gives their names', async (t) => {
  const v3 = (records: unknown[], version = 3): Uint8Array => wrapPayload(pack([T0, EPOCH, ['app', 'GET /x'], ...records]), version);
  const run = (frame: Uint8Array, decoder: 'fast' | 'reference') => {
    const got: string[] = [];
    let tally: RecordTally | undefined;
    let referenceDecoded = 0;
    const r = scanFrames(frame, 0, frame.length, { frame: (f) => void (tally = deliverRecords(f, (rec, i) => got.push(`${rec.kind}:${rec.name}:${rec.origin}:${i}`))) }, { final: true, resolveId: table, decoder });
    referenceDecoded = r.framesReferenceDecoded;
    return { got, tally: tally!, referenceDecoded };
  };
  // Ids 300 and 7 by id, in this order; a name of the table between them; origin index 0 ('app').
  const good = v3([[19, 0, 300, 5, false], [3, 1, 1, 5, false], [16, 2, 7, 1, 0], [17, 3, 300], [18, 4, 7, 9, true, 1, 0]]);
  for (const decoder of ['fast', 'reference'] as const) {
    const { got, tally, referenceDecoded } = run(good, decoder);
    t.same(got, ['3:POST /pay::2', '3:GET /x::1', '0:GET /orders:app:3', '1:POST /pay::2', '2:GET /orders:app:3'], `${decoder}: ids numbered after the table (2 entries), in order of first use`);
    t.same(tally, { accepted: 5, rejected: 0, unknownKind: 0, rejectedByCode: {} });
    if (decoder === 'fast') t.equal(referenceDecoded, 0, 'the fast path reads it');
  }
  const bad = v3([[19, 0, 0, 5, false], [19, 0, 2 ** 32, 5, false], [24, 0, 0, 1, 1], [20, 0, 7], [16, 0, 7, 1, 2], [16, 0, 99], [0, 0, 2], [16, 0, 7]]);
  for (const decoder of ['fast', 'reference'] as const) {
    const { got, tally } = run(bad, decoder);
    t.same(got, ['0:GET /orders::2'], `${decoder}: only the last record is valid`);
    t.same(tally, { accepted: 1, rejected: 5, unknownKind: 2, rejectedByCode: { E_RECORD_VALUE: 2, E_NAME_INDEX: 2, E_RESOURCE_ID: 1 } }, `${decoder}: id 0 and 2^32 (value), kinds 24 and 20 (unknown), origin 2 and name 2 past the table (index), id 99 (unresolved)`);
  }
  for (const version of [1, 2]) {
    const frame = version === 1 ? wrapPayload(pack([T0, ['app'], [16, 0, 0], [0, 0, 0]]), 1) : v3([[16, 0, 7], [0, 0, 0]], 2);
    for (const decoder of ['fast', 'reference'] as const) {
      const { got, tally } = run(frame, decoder);
      t.same(got, ['0:app::0'], `version ${version} (${decoder}): a flagged kind is unknown`);
      t.same(tally, { accepted: 1, rejected: 0, unknownKind: 1, rejectedByCode: {} });
    }
  }
});

// The fast payload reader against the reference (msgpackr `unpack` + the payload shape checks +
// readRecord, written out here as the scanner did it before the fast path): seeded random frames,
// FrameBuilder's and hand-made ones in every valid-but-unusual encoding, must give identical
// accepted records (fields, name indexes), identical rejection tallies and identical frame-level
// outcomes. Replay a failure with SW_SEED=<seed>.

import t from 'tap';
import { Unpackr } from 'msgpackr';
import {
  decodeRecords,
  deliverRecords,
  emptyFlowRecord,
  encodeFrames,
  ProtocolErrorCode,
  readRecord,
  scanFrames,
  type DecodedFrame,
  type RecordTally,
  type ResourceIdResolver,
  type ScanOptions,
} from '../src/index.js';
import { concat, prng, randomEvents, testSeed, wrapPayload } from './helpers.js';
import { MsgpackWriter, shortestUintForm, uintForms, type UintForm } from './msgpack-writer.js';

const T0 = 1_764_120_000_000;

// --- the reference ---------------------------------------------------------------------------

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

interface Outcome {
  /** 'payload': the whole frame is rejected (E_PAYLOAD). */
  frame: 'ok' | 'payload';
  records: string[];
  tally: RecordTally | null;
}

/** Serialises a delivered record exactly (a -0 shows as "-0"). */
function show(r: object, nameIndex: number): string {
  return JSON.stringify({ ...r, nameIndex }, (_k, v: unknown) => (Object.is(v, -0) ? '-0' : v));
}

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The reference reading of a payload; with `ids`, of a version 2 payload
 * `[base, epoch, [name | id...], records...]` whose ids `ids` resolves (null: unknown).
 */
function referenceOutcome(payload: Uint8Array, ids?: ResourceIdResolver): Outcome {
  let value: unknown;
  try {
    value = unpackr.unpack(payload);
  } catch {
    return { frame: 'payload', records: [], tally: null };
  }
  const head = ids === undefined ? 2 : 3;
  if (!Array.isArray(value) || value.length < head) return { frame: 'payload', records: [], tally: null };
  const baseTsMs: unknown = value[0];
  const epoch: unknown = ids === undefined ? 0 : value[1];
  const table: unknown = value[head - 1];
  if (typeof baseTsMs !== 'number' || !Number.isSafeInteger(baseTsMs) || baseTsMs < 0) return { frame: 'payload', records: [], tally: null };
  if (!isUint(epoch)) return { frame: 'payload', records: [], tally: null };
  if (!Array.isArray(table) || table.some((n) => typeof n !== 'string' && !(ids !== undefined && isUint(n) && n >= 1))) return { frame: 'payload', records: [], tally: null };
  const names = (table as Array<string | number>).map((n) => (typeof n === 'string' ? n : ids!(epoch, n) || null));
  const tally: RecordTally = { accepted: 0, rejected: 0, unknownKind: 0, rejectedByCode: {} };
  const records: string[] = [];
  const scratch = emptyFlowRecord();
  for (let i = head; i < value.length; i++) {
    const raw = value[i];
    const rejection = readRecord(raw, baseTsMs, names, scratch);
    if (rejection === null) {
      tally.accepted++;
      records.push(show(scratch, (raw as number[])[2]!));
    } else if (rejection === ProtocolErrorCode.UNKNOWN_KIND) tally.unknownKind++;
    else {
      tally.rejected++;
      tally.rejectedByCode[rejection] = (tally.rejectedByCode[rejection] ?? 0) + 1;
    }
  }
  return { frame: 'ok', records, tally };
}

/** What scanFrames + deliverRecords make of one wrapped frame. */
function scannedOutcome(frame: Uint8Array, options: ScanOptions = {}): Outcome & { referenceDecoded: number } {
  // Compared with referenceOutcome's show(): the same fields in the same order.
  const records: string[] = [];
  let tally: RecordTally | null = null;
  const skips: string[] = [];
  const r = scanFrames(
    frame,
    0,
    frame.length,
    {
      frame: (f) => {
        tally = deliverRecords(f, (rec, nameIndex) => records.push(show(rec, nameIndex)));
      },
      skip: (s) => skips.push(`${s.code}@${s.offsetBytes}+${s.lengthBytes}`),
    },
    { final: true, ...options },
  );
  if (r.framesRead === 1 && skips.length === 0) return { frame: 'ok', records, tally, referenceDecoded: r.framesReferenceDecoded };
  if (r.framesRead === 0 && skips.length === 1 && skips[0] === `E_PAYLOAD@0+${frame.length}`) return { frame: 'payload', records, tally, referenceDecoded: 0 };
  throw new Error(`unexpected scan: ${JSON.stringify({ framesRead: r.framesRead, skips })}`);
}

// --- random payloads -------------------------------------------------------------------------

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const chance = (rand: Rand, p: number): boolean => rand() < p;

const enc = new TextEncoder();
const NAME_POOL: Array<string | Uint8Array> = [
  'r',
  'GET /orders',
  '资源-订单',
  'emoji-🚀',
  '',
  'k'.repeat(40),
  'L'.repeat(300),
  'a|b',
  new Uint8Array([0xff, 0x41]), // invalid UTF-8
  new Uint8Array([0xed, 0xa0, 0x80]), // an encoded surrogate
  new Uint8Array([0xc0, 0x80]), // overlong
  new Uint8Array([0xe4, 0xbd]), // truncated sequence
  new Uint8Array([0xef, 0xbb, 0xbf, 0x41]), // BOM + "A"
  new Uint8Array([0xef, 0xbb, 0xbf]), // BOM alone
];

function writeUint(w: MsgpackWriter, rand: Rand, v: number): void {
  w.num(v, chance(rand, 0.6) ? shortestUintForm(v) : pick(rand, uintForms(v)));
}

function writeStr(w: MsgpackWriter, rand: Rand, s: string | Uint8Array): void {
  const length = typeof s === 'string' ? enc.encode(s).length : s.length;
  const forms: Array<'fix' | 's8' | 's16' | 's32'> = length < 32 ? ['fix', 's8', 's16', 's32'] : length < 256 ? ['s8', 's16', 's32'] : ['s16', 's32'];
  w.str(s, chance(rand, 0.7) ? forms[0]! : pick(rand, forms));
}

function writeArrayHeader(w: MsgpackWriter, rand: Rand, n: number): void {
  w.arr(n, n < 16 && chance(rand, 0.85) ? 'fix' : pick(rand, ['a16', 'a32'] as const));
}

/** A value that is (usually) not a valid field: negatives, fractions, -0, huge numbers, strings, nil, arrays, maps, ext… */
function writeOddValue(w: MsgpackWriter, rand: Rand, depth = 0): void {
  const r = rand();
  if (r < 0.12) {
    const v = -1 - Math.floor(rand() * (chance(rand, 0.5) ? 30 : 2 ** 40));
    const forms: UintForm[] = ['f64', 'i64'];
    if (v >= -32) forms.push('fix');
    if (v >= -128) forms.push('i8');
    if (v >= -32768) forms.push('i16');
    if (v >= -(2 ** 31)) forms.push('i32');
    w.num(v, pick(rand, forms));
  } else if (r < 0.2) w.num(pick(rand, [1.5, 0.25, 1e-300, 123456.5]), pick(rand, ['f32', 'f64'] as const));
  else if (r < 0.26) w.num(-0, pick(rand, ['f32', 'f64'] as const));
  else if (r < 0.3) w.num(pick(rand, [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]), pick(rand, ['f32', 'f64'] as const));
  else if (r < 0.36) w.num(pick(rand, [2 ** 53, 2 ** 53 + 2, 2 ** 60, 1e300]), 'f64');
  else if (r < 0.42) w.big(pick(rand, [2n ** 64n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n]), false);
  else if (r < 0.45) w.big(pick(rand, [-(2n ** 63n), -1n, 2n ** 53n + 1n]), true);
  else if (r < 0.55) writeStr(w, rand, pick(rand, NAME_POOL));
  else if (r < 0.62) w.nil();
  else if (r < 0.68) w.bool(chance(rand, 0.5));
  else if (r < 0.74) w.num(pick(rand, [2, 7, 255, 65535, 2 ** 32]), 'f64');
  else if (r < 0.8 && depth < 3) {
    const n = Math.floor(rand() * 4);
    writeArrayHeader(w, rand, n);
    for (let i = 0; i < n; i++) writeOddValue(w, rand, depth + 1);
  } else if (r < 0.83) {
    // Forms the fast path leaves to the reference decoder.
    const u = rand();
    if (u < 0.3) {
      const n = Math.floor(rand() * 3);
      w.map(n);
      for (let i = 0; i < n; i++) {
        writeStr(w, rand, pick(rand, ['a', 'b', 'kind', '__proto__']));
        writeUint(w, rand, Math.floor(rand() * 9));
      }
    } else if (u < 0.5) w.bin(new Uint8Array([1, 2, 3]));
    else if (u < 0.7) w.ext(0xff, new Uint8Array([0x5f, 0x00, 0x00, 0x00])); // timestamp 32
    else if (u < 0.8) w.raw(0xc1);
    else if (u < 0.87) w.ext(0x42, new Uint8Array([1, 2])); // msgpackr's BigInt extension
    else if (u < 0.93) w.ext(0x00, new Uint8Array([0xaa])); // msgpackr's undefined
    else w.ext(0x10, new Uint8Array([1, 2])); // an extension msgpackr does not know: the payload is invalid
  } else writeUint(w, rand, Math.floor(rand() * 300));
}

/** Writes one record; mostly a plausible one with some fields spoiled (`clean`: a valid one, in any unsigned form). */
function writeRecord(w: MsgpackWriter, rand: Rand, nameCount: number, clean: boolean): void {
  if (clean) return writeCleanRecord(w, rand, nameCount);
  const r = rand();
  const index = (): number => (chance(rand, 0.9) ? Math.floor(rand() * Math.max(1, nameCount)) : nameCount + Math.floor(rand() * 3));
  if (r < 0.8) {
    const kind = pick(rand, [0, 1, 2, 3, 8, 3, 3, 1]);
    const fields: Array<() => void> = [];
    const uint = (v: number) => () => writeUint(w, rand, v);
    const err = () => () => (chance(rand, 0.8) ? w.bool(chance(rand, 0.2)) : writeUint(w, rand, Math.floor(rand() * 2)));
    fields.push(uint(kind), uint(Math.floor(rand() * (chance(rand, 0.1) ? 2 ** 40 : 300))), uint(index()));
    if (kind === 0 || kind === 1) {
      const extra = Math.floor(rand() * 3);
      if (extra >= 1) fields.push(uint(Math.floor(rand() * (chance(rand, 0.1) ? 1 : 70_000))));
      if (extra >= 2) fields.push(uint(index()));
    } else if (kind === 2) {
      fields.push(uint(Math.floor(rand() * 100_000)), err());
      const extra = Math.floor(rand() * 3);
      if (extra >= 1) fields.push(uint(Math.floor(rand() * (chance(rand, 0.1) ? 1 : 70_000))));
      if (extra >= 2) fields.push(uint(index()));
    } else if (kind === 3) {
      fields.push(uint(Math.floor(rand() * 100_000)), err());
      if (chance(rand, 0.3)) fields.push(uint(index()));
    } else {
      fields.push(uint(Math.floor(rand() * 1000)), uint(Math.floor(rand() * 10)));
    }
    // Spoil a field, drop one, or add one now and then.
    if (chance(rand, 0.25)) fields[Math.floor(rand() * fields.length)] = () => writeOddValue(w, rand);
    if (chance(rand, 0.05)) fields.pop();
    if (chance(rand, 0.05)) fields.push(() => writeOddValue(w, rand));
    writeArrayHeader(w, rand, fields.length);
    for (const f of fields) f();
  } else if (r < 0.9) {
    const n = Math.floor(rand() * 10);
    writeArrayHeader(w, rand, n);
    for (let i = 0; i < n; i++) {
      if (i === 0 && chance(rand, 0.6)) writeUint(w, rand, pick(rand, [0, 1, 2, 3, 8]));
      else if (chance(rand, 0.5)) writeUint(w, rand, Math.floor(rand() * (nameCount + 2)));
      else writeOddValue(w, rand);
    }
  } else if (r < 0.95) {
    const n = 1 + Math.floor(rand() * 8);
    writeArrayHeader(w, rand, n);
    writeUint(w, rand, pick(rand, [4, 5, 7, 9, 99, 255, 1000, 2 ** 40]));
    for (let i = 1; i < n; i++) (chance(rand, 0.5) ? writeUint(w, rand, Math.floor(rand() * 5)) : writeOddValue(w, rand));
  } else {
    writeOddValue(w, rand);
  }
}

/** A valid record (names must not be empty): kind as a fixint, numbers in unsigned forms or float64, error a boolean. */
function writeCleanRecord(w: MsgpackWriter, rand: Rand, nameCount: number): void {
  const kind = pick(rand, [0, 1, 2, 3, 8]);
  const unsignedForms = (v: number) => uintForms(v).filter((f) => f === 'f64' || f === 'fix' || f.startsWith('u'));
  const uint = (v: number) => () => w.num(v, chance(rand, 0.6) ? shortestUintForm(v) : pick(rand, unsignedForms(v)));
  const index = () => uint(Math.floor(rand() * nameCount));
  const fields: Array<() => void> = [() => w.num(kind, 'fix'), uint(Math.floor(rand() * (chance(rand, 0.1) ? 2 ** 40 : 300))), index()];
  const count = () => uint(1 + Math.floor(rand() * (chance(rand, 0.5) ? 3 : 2 ** 33)));
  const extra = Math.floor(rand() * 3);
  if (kind === 0 || kind === 1) {
    if (extra >= 1) fields.push(count());
    if (extra >= 2) fields.push(index());
  } else if (kind === 2 || kind === 3) {
    fields.push(uint(Math.floor(rand() * 100_000)), () => w.bool(chance(rand, 0.2)));
    if (kind === 2 && extra >= 1) fields.push(count());
    if (extra >= (kind === 2 ? 2 : 1)) fields.push(index());
  } else {
    fields.push(uint(Math.floor(rand() * 1000)), uint(Math.floor(rand() * 10)));
  }
  w.arr(fields.length, 'fix');
  for (const f of fields) f();
}

/** A random hand-made payload: mostly `[base, [names], records...]`, sometimes broken as a whole. */
function randomPayload(rand: Rand): Uint8Array {
  const w = new MsgpackWriter();
  const r = rand();
  if (r < 0.03) {
    writeOddValue(w, rand); // not an array at all
    return w.finish();
  }
  // A third of the payloads hold only valid records (with non-empty names), the fast path's case.
  const clean = chance(rand, 0.33);
  const names: Array<string | Uint8Array> = [];
  const nameCount = clean ? 1 + Math.floor(rand() * 7) : Math.floor(rand() * 8);
  const namePool = NAME_POOL.slice(0, 8).filter((n) => n !== ''); // well-formed, non-empty
  for (let i = 0; i < nameCount; i++) names.push(clean ? pick(rand, namePool) : chance(rand, 0.85) ? pick(rand, NAME_POOL.slice(0, 8)) : pick(rand, NAME_POOL));
  const recordCount = Math.floor(rand() * 12);
  const short = r < 0.05;
  writeArrayHeader(w, rand, short ? Math.floor(rand() * 2) : 2 + recordCount);
  if (short && rand() < 0.5) return w.finish();
  // base time
  const b = rand();
  if (b < 0.85) writeUint(w, rand, T0 + Math.floor(rand() * 1000));
  else if (b < 0.9) writeUint(w, rand, pick(rand, [0, 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 100]));
  else if (b < 0.97 || short) writeOddValue(w, rand);
  else writeUint(w, rand, 2 ** 32);
  if (short) return w.finish();
  // name table
  if (chance(rand, 0.03)) writeOddValue(w, rand);
  else {
    writeArrayHeader(w, rand, names.length);
    for (const n of names) {
      if (chance(rand, 0.02)) writeOddValue(w, rand);
      else writeStr(w, rand, n);
    }
  }
  for (let i = 0; i < recordCount; i++) writeRecord(w, rand, nameCount, clean);
  const out = w.finish();
  const tail = rand();
  if (tail < 0.02) return concat([out, new Uint8Array([0x00])]); // trailing byte
  if (tail < 0.04 && out.length > 1) return out.subarray(0, out.length - 1 - Math.floor(rand() * Math.min(5, out.length - 1))); // truncated
  return out;
}

// --- tests -----------------------------------------------------------------------------------

t.test('property: hand-made payloads in every encoding decode exactly as msgpackr + readRecord do', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const frames: Uint8Array[] = [];
  const expected: Outcome[] = [];
  let fastFrames = 0;
  const fastCodes: Record<string, number> = {};
  const referenceCodes: Record<string, number> = {};
  let mismatches = 0;
  for (let i = 0; i < 4000 && mismatches < 5; i++) {
    const payload = randomPayload(rand);
    if (payload.length === 0 || payload.length > 4088) continue;
    const frame = wrapPayload(payload);
    const want = referenceOutcome(payload);
    const fast = scannedOutcome(frame);
    const ref = scannedOutcome(frame, { decoder: 'reference' });
    // Compared as JSON, tallies with their codes in a fixed order.
    const key = (o: Outcome): string => JSON.stringify([o.frame, o.records, o.tally === null ? null : tallyKey(o.tally)]);
    if (key(fast) !== key(want)) {
      mismatches++;
      t.fail(`frame ${i}: fast ${key(fast)} != reference ${key(want)}; payload ${hex(payload)}`);
    }
    if (key(ref) !== key(want)) {
      mismatches++;
      t.fail(`frame ${i}: decoder 'reference' ${key(ref)} != reference ${key(want)}; payload ${hex(payload)}`);
    }
    if (want.frame === 'ok') {
      const counts = fast.referenceDecoded === 0 ? fastCodes : referenceCodes;
      if (fast.referenceDecoded === 0) fastFrames++;
      for (const [code, n] of Object.entries(want.tally!.rejectedByCode)) counts[code] = (counts[code] ?? 0) + n;
      counts.E_UNKNOWN_KIND = (counts.E_UNKNOWN_KIND ?? 0) + want.tally!.unknownKind;
      counts.accepted = (counts.accepted ?? 0) + want.tally!.accepted;
    }
    frames.push(frame);
    expected.push(want);
  }
  t.equal(mismatches, 0, 'every frame decodes the same way on both paths');
  t.comment(`${frames.length} frames, ${fastFrames} read by the fast path; its records: ${JSON.stringify(fastCodes)}; the reference decoder's: ${JSON.stringify(referenceCodes)}`);
  // The fast path reads only frames whose records are all valid; every rejection is readRecord's.
  t.ok(fastFrames > frames.length / 10, 'many hand-made frames are read by the fast path');
  t.ok((fastCodes.accepted ?? 0) > 100, 'the fast path accepted many records');
  t.same(Object.keys(fastCodes).filter((code) => code !== 'accepted' && fastCodes[code] !== 0), [], 'the fast path rejected nothing');
  for (const code of ['accepted', 'E_RECORD_SHAPE', 'E_RECORD_VALUE', 'E_NAME_INDEX', 'E_UNKNOWN_KIND']) {
    t.ok((referenceCodes[code] ?? 0) > 20, `the reference decoder decided ${code} for many records`);
  }

  // All frames in one stream (scratch reused frame after frame): the same records and tallies in order.
  const stream = concat(frames);
  const got: string[] = [];
  const gotTallies: string[] = [];
  let payloadSkips = 0;
  scanFrames(
    stream,
    0,
    stream.length,
    {
      frame: (f) => gotTallies.push(tallyKey(deliverRecords(f, (rec, nameIndex) => got.push(show(rec, nameIndex))))),
      skip: (s) => {
        if (s.code === 'E_PAYLOAD') payloadSkips++;
      },
    },
    { final: true },
  );
  t.same(got, expected.flatMap((o) => o.records), 'one stream: the same records in order');
  t.same(gotTallies, expected.filter((o) => o.frame === 'ok').map((o) => tallyKey(o.tally!)), 'one stream: the same tallies');
  t.equal(payloadSkips, expected.filter((o) => o.frame === 'payload').length, 'one stream: the same frames rejected whole');
});

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) as T;
}

function tallyKey(x: RecordTally): string {
  return JSON.stringify({ ...x, rejectedByCode: sortKeys(x.rejectedByCode) });
}

t.test('property: FrameBuilder frames are all read by the fast path, with the reference results', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const events = randomEvents(rand, 3000);
  const frames = encodeFrames(events, { maxFrameBytes: 200 + Math.floor(rand() * 3896) });
  const stream = concat(frames);
  let referenceDecoded = 0;
  const got: string[] = [];
  const r = scanFrames(stream, 0, stream.length, { frame: (f) => void deliverRecords(f, (rec, i) => got.push(show(rec, i))) }, { final: true });
  referenceDecoded += r.framesReferenceDecoded;
  const want = frames.flatMap((f) => referenceOutcome(f.subarray(8)).records);
  t.equal(referenceDecoded, 0, 'no frame needed the reference decoder');
  t.equal(got.length, events.length);
  t.same(got, want);
});

t.test('integers in any form, floats holding integers, and long forms of short things are accepted', async (t) => {
  const forms: UintForm[] = ['fix', 'u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64', 'f32', 'f64'];
  for (const form of forms) {
    const w = new MsgpackWriter().arr(4, 'a16').num(T0, 'f64').arr(1, 'a32').str('r', 's32');
    // CALL [3, dt 5, name 0, rt 7, error 1] with every number in `form`, and a PASS in array32.
    w.arr(5, 'fix').num(3, form).num(5, form).num(0, form).num(7, form).num(1, form);
    w.arr(3, 'a32').num(0, form).num(6, form).num(0, form);
    const payload = w.finish();
    const fast = scannedOutcome(wrapPayload(payload));
    // The fast path reads FrameBuilder's forms (unsigned integers); the error field as an integer
    // and the other number forms go to the reference decoder.
    t.same(fast, { ...referenceOutcome(payload), referenceDecoded: 1 }, `form ${form}`);
    t.equal(fast.tally?.accepted, 2, `form ${form}: both accepted`);
  }
});

t.test('the fast path reads valid records whose numbers are in any unsigned form or float64; the rest go to the reference decoder', async (t) => {
  const fast: UintForm[] = ['fix', 'u8', 'u16', 'u32', 'u64', 'f64'];
  const forms: UintForm[] = [...fast, 'i8', 'i16', 'i32', 'i64', 'f32'];
  for (const form of forms) {
    const w = new MsgpackWriter().arr(5, 'a16').num(T0, form === 'u64' ? 'u64' : 'f64').arr(2, 'fix').str('r', 'fix').str('o', 'fix');
    // CALL [3, dt 5, name 0, rt 7, true], EXIT [2, dt 6, name 0, rt 300, false, count 2, origin 1], PASS [0, dt 6, name 0, count 3]
    w.arr(5, 'fix').num(3, 'fix').num(5, form).num(0, form).num(7, form).bool(true);
    w.arr(7, 'fix').num(2, 'fix').num(6, form).num(0, form).num(form === 'fix' ? 100 : 300, form).bool(false).num(2, form).num(1, form);
    w.arr(4, 'fix').num(0, 'fix').num(6, form).num(0, form).num(3, form);
    const payload = w.finish();
    const got = scannedOutcome(wrapPayload(payload));
    t.same(got, { ...referenceOutcome(payload), referenceDecoded: fast.includes(form) ? 0 : 1 }, `form ${form}`);
    t.equal(got.tally?.accepted, 3, `form ${form}: all accepted`);
  }
  // One invalid record (count 0) sends the whole frame to the reference decoder, which rejects just it.
  const w = new MsgpackWriter().arr(4, 'fix').num(T0, 'f64').arr(1, 'fix').str('r', 'fix');
  w.arr(4, 'fix').num(0, 'fix').num(1, 'fix').num(0, 'fix').num(0, 'fix');
  w.arr(3, 'fix').num(1, 'fix').num(2, 'fix').num(0, 'fix');
  const payload = w.finish();
  const got = scannedOutcome(wrapPayload(payload));
  t.same(got, { ...referenceOutcome(payload), referenceDecoded: 1 });
  t.same(got.tally, { accepted: 1, rejected: 1, unknownKind: 0, rejectedByCode: { E_RECORD_VALUE: 1 } });
});

/** A payload of CALLs in six bytes each ([3, dt, name index, rt, error], numbers as fixints) over `names`, its base time in `baseForm`. */
function sixByteCalls(baseTsMs: number, baseForm: UintForm, names: string[], calls: Array<[dtMs: number, nameIdx: number, rtMs: number, error: boolean]>): Uint8Array {
  const w = new MsgpackWriter().arr(2 + calls.length, 'fix').num(baseTsMs, baseForm).arr(names.length, 'fix');
  for (const name of names) w.str(name, 'fix');
  for (const [dtMs, nameIdx, rtMs, error] of calls) w.arr(5, 'fix').num(3, 'fix').num(dtMs, 'fix').num(nameIdx, 'fix').num(rtMs, 'fix').bool(error);
  return w.finish();
}

t.test('six-byte CALLs: a time past the largest safe integer and an empty name are rejected as readRecord rejects them', async (t) => {
  // Base time MAX_SAFE - 3: CALL dt 3 is the last safe millisecond, CALL dt 4 is past it.
  const p1 = sixByteCalls(Number.MAX_SAFE_INTEGER - 3, 'u64', ['r'], [[3, 0, 7, false], [4, 0, 7, true]]);
  const o1 = scannedOutcome(wrapPayload(p1));
  t.same(o1, { ...referenceOutcome(p1), referenceDecoded: 1 });
  t.same(o1.tally, { accepted: 1, rejected: 1, unknownKind: 0, rejectedByCode: { E_RECORD_VALUE: 1 } });
  t.equal(JSON.parse(o1.records[0]!).tsMs, Number.MAX_SAFE_INTEGER);
  // A CALL naming an empty name (index 1) beside one naming 'r'.
  const p2 = sixByteCalls(T0, 'f64', ['r', ''], [[1, 0, 2, false], [1, 1, 2, false]]);
  const o2 = scannedOutcome(wrapPayload(p2));
  t.same(o2, { ...referenceOutcome(p2), referenceDecoded: 1 });
  t.same(o2.tally, { accepted: 1, rejected: 1, unknownKind: 0, rejectedByCode: { E_RECORD_VALUE: 1 } });
  // The same CALLs with valid fields are read by the fast path.
  const p3 = sixByteCalls(T0, 'f64', ['r'], [[127, 0, 127, true], [0, 0, 0, false]]);
  const o3 = scannedOutcome(wrapPayload(p3));
  t.same(o3, { ...referenceOutcome(p3), referenceDecoded: 0 });
  t.equal(o3.tally?.accepted, 2);
});

t.test('names: only used names are decoded; an undecodable used name leaves the frame to the reference decoder', async (t) => {
  const bad = new Uint8Array([0xff, 0x41]);
  const unused = new MsgpackWriter().arr(3, 'fix').num(T0, 'f64').arr(2, 'fix').str('r', 'fix').str(bad, 'fix');
  unused.arr(3, 'fix').num(0, 'fix').num(0, 'fix').num(0, 'fix');
  const p1 = unused.finish();
  const o1 = scannedOutcome(wrapPayload(p1));
  t.equal(o1.referenceDecoded, 0, 'an unused bad name does not matter');
  t.same(o1, { ...referenceOutcome(p1), referenceDecoded: 0 });
  for (const name of [bad, new Uint8Array([0xef, 0xbb, 0xbf, 0x41])]) {
    const used = new MsgpackWriter().arr(3, 'fix').num(T0, 'f64').arr(2, 'fix').str('r', 'fix').str(name, 'fix');
    used.arr(3, 'fix').num(0, 'fix').num(0, 'fix').num(1, 'fix');
    const p2 = used.finish();
    const o2 = scannedOutcome(wrapPayload(p2));
    t.equal(o2.referenceDecoded, 1, 'a used undecodable name goes to the reference decoder');
    t.same(o2, { ...referenceOutcome(p2), referenceDecoded: 1 });
  }
});

t.test('a frame is readable only inside its callback; payload and names decode lazily there', async (t) => {
  const frame = encodeFrames([{ kind: 3, tsMs: T0, name: 'r', rtMs: 1, error: false }])[0]!;
  let kept: DecodedFrame | undefined;
  scanFrames(frame, 0, frame.length, {
    frame: (f) => {
      kept = f;
      t.same(f.names, ['r']);
      t.same(f.payload, unpackr.unpack(frame.subarray(8)));
    },
  });
  t.throws(() => decodeRecords(kept!, () => undefined), /only inside the visitor callback/);
  // A frame read by the reference decoder keeps its payload.
  scanFrames(frame, 0, frame.length, { frame: (f) => (kept = f) }, { decoder: 'reference' });
  t.equal(decodeRecords(kept!, () => undefined).accepted, 1);
});

t.test('a visitor may scan other bytes while handling a frame (re-entrant scratch)', async (t) => {
  const outer = encodeFrames([
    { kind: 3, tsMs: T0, name: 'outer', rtMs: 1, error: false },
    { kind: 1, tsMs: T0 + 1, name: 'outer2', count: 2 },
  ])[0]!;
  const inner = encodeFrames([{ kind: 0, tsMs: T0 + 5, name: 'inner', count: 3 }])[0]!;
  const names: string[] = [];
  scanFrames(outer, 0, outer.length, {
    frame: (f) => {
      scanFrames(inner, 0, inner.length, { frame: (g) => void decodeRecords(g, (r) => names.push(r.name)) });
      decodeRecords(f, (r) => names.push(r.name));
    },
  });
  t.same(names, ['inner', 'outer', 'outer2']);
});

// --- version 2: name tables with resource ids ---------------------------------------------------

const V2_EPOCH = 1_806_458_880_000_512;
/** The reader's table: ids 1..40 of V2_EPOCH are known, except multiples of 7; other epochs unknown. */
const v2Table: ResourceIdResolver = (epoch, id) => (epoch === V2_EPOCH && id <= 40 && id % 7 !== 0 ? `res#${id}` : null);

/** A random version 2 payload: `[base, epoch, [name | id...], records...]`, sometimes broken as a whole. */
function randomPayloadV2(rand: Rand): Uint8Array {
  const w = new MsgpackWriter();
  if (chance(rand, 0.03)) {
    writeOddValue(w, rand);
    return w.finish();
  }
  const clean = chance(rand, 0.4);
  const nameCount = clean ? 1 + Math.floor(rand() * 7) : Math.floor(rand() * 8);
  const recordCount = Math.floor(rand() * 12);
  const short = chance(rand, 0.04);
  writeArrayHeader(w, rand, short ? Math.floor(rand() * 3) : 3 + recordCount);
  if (short) return w.finish();
  writeUint(w, rand, T0 + Math.floor(rand() * 1000));
  // the epoch: mostly the known one, sometimes another, now and then not an epoch at all
  const e = rand();
  if (e < 0.8) writeUint(w, rand, V2_EPOCH);
  else if (e < 0.93) writeUint(w, rand, pick(rand, [0, 1, V2_EPOCH + 1, 2 ** 32]));
  else writeOddValue(w, rand);
  writeArrayHeader(w, rand, nameCount);
  const namePool = NAME_POOL.slice(0, 8).filter((n) => n !== '');
  for (let i = 0; i < nameCount; i++) {
    const r = rand();
    if (r < 0.5) writeUint(w, rand, clean ? pick(rand, [1, 2, 3, 5, 8, 13, 40]) : 1 + Math.floor(rand() * 50)); // an id, known or not
    else if (r < 0.9 || clean) writeStr(w, rand, pick(rand, namePool));
    else if (r < 0.95) writeUint(w, rand, 0); // id 0: invalid
    else writeOddValue(w, rand);
  }
  for (let i = 0; i < recordCount; i++) writeRecord(w, rand, nameCount, clean);
  return w.finish();
}

t.test('property: version 2 payloads (ids in the name table) decode exactly as msgpackr + readRecord with the id table do', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  let mismatches = 0;
  let fastFrames = 0;
  const codes: Record<string, number> = {};
  const frames: Uint8Array[] = [];
  const expected: Outcome[] = [];
  for (let i = 0; i < 3000 && mismatches < 5; i++) {
    const payload = randomPayloadV2(rand);
    if (payload.length === 0 || payload.length > 4088) continue;
    const frame = wrapPayload(payload, 2);
    const want = referenceOutcome(payload, v2Table);
    const key = (o: Outcome): string => JSON.stringify([o.frame, o.records, o.tally === null ? null : tallyKey(o.tally)]);
    for (const decoder of ['fast', 'reference'] as const) {
      const got = scannedOutcome(frame, { decoder, resolveId: v2Table });
      if (key(got) !== key(want)) {
        mismatches++;
        t.fail(`frame ${i} (${decoder}): ${key(got)} != reference ${key(want)}; payload ${hex(payload)}`);
      }
      if (decoder === 'fast' && want.frame === 'ok' && got.referenceDecoded === 0) fastFrames++;
    }
    if (want.frame === 'ok') {
      for (const [code, n] of Object.entries(want.tally!.rejectedByCode)) codes[code] = (codes[code] ?? 0) + n;
      codes.accepted = (codes.accepted ?? 0) + want.tally!.accepted;
    } else codes.payload = (codes.payload ?? 0) + 1;
    frames.push(frame);
    expected.push(want);
  }
  t.equal(mismatches, 0, 'every version 2 frame decodes the same way on both paths');
  t.comment(`${frames.length} frames, ${fastFrames} read by the fast path; outcomes ${JSON.stringify(codes)}`);
  t.ok(fastFrames > frames.length / 10, 'many version 2 frames are read by the fast path');
  for (const code of ['accepted', 'payload', 'E_RESOURCE_ID', 'E_RECORD_VALUE', 'E_NAME_INDEX']) t.ok((codes[code] ?? 0) > 20, `many outcomes ${code}`);
  // Versions 1 and 2 interleaved in one stream: the same records and tallies in order.
  const v1 = Array.from({ length: 200 }, () => wrapPayload(randomPayload(rand))).filter((f) => f.length > 8 && f.length <= 4096);
  const mixed: Uint8Array[] = [];
  const mixedWant: Outcome[] = [];
  frames.forEach((f, i) => {
    mixed.push(f);
    mixedWant.push(expected[i]!);
    const one = v1[i % v1.length]!;
    if (i % 5 === 0) {
      mixed.push(one);
      mixedWant.push(referenceOutcome(one.subarray(8)));
    }
  });
  const stream = concat(mixed);
  const got: string[] = [];
  scanFrames(stream, 0, stream.length, { frame: (f) => void deliverRecords(f, (rec, nameIndex) => got.push(show(rec, nameIndex))) }, { final: true, resolveId: v2Table });
  t.same(got, mixedWant.flatMap((o) => o.records), 'one stream of both versions: the same records in order');
});

import t from 'tap';
import { pack } from 'msgpackr';
import {
  decodeRecords,
  deliverRecords,
  encodeFrames,
  frameColumns,
  RecordKind,
  scanFrames,
  toFlowEvent,
  type DecodedFrame,
  type FlowEvent,
  type FlowRecord,
  type ScanOptions,
  type ScanSkip,
} from '../src/index.js';
import { nodeCrc32 } from '../src/node/index.js';
import { concat, frameOf, normalise, prng, randomEvents, testSeed, wrapPayload } from './helpers.js';

const T0 = 1_764_120_000_000;

interface Scanned {
  events: FlowEvent[];
  skips: ScanSkip[];
  nextOffset: number;
  incomplete: boolean;
  framesRead: number;
  bytesSkipped: number;
}

function scan(bytes: Uint8Array, options: ScanOptions = {}): Scanned {
  const events: FlowEvent[] = [];
  const skips: ScanSkip[] = [];
  const r = scanFrames(
    bytes,
    0,
    bytes.length,
    { frame: (f) => void decodeRecords(f, (rec) => events.push(toFlowEvent(rec))), skip: (s) => skips.push(s) },
    options,
  );
  return { events, skips, nextOffset: r.nextOffset, incomplete: r.incomplete, framesRead: r.framesRead, bytesSkipped: r.bytesSkipped };
}

function threeFrames(): { bytes: Uint8Array; frames: Uint8Array[]; perFrame: FlowEvent[][] } {
  const perFrame: FlowEvent[][] = [
    [{ kind: RecordKind.CALL, tsMs: T0, name: 'first', rtMs: 1, error: false }],
    [
      { kind: RecordKind.PASS, tsMs: T0 + 10, name: 'second', count: 2, origin: 'o' },
      { kind: RecordKind.EXIT, tsMs: T0 + 20, name: 'second', rtMs: 9, error: true, count: 2, origin: 'o' },
    ],
    [{ kind: RecordKind.BLOCK, tsMs: T0 + 30, name: 'third', count: 1 }],
  ];
  const frames = perFrame.map((events) => encodeFrames(events)[0]!);
  return { bytes: concat(frames), frames, perFrame };
}

t.test('every truncation length of a frame: live waits, sealed skips the tail as truncated', async (t) => {
  const { frames, perFrame } = threeFrames();
  const whole = concat([frames[0]!, frames[1]!]);
  for (let cut = frames[0]!.length; cut < whole.length; cut++) {
    const bytes = whole.subarray(0, cut);
    const live = scan(bytes);
    t.same(live.events, perFrame[0], `live, cut ${cut}: first frame counted`);
    t.equal(live.skips.length, 0, `live, cut ${cut}: nothing skipped`);
    t.equal(live.nextOffset, frames[0]!.length, `live, cut ${cut}: resume at the incomplete frame`);
    t.equal(live.incomplete, cut > frames[0]!.length);
    const sealed = scan(bytes, { final: true });
    t.same(sealed.events, perFrame[0]);
    if (cut > frames[0]!.length) {
      t.same(sealed.skips, [{ offsetBytes: frames[0]!.length, lengthBytes: cut - frames[0]!.length, code: 'E_TRUNCATED' }]);
    }
    t.equal(sealed.nextOffset, cut);
  }
});

t.test('byte-at-a-time feeding counts every record exactly once', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const events = randomEvents(prng(seed), 400);
  const stream = concat(encodeFrames(events));
  const got: FlowEvent[] = [];
  let offset = 0;
  for (let end = 1; end <= stream.length; end++) {
    const r = scanFrames(stream, offset, end, { frame: (f) => void decodeRecords(f, (rec) => got.push(toFlowEvent(rec))) });
    t.equal(r.bytesSkipped, 0);
    if (r.bytesSkipped !== 0) break;
    offset = r.nextOffset;
  }
  t.equal(offset, stream.length);
  t.same(got, events.map(normalise));
});

t.test('a flipped bit anywhere in a frame loses that frame only, and the damage is reported', async (t) => {
  const { bytes, frames, perFrame } = threeFrames();
  const start = frames[0]!.length;
  const end = start + frames[1]!.length;
  let checked = 0;
  for (let i = start; i < end; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const damaged = bytes.slice();
      damaged[i]! ^= 1 << bit;
      const r = scan(damaged, { final: true });
      const ok = JSON.stringify(r.events) === JSON.stringify([...perFrame[0]!, ...perFrame[2]!]);
      const skippedMiddle = r.skips.length === 1 && r.skips[0]!.offsetBytes === start && r.skips[0]!.lengthBytes === frames[1]!.length;
      if (!ok || !skippedMiddle) {
        t.fail(`bit ${bit} of byte ${i}: ${JSON.stringify(r.events)} ${JSON.stringify(r.skips)}`);
        return;
      }
      checked++;
    }
  }
  t.equal(checked, frames[1]!.length * 8, 'every bit of the middle frame checked');
});

t.test('the reason of a damaged header is reported with a stable code', async (t) => {
  const { bytes, frames } = threeFrames();
  const at = frames[0]!.length;
  const cases: Array<[number, number, string]> = [
    [at, 0x00, 'E_MARKER'],
    [at + 1, 0x04, 'E_VERSION'],
    [at + 2, 0x00, 'E_LENGTH'], // with byte 3 = 0 too: length 0
    [at + 8, bytes[at + 8]! ^ 0xff, 'E_CRC'],
  ];
  for (const [index, value, code] of cases) {
    const damaged = bytes.slice();
    damaged[index] = value;
    if (code === 'E_LENGTH') damaged[index + 1] = 0;
    const r = scan(damaged, { final: true });
    t.equal(r.skips[0]?.code, code, code);
    t.equal(r.events.length, 2, `${code}: the other two frames still count`);
  }
  const tooLong = bytes.slice();
  tooLong[at + 2] = 0xff;
  tooLong[at + 3] = 0xff;
  t.equal(scan(tooLong, { final: true }).skips[0]?.code, 'E_LENGTH', 'length over 4088');
});

t.test('garbage between frames is skipped and counted to the byte', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const events = randomEvents(rand, 300);
  const frames = encodeFrames(events, { maxFrameBytes: 200 });
  const parts: Uint8Array[] = [];
  let garbageBytes = 0;
  let runs = 0;
  for (const f of frames) {
    if (rand() < 0.5) {
      const g = new Uint8Array(1 + Math.floor(rand() * 40)).map(() => (rand() < 0.2 ? 0xc1 : Math.floor(rand() * 256)));
      parts.push(g);
      garbageBytes += g.length;
      runs++;
    }
    parts.push(f);
  }
  const r = scan(concat(parts), { final: true, crc32: nodeCrc32 });
  t.same(r.events, events.map(normalise));
  t.equal(r.bytesSkipped, garbageBytes);
  t.equal(r.skips.length, runs);
  t.equal(r.framesRead, frames.length);
});

t.test('offsets are reported relative to baseOffset', async (t) => {
  const { bytes, frames } = threeFrames();
  const offsets: number[] = [];
  const noisy = concat([new Uint8Array([1, 2, 3]), bytes]);
  const skips: ScanSkip[] = [];
  const r = scanFrames(noisy, 0, noisy.length, { frame: (f) => offsets.push(f.offsetBytes), skip: (s) => skips.push(s) }, { baseOffset: 1000 });
  t.same(offsets, [1003, 1003 + frames[0]!.length, 1003 + frames[0]!.length + frames[1]!.length]);
  t.same(skips, [{ offsetBytes: 1000, lengthBytes: 3, code: 'E_MARKER' }]);
  t.equal(r.nextOffset, 1000 + noisy.length);
});

t.test('a payload that is not [uint, [string...], ...] rejects the whole frame', async (t) => {
  const good = encodeFrames([{ kind: RecordKind.PASS, tsMs: T0, name: 'r' }])[0]!;
  const bad = [
    frameOf({ not: 'an array' }),
    frameOf([T0]),
    frameOf([-5, ['r'], [0, 0, 0]]),
    frameOf([1.5, ['r'], [0, 0, 0]]),
    frameOf(['x', ['r'], [0, 0, 0]]),
    frameOf([T0, 'r', [0, 0, 0]]),
    frameOf([T0, ['r', 7], [0, 0, 0]]),
    wrapPayload(new Uint8Array([0x93, 0x01])), // truncated msgpack inside a valid CRC
    wrapPayload(concat([pack([T0, ['r'], [0, 0, 0]]), new Uint8Array([0x00])])), // trailing bytes
  ];
  for (const frame of bad) {
    const r = scan(concat([frame, good]), { final: true });
    t.same(r.skips, [{ offsetBytes: 0, lengthBytes: frame.length, code: 'E_PAYLOAD' }]);
    t.equal(r.events.length, 1, 'the following frame still counts');
  }
});

t.test('invalid records are rejected and counted; the rest of the frame counts; unknown kinds are skipped', async (t) => {
  const names = ['r', 'o'];
  const records: Array<[unknown, string | null]> = [
    [[0, 0, 0], null],
    [[0, 0, 0, 2, 1], null],
    [[2, 1, 0, 10, true], null],
    [[2, 1, 0, 10, 1, 3], null],
    [[3, 2, 0, 10, 0, 1], null],
    [[8, 3, 0, 4, 5], null],
    [[0, 0, 2], 'E_NAME_INDEX'],
    [[0, 0, 0, 1, 9], 'E_NAME_INDEX'],
    [[0, -1, 0], 'E_RECORD_VALUE'],
    [[0, 0, 0, 0], 'E_RECORD_VALUE'],
    [[0, 0, 0, -2], 'E_RECORD_VALUE'],
    [[1, 0, 0, 1.5], 'E_RECORD_VALUE'],
    [[2, 0, 0, -1, false], 'E_RECORD_VALUE'],
    [[2, 0, 0, 1.5, false], 'E_RECORD_VALUE'],
    [[2, 0, 0, 1, 'yes'], 'E_RECORD_VALUE'],
    [[3, 0, 'r', 1, false], 'E_RECORD_VALUE'],
    [[0, 0], 'E_RECORD_SHAPE'],
    [[2, 0, 0, 1], 'E_RECORD_SHAPE'],
    [[3, 0, 0, 1, false, 1, 1], 'E_RECORD_SHAPE'],
    [[8, 0, 0, 1], 'E_RECORD_SHAPE'],
    [[], 'E_RECORD_SHAPE'],
    ['string', 'E_RECORD_SHAPE'],
    [{ k: 1 }, 'E_RECORD_SHAPE'],
    [[-1, 0, 0], 'E_RECORD_SHAPE'],
    [[4, 0, 0, 'future'], 'E_UNKNOWN_KIND'],
    [[99], 'E_UNKNOWN_KIND'],
  ];
  const frame = frameOf([T0, names, ...records.map(([r]) => r)]);
  const accepted: FlowEvent[] = [];
  let tally;
  scanFrames(frame, 0, frame.length, { frame: (f) => (tally = decodeRecords(f, (r) => accepted.push(toFlowEvent(r)))) });
  const expectValid = records.filter(([, code]) => code === null).length;
  t.equal(accepted.length, expectValid);
  const byCode: Record<string, number> = {};
  for (const [, code] of records) if (code !== null && code !== 'E_UNKNOWN_KIND') byCode[code] = (byCode[code] ?? 0) + 1;
  t.same(tally, {
    accepted: expectValid,
    rejected: records.filter(([, c]) => c !== null && c !== 'E_UNKNOWN_KIND').length,
    unknownKind: 2,
    rejectedByCode: byCode,
  });
  t.same(accepted[1], { kind: RecordKind.PASS, tsMs: T0, name: 'r', count: 2, origin: 'o' });
  t.same(accepted[5], { kind: RecordKind.WRITER, tsMs: T0 + 3, name: 'r', droppedRecords: 4, droppedFrames: 5 });
});

t.test('property: random events, frame sizes and chunking — every record decodes exactly once', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  for (let round = 0; round < 30; round++) {
    const events = randomEvents(rand, 1 + Math.floor(rand() * 300));
    const frames = encodeFrames(events, { maxFrameBytes: 160 + Math.floor(rand() * 3936) });
    const stream = concat(frames);
    // Feed in random chunk sizes, as a tailer would.
    const got: FlowEvent[] = [];
    let offset = 0;
    let end = 0;
    while (end < stream.length) {
      end = Math.min(stream.length, end + 1 + Math.floor(rand() * 5000));
      const r = scanFrames(stream, offset, end, { frame: (f) => void decodeRecords(f, (rec) => got.push(toFlowEvent(rec))) });
      offset = r.nextOffset;
    }
    t.same(got, events.map(normalise), `round ${round}`);
  }
});

t.test('frameColumns: the records of a fast-path frame as columns, the same as deliverRecords gives; null for a reference-decoded frame', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const events = randomEvents(rand, 500);
  const stream = concat(encodeFrames(events, { maxFrameBytes: 600 }));
  const fromColumns: FlowRecord[] = [];
  const fromRecords: FlowRecord[] = [];
  let kept: DecodedFrame | null = null;
  scanFrames(stream, 0, stream.length, {
    frame: (f) => {
      const c = frameColumns(f);
      if (c === null) throw new Error('an encoder frame went to the reference decoder');
      for (let i = 0; i < c.accepted; i++) {
        const o = c.originIndex[i]!;
        fromColumns.push({ kind: c.kind[i]!, tsMs: c.tsMs[i]!, name: c.names[c.nameIndex[i]!]!, origin: o < 0 ? '' : c.names[o]!, count: c.count[i]!, rtMs: c.rtMs[i]!, error: c.error[i] === 1, droppedRecords: c.droppedRecords[i]!, droppedFrames: c.droppedFrames[i]! });
      }
      deliverRecords(f, (r, nameIndex) => {
        fromRecords.push({ ...r });
        t.equal(c.names[nameIndex], r.name);
      });
      kept = f;
    },
  });
  t.equal(fromColumns.length, 500);
  t.same(fromColumns, fromRecords, 'every field of every record');
  t.throws(() => frameColumns(kept!), 'readable only inside the callback');
  let reference: unknown = 'not called';
  scanFrames(stream, 0, stream.length, { frame: (f) => void (reference = frameColumns(f)) }, { decoder: 'reference' });
  t.equal(reference, null, 'the reference decoder has no columns');
});

// Fuzzing a real collector with seeded mutated segments. Each segment holds valid frames; chosen
// frames are mutated (bit flips, a stray 0xC1, a corrupted or huge length field, a frame cut
// short, garbage inserted, a zero-filled preallocated region, a frame repeated) or replaced by a
// CRC-valid frame whose payload is invalid (random bytes, wrong msgpack shapes, records with bad
// name indexes, negative or unknown-kind records mixed with valid ones). Many segments go into one
// pin and one collector run. Two expectations are checked:
// - the protocol package's own scanner and record validation, run on the mutated bytes, is the
//   oracle of what is valid: the collector's metric log and counters (records counted, rejected,
//   unknown kinds, bytes skipped) equal it exactly;
// - the generator's own knowledge: every frame it did not touch is found by the oracle at its
//   offset, and the metric log holds at least what those frames and the crafted frames' valid
//   records say, for every second and resource.
// CI runs a few hundred segments; SW_LONG=1 runs 10 000 (batches of 1000 per collector run).

import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'msgpackr';
import { bucketSecOf, crc32, decodeRecords, encodeFrames, RecordKind, scanFrames, type FlowEvent } from '@sentinel-wasi/protocol';
import { Collector, sleep } from './helpers/collector.js';
import { addEvents, readMetricLog, sumsObject, type SumMap, type Sums } from './helpers/model.js';
import { ensureLogDir, NAMES, segmentPath } from './helpers/segments.js';
import { setFileTimeLimit, LONG, oneSeed, rand, type Rand } from './helpers/seed.js';

setFileTimeLimit(t);

const SEGMENTS_PER_RUN = LONG ? 1000 : 150;
const RUNS = LONG ? 10 : 2;

/** A frame with a valid CRC around any payload bytes. */
function frameAround(payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(8 + payload.length);
  f[0] = 0xc1;
  f[1] = 0x01;
  f[2] = payload.length & 0xff;
  f[3] = payload.length >> 8;
  const crc = crc32(payload, 0, payload.length);
  new DataView(f.buffer).setUint32(4, crc, true);
  f.set(payload, 8);
  return f;
}

interface Crafted {
  bytes: Uint8Array;
  /** Records of the crafted frame the generator knows are valid. */
  valid: FlowEvent[];
}

/** A CRC-valid frame with an invalid payload, or valid records mixed with invalid ones. */
function craftedFrame(r: Rand, tsMs: number): Crafted {
  const name = r.pick(NAMES);
  switch (r.int(0, 7)) {
    case 0:
      return { bytes: frameAround(r.bytes(r.int(1, 200))), valid: [] };
    case 1:
      return { bytes: frameAround(pack(r.int(0, 1000))), valid: [] };
    case 2:
      return { bytes: frameAround(pack([tsMs])), valid: [] };
    case 3:
      return { bytes: frameAround(pack([tsMs, name, [0, 0, 0]])), valid: [] };
    case 4:
      return { bytes: frameAround(pack([-5, [name], [0, 0, 0]])), valid: [] };
    case 5:
      // name index out of range next to a valid PASS of 2
      return { bytes: frameAround(pack([tsMs, [name], [0, 0, 7], [0, 1, 0, 2]])), valid: [{ kind: RecordKind.PASS, tsMs: tsMs + 1, name, count: 2 }] };
    case 6:
      // unknown kind 9 and a negative dt next to a valid BLOCK
      return { bytes: frameAround(pack([tsMs, [name], [9, 0, 0], [1, -3, 0], [1, 2, 0]])), valid: [{ kind: RecordKind.BLOCK, tsMs: tsMs + 2, name, count: 1 }] };
    default:
      // a record with count 0 and an EXIT with a string rt next to a valid CALL with an error
      return {
        bytes: frameAround(pack([tsMs, [name], [0, 0, 0, 0], [2, 0, 0, 'x', false], [3, 4, 0, 9, true]])),
        valid: [{ kind: RecordKind.CALL, tsMs: tsMs + 4, name, rtMs: 9, error: true }],
      };
  }
}

function randomEvents(r: Rand, n: number, baseMs: number): FlowEvent[] {
  const out: FlowEvent[] = [];
  let ts = baseMs;
  for (let i = 0; i < n; i++) {
    ts += r.int(0, 40);
    const name = r.pick(NAMES);
    const k = r.int(0, 3);
    if (k === 0) out.push({ kind: RecordKind.PASS, tsMs: ts, name, count: r.int(1, 4) });
    else if (k === 1) out.push({ kind: RecordKind.BLOCK, tsMs: ts, name, count: r.int(1, 4) });
    else if (k === 2) out.push({ kind: RecordKind.EXIT, tsMs: ts, name, rtMs: r.int(0, 99), error: r.chance(0.3), count: r.int(1, 3) });
    else out.push({ kind: RecordKind.CALL, tsMs: ts, name, rtMs: r.int(0, 99), error: r.chance(0.3) });
  }
  return out;
}

/** Mutates one valid frame's bytes in place or around it; returns the bytes to write instead. */
function mutate(r: Rand, frame: Uint8Array): { bytes: Uint8Array; how: string } {
  const b = frame.slice();
  switch (r.int(0, 7)) {
    case 0: {
      const i = r.int(0, b.length - 1);
      b[i]! ^= 1 << r.int(0, 7);
      return { bytes: b, how: 'bit-flip' };
    }
    case 1:
      b[r.int(1, b.length - 1)] = 0xc1;
      return { bytes: b, how: 'stray-0xC1' };
    case 2: {
      const len = r.chance(0.5) ? 0xffff : r.int(0, 0xffff);
      b[2] = len & 0xff;
      b[3] = len >> 8;
      return { bytes: b, how: 'length' };
    }
    case 3:
      return { bytes: b.subarray(0, r.int(1, b.length - 1)), how: 'cut-short' };
    case 4: {
      const g = r.bytes(r.int(1, 100));
      const out = new Uint8Array(g.length + b.length);
      out.set(g, 0);
      out.set(b, g.length);
      // the frame itself stays intact after the garbage
      return { bytes: out, how: 'garbage-before' };
    }
    case 5:
      return { bytes: new Uint8Array(r.int(1, 512)), how: 'zero-fill' };
    case 6: {
      const out = new Uint8Array(b.length * 2);
      out.set(b, 0);
      out.set(b, b.length);
      return { bytes: out, how: 'repeated' };
    }
    default:
      b[1] = r.int(2, 255);
      return { bytes: b, how: 'version' };
  }
}

interface Oracle {
  sums: SumMap;
  accepted: number;
  rejected: number;
  unknownKind: number;
  bytesSkipped: number;
  frameOffsets: Set<number>;
}

/** The protocol package's scanner and record validation over one sealed segment's bytes. */
function oracleOf(bytes: Uint8Array, into: Oracle): Set<number> {
  const offsets = new Set<number>();
  const res = scanFrames(bytes, 0, bytes.length, {
    frame(frame) {
      offsets.add(frame.offsetBytes);
      const events: FlowEvent[] = [];
      const tally = decodeRecords(frame, (rec) => {
        if (rec.kind === RecordKind.EXIT) events.push({ kind: rec.kind, tsMs: rec.tsMs, name: rec.name, rtMs: rec.rtMs, error: rec.error, count: rec.count });
        else if (rec.kind === RecordKind.CALL) events.push({ kind: rec.kind, tsMs: rec.tsMs, name: rec.name, rtMs: rec.rtMs, error: rec.error });
        else if (rec.kind === RecordKind.PASS || rec.kind === RecordKind.BLOCK) events.push({ kind: rec.kind, tsMs: rec.tsMs, name: rec.name, count: rec.count });
      });
      addEvents(into.sums, events);
      into.accepted += tally.accepted;
      into.rejected += tally.rejected;
      into.unknownKind += tally.unknownKind;
    },
  }, { final: true });
  into.bytesSkipped += res.bytesSkipped;
  return offsets;
}

function covers(have: SumMap, need: SumMap): string[] {
  const short: string[] = [];
  for (const [k, v] of need) {
    const h = have.get(k);
    for (const f of ['pass', 'block', 'success', 'exception'] as (keyof Sums)[]) {
      if (h === undefined || h[f] < v[f]) short.push(`${k} ${f}: ${h?.[f] ?? 0} < ${v[f]}`);
    }
  }
  return short;
}

t.test(`fuzz: ${RUNS} collector runs × ${SEGMENTS_PER_RUN} mutated segments`, async (t) => {
  const seed = oneSeed();
  t.comment(`seed ${seed} (replay: SW_SEED=${seed})`);
  const r = rand(seed);
  let segmentsTotal = 0;
  let mutations = 0;
  let recordsChecked = 0;
  for (let run = 0; run < RUNS; run++) {
    const pin = await mkdtemp(join(tmpdir(), 'sw-fuzz-'));
    t.teardown(() => rm(pin, { recursive: true, force: true }));
    ensureLogDir(pin);
    const nowMs = Date.now();
    // A bucket long sealed, so every segment is read as complete (a cut-short tail is skipped).
    const bucketSec = bucketSecOf(nowMs) - 60;
    const oracle: Oracle = { sums: new Map(), accepted: 0, rejected: 0, unknownKind: 0, bytesSkipped: 0, frameOffsets: new Set() };
    const known: SumMap = new Map();
    const lostUntouched: string[] = [];
    const hows = new Map<string, number>();
    for (let s = 0; s < SEGMENTS_PER_RUN; s++) {
      const parts: Uint8Array[] = [];
      const untouched: { offset: number; events: FlowEvent[] }[] = [];
      let offset = 0;
      const frames = r.int(1, 6);
      for (let f = 0; f < frames; f++) {
        const base = nowMs - r.int(0, 3000);
        let chunk: Uint8Array;
        const x = r.next();
        if (x < 0.15) {
          const c = craftedFrame(r, base);
          chunk = c.bytes;
          addEvents(known, c.valid);
          hows.set('crc-valid-invalid-payload', (hows.get('crc-valid-invalid-payload') ?? 0) + 1);
          mutations++;
        } else {
          const events = randomEvents(r, r.int(1, 25), base);
          const [frame] = encodeFrames(events);
          if (x < 0.5) {
            const m = mutate(r, frame!);
            chunk = m.bytes;
            hows.set(m.how, (hows.get(m.how) ?? 0) + 1);
            mutations++;
            if (m.how === 'garbage-before') {
              untouched.push({ offset: offset + m.bytes.length - frame!.length, events });
            } else if (m.how === 'repeated') {
              untouched.push({ offset, events }, { offset: offset + frame!.length, events });
            }
          } else {
            chunk = frame!;
            untouched.push({ offset, events });
          }
        }
        parts.push(chunk);
        offset += chunk.length;
      }
      const bytes = Buffer.concat(parts);
      writeFileSync(segmentPath(pin, bucketSec, `f${s}`), bytes);
      const found = oracleOf(bytes, oracle);
      for (const u of untouched) {
        addEvents(known, u.events);
        if (!found.has(u.offset)) lostUntouched.push(`f${s}@${u.offset}`);
      }
    }
    segmentsTotal += SEGMENTS_PER_RUN;
    recordsChecked += oracle.accepted + oracle.rejected + oracle.unknownKind;

    const c = await Collector.start(pin, { graceMs: 300, tickMs: 40 });
    const want = JSON.stringify(sumsObject(oracle.sums));
    let got = readMetricLog(pin);
    let counters = (await c.health()).counters;
    // Caught up once every segment was read and every second sealed; a generous deadline.
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      got = readMetricLog(pin);
      counters = (await c.health()).counters;
      if (counters.lagBytes === 0 && JSON.stringify(sumsObject(got.sums)) === want && counters.recordsCounted === oracle.accepted) break;
      await sleep(200);
    }
    const alive = c.running;
    const code = await c.stop();
    t.comment(`run ${run}: ${SEGMENTS_PER_RUN} segments, mutations ${JSON.stringify(Object.fromEntries(hows))}`);
    t.ok(alive, `run ${run}: the collector is still running after reading every segment`);
    t.equal(code, 0, `run ${run}: clean stop`);
    t.same(lostUntouched, [], `run ${run}: the oracle finds every frame the generator did not touch`);
    t.same(sumsObject(got.sums), sumsObject(oracle.sums), `run ${run}: metric-log sums equal the scanner oracle's`);
    t.same(covers(got.sums, known), [], `run ${run}: the metric log holds every record of untouched frames and every valid record of crafted ones`);
    t.same(
      { recordsCounted: counters.recordsCounted, recordsRejected: counters.recordsRejected, recordsUnknownKind: counters.recordsUnknownKind, bytesSkipped: counters.bytesSkipped },
      { recordsCounted: oracle.accepted, recordsRejected: oracle.rejected, recordsUnknownKind: oracle.unknownKind, bytesSkipped: oracle.bytesSkipped },
      `run ${run}: counted, rejected, unknown-kind records and skipped bytes equal the oracle's`,
    );
    t.ok(oracle.accepted > 0 && oracle.bytesSkipped > 0 && oracle.rejected > 0, `run ${run}: the run had valid records, skipped bytes and rejected records (${oracle.accepted}, ${oracle.bytesSkipped}, ${oracle.rejected})`);
    if (!t.passing()) t.comment(c.output.join('').slice(-4000));
    await rm(pin, { recursive: true, force: true });
  }
  t.comment(`${segmentsTotal} segments, ${mutations} mutated or crafted frames, ${recordsChecked} records checked`);
});

// Ingest from bytes in memory: valid records counted, invalid and unknown ones counted and
// skipped, the rest of their frame still counted; a frame split across two reads is counted once;
// frames counted from their decoded columns leave the store as record by record does (seeded).
import t from 'tap';
import { crc32 } from 'node:zlib';
import { pack } from 'msgpackr';
import { encodeFrames, FrameBuilder, RecordKind } from '@sentinel-wasi/protocol';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { StatsStore } from '../../src/stats/store.js';
import { prng, testSeed } from '../../../../test/helpers/seeded.js';
import { addRandomRecord, addToFrames, type RecordMix } from '../../../../test/helpers/random-records.js';

/** A v1 frame around any msgpack value (so tests can write what the encoder never would). */
function rawFrame(value: unknown): Buffer {
  const payload = pack(value);
  const header = Buffer.alloc(8);
  header[0] = 0xc1;
  header[1] = 0x01;
  header.writeUInt16LE(payload.length, 2);
  header.writeUInt32LE(crc32(payload) >>> 0, 4);
  return Buffer.concat([header, payload]);
}

const T = 1_795_657_900_000;

t.test('invalid records and unknown kinds are counted; the rest of the frame counts', async (t) => {
  const store = new StatsStore();
  const ing = new Ingestor(store);
  const frame = rawFrame([
    T,
    ['res', 'origin'],
    [0, 1, 0, 2, 1], // PASS count 2 from origin
    [9, 1, 0], // unknown kind
    [0, 1, 5], // name index out of range
    [1, 2, 0, 0], // count 0: invalid
    [2, 3, 0, 12, true], // EXIT, error
    'not a record',
    [8, 4, 0, 3, 1], // WRITER: 3 records, 1 frame dropped
  ]);
  const r = ing.ingestBytes(frame, 0, frame.length, T + 10);
  t.same([r.framesRead, r.nextOffset, r.incomplete], [1, frame.length, false]);
  const c = store.counters;
  t.same([c.recordsCounted, c.recordsRejected, c.recordsUnknownKind, c.writerDroppedRecords, c.writerDroppedFrames], [3, 3, 1, 3, 1]);
  const res = store.resourceAt('res', T + 10)!;
  t.same([res.node.second.passQps, res.node.second.successQps, res.node.second.exceptionQps, res.node.concurrency], [2, 1, 1, 1]);
  t.same(res.origins.map((o) => [o.origin, o.second.passQps]), [['origin', 2]]);
});

t.test('a frame split across reads: incomplete first, counted once when complete', async (t) => {
  const store = new StatsStore();
  const ing = new Ingestor(store);
  const frames = encodeFrames([
    { kind: RecordKind.CALL, tsMs: T, name: 'a', rtMs: 3, error: false },
    { kind: RecordKind.PASS, tsMs: T + 1, name: 'b', count: 4 },
  ]);
  const bytes = Buffer.concat([...frames, ...frames]);
  const cut = frames[0]!.length + 5;
  const first = ing.ingestBytes(bytes, 0, cut, T);
  t.same([first.framesRead, first.nextOffset, first.incomplete], [1, frames[0]!.length, true]);
  const second = ing.ingestBytes(bytes, first.nextOffset, bytes.length, T, { baseOffset: first.nextOffset });
  t.same([second.framesRead, second.nextOffset, second.incomplete], [1, bytes.length, false]);
  t.equal(store.counters.recordsCounted, 4);
  t.equal(store.counters.framesSkipped, 0);
  // The same tail with final: true (a sealed segment) is skipped and counted instead.
  const sealed = ing.ingestBytes(bytes, 0, cut, T, { final: true });
  t.same([sealed.framesRead, sealed.framesSkipped, sealed.bytesSkipped, sealed.nextOffset], [1, 1, 5, cut]);
});

/** The store the daemon taps: overriding addResolved makes the Ingestor hand it every record one by one. */
class RecordByRecordStore extends StatsStore {
  override addResolved(...args: Parameters<StatsStore['addResolved']>): void {
    super.addResolved(...args);
  }
}

t.test('frames counted from their columns leave the store exactly as record by record (seeded)', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const t0 = 1_764_115_200_000;
  const names = Array.from({ length: 40 }, (_, i) => `GET /r${i}${i % 5 === 0 ? '/商品' : ''}`);
  // Twelve origin names, so that the origin-node cap is reached.
  const origins = Array.from({ length: 12 }, (_, i) => `app-${String.fromCharCode(97 + i)}`);
  // Small caps, so that resources and origins beyond them (and entries never created for dropped records) count too.
  const options = { maxResources: 25, maxOriginNodes: 30, maxFutureMs: 5_000 };
  const columns = new StatsStore(options);
  const byRecord = new RecordByRecordStore(options);
  t.equal(columns.countsColumns, true);
  t.equal(byRecord.countsColumns, false);
  const ingestors = [new Ingestor(columns), new Ingestor(byRecord)];
  const builder = new FrameBuilder();
  /** Mostly CALLs, some BLOCK, PASS and EXIT records, a few WRITER records. */
  const MIX: RecordMix = { call: 0.5, block: 0.65, pass: 0.8, exit: 0.98, maxCallRtMs: 1500 };
  let clockMs = t0;
  for (let batch = 0; batch < 60; batch++) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < 400; i++) {
      clockMs += Math.floor(rand() * 30);
      const u = rand();
      // Mostly current, some late (up to 2 min behind), some ahead of now (dropped as future beyond maxFutureMs).
      const ts = u < 0.8 ? clockMs : u < 0.95 ? Math.max(t0, clockMs - Math.floor(rand() * 120_000)) : clockMs + Math.floor(rand() * 10_000);
      const name = names[Math.floor(rand() ** 2 * names.length)]!;
      const origin = rand() < 0.3 ? origins[Math.floor(rand() * origins.length)] : undefined;
      if (!addRandomRecord(builder, rand, MIX, ts, name, origin, chunks)) t.fail(`a record at ${ts} fits no frame`);
      if (rand() < 0.01) chunks.push(builder.finish().slice());
    }
    if (!builder.isEmpty) chunks.push(builder.finish().slice());
    const bytes = Buffer.concat(chunks);
    for (const ing of ingestors) ing.ingestBytes(bytes, 0, bytes.length, clockMs, { final: true });
    if (batch % 10 === 9) {
      const through = Math.floor(clockMs / 1000) - 3;
      t.same(columns.sealThrough(through), byRecord.sealThrough(through), `lines sealed through ${through}`);
    }
    const now = clockMs + Math.floor(rand() * 2000);
    t.same(columns.resourcesAt(now), byRecord.resourcesAt(now), `resources read at ${now}`);
  }
  for (const name of [...names, '__total_inbound_traffic__']) t.same(columns.resourceAt(name, clockMs), byRecord.resourceAt(name, clockMs), `${name} with its origins`);
  t.same(columns.counters, byRecord.counters, 'every counter');
  t.same(columns.exportState(), byRecord.exportState(), 'the checkpointed state');
  t.ok(columns.counters.recordsFuture > 0 && columns.counters.recordsLate > 0 && columns.counters.resourcesOverflow > 0 && columns.counters.originsOverflow > 0 && columns.counters.writerDroppedRecords > 0, 'future, late, overflow and writer records all occurred');
});

t.test('names whose name-cache slot went to another name still count on their own resource', async (t) => {
  // 20 000 distinct names of ~40 bytes overflow the name cache's arena (it starts over) and share slots,
  // so the store's slot → entry shortcut must check the name each time.
  const names = Array.from({ length: 20_000 }, (_, i) => `GET /orders/items/${String(i).padStart(6, '0')}/details-x`);
  const options = { maxResources: 25_000 };
  const columns = new StatsStore(options);
  const byRecord = new RecordByRecordStore(options);
  const t0 = 1_764_115_200_000;
  for (let pass = 0; pass < 3; pass++) {
    const builder = new FrameBuilder();
    const chunks: Uint8Array[] = [];
    names.forEach((name, i) => {
      // Pass p gives name i a count of 1 + ((i + p) mod 3): a name counted on another's entry would show.
      const count = 1 + ((i + pass) % 3);
      if (!addToFrames(builder, chunks, () => builder.addPass(t0 + pass * 1000, name, count))) t.fail(`${name} fits no frame`);
    });
    chunks.push(builder.finish().slice());
    const bytes = Buffer.concat(chunks);
    for (const store of [columns, byRecord]) new Ingestor(store).ingestBytes(bytes, 0, bytes.length, t0 + 5000, { final: true });
  }
  let wrong = 0;
  for (let i = 0; i < names.length; i += 7) {
    const got = columns.resourceAt(names[i]!, t0 + 5000)!.node.minute.pass;
    if (got !== 6 || byRecord.resourceAt(names[i]!, t0 + 5000)!.node.minute.pass !== 6) wrong++;
  }
  t.equal(wrong, 0, 'every sampled name has its own 1 + 2 + 3 passes');
  t.equal(columns.counters.recordsCounted, 60_000);
  t.same(columns.exportState(), byRecord.exportState(), 'the checkpointed state');
});

t.test('many resources × origins: each origin node counts its own records from columns, as record by record', async (t) => {
  // 400 resources × 6 origins = 2 400 origin nodes (and one origin beyond the cap for the last ones),
  // so the store's origin index grows several times while frames are counted.
  const names = Array.from({ length: 400 }, (_, i) => `GET /r/${i}`);
  const origins = Array.from({ length: 6 }, (_, i) => `app-${i}`);
  const options = { maxResources: 500, maxOriginNodes: 2_000 };
  const columns = new StatsStore(options);
  const byRecord = new RecordByRecordStore(options);
  const t0 = 1_764_115_200_000;
  const builder = new FrameBuilder();
  const chunks: Uint8Array[] = [];
  names.forEach((name, i) => {
    origins.forEach((origin, k) => {
      // Resource i, origin k: 1 + (i + k) mod 4 BLOCKs and one CALL, all in one half second.
      const count = 1 + ((i + k) % 4);
      if (!addToFrames(builder, chunks, () => builder.addBlock(t0 + 100, name, count, origin))) t.fail('a BLOCK fits no frame');
      if (!addToFrames(builder, chunks, () => builder.addCall(t0 + 100, name, 5, false, origin))) t.fail('a CALL fits no frame');
    });
  });
  chunks.push(builder.finish().slice());
  const bytes = Buffer.concat(chunks);
  for (const store of [columns, byRecord]) new Ingestor(store).ingestBytes(bytes, 0, bytes.length, t0 + 1000, { final: true });
  let wrong = 0;
  let originNodes = 0;
  names.forEach((name, i) => {
    const got = columns.resourceAt(name, t0 + 1000)!;
    originNodes += got.origins.length;
    for (const o of got.origins) {
      const k = origins.indexOf(o.origin);
      if (o.minute.block !== 1 + ((i + k) % 4) || o.minute.pass !== 1 || o.minute.success !== 1) wrong++;
    }
  });
  t.equal(originNodes, 2_000, 'origin nodes up to the cap');
  t.equal(wrong, 0, 'every origin node has its own BLOCKs and CALL');
  t.equal(columns.counters.originsOverflow, 400 * 6 * 2 - 2_000 * 2, 'records of origins beyond the cap');
  t.same(columns.counters, byRecord.counters, 'every counter');
  t.same(columns.exportState(), byRecord.exportState(), 'the checkpointed state');
});

// Ingest from bytes in memory: valid records counted, invalid and unknown ones counted and
// skipped, the rest of their frame still counted; a frame split across two reads is counted once.
import t from 'tap';
import { crc32 } from 'node:zlib';
import { pack } from 'msgpackr';
import { encodeFrames, RecordKind } from '@sentinel-wasi/protocol';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { StatsStore } from '../../src/stats/store.js';

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

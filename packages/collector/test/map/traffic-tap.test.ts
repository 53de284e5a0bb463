// The per-tick traffic the rules engine gets: exact counts per resource and origin for watched
// resources only, CALL as a pass and a completion, an EXIT of any count as one completion, slow completions per threshold by each record's
// own RT, and a fresh start after each take (passedSinceTake and blockedSinceTake read a node's PASS and BLOCK so far); a frame's columns count exactly as its records one by one (seeded).

import t from 'tap';
import { crc32 } from 'node:zlib';
import { pack } from 'msgpackr';
import { emptyFlowRecord, FrameBuilder, RecordKind, type FlowRecord, type RecordColumns } from '@sentinel-wasi/protocol';
import { Ingestor } from '../../src/ingest/ingestor.js';
import { TrafficTap } from '../../src/map/traffic-tap.js';
import type { NodeTraffic, ResourceTraffic } from '../../src/rules/engine.js';
import { StatsStore, type EntryLookup } from '../../src/stats/store.js';
import { prng, testSeed } from '../../../../test/helpers/seeded.js';
import { addRandomRecord, type RecordMix } from '../../../../test/helpers/random-records.js';

function rec(kind: RecordKind, name: string, fields: Partial<FlowRecord> = {}): FlowRecord {
  return { ...emptyFlowRecord(), kind, name, ...fields };
}

t.test('counts since the last take, per resource and origin, with slow completions per threshold', async (t) => {
  const tap = new TrafficTap();
  tap.watch(new Map([['a', [50, 100]]]));
  tap.record(rec(RecordKind.PASS, 'a', { count: 3, origin: 'o1' }));
  tap.record(rec(RecordKind.BLOCK, 'a', { count: 2 }));
  tap.record(rec(RecordKind.EXIT, 'a', { rtMs: 60, error: true, origin: 'o1' }));
  tap.record(rec(RecordKind.CALL, 'a', { rtMs: 150 }));
  tap.record(rec(RecordKind.CALL, 'a', { rtMs: 50 }));
  tap.record(rec(RecordKind.PASS, 'unwatched', { count: 9 }));
  const got = tap.take((r, o) => (o === '' ? 7 : 1));
  t.same([...got.keys()], ['a']);
  const a = got.get('a')!;
  t.same({ ...a.node, slowOverMs: Object.fromEntries(a.node.slowOverMs!) }, { passed: 5, blocked: 2, completed: 3, errors: 1, rtSumMs: 260, concurrency: 7, slowOverMs: { 50: 2, 100: 1 } });
  const o1 = a.origins!.get('o1')!;
  t.same([o1.passed, o1.completed, o1.errors, o1.concurrency], [3, 1, 1, 1]);
  tap.record(rec(RecordKind.PASS, 'a', { count: 4 }));
  tap.record(rec(RecordKind.BLOCK, 'a', { count: 6, origin: 'o2' }));
  t.same([tap.passedSinceTake('a', ''), tap.passedSinceTake('a', 'o1'), tap.passedSinceTake('a', 'o2'), tap.passedSinceTake('unwatched', '')], [4, 0, 0, 0], 'passedSinceTake: the PASS since this take, per node; 0 for an origin or resource not counted');
  t.same([tap.blockedSinceTake('a', ''), tap.blockedSinceTake('a', 'o1'), tap.blockedSinceTake('a', 'o2'), tap.blockedSinceTake('unwatched', '')], [6, 0, 6, 0], 'blockedSinceTake: the BLOCK likewise');
  const next = tap.take(() => 0).get('a')!;
  t.same([next.node.passed, next.node.blocked, next.node.completed, next.origins!.size], [4, 6, 0, 1], 'the next take has what came after the last');
  t.same([tap.passedSinceTake('a', ''), tap.blockedSinceTake('a', ''), tap.blockedSinceTake('a', 'o2')], [0, 0, 0], 'and starts from zero');
  t.same(tap.take(() => 0).get('a')!.node.passed, 0, 'the next tick starts from zero');
});

t.test('an EXIT of a batch entry (count n) is one completion with its RT once, as a circuit breaker counts it', async (t) => {
  const tap = new TrafficTap();
  tap.watch(new Map([['a', [50]]]));
  tap.record(rec(RecordKind.PASS, 'a', { count: 5 }));
  tap.record(rec(RecordKind.EXIT, 'a', { count: 5, rtMs: 80, error: true }));
  const a = tap.take(() => 0).get('a')!.node;
  t.same([a.passed, a.completed, a.errors, a.rtSumMs, a.slowOverMs!.get(50)], [5, 1, 1, 80, 1]);
});

/** A v1 frame around any msgpack value (so a test can write what the encoder never would). */
function rawFrame(value: unknown): Buffer {
  const payload = pack(value);
  const header = Buffer.alloc(8);
  header[0] = 0xc1;
  header[1] = 0x01;
  header.writeUInt16LE(payload.length, 2);
  header.writeUInt32LE(crc32(payload) >>> 0, 4);
  return Buffer.concat([header, payload]);
}

/**
 * Hands the tap a frame's columns after counting them, as the daemon's store does, and the records
 * of the frames the reference decoder reads (those never come as columns) one by one.
 */
class ColumnsTapStore extends StatsStore {
  constructor(private readonly tap: TrafficTap) {
    super();
  }
  override get countsColumns(): boolean {
    return true;
  }
  override addColumns(c: RecordColumns, nowMs: number): void {
    super.addColumns(c, nowMs);
    this.tap.columns(c);
  }
  override addResolved(r: FlowRecord, lookup: EntryLookup, nowMs: number): void {
    super.addResolved(r, lookup, nowMs);
    this.tap.record(r);
  }
}

/** Hands the tap every record (the Ingestor then goes record by record). */
class RecordTapStore extends StatsStore {
  constructor(private readonly tap: TrafficTap) {
    super();
  }
  override addResolved(r: FlowRecord, lookup: EntryLookup, nowMs: number): void {
    super.addResolved(r, lookup, nowMs);
    this.tap.record(r);
  }
}

function plain(m: Map<string, ResourceTraffic>): unknown {
  const node = (n: NodeTraffic): unknown => ({ ...n, slowOverMs: [...(n.slowOverMs ?? new Map()).entries()].sort((a, b) => a[0] - b[0]) });
  return [...m.entries()].map(([name, r]) => [name, node(r.node), [...(r.origins ?? new Map()).entries()].sort().map(([o, n]) => [o, node(n)])]);
}

t.test('a frame tapped as columns counts exactly as its records tapped one by one (seeded)', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const t0 = 1_764_115_200_000;
  const names = Array.from({ length: 30 }, (_, i) => `GET /r${i}${i % 7 === 0 ? '/商品' : ''}`);
  const origins = Array.from({ length: 6 }, (_, i) => `app-${String.fromCharCode(97 + i)}`);
  const tapColumns = new TrafficTap();
  const tapRecords = new TrafficTap();
  const columnsStore = new ColumnsTapStore(tapColumns);
  const recordStore = new RecordTapStore(tapRecords);
  t.equal(columnsStore.countsColumns, true);
  t.equal(recordStore.countsColumns, false);
  const ingestors = [new Ingestor(columnsStore), new Ingestor(recordStore)];
  const builder = new FrameBuilder();
  /** Mostly CALLs, some BLOCK, PASS and EXIT records, a few WRITER records. */
  const MIX: RecordMix = { call: 0.45, block: 0.6, pass: 0.75, exit: 0.97, maxCallRtMs: 800 };
  let clockMs = t0;
  let watchedRecords = 0;
  let watched = new Set<string>();
  for (let batch = 0; batch < 40; batch++) {
    // A new set of watched resources now and then (counts of resources still watched carry over); a writer's name too.
    if (batch % 8 === 0) {
      const w = new Map<string, number[]>();
      for (const name of names) if (rand() < 0.3) w.set(name, rand() < 0.5 ? [Math.floor(rand() * 500)] : [100, 400]);
      if (batch === 8) w.set('w0', [10]);
      if (batch === 24) w.clear();
      tapColumns.watch(w);
      tapRecords.watch(w);
      watched = new Set(w.keys());
    }
    const chunks: Uint8Array[] = [];
    // A record whose origin is the empty name counts on its resource only, either way.
    if (batch === 3) chunks.push(rawFrame([clockMs, [names[0]!, ''], [0, 1, 0, 2, 1]]));
    for (let i = 0; i < 300; i++) {
      clockMs += Math.floor(rand() * 30);
      const u = rand();
      // Mostly current, some far ahead of now (the store drops those; the tap counts them either way).
      const ts = u < 0.9 ? clockMs : clockMs + Math.floor(rand() * 120_000);
      const name = names[Math.floor(rand() ** 2 * names.length)]!;
      if (watched.has(name)) watchedRecords++;
      const origin = rand() < 0.4 ? origins[Math.floor(rand() * origins.length)] : undefined;
      if (!addRandomRecord(builder, rand, MIX, ts, name, origin, chunks)) t.fail(`a record at ${ts} fits no frame`);
      if (rand() < 0.02) chunks.push(builder.finish().slice());
    }
    if (!builder.isEmpty) chunks.push(builder.finish().slice());
    const bytes = Buffer.concat(chunks);
    for (const ing of ingestors) ing.ingestBytes(bytes, 0, bytes.length, clockMs, { final: true });
    if (batch % 3 === 2) {
      const concurrency = (r: string, o: string): number => r.length + o.length;
      t.same(plain(tapColumns.take(concurrency)), plain(tapRecords.take(concurrency)), `traffic taken after batch ${batch}`);
    }
  }
  t.same(plain(tapColumns.take(() => 0)), plain(tapRecords.take(() => 0)), 'the last traffic');
  t.same(columnsStore.counters, recordStore.counters, 'the stores counted the same');
  t.ok(watchedRecords > 1000 && columnsStore.counters.recordsFuture > 0, `watched records (${watchedRecords}) and future ones occurred`);
});

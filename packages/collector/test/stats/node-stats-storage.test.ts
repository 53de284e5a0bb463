// NodeStats allocates its ring's buckets as their slots are first used. Against a ring with all
// 120 buckets allocated up front (a LeapWindow of 120 × 500 ms, read into the two windows the same
// way): seeded random records of every kind, resets (next laps), too-old records and restored
// counts must read exactly alike at every read time, and the lazy ring must hold storage for the
// slots used and no more than four times that. With buckets reclaimed as a clock goes by, every read at
// or after the last reclaim must still be the full ring's, and a node touching a few slots a minute
// must keep a few buckets however long it runs. Many nodes share the storage's slabs: each must
// read as its own full ring while the others grow, shrink and reuse given-back blocks. SW_SEED replays.

import t from 'tap';
import { emptyFlowRecord, RecordKind } from '@sentinel-wasi/protocol';
import { addCounts, addEntryHalf, addExitHalf, C_BLOCK, C_EXCEPTION, C_MIN_RT, C_PASS, C_RT, C_SUCCESS, concurrencyDelta, exitTimeOf, hasEntryHalf, hasExitHalf, STATISTIC_MAX_RT_MS } from '../../src/stats/counters.js';
import { F_OCCUPIED, F_START, FIELD_COUNT, LeapWindow } from '../../src/stats/leap-window.js';
import { NodeStats, RING_BUCKET_MS, RING_SAMPLE_COUNT, RING_STORAGE } from '../../src/stats/node-stats.js';
import { RingStorage, SLAB_NUMBERS } from '../../src/stats/ring-storage.js';
import { StatsStore, TOTAL_RESOURCE } from '../../src/stats/store.js';
import type { NodeSnapshot } from '../../src/stats/types.js';
import { prng, testSeed } from '../../../../test/helpers/seeded.js';

const { PASS, BLOCK, EXIT, CALL } = RecordKind;
const SUMMED = [C_PASS, C_BLOCK, C_SUCCESS, C_EXCEPTION, C_RT, F_OCCUPIED];

/** The ring with every bucket allocated up front: placement by LeapWindow, reads derived as NodeStats documents. */
class FullRingNode {
  concurrency = 0;
  readonly ring = new LeapWindow(RING_SAMPLE_COUNT, RING_SAMPLE_COUNT * RING_BUCKET_MS);

  record(kind: number, tsMs: number, count: number, rtMs: number, error: boolean): void {
    this.concurrency += concurrencyDelta(kind, count);
    if (hasEntryHalf(kind)) {
      const b = this.ring.slotAt(tsMs);
      if (b >= 0) addEntryHalf(this.ring.values, b, kind, count);
    }
    if (hasExitHalf(kind)) {
      const b = this.ring.slotAt(exitTimeOf(kind, tsMs, rtMs));
      if (b >= 0) addExitHalf(this.ring.values, b, kind, count, rtMs, error);
    }
  }

  addCounts(tsMs: number, pass: number, block: number, success: number, exception: number, rtSumMs: number): void {
    const b = this.ring.slotAt(tsMs);
    if (b >= 0) addCounts(this.ring.values, b, pass, block, success, exception, rtSumMs);
  }

  /** Slots ever placed into. */
  slotsUsed(): number {
    let n = 0;
    for (let i = 0; i < RING_SAMPLE_COUNT; i++) if (this.ring.values[this.ring.bucketsAt + i * FIELD_COUNT + F_START]! >= 0) n++;
    return n;
  }

  snapshotAt(nowMs: number): NodeSnapshot {
    const v = this.ring.values;
    const at = (i: number): number => this.ring.bucketsAt + i * FIELD_COUNT;
    const valid = (s: number, intervalMs: number): boolean => s > nowMs - intervalMs && s <= nowMs;
    const newest = [-1, -1];
    for (let i = 0; i < RING_SAMPLE_COUNT; i++) {
      const s = v[at(i) + F_START]!;
      if (s >= 0 && (newest[i % 2]! < 0 || s > v[newest[i % 2]! + F_START]!)) newest[i % 2] = at(i);
    }
    const sec = [0, 0, 0, 0, 0, 0];
    let minRt = STATISTIC_MAX_RT_MS;
    for (const b of newest) {
      if (b < 0 || !valid(v[b + F_START]!, 1000)) continue;
      SUMMED.forEach((f, j) => (sec[j] = sec[j]! + v[b + f]!));
      minRt = Math.min(minRt, v[b + C_MIN_RT]!);
    }
    const min = [0, 0, 0, 0, 0, 0];
    for (let k = 0; k < 60; k++) {
      const secOf = (i: number): number => {
        const s = v[at(i) + F_START]!;
        return s < 0 ? -1 : s - (s % 1000);
      };
      const newestSec = Math.max(secOf(2 * k), secOf(2 * k + 1));
      if (newestSec < 0 || !valid(newestSec, 60_000)) continue;
      for (const i of [2 * k, 2 * k + 1]) if (secOf(i) === newestSec) SUMMED.forEach((f, j) => (min[j] = min[j]! + v[at(i) + f]!));
    }
    const [pass, block, success, exception, rt, occupied] = sec as [number, number, number, number, number, number];
    const [mPass, mBlock, mSuccess, mException, mRt, mOccupied] = min as [number, number, number, number, number, number];
    return {
      resource: 'r',
      origin: '',
      concurrency: this.concurrency,
      second: { passQps: pass, blockQps: block, successQps: success, exceptionQps: exception, totalQps: pass + block, occupiedPassQps: occupied, avgRtMs: success > 0 ? rt / success : 0, minRtMs: Math.max(1, minRt) },
      minute: { pass: mPass, block: mBlock, success: mSuccess, exception: mException, totalRequest: mPass + mBlock, rtSumMs: mRt, occupiedPass: mOccupied },
    };
  }
}

t.test('the lazily allocated ring reads exactly as the full ring, and holds storage only for the slots used', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const kinds = [PASS, BLOCK, EXIT, CALL];
  let reads = 0;
  let refused = 0;
  for (const origin of [0, 1_764_120_000_000, 2 ** 53 - 10 ** 9]) {
    // Sparse traffic (a tail resource: a handful of slots a minute) and dense traffic (every slot).
    for (const stepMs of [7_000, 300]) {
      const lazy = new NodeStats('r', '');
      const full = new FullRingNode();
      let ts = origin;
      let bad = 0;
      let grewTo = 0;
      for (let i = 0; i < 6_000 && bad < 5; i++) {
        const r = rand();
        // Forward by up to stepMs; sometimes late (within and beyond a minute: too old for a slot
        // holding a newer lap), a jump ahead, or exactly one lap (60 s) ahead or behind.
        ts = Math.max(0, ts + (r < 0.8 ? Math.floor(rand() * stepMs) : r < 0.9 ? -Math.floor(rand() * 70_000) : r < 0.95 ? Math.floor(rand() * 200_000) : (rand() < 0.5 ? 60_000 : -60_000) + Math.floor(rand() * 3) * 500));
        const before = lazy.snapshotAt(ts);
        if (rand() < 0.05) {
          const tsSec = ts - (ts % 1000);
          lazy.addCounts(tsSec, 3, 1, 2, 1, 40);
          full.addCounts(tsSec, 3, 1, 2, 1, 40);
        } else {
          const kind = kinds[Math.floor(rand() * 4)]!;
          const count = 1 + Math.floor(rand() * 3);
          const rtMs = Math.floor(rand() * 6000);
          const error = rand() < 0.2;
          lazy.record(kind, ts, count, rtMs, error);
          full.record(kind, ts, count, rtMs, error);
          if (kind === PASS && JSON.stringify(lazy.snapshotAt(ts).minute) === JSON.stringify(before.minute)) refused++;
        }
        if (lazy.bucketsUsed !== full.slotsUsed()) {
          bad++;
          t.equal(lazy.bucketsUsed, full.slotsUsed(), `buckets with storage after a record at ${ts}`);
        }
        grewTo = Math.max(grewTo, lazy.bucketsUsed);
        if (i % 7 === 0) {
          const now = rand() < 0.5 ? ts + Math.floor(rand() * 90_000) - 30_000 : ts - (ts % 500) + [0, 499, 500, 999, 1000, 1500, 59_999, 60_000, 60_500, -1, -500, -60_000][Math.floor(rand() * 12)]!;
          if (now < 0) continue;
          reads++;
          const got = lazy.snapshotAt(now);
          const want = full.snapshotAt(now);
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            bad++;
            t.same(got, want, `read at ${now} after a record at ${ts}`);
          }
        }
      }
      t.equal(bad, 0, `origin ${origin}, steps up to ${stepMs} ms: every read and every bucket count as the full ring`);
      // The directory (120 bytes) and at most four times the buckets used (at least two).
      t.ok(lazy.storageBytes <= RING_SAMPLE_COUNT + 8 * Math.min(RING_SAMPLE_COUNT, Math.max(2, 4 * lazy.bucketsUsed)) * FIELD_COUNT, `${lazy.storageBytes} bytes for ${lazy.bucketsUsed} buckets`);
      if (stepMs === 300) t.equal(grewTo, RING_SAMPLE_COUNT, 'dense traffic uses every slot');
    }
  }
  t.ok(reads > 3000, `${reads} reads compared`);
  t.ok(refused > 0, `${refused} PASS records found their slot holding a newer lap (too old), as the full ring`);
});

t.test('a node starts with room for two buckets, then grows with the slots it uses', async (t) => {
  const n = new NodeStats('r', '');
  t.equal(n.bucketsUsed, 0);
  const empty = RING_SAMPLE_COUNT;
  t.equal(n.storageBytes, empty + 2 * FIELD_COUNT * 8, 'the directory and two buckets');
  const t0 = 1_764_120_000_000;
  n.record(CALL, t0 + 100, 1, 20, false); // entry and exit in bucket t0
  t.equal(n.bucketsUsed, 1);
  t.equal(n.storageBytes, empty + 2 * FIELD_COUNT * 8, 'room for two buckets');
  n.record(CALL, t0 + 400, 1, 300, true); // exit half in bucket t0 + 500
  t.equal(n.bucketsUsed, 2);
  n.record(PASS, t0 + 1_000, 1, 0, false);
  t.equal(n.bucketsUsed, 3);
  t.equal(n.storageBytes, empty + 8 * FIELD_COUNT * 8, 'grown to eight');
  // The same slot one lap (60 s) later reuses its storage.
  n.record(BLOCK, t0 + 60_100, 2, 0, false);
  t.equal(n.bucketsUsed, 3, 'a new lap of a used slot takes no new storage');
  const s = n.snapshotAt(t0 + 60_499);
  t.same(s.second, { passQps: 0, blockQps: 2, successQps: 0, exceptionQps: 0, totalQps: 2, occupiedPassQps: 0, avgRtMs: 0, minRtMs: 5000 });
  t.same(s.minute, { pass: 1, block: 2, success: 0, exception: 0, totalRequest: 3, rtSumMs: 0, occupiedPass: 0 }, 'the new lap replaced second t0 (both its halves) in the minute window; second t0 + 1 000 stays');
  // A record for the reset lap is too old for its slot now: refused, nothing else changes.
  n.record(PASS, t0 + 200, 5, 0, false);
  const after = n.snapshotAt(t0 + 60_499);
  t.same([after.second, after.minute], [s.second, s.minute], 'too old for its slot: refused by both windows');
  t.equal(n.concurrency, 6, 'the concurrency still counts it (as before: it is not a window)');
  for (let i = 0; i < RING_SAMPLE_COUNT * 2; i++) n.record(PASS, t0 + 120_000 + i * RING_BUCKET_MS, 1, 0, false);
  t.equal(n.bucketsUsed, RING_SAMPLE_COUNT);
  t.equal(n.storageBytes, RING_SAMPLE_COUNT + 8 * RING_SAMPLE_COUNT * FIELD_COUNT, 'at most the full ring');
  t.equal(n.snapshotAt(t0 + 120_000 + 239 * RING_BUCKET_MS).minute.pass, 120, 'the last minute: one PASS a bucket');
});

t.test('counts above 2^31 and 2^32 in one bucket stay exact (the counters are float64: exact to 2^53)', async (t) => {
  const n = new NodeStats('r', '');
  const t0 = 1_764_120_000_000;
  n.record(PASS, t0, 2 ** 31, 0, false);
  n.record(PASS, t0 + 1, 2 ** 31, 0, false);
  n.record(PASS, t0 + 2, 2 ** 32 + 5, 0, false);
  n.record(BLOCK, t0 + 3, 2 ** 32 - 1, 0, false);
  n.record(EXIT, t0 + 4, 2 ** 32 + 1, 7, true);
  n.addCounts(t0, 1, 1, 1, 1, 2 ** 40);
  const s = n.snapshotAt(t0 + 10);
  t.equal(s.second.passQps, 2 ** 33 + 6);
  t.equal(s.second.blockQps, 2 ** 32);
  t.equal(s.second.successQps, 2 ** 32 + 2);
  t.equal(s.second.exceptionQps, 2 ** 32 + 2);
  t.equal(s.minute.rtSumMs, 2 ** 40 + 7);
  t.equal(s.second.minRtMs, 7);
  t.equal(n.concurrency, 2 ** 33 + 5 - (2 ** 32 + 1));
});

t.test('reclaiming buckets older than a minute keeps every later read exactly as the full ring', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const kinds = [PASS, BLOCK, EXIT, CALL];
  let reads = 0;
  let freed = 0;
  for (const origin of [0, 1_764_120_000_000, 2 ** 53 - 10 ** 9]) {
    for (const stepMs of [9_000, 2_000, 200]) {
      const lazy = new NodeStats('r', '');
      const full = new FullRingNode();
      // The collector's clock: it only goes forward; records are stamped around it (late by up to
      // 70 s, early by up to 60 s, as the store lets them through), and reads happen at the clock or later.
      let clockMs = origin + 120_000;
      let reclaimedAtMs = -1;
      let bad = 0;
      for (let i = 0; i < 8_000 && bad < 5; i++) {
        clockMs += Math.floor(rand() * stepMs);
        const r = rand();
        const ts = Math.max(0, clockMs + (r < 0.8 ? -Math.floor(rand() * 2_000) : r < 0.9 ? -Math.floor(rand() * 70_000) : Math.floor(rand() * 60_000)));
        if (rand() < 0.05) {
          const tsSec = ts - (ts % 1000);
          lazy.addCounts(tsSec, 3, 1, 2, 1, 40);
          full.addCounts(tsSec, 3, 1, 2, 1, 40);
        } else {
          const kind = kinds[Math.floor(rand() * 4)]!;
          const count = 1 + Math.floor(rand() * 3);
          const rtMs = Math.floor(rand() * 6000);
          const error = rand() < 0.2;
          lazy.record(kind, ts, count, rtMs, error);
          full.record(kind, ts, count, rtMs, error);
        }
        if (rand() < 0.1) {
          freed += lazy.reclaimBefore(clockMs);
          reclaimedAtMs = clockMs;
        }
        if (i % 5 === 0 && reclaimedAtMs >= 0) {
          const now = rand() < 0.2 ? reclaimedAtMs : clockMs + Math.floor(rand() * 60_000);
          reads++;
          const got = lazy.snapshotAt(now);
          const want = full.snapshotAt(now);
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            bad++;
            t.same(got, want, `read at ${now} (reclaimed at ${reclaimedAtMs}) after a record at ${ts}`);
          }
        }
      }
      t.equal(bad, 0, `origin ${origin}, clock steps up to ${stepMs} ms: every read at or after the last reclaim as the full ring`);
    }
  }
  t.ok(reads > 10_000, `${reads} reads compared`);
  t.ok(freed > 1000, `${freed} buckets reclaimed`);
});

t.test('a node that touches a few slots a minute keeps a few buckets for an hour, and none once idle', async (t) => {
  const n = new NodeStats('r', '');
  const ring = new FullRingNode();
  const full = (nowMs: number): NodeSnapshot => ({ ...ring.snapshotAt(nowMs), resource: 'r', origin: '' });
  const t0 = 1_764_120_000_000;
  let most = 0;
  for (let s = 0; s < 3600; s += 7) {
    const nowMs = t0 + s * 1000;
    n.record(CALL, nowMs + 123, 1, 15, false);
    ring.record(CALL, nowMs + 123, 1, 15, false);
    if (s % 14 === 0) n.reclaimBefore(nowMs);
    most = Math.max(most, n.bucketsUsed);
  }
  t.ok(most <= 12, `at most ${most} buckets (one record every 7 s, reclaimed every 14 s)`);
  const end = t0 + 3600 * 1000;
  const before = n.snapshotAt(end);
  t.equal(before.minute.pass, 9, 'the last minute: 9 calls');
  const later = n.snapshotAt(end + 5_000);
  t.equal(later.minute.pass, 8, '5 s later: 8 calls in the minute');
  t.equal(n.reclaimBefore(end + 5_000), 1, 'the bucket that left the minute since the last reclaim is freed');
  t.same(n.snapshotAt(end + 5_000), later, 'and the read at that time is unchanged');
  t.same(n.snapshotAt(end + 30_000), full(end + 30_000), 'as are later reads');
  n.reclaimBefore(end + 60_000 + 123 + 15);
  t.equal(n.bucketsUsed, 0, 'idle for a minute: no bucket left');
  t.equal(n.storageBytes, RING_SAMPLE_COUNT + 8 * 2 * FIELD_COUNT, 'back to the directory and room for two buckets');
  t.same(n.snapshotAt(end + 120_000).minute, { pass: 0, block: 0, success: 0, exception: 0, totalRequest: 0, rtSumMs: 0, occupiedPass: 0 });
  n.record(PASS, end + 120_000, 2, 0, false);
  t.equal(n.snapshotAt(end + 120_000).second.passQps, 2, 'and it counts again');
  t.equal(n.bucketsUsed, 1);
});

t.test('the store reclaims in every node: resources, their origins and the total node', async (t) => {
  const store = new StatsStore();
  const t0 = 1_764_120_000_000;
  for (let i = 0; i < 10; i++) store.add(Object.assign(emptyFlowRecord(), { kind: CALL, tsMs: t0 + i * 500, name: 'a', count: 1, rtMs: 3, error: false, origin: i % 2 === 0 ? 'o' : '' }), t0 + 5_000);
  const before = store.resourceAt('a', t0 + 5_000)!;
  t.equal(before.node.minute.pass, 10);
  t.equal(store.reclaimWindowsAt(t0 + 5_000), 0, 'nothing has left the minute yet');
  t.same(store.resourceAt('a', t0 + 5_000), before);
  // Resource a: 10 buckets; origin o: 5; the total node: 10.
  t.equal(store.reclaimWindowsAt(t0 + 70_000), 25, 'a minute later every bucket is freed');
  t.equal(store.resourceAt('a', t0 + 70_000)!.node.minute.pass, 0);
  t.equal(store.resourceAt(TOTAL_RESOURCE, t0 + 70_000)!.node.minute.pass, 0);
});

t.test('many nodes sharing the slabs each read as their own full ring, through growth, reclaim and reuse', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const kinds = [PASS, BLOCK, EXIT, CALL];
  const lazy: NodeStats[] = [];
  const full: FullRingNode[] = [];
  let clockMs = 1_764_120_000_000;
  let reclaimedAtMs = -1;
  let bad = 0;
  let reads = 0;
  let freed = 0;
  for (let i = 0; i < 60_000 && bad < 5; i++) {
    // New nodes now and then, while others are mid-growth: blocks given back are handed out again.
    if (lazy.length < 60 && rand() < 0.002 + (lazy.length === 0 ? 1 : 0)) {
      lazy.push(new NodeStats(`r${lazy.length}`, ''));
      full.push(new FullRingNode());
    }
    clockMs += Math.floor(rand() * 40);
    // A few busy nodes and a long tail.
    const k = Math.min(lazy.length - 1, Math.floor(lazy.length * rand() ** 3));
    const ts = Math.max(0, clockMs - Math.floor(rand() * (rand() < 0.9 ? 2_000 : 70_000)));
    const kind = kinds[Math.floor(rand() * 4)]!;
    const rtMs = Math.floor(rand() * 3000);
    lazy[k]!.record(kind, ts, 1, rtMs, false);
    full[k]!.record(kind, ts, 1, rtMs, false);
    if (rand() < 0.0005) {
      for (const n of lazy) freed += n.reclaimBefore(clockMs);
      reclaimedAtMs = clockMs;
    }
    if (i % 97 === 0 && reclaimedAtMs >= 0) {
      const now = clockMs + Math.floor(rand() * 60_000);
      for (let j = 0; j < lazy.length; j++) {
        reads++;
        const got = JSON.stringify({ ...lazy[j]!.snapshotAt(now), resource: 'r' });
        if (got !== JSON.stringify(full[j]!.snapshotAt(now))) {
          bad++;
          t.same(JSON.parse(got), full[j]!.snapshotAt(now), `node ${j} read at ${now}`);
        }
      }
    }
  }
  t.equal(bad, 0, `${lazy.length} nodes, ${reads} reads: each as its own full ring`);
  t.ok(freed > 100, `${freed} buckets reclaimed`);
});

t.test('the ring storage hands given-back blocks out again and clears reused directories', async (t) => {
  const s = new RingStorage(120);
  const a = s.allocate(19);
  const b = s.allocate(67);
  t.equal(s.offsetOf(b), s.offsetOf(a) + 19, 'bump allocation in one slab');
  t.equal(s.slabOf(a), s.slabOf(b));
  t.equal(s.numbersInUse, 86);
  s.release(a, 19);
  t.equal(s.allocate(67) !== a, true, 'a block of another size does not take it');
  t.equal(s.allocate(19), a, 'a block of the same size does');
  t.equal(s.numbersInUse, 19 + 67 + 67);
  const big = s.allocate(SLAB_NUMBERS - 10);
  t.not(s.slabOf(big), s.slabOf(a), 'what does not fit goes to a new slab');
  t.throws(() => s.allocate(SLAB_NUMBERS + 1), { code: 'E_RING_STORAGE' });
  t.throws(() => s.allocate(0), { code: 'E_RING_STORAGE' });
  const d = s.allocateDirectory();
  s.directorySlabOf(d).fill(7, s.directoryOffsetOf(d), s.directoryOffsetOf(d) + 120);
  const d2 = s.allocateDirectory();
  t.equal(s.directoryOffsetOf(d2), s.directoryOffsetOf(d) + 120);
  s.releaseDirectory(d);
  t.equal(s.allocateDirectory(), d, 'a given-back directory is handed out again');
  t.same([...s.directorySlabOf(d).subarray(s.directoryOffsetOf(d), s.directoryOffsetOf(d) + 120)], new Array(120).fill(0), 'cleared');
  t.equal(s.directoriesInUse, 2);
  t.ok(RING_STORAGE.slabBytes > 0, 'the nodes of this test live in the shared storage');
});

t.test("a store's nodes keep their rings in the store's own storage, not in the shared one", async (t) => {
  const before = RING_STORAGE.numbersInUse;
  const directoriesBefore = RING_STORAGE.directoriesInUse;
  const store = new StatsStore();
  const r = emptyFlowRecord();
  r.kind = RecordKind.CALL;
  r.rtMs = 5;
  for (let i = 0; i < 400; i++) {
    r.tsMs = 1_764_120_000_000 + i * 250;
    r.name = `res-${i % 7}`;
    r.origin = i % 3 === 0 ? 'app-a' : '';
    store.add(r, 1_764_120_000_000 + 100_000);
  }
  t.equal(store.counters.recordsCounted, 400);
  // res-0: i = 0, 7, 14, …; the minute window at t0 + 100 s holds seconds 41 to 99 (i ≥ 164): i = 168 … 399, 34 records.
  t.equal(store.resourceAt('res-0', 1_764_120_000_000 + 100_000)!.node.minute.success, 34, 'the records of res-0 in the last minute');
  t.equal(RING_STORAGE.numbersInUse, before, 'no block taken from the shared storage');
  t.equal(RING_STORAGE.directoriesInUse, directoriesBefore, 'no directory either');
});

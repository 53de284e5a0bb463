// The stage's pending merges (pending-merges.ts): sums of (node, bucket) kept until the node is
// read. Against nodes given every merge at once: seeded adds of late, current and future buckets,
// direct writes in between (which merges must commute with), a clock that moves on, settles at
// random, and a buffer small enough that entries are dropped and
// merged early. Every read at or after the clock less READ_LAG_MS must be exactly the eager node's.
// SW_SEED replays.

import t from 'tap';
import { RecordKind } from '@sentinel-wasi/protocol';
import { COUNTER_FIELDS, C_MIN_RT, C_PASS, C_RT, C_SUCCESS, clearCounters } from '../../src/stats/counters.js';
import { NodeStats } from '../../src/stats/node-stats.js';
import { PendingMerges, READ_LAG_MS } from '../../src/stats/pending-merges.js';
import { prng, testSeed } from '../../../../test/helpers/seeded.js';

const START_MS = 1_764_115_200_000;
const sums = (pass: number, success: number, rtMs: number): Float64Array => {
  const v = new Float64Array(COUNTER_FIELDS);
  clearCounters(v, 0);
  v[C_PASS] = pass;
  v[C_SUCCESS] = success;
  v[C_RT] = rtMs * success;
  if (success > 0) v[C_MIN_RT] = rtMs;
  return v;
};

t.test('every read at or after the clock less READ_LAG_MS is the eager nodes\' (seeded, a buffer of 8, 16 or 64 entries)', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  let reads = 0;
  let bad = 0;
  let mergedEarly = 0;
  let stillPending = 0;
  for (const maxEntries of [8, 16, 64]) {
    const lazy = Array.from({ length: 5 }, (_, i) => new NodeStats(`r${i}`, ''));
    const eager = Array.from({ length: 5 }, (_, i) => new NodeStats(`r${i}`, ''));
    const pending = new PendingMerges(lazy, maxEntries);
    let nowMs = START_MS;
    for (let step = 0; step < 4000; step++) {
      nowMs += Math.floor(rand() * 1500);
      pending.observeNow(nowMs);
      const i = Math.floor(rand() * lazy.length);
      const u = rand();
      if (u < 0.6) {
        // A bucket from 90 s behind to 60 s ahead of the clock.
        const atMs = nowMs - 90_000 + Math.floor(rand() * 150_000);
        const startMs = atMs - (atMs % 500);
        const v = sums(1 + Math.floor(rand() * 5), Math.floor(rand() * 3), 1 + Math.floor(rand() * 40));
        pending.add(i, startMs, v, 0);
        eager[i]!.mergeAt(startMs, v, 0);
      } else if (u < 0.8) {
        const tsMs = nowMs - 70_000 + Math.floor(rand() * 130_000);
        const rtMs = Math.floor(rand() * 900);
        const error = rand() < 0.2;
        lazy[i]!.record(RecordKind.CALL, tsMs, 1, rtMs, error);
        eager[i]!.record(RecordKind.CALL, tsMs, 1, rtMs, error);
      } else {
        pending.settle(i);
        if (pending.has(i)) stillPending++;
        // Half the reads from READ_LAG_MS behind the clock to a second ahead, where buckets about to
        // leave the minute still count.
        const readMs = rand() < 0.5 ? nowMs - READ_LAG_MS + Math.floor(rand() * (READ_LAG_MS + 1000)) : nowMs + Math.floor(rand() * 61_000);
        reads++;
        const got = lazy[i]!.snapshotAt(readMs);
        const want = eager[i]!.snapshotAt(readMs);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          bad++;
          if (bad <= 3) t.same(got, want, `node ${i} read at ${readMs - START_MS} (clock ${nowMs - START_MS}), buffer ${maxEntries}`);
        }
      }
    }
    mergedEarly += pending.mergedEarly;
    t.ok(pending.size <= maxEntries, `at most ${maxEntries} entries kept (${pending.size})`);
  }
  t.equal(bad, 0, `${reads} reads, each the eager node's`);
  t.equal(stillPending, 0, 'a settled node has no pending entry');
  t.ok(mergedEarly > 0, `${mergedEarly} entries merged early when the buffer was full`);
});

t.test('a bucket no read at the clock less READ_LAG_MS or later counts is dropped unmerged; a younger one is merged when read', async (t) => {
  const node = new NodeStats('r', '');
  const pending = new PendingMerges([node]);
  const secMs = START_MS + 61_000;
  const readMs = secMs + 60_000 - 1; // the last millisecond whose minute window holds second secMs
  const nowMs = readMs + READ_LAG_MS; // the newest clock at which a read at readMs must be exact
  pending.observeNow(nowMs);
  pending.add(0, secMs - 500, sums(7, 0, 0), 0); // outside readMs's minute, and so every later read's
  t.equal(pending.size, 0, 'nothing kept for it');
  pending.add(0, secMs, sums(1, 0, 0), 0); // second secMs's first half: readMs counts it
  pending.add(0, secMs + 500, sums(3, 2, 10), 0); // and its later half
  t.equal(pending.size, 2, 'both halves of second secMs kept');
  t.equal(node.snapshotAt(readMs).minute.pass, 0, 'not in the ring before it is settled');
  pending.settle(0);
  const m = node.snapshotAt(readMs).minute;
  t.same([m.pass, m.success, m.rtSumMs], [4, 2, 20], 'merged when settled');
  t.equal(node.snapshotAt(readMs + 1).minute.pass, 0, 'and out of the minute a millisecond later');
  const later = new PendingMerges([new NodeStats('r', '')]);
  later.observeNow(nowMs + 1);
  later.add(0, secMs, sums(1, 0, 0), 0);
  t.equal(later.size, 0, 'a millisecond later on the clock, second secMs is dropped too');
  t.throws(() => new PendingMerges([node], 12), RangeError, 'a buffer size that is not a power of two');
});

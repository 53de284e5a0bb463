// A sealed second's lines are sorted by resource name in JavaScript string order (UTF-16 code
// units), as a plain sort of the lines would give: the batch sorts rows by each id's place in name
// order (ResourceRegistry.nameRanks), which is computed again whenever resources were added. Seeded
// names of mixed scripts, cases and lengths, new ones between seals, and a resource that is itself
// named like the total node (equal names keep the order their rows were made in). SW_SEED replays.

import t from 'tap';
import { RecordKind, emptyFlowRecord } from '@sentinel-wasi/protocol';
import { ResourceRegistry } from '../../src/stats/registry.js';
import { StatsStore, TOTAL_RESOURCE, type SealedSecond } from '../../src/stats/store.js';
import { prng, testSeed } from '../../../../test/helpers/seeded.js';

const PIECES = ['a', 'B', 'b', 'Z', '_', '-', '/', '0', '9', '商品', '订单', 'é', 'E', '\u{1F600}', ' ', '~'];

function randomName(rand: () => number): string {
  let s = '';
  const n = 1 + Math.floor(rand() * 5);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)]!;
  return s;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

t.test('sealed lines come out in name order, through new resources between seals', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const store = new StatsStore({ maxResources: 300 });
  const names: string[] = [];
  let now = 1_764_120_000_000;
  let seconds = 0;
  let bad = 0;
  for (let round = 0; round < 60 && bad < 3; round++) {
    // A few new names each round, then records for a random mix of old and new ones.
    for (let k = Math.floor(rand() * 6); k > 0; k--) names.push(randomName(rand));
    const rec = emptyFlowRecord();
    for (let i = 0; i < 200; i++) {
      rec.kind = RecordKind.PASS;
      rec.tsMs = now + Math.floor(rand() * 3000);
      rec.name = names[Math.floor(rand() * names.length)] ?? 'x';
      rec.count = 1;
      store.add(rec, now + 3000);
    }
    now += 3000;
    for (const s of store.sealThrough(Math.floor(now / 1000))) {
      seconds++;
      const got = s.lines.map((l) => l.resource);
      const want = [...got].sort(byName);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        bad++;
        t.same(got, want, `second ${s.sec}`);
      }
    }
  }
  t.ok(seconds > 100, `${seconds} sealed seconds`);
  t.equal(bad, 0, 'every second in name order');
});

t.test('records naming the total node count on it alone: one line of that name, in name order', async (t) => {
  const store = new StatsStore();
  const rec = Object.assign(emptyFlowRecord(), { kind: RecordKind.PASS, tsMs: 5_000, name: TOTAL_RESOURCE, count: 2 });
  store.add(rec, 6_000);
  Object.assign(rec, { name: 'zz', count: 1 });
  store.add(rec, 6_000);
  Object.assign(rec, { name: 'A', count: 1 });
  store.add(rec, 6_000);
  const sealed: SealedSecond[] = store.sealThrough(5);
  t.same(
    sealed[0]!.lines.map((l) => [l.resource, l.pass]),
    [
      ['A', 1],
      [TOTAL_RESOURCE, 4],
      ['zz', 1],
    ],
  );
  t.equal(store.counters.resourcesOverflow, 0);
});

t.test('nameRanks: places in name order, recomputed after a new entry', async (t) => {
  const reg = new ResourceRegistry(10);
  for (const n of ['b', 'a', 'c']) reg.entryFor(n);
  const ranks = reg.nameRanks();
  t.same([ranks[0], ranks[1], ranks[2], ranks[reg.totalId]], [2, 1, 3, 0], 'b, a, c and the total node (__…, before lower case)');
  t.equal(reg.nameRanks(), ranks, 'kept while no entry is created');
  t.equal(reg.entryFor(TOTAL_RESOURCE), null, 'no resource named like the total node');
  t.equal(reg.nameRanks(), ranks, 'so nothing to recompute');
  reg.entryFor('aa');
  const again = reg.nameRanks();
  t.not(again, ranks, 'recomputed after a new entry');
  t.same([again[reg.totalId], again[1], again[3], again[0], again[2]], [0, 1, 2, 3, 4], 'the total, a, aa, b, c');
});

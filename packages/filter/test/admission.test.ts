// Error diffusion of an `admit` ratio (admission.ts): exact admitted counts for n requests of one
// key at a fixed ratio, within one of the ratios' sum when the ratio changes, one credit per key
// (bounded), and a fresh state admitting with frequency p over many seeded fresh states.

import t from 'tap';
import { Admission } from '../src/admission.js';
import { prng, testSeed } from '../../../test/helpers/seeded.js';

const count = (a: Admission, key: string, ratio: number, n: number): number => {
  let admitted = 0;
  for (let i = 0; i < n; i++) if (a.admit(key, ratio)) admitted++;
  return admitted;
};

t.test('exact counts: a credit starting at u admits floor(u + n·p) of n requests', async (t) => {
  t.equal(count(new Admission(() => 0), 'r', 0.25, 100), 25);
  t.equal(count(new Admission(() => 0.75), 'r', 0.25, 100), 25, 'floor(0.75 + 25)');
  t.equal(count(new Admission(() => 0.75), 'r', 0.25, 1), 1, 'the first request: 0.75 + 0.25 reaches 1');
  t.equal(count(new Admission(() => 0.7), 'r', 0.25, 1), 0);
  t.equal(count(new Admission(() => 0.5), 'r', 0.375, 8), 3, 'floor(0.5 + 3)');
  t.equal(count(new Admission(() => 0.625), 'r', 0.375, 9), 4, 'floor(0.625 + 3.375)');
  t.equal(count(new Admission(() => 0.5), 'r', 1, 10), 10, 'ratio 1 admits all');
  t.equal(count(new Admission(() => 0.99), 'r', 0, 10), 0, 'ratio 0 admits none');
  t.equal(count(new Admission(() => 0.5), 'r', 7, 3) + count(new Admission(() => 0.5), 'r', -1, 3), 3, 'ratios clamped to [0, 1]');
  const a = new Admission(() => 0);
  const seq = Array.from({ length: 8 }, () => a.admit('r', 0.25));
  t.same(seq, [false, false, false, true, false, false, false, true], 'evenly spread: every fourth');
});

t.test('any ratio, any start, changing ratios: within one of the ratios\' sum', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const next = prng(seed);
  const bad: string[] = [];
  for (let run = 0; run < 300; run++) {
    const u = next();
    const a = new Admission(() => u);
    const n = 1 + Math.floor(next() * 2000);
    const fixed = next() < 0.5;
    const p0 = next();
    let sum = 0;
    let admitted = 0;
    for (let i = 0; i < n; i++) {
      const p = fixed ? p0 : next();
      sum += p;
      if (a.admit('r', p)) admitted++;
    }
    const lo = Math.floor(u + sum - 1e-9);
    const hi = Math.floor(u + sum + 1e-9);
    if (admitted < lo || admitted > hi) bad.push(`run ${run}: u ${u} n ${n} Σp ${sum}: ${admitted} not in [${lo}, ${hi}]`);
    if (fixed && (admitted < Math.floor(n * p0 - 1e-9) || admitted > Math.ceil(n * p0 + 1e-9))) bad.push(`run ${run}: ${admitted} of ${n} at ${p0}`);
  }
  t.same(bad, []);
});

t.test('a fresh state admits with frequency p (over many seeded fresh states)', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const random = prng(seed);
  const n = 20_000;
  for (const p of [0.05, 0.3, 0.5, 0.9]) {
    let admitted = 0;
    for (let i = 0; i < n; i++) if (new Admission(random).admit('r', p)) admitted++;
    const sd = Math.sqrt(n * p * (1 - p));
    t.ok(Math.abs(admitted - n * p) <= 5 * sd, `p ${p}: ${admitted} of ${n} (expected ${n * p} ± ${(5 * sd).toFixed(0)})`);
  }
});

t.test('one credit per key, one draw each; bounded: full, every key starts over with a fresh draw', async (t) => {
  let draws = 0;
  const a = new Admission(() => {
    draws++;
    return 0.5;
  }, 3);
  t.same([a.admit('x', 0.5), a.admit('y', 0.5), a.admit('x', 0.5), a.admit('y', 0.5)], [true, true, false, false]);
  t.equal(draws, 2);
  a.admit('z', 0.5);
  t.equal(a.size, 3);
  t.equal(a.admit('w', 0.5), true, 'a fourth key clears the credits');
  t.equal(a.size, 1);
  t.equal(a.admit('x', 0.5), true, 'x starts over: 0.5 + 0.5');
  t.equal(draws, 5);
  const broken = new Admission(() => Number.NaN);
  t.same([broken.admit('r', 0.5), broken.admit('r', 0.5)], [false, true], 'a bad draw starts the credit at 0');
});

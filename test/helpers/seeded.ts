// Owns the seeded randomness of every test tree (packages/*/test, examples/*/test, test/): one small
// PRNG (mulberry32) and one variable, SW_SEED, that replays a property test. Tests print the seed
// they used (`t.comment(\`seed ${seed} (replay with SW_SEED=${seed})\`)`).

/** mulberry32: a small, fast 32-bit generator, good enough for test data; values in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a property test: SW_SEED when set (to replay a failure), else a fresh one. */
export function testSeed(): number {
  const fromEnv = process.env.SW_SEED;
  if (fromEnv === undefined || fromEnv === '') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(fromEnv);
  if (!Number.isSafeInteger(seed)) throw new Error(`SW_SEED must be an integer, got ${JSON.stringify(fromEnv)}`);
  return seed;
}

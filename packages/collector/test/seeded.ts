// Test helper: a small seeded PRNG (mulberry32) and the seed of a property test, printed by the
// test so that SW_SEED=<seed> replays a failure.

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** SW_SEED when set (to replay), else a fresh seed. */
export function seedFromEnv(): number {
  return process.env.SW_SEED ? Number(process.env.SW_SEED) : Math.floor(Math.random() * 2 ** 31);
}

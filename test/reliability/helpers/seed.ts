// Owns the seeds and sizes of the reliability tests: one seed variable (SW_SEED replays a run, and
// a seeded test prints the seed it used), and SW_LONG=1 selecting the long mode's sizes.

import { prng } from '../../helpers/seeded.js';

export { prng };

/** True when SW_LONG=1 asks for the long mode. */
export const LONG = process.env.SW_LONG === '1';

/**
 * Sets the file's time limit (tap takes the top-level t.setTimeout as the file's limit): 6 h in
 * long mode, else 15 min, since starting a Node process on a loaded machine can take 10 s.
 */
export function setFileTimeLimit(t: { setTimeout(ms: number): void }): void {
  t.setTimeout(LONG ? 6 * 3600_000 : 15 * 60_000);
}

/** CI size or long size, by SW_LONG. */
export function size(ci: number, long: number): number {
  return LONG ? long : ci;
}

/**
 * The seeds a property test runs: SW_SEED alone when set (a replay), otherwise `count` seeds
 * drawn from one fresh base seed.
 */
export function seeds(count: number): number[] {
  if (process.env.SW_SEED !== undefined && process.env.SW_SEED !== '') return [Number(process.env.SW_SEED)];
  const base = Math.floor(Math.random() * 2 ** 31);
  return Array.from({ length: count }, (_, i) => (base + i * 7919) % 2 ** 31);
}

/** A fresh seed, or SW_SEED to replay. */
export function oneSeed(): number {
  return seeds(1)[0]!;
}

/** Helpers over a seeded generator. */
export interface Rand {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  bytes(n: number): Uint8Array;
}

export function rand(seed: number): Rand {
  const next = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
    bytes: (n) => Uint8Array.from({ length: n }, () => int(0, 255)),
  };
}

// LeapWindow in shared storage (as NodeStats keeps its two windows) against a straightforward
// model of the LeapArray rules (float modulo, starts kept apart): seeded random times, including
// late and far-future ones at epoch scale, must place and sum exactly alike. SW_SEED replays.

import t from 'tap';
import { C_MIN_RT, C_PASS, C_RT, STATISTIC_MAX_RT_MS } from '../../src/stats/counters.js';
import { FIELD_COUNT, HEADER_SIZE, LeapWindow } from '../../src/stats/leap-window.js';
import { NodeStats } from '../../src/stats/node-stats.js';
import { prng, testSeed } from '../../../../test/helpers/seeded.js';

class ModelWindow {
  readonly bucketMs: number;
  readonly starts: number[];
  readonly pass: number[];
  readonly rt: number[];
  readonly minRt: number[];
  constructor(readonly sampleCount: number, readonly intervalMs: number) {
    this.bucketMs = intervalMs / sampleCount;
    this.starts = new Array<number>(sampleCount).fill(-1);
    this.pass = new Array<number>(sampleCount).fill(0);
    this.rt = new Array<number>(sampleCount).fill(0);
    this.minRt = new Array<number>(sampleCount).fill(STATISTIC_MAX_RT_MS);
  }
  /** The bucket index, or -1. */
  add(tsMs: number, rtMs: number): number {
    const start = tsMs - (tsMs % this.bucketMs);
    const idx = (start / this.bucketMs) % this.sampleCount;
    if (this.starts[idx]! > start) return -1;
    if (this.starts[idx]! < start) {
      this.starts[idx] = start;
      this.pass[idx] = 0;
      this.rt[idx] = 0;
      this.minRt[idx] = STATISTIC_MAX_RT_MS;
    }
    this.pass[idx]!++;
    this.rt[idx] = this.rt[idx]! + rtMs;
    if (rtMs < this.minRt[idx]!) this.minRt[idx] = rtMs;
    return idx;
  }
  sum(field: 'pass' | 'rt', nowMs: number): number {
    let s = 0;
    for (let i = 0; i < this.sampleCount; i++) if (this.starts[i]! > nowMs - this.intervalMs && this.starts[i]! <= nowMs) s += this[field][i]!;
    return s;
  }
  minRtAt(nowMs: number): number {
    let m = STATISTIC_MAX_RT_MS;
    for (let i = 0; i < this.sampleCount; i++) if (this.starts[i]! > nowMs - this.intervalMs && this.starts[i]! <= nowMs) m = Math.min(m, this.minRt[i]!);
    return Math.max(1, m);
  }
}


t.test('two windows sharing one array place and sum exactly as the model', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  for (const origin of [0, 1_764_120_000_000, 2 ** 53 - 10 ** 9]) {
    const storage = new Float64Array(2 * HEADER_SIZE + 62 * FIELD_COUNT);
    const second = new LeapWindow(2, 1000, storage, 0, 2 * HEADER_SIZE);
    const minute = new LeapWindow(60, 60_000, storage, HEADER_SIZE, 2 * HEADER_SIZE + 2 * FIELD_COUNT);
    const models = [new ModelWindow(2, 1000), new ModelWindow(60, 60_000)];
    let ts = origin;
    let bad = 0;
    for (let i = 0; i < 20_000 && bad < 5; i++) {
      const r = rand();
      // Mostly forward in small steps; sometimes late, sometimes a jump ahead.
      ts = Math.max(0, ts + (r < 0.8 ? Math.floor(rand() * 50) : r < 0.95 ? -Math.floor(rand() * 70_000) : Math.floor(rand() * 200_000)));
      const rtMs = Math.floor(rand() * 6000);
      [second, minute].forEach((w, k) => {
        const base = w.slotAt(ts);
        const idx = models[k]!.add(ts, rtMs);
        const want = idx < 0 ? -1 : w.bucketsAt + idx * FIELD_COUNT;
        if (base !== want) {
          bad++;
          t.fail(`window ${k} at ${ts}: slot ${base}, model ${want}`);
          return;
        }
        if (base >= 0) {
          storage[base + C_PASS]!++;
          storage[base + C_RT] = storage[base + C_RT]! + rtMs;
          if (rtMs < storage[base + C_MIN_RT]!) storage[base + C_MIN_RT] = rtMs;
        }
      });
      if (i % 97 === 0) {
        const now = ts + Math.floor(rand() * 90_000) - 30_000;
        [second, minute].forEach((w, k) => {
          const m = models[k]!;
          if (w.sumAt(C_PASS, now) !== m.sum('pass', now) || w.sumAt(C_RT, now) !== m.sum('rt', now) || w.minRtAt(now) !== m.minRtAt(now)) {
            bad++;
            t.fail(`window ${k} read at ${now} differs from the model`);
          }
        });
      }
    }
    t.equal(bad, 0, `origin ${origin}: every placement and read as the model`);
  }
});

t.test('a node keeps its second and minute windows apart in its one array', async (t) => {
  const n = new NodeStats('r', '');
  n.record(3, 1_764_120_000_250, 1, 7, false);
  n.record(3, 1_764_120_000_750, 1, 9, true);
  const s = n.snapshotAt(1_764_120_000_999);
  t.same(s.second, { passQps: 2, blockQps: 0, successQps: 2, exceptionQps: 1, totalQps: 2, occupiedPassQps: 0, avgRtMs: 8, minRtMs: 7 });
  t.same(s.minute, { pass: 2, block: 0, success: 2, exception: 1, totalRequest: 2, rtSumMs: 16, occupiedPass: 0 });
});

// NodeStats keeps one ring of 120 half-second buckets and reads both windows from it. Against the
// plain pair of LeapWindows (2 × 500 ms and 60 × 1 s, each half of a record placed into both,
// a CALL's exit half at dt + rtMs): seeded
// random records of every kind, late, far-future and same-slot-next-lap ones included, at epoch
// scale, must give exactly the same snapshot at every read time. SW_SEED replays.

import t from 'tap';
import { RecordKind } from '@sentinel-wasi/protocol';
import { C_BLOCK, C_EXCEPTION, C_MIN_RT, C_PASS, C_RT, C_SUCCESS } from '../../src/stats/counters.js';
import { F_OCCUPIED, LeapWindow } from '../../src/stats/leap-window.js';
import { NodeStats } from '../../src/stats/node-stats.js';
import type { NodeSnapshot } from '../../src/stats/types.js';
import { prng, testSeed } from '../../../../test/helpers/seeded.js';

const { PASS, BLOCK, EXIT, CALL } = RecordKind;

/** The two-window node: every record and restored count goes into both LeapWindows. */
class TwoWindowNode {
  concurrency = 0;
  readonly second = new LeapWindow(2, 1000);
  readonly minute = new LeapWindow(60, 60_000);

  record(kind: number, tsMs: number, count: number, rtMs: number, error: boolean): void {
    if (kind === PASS) this.concurrency += count;
    if (kind === EXIT) this.concurrency -= count;
    for (const w of [this.second, this.minute]) {
      const v = w.values;
      // Entry half at tsMs (a CALL's pass), exit half at tsMs (EXIT) or tsMs + rtMs (CALL).
      if (kind !== EXIT) {
        const b = w.slotAt(tsMs);
        if (b >= 0) {
          if (kind === BLOCK) v[b + C_BLOCK] = v[b + C_BLOCK]! + count;
          else v[b + C_PASS] = v[b + C_PASS]! + (kind === CALL ? 1 : count);
        }
      }
      if (kind === EXIT || kind === CALL) {
        const b = w.slotAt(kind === CALL ? tsMs + rtMs : tsMs);
        if (b < 0) continue;
        const n = kind === CALL ? 1 : count;
        v[b + C_SUCCESS] = v[b + C_SUCCESS]! + n;
        if (error) v[b + C_EXCEPTION] = v[b + C_EXCEPTION]! + n;
        v[b + C_RT] = v[b + C_RT]! + rtMs;
        if (rtMs < v[b + C_MIN_RT]!) v[b + C_MIN_RT] = rtMs;
      }
    }
  }

  addCounts(tsMs: number, pass: number, block: number, success: number, exception: number, rtSumMs: number): void {
    for (const w of [this.second, this.minute]) {
      const b = w.slotAt(tsMs);
      if (b < 0) continue;
      const v = w.values;
      v[b + C_PASS] = v[b + C_PASS]! + pass;
      v[b + C_BLOCK] = v[b + C_BLOCK]! + block;
      v[b + C_SUCCESS] = v[b + C_SUCCESS]! + success;
      v[b + C_EXCEPTION] = v[b + C_EXCEPTION]! + exception;
      v[b + C_RT] = v[b + C_RT]! + rtSumMs;
    }
  }

  snapshotAt(nowMs: number): NodeSnapshot {
    const s = this.second;
    const m = this.minute;
    const pass = s.sumAt(C_PASS, nowMs);
    const block = s.sumAt(C_BLOCK, nowMs);
    const success = s.sumAt(C_SUCCESS, nowMs);
    const rt = s.sumAt(C_RT, nowMs);
    const mPass = m.sumAt(C_PASS, nowMs);
    const mBlock = m.sumAt(C_BLOCK, nowMs);
    return {
      resource: 'r',
      origin: '',
      concurrency: this.concurrency,
      second: {
        passQps: pass,
        blockQps: block,
        successQps: success,
        exceptionQps: s.sumAt(C_EXCEPTION, nowMs),
        totalQps: pass + block,
        occupiedPassQps: s.sumAt(F_OCCUPIED, nowMs),
        avgRtMs: success > 0 ? rt / success : 0,
        minRtMs: s.minRtAt(nowMs),
      },
      minute: {
        pass: mPass,
        block: mBlock,
        success: m.sumAt(C_SUCCESS, nowMs),
        exception: m.sumAt(C_EXCEPTION, nowMs),
        totalRequest: mPass + mBlock,
        rtSumMs: m.sumAt(C_RT, nowMs),
        occupiedPass: m.sumAt(F_OCCUPIED, nowMs),
      },
    };
  }
}


t.test('the ring reads exactly as the two windows, for every kind and order of records', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const kinds = [PASS, BLOCK, EXIT, CALL];
  let reads = 0;
  for (const origin of [0, 1_764_120_000_000, 2 ** 53 - 10 ** 9]) {
    const ring = new NodeStats('r', '');
    const pair = new TwoWindowNode();
    let ts = origin;
    let bad = 0;
    for (let i = 0; i < 30_000 && bad < 5; i++) {
      const r = rand();
      // Mostly forward in small steps; sometimes late (within and beyond a minute), sometimes a
      // jump ahead, sometimes exactly one ring lap (60 s) or half of it ahead or behind.
      ts = Math.max(0, ts + (r < 0.75 ? Math.floor(rand() * 400) : r < 0.85 ? -Math.floor(rand() * 70_000) : r < 0.9 ? Math.floor(rand() * 200_000) : r < 0.95 ? (rand() < 0.5 ? 60_000 : -60_000) + Math.floor(rand() * 3) * 500 : (rand() < 0.5 ? 30_000 : -30_000)));
      if (rand() < 0.02) {
        const tsSec = ts - (ts % 1000);
        ring.addCounts(tsSec, 3, 1, 2, 1, 40);
        pair.addCounts(tsSec, 3, 1, 2, 1, 40);
      } else {
        const kind = kinds[Math.floor(rand() * 4)]!;
        const count = 1 + Math.floor(rand() * 3);
        const rtMs = Math.floor(rand() * 6000);
        const error = rand() < 0.2;
        ring.record(kind, ts, count, rtMs, error);
        pair.record(kind, ts, count, rtMs, error);
      }
      if (i % 13 === 0) {
        const r2 = rand();
        // Reads around the newest record, and at exact bucket edges.
        const now = r2 < 0.5 ? ts + Math.floor(rand() * 90_000) - 30_000 : ts - (ts % 500) + [0, 499, 500, 999, 1000, 1500, 59_999, 60_000, 60_500, -1, -500, -60_000][Math.floor(rand() * 12)]!;
        if (now < 0) continue;
        reads++;
        const got = ring.snapshotAt(now);
        const want = pair.snapshotAt(now);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          bad++;
          t.same(got, want, `read at ${now} after a record at ${ts}`);
        }
      }
    }
    t.equal(bad, 0, `origin ${origin}: every read as the two windows`);
  }
  t.ok(reads > 6000, `${reads} reads compared`);
});

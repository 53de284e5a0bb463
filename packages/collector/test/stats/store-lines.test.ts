// The store's sealed lines against a plain model that sums every record into its second's line
// (late ones into extra lines, too-late ones dropped): seeded records of every kind around a
// moving clock, late ones, ones about a minute ahead (a lap of the minute window, also for seconds
// still pending), the resource cap, seals at random (some only of late extras), and checkpoint
// export/import round trips in between, must give exactly the model's lines and counters.
// The total node (which takes every record, in runs of one half-second bucket) must read exactly
// as a node given each counted record in turn. SW_SEED replays.

import t, { type Test } from 'tap';
import { RecordKind, emptyFlowRecord, type FlowRecord } from '@sentinel-wasi/protocol';
import { NodeStats } from '../../src/stats/node-stats.js';
import { StatsStore, TOTAL_RESOURCE, type SealedSecond } from '../../src/stats/store.js';
import { prng, testSeed } from '../../../../test/helpers/seeded.js';

const { PASS, BLOCK, EXIT, CALL } = RecordKind;
type Sums = [pass: number, block: number, success: number, exception: number, rtSumMs: number];

class LinesModel {
  lastSealedSec = -1;
  counted = 0;
  late = 0;
  lateDropped = 0;
  future = 0;
  readonly pending = new Map<number, Map<string, Sums>>();
  readonly lateLines = new Map<number, Map<string, Sums>>();
  readonly tracked = new Set<string>();
  constructor(readonly maxResources: number) {}

  /**
   * A store restarted from a checkpoint tracks the names the checkpoint holds (its rows, then the
   * nodes with entries in flight, in that order, within the cap) and then new ones as they come,
   * up to the cap: a tracked name with nothing in the checkpoint may lose its place.
   */
  restartWith(names: string[]): void {
    this.tracked.clear();
    for (const name of names) if (name !== TOTAL_RESOURCE && this.tracked.size < this.maxResources) this.tracked.add(name);
  }

  add(r: FlowRecord, nowMs: number): void {
    // A CALL is a PASS of 1 at dt and an EXIT of 1 at dt + rtMs, each in its own second; the
    // entry second decides late/dropped, the exit time decides "too far ahead".
    const exitMs = r.kind === CALL ? r.tsMs + r.rtMs : r.tsMs;
    if (exitMs > nowMs + 60_000) {
      this.future++;
      return;
    }
    const sec = Math.floor(r.tsMs / 1000);
    if (sec <= this.lastSealedSec) {
      this.late++;
      if (sec < this.lastSealedSec - 60) {
        this.lateDropped++;
        return;
      }
    }
    // Only a record that is kept gets its name tracked (within the cap): dropped ones (too far
    // ahead, too late) take no place among the resources.
    if (!this.tracked.has(r.name) && this.tracked.size < this.maxResources) this.tracked.add(r.name);
    this.counted++;
    const rowsOf = (at: number): Map<string, Sums> => {
      const m = at > this.lastSealedSec ? this.pending : this.lateLines;
      if (!m.has(at)) m.set(at, new Map());
      return m.get(at)!;
    };
    for (const name of this.tracked.has(r.name) ? [TOTAL_RESOURCE, r.name] : [TOTAL_RESOURCE]) {
      const rowOf = (at: number): Sums => {
        const rows = rowsOf(at);
        const s = rows.get(name) ?? ([0, 0, 0, 0, 0] as Sums);
        rows.set(name, s);
        return s;
      };
      const n = r.kind === CALL ? 1 : r.count;
      if (r.kind === PASS || r.kind === CALL) rowOf(sec)[0] += n;
      if (r.kind === BLOCK) rowOf(sec)[1] += n;
      if (r.kind === EXIT || r.kind === CALL) {
        const s = rowOf(Math.floor(exitMs / 1000));
        s[2] += n;
        if (r.error) s[3] += n;
        s[4] += r.rtMs;
      }
    }
  }

  sealThrough(throughSec: number): unknown[] {
    const out: unknown[] = [];
    const take = (m: Map<number, Map<string, Sums>>, late: boolean, secs: number[]): void => {
      for (const sec of secs.sort((a, b) => a - b)) {
        const rows = [...m.get(sec)!.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        out.push([sec, late, rows.map(([name, [p, b, s, e, rt]]) => [name, p, b, s, e, s > 0 ? Math.floor(rt / s) : rt])]);
        m.delete(sec);
      }
    };
    take(this.lateLines, true, [...this.lateLines.keys()]);
    if (throughSec > this.lastSealedSec) {
      take(this.pending, false, [...this.pending.keys()].filter((s) => s <= throughSec));
      this.lastSealedSec = throughSec;
    }
    return out;
  }
}

/** The resource names a checkpointed state holds, in the order a store loads them. */
function namesIn(state: ReturnType<StatsStore['exportState']>): string[] {
  const out: string[] = [];
  for (const list of [state.pending, state.late]) for (const { rows } of list) for (const [name] of rows) out.push(name);
  for (const [name] of state.concurrency) out.push(name);
  for (const rows of [state.openEntries ?? [], state.expiredEntries ?? []]) for (const [name] of rows) out.push(name);
  return [...new Set(out)];
}

function shape(sealed: SealedSecond[]): unknown[] {
  return sealed.map((s) => [s.sec, s.late, s.lines.map((l) => [l.resource, l.pass, l.block, l.success, l.exception, l.rtMs])]);
}


t.test('sealed lines equal the per-record sums, through seals and checkpoints', async (t) => {
  await t.test('6 names, 4 tracked: a few rows a second', async (t) => checkLines(t, ['a', 'b', 'c', 'd', 'e', 'f'], 4));
  // Tens of rows a second: a second's rows outgrow their first storage (16 rows, then 32, 64)
  // while records (an exit half in the next second, a checkpoint's rows, the total node's run)
  // are being added to them.
  await t.test('80 names, 64 tracked: rows grow while they are written', async (t) => checkLines(t, Array.from({ length: 80 }, (_, i) => `r${i}`), 64));
});

async function checkLines(t: Test, names: string[], maxResources: number): Promise<void> {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const kinds = [PASS, BLOCK, EXIT, CALL];
  let store = new StatsStore({ maxResources });
  const model = new LinesModel(maxResources);
  let now = 1_764_120_000_000;
  let bad = 0;
  let seals = 0;
  let lines = 0;
  let imports = 0;
  for (let i = 0; i < 40_000 && bad < 3; i++) {
    now += Math.floor(rand() * 40);
    const r = rand();
    // Mostly just behind the clock; sometimes late; sometimes about a minute ahead (a ring lap).
    const offset = r < 0.8 ? -Math.floor(rand() * 3000) : r < 0.9 ? -Math.floor(rand() * 90_000) : 50_000 + Math.floor(rand() * 12_000);
    const rec = Object.assign(emptyFlowRecord(), {
      kind: kinds[Math.floor(rand() * 4)]!,
      tsMs: now + offset,
      name: names[Math.floor(rand() * names.length)]!,
      count: 1 + Math.floor(rand() * 3),
      rtMs: Math.floor(rand() * 300),
      error: rand() < 0.2,
      origin: rand() < 0.2 ? 'o' : '',
    });
    store.add(rec, now);
    model.add(rec, now);
    const roll = rand();
    if (roll < 0.004) {
      // Seal up to a few seconds behind the clock (sometimes not past the sealed front: late extras only).
      const through = Math.floor(now / 1000) - 2 - Math.floor(rand() * 90);
      const got = shape(store.sealThrough(Math.max(through, store.lastSealedSec)));
      const want = model.sealThrough(Math.max(through, model.lastSealedSec));
      seals++;
      lines += got.length;
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        bad++;
        t.same(got, want, `seal through ${through} at ${now}`);
      }
    } else if (roll < 0.005) {
      const again = new StatsStore({ maxResources });
      const state = JSON.parse(JSON.stringify(store.exportState())) as ReturnType<StatsStore['exportState']>;
      again.importState(state);
      model.restartWith(namesIn(state));
      store = again;
      imports++;
    }
  }
  const c = store.counters;
  t.same([c.recordsCounted, c.recordsLate, c.recordsLateDropped, c.recordsFuture], [model.counted, model.late, model.lateDropped, model.future], 'counters');
  t.same(shape(store.sealThrough(Math.floor(now / 1000) + 120)), model.sealThrough(Math.floor(now / 1000) + 120), 'the rest');
  t.equal(bad, 0, `${seals} seals (${lines} seconds), ${imports} checkpoint round trips: every line as the model`);
}

t.test('the total node reads as one given every counted record in turn', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const kinds = [PASS, BLOCK, EXIT, CALL];
  const store = new StatsStore({ maxResources: 2 });
  const model = new LinesModel(2);
  const ref = new NodeStats(TOTAL_RESOURCE, '');
  let now = 1_764_120_000_000;
  let bad = 0;
  let reads = 0;
  for (let i = 0; i < 30_000 && bad < 3; i++) {
    now += Math.floor(rand() * 40);
    const r = rand();
    const offset = r < 0.8 ? -Math.floor(rand() * 1500) : r < 0.9 ? -Math.floor(rand() * 90_000) : 50_000 + Math.floor(rand() * 12_000);
    const rec = Object.assign(emptyFlowRecord(), {
      kind: kinds[Math.floor(rand() * 4)]!,
      tsMs: now + offset,
      name: ['a', 'b', 'c'][Math.floor(rand() * 3)]!,
      count: Math.floor(rand() * 3),
      rtMs: Math.floor(rand() * 6000),
      error: rand() < 0.2,
    });
    const before = model.counted;
    store.add(rec, now);
    model.add(rec, now);
    if (model.counted !== before) ref.record(rec.kind, rec.tsMs, rec.count, rec.rtMs, rec.error);
    const roll = rand();
    if (roll < 0.003) {
      const through = Math.floor(now / 1000) - 2 - Math.floor(rand() * 90);
      store.sealThrough(Math.max(through, store.lastSealedSec));
      model.sealThrough(Math.max(through, model.lastSealedSec));
    } else if (roll < 0.05) {
      const at = now + Math.floor(rand() * 3000) - 1500;
      reads++;
      const got = store.resourceAt(TOTAL_RESOURCE, at)!.node;
      const want = ref.snapshotAt(at);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        bad++;
        t.same(got, want, `total read at ${at}`);
      }
    }
  }
  t.equal(bad, 0, `${reads} reads of the total node as the reference node`);
});

// Open entries and their expiry in the store (explicit times, no clock): an EXIT closes the entry
// its RT points at (tsMs − rtMs), an entry whose EXIT never comes leaves the concurrency of its
// resource, its origin and the total node once it is maxEntryAgeMs old (entriesExpired), a late
// EXIT of an expired entry does not take the concurrency down twice, and the open entries survive
// a checkpoint (an older checkpoint's unexplained concurrency counts as opened at its time).
import t from 'tap';
import { RecordKind, emptyFlowRecord, type FlowRecord } from '@sentinel-wasi/protocol';
import { StatsStore, TOTAL_RESOURCE } from '../../src/stats/store.js';

const { PASS, EXIT, CALL } = RecordKind;
const T = 1_764_120_000_000;
const AGE = 60_000;

function rec(kind: number, tsMs: number, name: string, fields: Partial<FlowRecord> = {}): FlowRecord {
  return { ...emptyFlowRecord(), kind, tsMs, name, count: 1, ...fields };
}

function concurrencyOf(s: StatsStore, nowMs: number): { r: number; origin: number; total: number } {
  const r = s.resourceAt('r', nowMs)!;
  const total = s.resourceAt(TOTAL_RESOURCE, nowMs);
  return { r: r.node.concurrency, origin: r.origins.find((o) => o.origin === 'app')?.concurrency ?? 0, total: total?.node.concurrency ?? Number.NaN };
}

t.test('an entry whose EXIT never comes is expired maxEntryAgeMs after it began; the others are not', async (t) => {
  const s = new StatsStore({ maxEntryAgeMs: AGE });
  s.add(rec(PASS, T, 'r', { origin: 'app' }), T); // killed mid-request: no EXIT
  s.add(rec(PASS, T + 10, 'r', { count: 2 }), T);
  s.add(rec(EXIT, T + 30, 'r', { count: 2, rtMs: 20 }), T); // closes T + 10
  s.add(rec(CALL, T + 40, 'r', { rtMs: 5 }), T); // no concurrency
  s.add(rec(PASS, T + 50_000, 'r'), T + 50_000); // still running
  t.same(concurrencyOf(s, T + 50_000), { r: 2, origin: 1, total: 2 });
  t.equal(s.expireEntriesAt(T + AGE - 1), 0, 'not yet maxEntryAgeMs old');
  t.equal(s.expireEntriesAt(T + AGE + 1), 1, 'the PASS at T, on its resource (and its origin)');
  t.same(concurrencyOf(s, T + AGE + 1), { r: 1, origin: 0, total: 1 });
  t.equal(s.counters.entriesExpired, 1);
  s.add(rec(EXIT, T + 50_500, 'r', { rtMs: 500 }), T + 50_500);
  t.same(concurrencyOf(s, T + 50_500), { r: 0, origin: 0, total: 0 }, 'the running one exits as usual');
  t.equal(s.expireEntriesAt(T + 3 * AGE), 0, 'nothing left open');
});

t.test('a late EXIT of an expired entry does not take the concurrency down twice', async (t) => {
  const s = new StatsStore({ maxEntryAgeMs: AGE });
  s.add(rec(PASS, T, 'r', { origin: 'app' }), T);
  s.expireEntriesAt(T + AGE + 1);
  t.same(concurrencyOf(s, T + AGE + 1), { r: 0, origin: 0, total: 0 });
  // A very long request after all: its EXIT (RT 70 s) arrives.
  s.add(rec(EXIT, T + 70_000, 'r', { rtMs: 70_000, origin: 'app' }), T + 70_000);
  t.same(concurrencyOf(s, T + 70_000), { r: 0, origin: 0, total: 0 }, 'not -1');
  t.equal(s.counters.entriesExpired, 1);
});

t.test('requests that outlive the bound: each late EXIT closes its own expired entry, never another one in flight', async (t) => {
  // Two 4 s requests 2.8 s apart under a 3 s bound (what a user trying a small bound sees).
  const AGE3 = 3000;
  const s = new StatsStore({ maxEntryAgeMs: AGE3 });
  s.add(rec(PASS, T, 'r'), T);
  s.add(rec(PASS, T + 2800, 'r'), T + 2800);
  s.expireEntriesAt(T + 3001);
  t.same(concurrencyOf(s, T + 3001), { r: 1, origin: 0, total: 1 }, 'the first expired, the second in flight');
  s.add(rec(EXIT, T + 4000, 'r', { rtMs: 4000 }), T + 4000);
  t.same(concurrencyOf(s, T + 4000), { r: 1, origin: 0, total: 1 }, 'the first one\'s EXIT closes its expired entry: the second still counts');
  s.expireEntriesAt(T + 5801);
  t.same(concurrencyOf(s, T + 5801), { r: 0, origin: 0, total: 0 });
  s.add(rec(EXIT, T + 6800, 'r', { rtMs: 4000 }), T + 6800);
  t.same(concurrencyOf(s, T + 6800), { r: 0, origin: 0, total: 0 }, 'not -1');
  t.equal(s.counters.entriesExpired, 2, 'both outlived the bound');
  // The same across a restart between the expiry and the late EXIT: expired entries are checkpointed.
  const a = new StatsStore({ maxEntryAgeMs: AGE3 });
  a.add(rec(PASS, T, 'r'), T);
  a.add(rec(PASS, T + 2800, 'r'), T + 2800);
  a.expireEntriesAt(T + 3001);
  const state = JSON.parse(JSON.stringify(a.exportState()));
  t.same(state.expiredEntries, [['r', '', T, 1]]);
  const b = new StatsStore({ maxEntryAgeMs: AGE3 });
  b.importState(state, T + 3500);
  b.add(rec(EXIT, T + 4000, 'r', { rtMs: 4000 }), T + 4000);
  t.same(concurrencyOf(b, T + 4000), { r: 1, origin: 0, total: 1 }, 'after the restart too');
});

t.test('an EXIT with another RT than its entry closes the oldest open entry; one read before its PASS changes nothing there', async (t) => {
  const s = new StatsStore({ maxEntryAgeMs: AGE });
  s.add(rec(PASS, T, 'r'), T);
  s.add(rec(PASS, T + 1000, 'r'), T);
  s.add(rec(EXIT, T + 2000, 'r', { rtMs: 7 }), T); // recorded by hand: no entry at T + 1993
  s.expireEntriesAt(T + AGE + 500);
  t.same(concurrencyOf(s, T + AGE + 500), { r: 1, origin: 0, total: 1 }, 'the oldest (T) was closed; T + 1000 is not old enough');
  s.expireEntriesAt(T + AGE + 1001);
  t.same(concurrencyOf(s, T + AGE + 1001), { r: 0, origin: 0, total: 0 });
  // Out of order: the EXIT first (concurrency −1), then its PASS (back to 0): expiry never goes below 0.
  const o = new StatsStore({ maxEntryAgeMs: AGE });
  o.add(rec(EXIT, T + 10, 'r', { rtMs: 10 }), T);
  o.add(rec(PASS, T, 'r'), T);
  t.same(concurrencyOf(o, T), { r: 0, origin: 0, total: 0 });
  o.expireEntriesAt(T + AGE + 1);
  t.same(concurrencyOf(o, T + AGE + 1), { r: 0, origin: 0, total: 0 });
});

t.test('maxEntryAgeMs 0 never expires', async (t) => {
  const s = new StatsStore({ maxEntryAgeMs: 0 });
  s.add(rec(PASS, T, 'r'), T);
  t.equal(s.expireEntriesAt(T + 365 * 86_400_000), 0);
  t.equal(s.resourceAt('r', T)!.node.concurrency, 1);
});

t.test('open entries survive a checkpoint; an older checkpoint\'s concurrency counts as opened at its time', async (t) => {
  const s = new StatsStore({ maxEntryAgeMs: AGE });
  s.add(rec(PASS, T, 'r', { origin: 'app' }), T);
  s.add(rec(PASS, T + 30_000, 'r'), T + 30_000);
  const state = s.exportState();
  t.same(state.openEntries?.slice().sort(), [['r', '', T, 1], ['r', '', T + 30_000, 1], ['r', 'app', T, 1]].sort());
  const back = new StatsStore({ maxEntryAgeMs: AGE });
  back.importState(JSON.parse(JSON.stringify(state)), T + 40_000);
  back.expireEntriesAt(T + AGE + 1);
  t.same(concurrencyOf(back, T + AGE + 1), { r: 1, origin: 0, total: 1 }, 'the entry at T expired after the restart, on its origin too');
  // A checkpoint written before open entries were kept: concurrency only.
  const { openEntries: _dropped, ...old } = JSON.parse(JSON.stringify(state)) as typeof state;
  const fromOld = new StatsStore({ maxEntryAgeMs: AGE });
  fromOld.importState(old, T + 40_000);
  t.same(concurrencyOf(fromOld, T + 40_000), { r: 2, origin: 1, total: 2 });
  t.equal(fromOld.expireEntriesAt(T + 40_000 + AGE - 1), 0, 'counted as opened when that checkpoint was written');
  fromOld.expireEntriesAt(T + 40_000 + AGE + 1);
  t.same(concurrencyOf(fromOld, T + 40_000 + AGE + 1), { r: 0, origin: 0, total: 0 });
  t.equal(fromOld.counters.entriesExpired, 2);
});

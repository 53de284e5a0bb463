// Every node the store keeps (each resource's, each origin's, the total node's) must read exactly
// as a NodeStats given each record the store counted for it, one by one, in arrival order:
// however the store batches its writes, windows, min RT and concurrency are those of the plain
// per-record rule. Seeded streams of every kind (PASS, BLOCK, EXIT, CALL with RTs that cross
// half-second and second boundaries, exceptions), origins, late records, records about a minute
// ahead (ring laps), resource and origin caps, and seals and reclaims in between, with reads at random times.
// (The lines and the checkpoint round trips are store-lines.test.ts's.) SW_SEED replays.

import t, { type Test } from 'tap';
import { RecordKind, emptyFlowRecord, type FlowRecord } from '@sentinel-wasi/protocol';
import { NodeStats } from '../../src/stats/node-stats.js';
import { StatsStore, TOTAL_RESOURCE } from '../../src/stats/store.js';
import type { NodeSnapshot } from '../../src/stats/types.js';
import { prng, testSeed } from '../../../../test/helpers/seeded.js';

const { PASS, BLOCK, EXIT, CALL } = RecordKind;

/** Reference nodes, each given the records the store counted for it. */
class Reference {
  readonly nodes = new Map<string, NodeStats>();

  node(resource: string, origin: string): NodeStats {
    const key = `${resource}\u0000${origin}`;
    let n = this.nodes.get(key);
    if (n === undefined) this.nodes.set(key, (n = new NodeStats(resource, origin)));
    return n;
  }

  add(r: FlowRecord, tracked: boolean, originTracked: boolean): void {
    this.node(TOTAL_RESOURCE, '').record(r.kind, r.tsMs, r.count, r.rtMs, r.error);
    if (!tracked) return;
    this.node(r.name, '').record(r.kind, r.tsMs, r.count, r.rtMs, r.error);
    if (originTracked) this.node(r.name, r.origin).record(r.kind, r.tsMs, r.count, r.rtMs, r.error);
  }
}

/** The store's node for (resource, origin) read at `at`, or undefined when it keeps none. */
function storeRead(store: StatsStore, resource: string, origin: string, at: number): NodeSnapshot | undefined {
  const found = store.resourceAt(resource, at);
  if (found === undefined) return undefined;
  return origin === '' ? found.node : found.origins.find((o) => o.origin === origin);
}

/**
 * Offsets of records from the clock: mostly just behind it; sometimes late (some past the late
 * limit); sometimes about a minute ahead.
 */
function scattered(rand: () => number): number {
  const roll = rand();
  return roll < 0.85 ? -Math.floor(rand() * 2500) : roll < 0.93 ? -Math.floor(rand() * 100_000) : 50_000 + Math.floor(rand() * 12_000);
}

/** In arrival order, as one writer's records come (many to a half-second bucket), now and then a late one. */
function inOrder(rand: () => number): number {
  return rand() < 0.99 ? -Math.floor(rand() * 20) : -Math.floor(rand() * 80_000);
}

for (const [shape, offsetOf] of [['scattered records', scattered], ['records in order', inOrder]] as const) {
  t.test(`every node reads as a NodeStats given its counted records one by one (${shape})`, async (t) => equivalence(t, offsetOf));
}

async function equivalence(t: Test, offsetOf: (rand: () => number) => number): Promise<void> {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const origins = ['', '', '', 'o1', 'o2', 'o3'];
  const kinds = [PASS, BLOCK, EXIT, CALL, CALL, CALL];
  const options = { maxResources: 5, maxOriginNodes: 6 };
  const store = new StatsStore(options);
  const ref = new Reference();
  let now = 1_764_120_000_000;
  let bad = 0;
  let reads = 0;
  let reclaimed = 0;
  for (let i = 0; i < 30_000 && bad < 3; i++) {
    now += Math.floor(rand() * 30);
    const offset = offsetOf(rand);
    const kind = kinds[Math.floor(rand() * kinds.length)]!;
    const rec = Object.assign(emptyFlowRecord(), {
      kind,
      tsMs: now + offset,
      name: names[Math.floor(rand() * names.length)]!,
      origin: origins[Math.floor(rand() * origins.length)]!,
      count: kind === CALL ? 1 : 1 + Math.floor(rand() * 3),
      // RTs from 0 to 2.5 s: CALLs whose exit lands in a later bucket or second.
      rtMs: kind === EXIT || kind === CALL ? Math.floor(rand() < 0.7 ? rand() * 40 : rand() * 2500) : 0,
      error: (kind === EXIT || kind === CALL) && rand() < 0.2,
    });
    const c = store.counters;
    const [counted, overflow, originOverflow] = [c.recordsCounted, c.resourcesOverflow, c.originsOverflow];
    store.add(rec, now);
    if (c.recordsCounted !== counted) ref.add(rec, c.resourcesOverflow === overflow, rec.origin !== '' && c.originsOverflow === originOverflow);
    const act = rand();
    if (act < 0.004) {
      store.sealThrough(Math.max(Math.floor(now / 1000) - 2 - Math.floor(rand() * 70), store.lastSealedSec));
    } else if (act < 0.006) {
      // Reads come at now − 1 500 or later, and now only grows: what this frees is never read again.
      reclaimed += store.reclaimWindowsAt(now - 2000);
    } else if (act < 0.03) {
      const at = now + Math.floor(rand() * 3000) - 1500;
      for (const [key, node] of ref.nodes) {
        const [resource, origin] = key.split('\u0000') as [string, string];
        const got = storeRead(store, resource, origin, at);
        const want = node.snapshotAt(at);
        reads++;
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          bad++;
          t.same(got, want, `${resource}/${origin || '-'} read at ${at}`);
        }
      }
    }
  }
  t.ok(reads > 1000, `${reads} node reads`);
  t.ok(reclaimed > 0, `${reclaimed} window buckets reclaimed on the way`);
  t.equal(bad, 0, `every node (${ref.nodes.size}) as its reference`);
}

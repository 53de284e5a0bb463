// The resource map layout: the name hash against a BigInt FNV-1a 64, header and slot round trips,
// checksums catching damage, fail-open lookups with an injected clock, the writer's slot table
// (forced collisions, full windows), seeded damage that must never yield another name's verdict,
// and the annotated hex dump in FORMAT.md. Replay a failure with SW_SEED=<seed>.

import t from 'tap';
import { readFileSync } from 'node:fs';
import {
  decodeMapHeader,
  decodeSlot,
  DEFAULT_MAP_STALE_AFTER_MS,
  encodeMapHeader,
  encodeSlot,
  epochTagOf,
  homeSlot,
  lookupInSlots,
  lookupInWindow,
  MAP_HEADER_BYTES,
  MAP_PROBE_SLOTS,
  MAP_SLOT_BYTES,
  MAP_WINDOW_BYTES,
  mapEpochOf,
  mapFileBytes,
  MapSlotTable,
  nameHash,
  nameHashOfBytes,
  ProtocolError,
  slotOffset,
  utf8Encode,
  VerdictKind,
  windowOffset,
  type MapSlot,
  type MapVerdict,
  type NameHash,
} from '../src/index.js';
import { prng, testSeed } from './helpers.js';

const T0 = 1_764_120_000_000;

function fnv1a64(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

const joined = (h: NameHash): bigint => (BigInt(h.hi) << 32n) | BigInt(h.lo);

t.test('nameHash is FNV-1a 64 of the UTF-8 bytes', async (t) => {
  t.equal(joined(nameHash('')), 0xcbf29ce484222325n);
  t.equal(joined(nameHash('a')), 0xaf63dc4c8601ec8cn);
  t.equal(joined(nameHash('foobar')), 0x85944171f73967e8n);
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  let wrong = 0;
  for (let k = 0; k < 2000; k++) {
    const bytes = Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
    if (joined(nameHashOfBytes(bytes)) !== fnv1a64(bytes)) wrong++;
  }
  t.equal(wrong, 0, '2000 random byte strings');
  for (const name of ['GET /orders', '资源-订单', 'emoji-🚀', 'a\ud800b']) t.equal(joined(nameHash(name)), fnv1a64(utf8Encode(name)), name.length.toString());
});

t.test('header: round trip, and any damage, another version or a short read is refused', async (t) => {
  const header = { slotCount: 4096, epoch: mapEpochOf(T0, () => 0.999) };
  const bytes = encodeMapHeader(header);
  t.equal(bytes.length, MAP_HEADER_BYTES);
  t.same(decodeMapHeader(bytes), header);
  t.equal(decodeMapHeader(bytes.subarray(0, 31)), null, 'short');
  let accepted = 0;
  for (let i = 0; i < bytes.length; i++) {
    const damaged = bytes.slice();
    damaged[i]! ^= 0x10;
    if (decodeMapHeader(damaged) !== null) accepted++;
  }
  t.equal(accepted, 0, 'no flipped bit in any byte passes');
  t.throws(() => encodeMapHeader({ slotCount: 0, epoch: 1 }), { code: 'E_BAD_ARGUMENT' });
  t.throws(() => encodeMapHeader({ slotCount: 8, epoch: -1 }), ProtocolError);
  t.equal(mapFileBytes(4096), MAP_HEADER_BYTES + (4096 + MAP_PROBE_SLOTS - 1) * MAP_SLOT_BYTES, 'windows never wrap');
});

const slotOf = (over: Partial<MapSlot> = {}): MapSlot => ({
  hash: nameHash('GET /orders'),
  resourceId: 7,
  kind: VerdictKind.BLOCK,
  param: T0 + 5000,
  refreshMs: T0,
  sequence: 3,
  epochTag: 0x1234,
  ...over,
});

t.test('slot: round trip; every damaged byte makes it torn; zeros are empty', async (t) => {
  for (const s of [slotOf(), slotOf({ kind: VerdictKind.ADMIT, param: 0.25 }), slotOf({ kind: VerdictKind.PASS, param: 0 })]) {
    const bytes = encodeSlot(s);
    t.equal(bytes.length, MAP_SLOT_BYTES);
    t.same(decodeSlot(bytes), s);
    let notTorn = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const damaged = bytes.slice();
        damaged[i]! ^= flip;
        if (decodeSlot(damaged) !== 'torn') notTorn++;
      }
    }
    t.equal(notTorn, 0, `kind ${s.kind}: 144 damaged copies all torn`);
  }
  t.equal(decodeSlot(new Uint8Array(MAP_SLOT_BYTES)), 'empty');
  t.equal(decodeSlot(new Uint8Array(MAP_SLOT_BYTES - 1)), 'torn');
  for (const bad of [{ resourceId: 0 }, { kind: 3 as VerdictKind }, { kind: VerdictKind.ADMIT, param: 1.5 }, { param: 1.5 }, { kind: VerdictKind.PASS, param: 1 }, { refreshMs: -1 }, { sequence: 2 ** 32 }]) {
    t.throws(() => encodeSlot(slotOf(bad)), { code: 'E_BAD_ARGUMENT' }, JSON.stringify(bad));
  }
});

/** A window of four slots (some may be empty), as the filter reads it. */
function windowOf(...slots: Array<MapSlot | null>): Uint8Array {
  const out = new Uint8Array(MAP_WINDOW_BYTES);
  slots.forEach((s, i) => s !== null && out.set(encodeSlot(s), i * MAP_SLOT_BYTES));
  return out;
}

t.test('lookups with an injected clock: hit, BLOCK past its time, stale both ways, miss, short, torn, other epoch', async (t) => {
  const h = nameHash('GET /orders');
  const other = nameHash('GET /users');
  const w = windowOf(slotOf({ hash: other, resourceId: 9, kind: VerdictKind.ADMIT, param: 0.5 }), null, slotOf());
  const look = (bytes: Uint8Array, nowMs: number, hash: NameHash = h, epochTag?: number): Partial<MapVerdict> => {
    const v = lookupInWindow(bytes, hash, nowMs, epochTag === undefined ? {} : { epochTag });
    return { kind: v.kind, param: v.param, resourceId: v.resourceId, outcome: v.outcome, tornSlots: v.tornSlots };
  };
  t.same(look(w, T0 + 10), { kind: VerdictKind.BLOCK, param: T0 + 5000, resourceId: 7, outcome: 'hit', tornSlots: 0 });
  t.same(look(w, T0 + 10, other), { kind: VerdictKind.ADMIT, param: 0.5, resourceId: 9, outcome: 'hit', tornSlots: 0 });
  t.equal(lookupInWindow(w, other, T0 + 10).refreshMs, T0, 'a hit carries its slot refresh time');
  t.equal(lookupInWindow(w, nameHash('nobody'), T0).refreshMs, 0, 'a miss has none');
  const late = windowOf(slotOf({ refreshMs: T0 + 4000 }));
  t.same(look(late, T0 + 4999), { kind: VerdictKind.BLOCK, param: T0 + 5000, resourceId: 7, outcome: 'hit', tornSlots: 0 });
  t.same(look(late, T0 + 5000), { kind: VerdictKind.BLOCK, param: T0 + 5000, resourceId: 7, outcome: 'hit', tornSlots: 0 }, 'a fresh BLOCK holds past untilMs until the collector rewrites the slot');
  t.same(look(late, T0 + 4000 + DEFAULT_MAP_STALE_AFTER_MS + 1).outcome, 'stale', 'and fails open once the slot is stale');
  t.same(look(w, T0 + DEFAULT_MAP_STALE_AFTER_MS, other).outcome, 'hit', 'exactly the staleness bound is still fresh');
  t.same(look(w, T0 + DEFAULT_MAP_STALE_AFTER_MS + 1, other), { kind: VerdictKind.PASS, param: 0, resourceId: 9, outcome: 'stale', tornSlots: 0 });
  t.same(look(w, T0 - DEFAULT_MAP_STALE_AFTER_MS - 1, other).outcome, 'stale', 'a refresh time in the future beyond the bound');
  t.same(look(w, T0, nameHash('nobody')), { kind: VerdictKind.PASS, param: 0, resourceId: 0, outcome: 'miss', tornSlots: 0 });
  t.same(look(w.subarray(0, MAP_WINDOW_BYTES - 1), T0), { kind: VerdictKind.PASS, param: 0, resourceId: 0, outcome: 'short', tornSlots: 0 });
  t.same(look(w, T0, h, 0x1234).outcome, 'hit', 'this epoch');
  t.same(look(w, T0, h, 0x1235).outcome, 'miss', 'a slot of another epoch is not trusted');
  const torn = w.slice();
  torn[2 * MAP_SLOT_BYTES + 30]! ^= 0x04; // the BLOCK's slot
  t.same(look(torn, T0), { kind: VerdictKind.PASS, param: 0, resourceId: 0, outcome: 'miss', tornSlots: 1 });
  t.same(look(torn, T0, other).outcome, 'hit', 'the other name in the window still reads');
  t.equal(lookupInWindow(w, h, T0 + 3000, { staleAfterMs: 100 }).outcome, 'stale', 'the bound is an option');
});

t.test('a PASS slot past the staleness bound reads as idle (PASS with its id); a BLOCK or ADMIT one as stale', async (t) => {
  const h = nameHash('GET /orders');
  const w = windowOf(slotOf({ kind: VerdictKind.PASS, param: 0, resourceId: 11 }));
  const past = T0 + DEFAULT_MAP_STALE_AFTER_MS + 1;
  const v = lookupInWindow(w, h, past);
  t.same([v.kind, v.param, v.resourceId, v.outcome, v.refreshMs], [VerdictKind.PASS, 0, 11, 'idle', T0]);
  t.equal(lookupInWindow(w, h, T0 - DEFAULT_MAP_STALE_AFTER_MS - 1).outcome, 'idle', 'a refresh time in the future beyond the bound too');
  t.equal(lookupInWindow(w, h, T0 + DEFAULT_MAP_STALE_AFTER_MS).outcome, 'hit', 'within the bound a PASS slot is a hit');
  t.equal(lookupInWindow(windowOf(slotOf({ kind: VerdictKind.BLOCK, param: T0 + 5000 })), h, past).outcome, 'stale');
  t.equal(lookupInWindow(windowOf(slotOf({ kind: VerdictKind.ADMIT, param: 0.5 })), h, past).outcome, 'stale');
});

t.test('lookupInSlots: a window at an offset of a larger buffer; fewer than a window from there is SHORT', async (t) => {
  const slotCount = 8;
  const epoch = mapEpochOf(T0, () => 0.5);
  const table = new MapSlotTable(slotCount);
  const map = new Uint8Array(mapFileBytes(slotCount));
  map.set(encodeMapHeader({ slotCount, epoch }));
  const p = table.place('GET /orders')!;
  map.set(encodeSlot({ hash: p.hash, resourceId: p.resourceId, kind: VerdictKind.ADMIT, param: 0.25, refreshMs: T0, sequence: 1, epochTag: epochTagOf(epoch) }), slotOffset(p.slot));
  const slots = map.slice(MAP_HEADER_BYTES);
  const at = windowOffset(p.hash, slotCount) - MAP_HEADER_BYTES;
  const v = lookupInSlots(slots, at, p.hash, T0 + 5, { epochTag: epochTagOf(epoch) });
  t.same([v.outcome, v.kind, v.param, v.resourceId], ['hit', VerdictKind.ADMIT, 0.25, p.resourceId]);
  t.equal(lookupInSlots(slots, slots.length - MAP_WINDOW_BYTES + 1, p.hash, T0).outcome, 'short');
  t.equal(lookupInSlots(slots, -1, p.hash, T0).outcome, 'short');
  t.equal(lookupInSlots(slots, slots.length - MAP_WINDOW_BYTES, nameHash('nobody'), T0).outcome, 'miss');
});

t.test('only the name\'s own slot is checksummed: with its hash intact and any other bit flipped it is never trusted', async (t) => {
  const h = nameHash('GET /orders');
  const other = nameHash('GET /users');
  const w = windowOf(slotOf({ hash: other, resourceId: 9, kind: VerdictKind.ADMIT, param: 0.5 }), null, slotOf());
  const at = 2 * MAP_SLOT_BYTES; // the slot of GET /orders
  let trusted = 0;
  let counted = 0;
  for (let i = 8; i < MAP_SLOT_BYTES; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const damaged = w.slice();
      damaged[at + i]! ^= 1 << bit;
      const v = lookupInWindow(damaged, h, T0 + 10, { epochTag: 0x1234 });
      if (v.outcome === 'hit' || v.kind !== VerdictKind.PASS) trusted++;
      if (v.outcome === 'miss' && v.tornSlots === 1) counted++;
    }
  }
  t.equal(trusted, 0, '320 damaged copies with the name\'s hash: none trusted');
  t.equal(counted, 320, 'each one a miss with one torn slot counted');
  // Another slot rewritten to claim the name's hash, its old checksum left: skipped and counted; the name's own slot answers.
  const forged = w.slice();
  forged.set(encodeSlot(slotOf({ hash: h, resourceId: 3, kind: VerdictKind.ADMIT, param: 0 })).subarray(0, 44), 0);
  const v = lookupInWindow(forged, h, T0 + 10);
  t.same([v.outcome, v.kind, v.resourceId, v.tornSlots], ['hit', VerdictKind.BLOCK, 7, 1]);
  // Damage in another name's slot is neither checked nor counted by this name's lookup.
  const neighbour = w.slice();
  neighbour[30]! ^= 0x10; // GET /users's param
  t.same([lookupInWindow(neighbour, h, T0 + 10).outcome, lookupInWindow(neighbour, h, T0 + 10).tornSlots], ['hit', 0]);
  t.same([lookupInWindow(neighbour, other, T0 + 10).outcome, lookupInWindow(neighbour, other, T0 + 10).tornSlots], ['miss', 1]);
  // Damage in the name's hash bytes makes the slot another name's: not used, not counted.
  const rehashed = w.slice();
  rehashed[at + 3]! ^= 0x01;
  t.same([lookupInWindow(rehashed, h, T0 + 10).outcome, lookupInWindow(rehashed, h, T0 + 10).tornSlots], ['miss', 0]);
});

t.test('slot table: home slot and probing, forced collisions, full windows counted, ids never reused', async (t) => {
  const table = new MapSlotTable(2); // two home slots: everything collides
  const placed = Array.from({ length: 7 }, (_, i) => table.place(`r${i}`));
  t.equal(placed.filter((p) => p !== null).length, 5, '5 physical slots (2 + 4 - 1)');
  t.equal(table.windowFull, 2);
  for (const p of placed) {
    if (p === null) continue;
    const home = homeSlot(p.hash, 2);
    t.ok(p.slot >= home && p.slot < home + MAP_PROBE_SLOTS, 'within its window');
  }
  t.same(new Set(placed.filter((p) => p !== null).map((p) => p!.resourceId)), new Set([1, 2, 3, 4, 5]));
  t.same(table.place('r0'), placed[0], 'placing again returns the same slot and id');
  const freed = table.remove('r0');
  t.equal(freed, placed[0]!.slot);
  const again = table.place('r0');
  t.not(again, null);
  t.equal(again!.resourceId, 6, 'a new id, not the old one');
  t.throws(() => new MapSlotTable(0), { code: 'E_BAD_ARGUMENT' });
});

t.test('slot table restored from its persisted entries keeps slots and ids and goes on after nextId', async (t) => {
  const table = new MapSlotTable(2);
  for (let i = 0; i < 4; i++) table.place(`r${i}`);
  table.remove('r1');
  const copy = MapSlotTable.restore(2, table.nextResourceId, table.entries());
  t.same(copy.entries(), table.entries());
  t.equal(copy.nextResourceId, 5);
  t.same(copy.place('r0'), table.place('r0'), 'same slot and id');
  t.equal(copy.place('r9')!.resourceId, 5, 'the next id, none reused');
  const e = table.entries()[0]!;
  t.throws(() => MapSlotTable.restore(2, 5, [e, { ...e, name: 'x' }]), { code: 'E_BAD_ARGUMENT' }, 'a slot taken twice');
  t.throws(() => MapSlotTable.restore(2, e.resourceId, [e]), { code: 'E_BAD_ARGUMENT' }, 'an id not below nextId');
  t.throws(() => MapSlotTable.restore(2, 5, [{ ...e, slot: 99 }]), { code: 'E_BAD_ARGUMENT' }, 'a slot outside the window');
});

t.test('property: random names, collisions, full windows and random damage never give another name\'s verdict', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  let wrong = 0;
  let hits = 0;
  let fullWindows = 0;
  let damagedPass = 0;
  for (let round = 0; round < 40; round++) {
    const slotCount = 1 + int(64);
    const epoch = mapEpochOf(T0 + round, rand);
    const tag = epochTagOf(epoch);
    const table = new MapSlotTable(slotCount);
    const map = new Uint8Array(mapFileBytes(slotCount));
    map.set(encodeMapHeader({ slotCount, epoch }));
    const names = Array.from({ length: 1 + int(slotCount * 2) }, (_, i) => `${['GET /', '资源', 'r'][i % 3]}${i}-${int(1e6)}`);
    const want = new Map<string, { kind: VerdictKind; param: number; resourceId: number } | null>();
    for (const name of names) {
      const p = table.place(name);
      if (p === null) {
        want.set(name, null);
        continue;
      }
      const kind = [VerdictKind.PASS, VerdictKind.BLOCK, VerdictKind.ADMIT][int(3)]!;
      const param = kind === VerdictKind.BLOCK ? T0 + 1000 + int(10_000) : kind === VerdictKind.ADMIT ? rand() : 0;
      map.set(encodeSlot({ hash: p.hash, resourceId: p.resourceId, kind, param, refreshMs: T0 + int(500), sequence: int(100), epochTag: tag }), slotOffset(p.slot));
      want.set(name, { kind, param, resourceId: p.resourceId });
    }
    fullWindows += table.windowFull;
    t.equal([...want.values()].filter((v) => v === null).length, table.windowFull, `round ${round}: every unplaced name counted`);
    const header = decodeMapHeader(map)!;
    let slotsDiffer = 0;
    const lookup = (bytes: Uint8Array, name: string): MapVerdict => {
      const h = nameHash(name);
      const at = windowOffset(h, header.slotCount);
      const v = lookupInWindow(bytes.subarray(at, at + MAP_WINDOW_BYTES), h, T0 + 600, { epochTag: tag });
      // The same answer from a copy of the whole slot array (what a filter's snapshot holds).
      const fromSlots = lookupInSlots(bytes.slice(MAP_HEADER_BYTES), at - MAP_HEADER_BYTES, h, T0 + 600, { epochTag: tag });
      if (JSON.stringify(fromSlots) !== JSON.stringify(v)) slotsDiffer++;
      return v;
    };
    // Intact: exactly the written verdicts; unplaced names PASS.
    for (const [name, w] of want) {
      const v = lookup(map, name);
      const ok = w === null ? v.kind === VerdictKind.PASS && v.outcome === 'miss' : v.outcome === 'hit' && v.kind === w.kind && v.param === w.param && v.resourceId === w.resourceId;
      if (!ok) wrong++;
      if (v.outcome === 'hit') hits++;
    }
    // Damaged: random bytes changed, and torn slot writes (a prefix of a newer version of a slot).
    const damaged = map.slice();
    const newer = new Map<number, { kind: VerdictKind; param: number }>();
    for (let k = 0; k < 1 + int(20); k++) {
      if (rand() < 0.5) damaged[MAP_HEADER_BYTES + int(damaged.length - MAP_HEADER_BYTES)] = int(256);
      else {
        const name = names[int(names.length)]!;
        const p = table.place(name);
        if (p === null) continue;
        const kind = VerdictKind.ADMIT;
        const param = rand();
        const bytes = encodeSlot({ hash: p.hash, resourceId: p.resourceId, kind, param, refreshMs: T0 + 550, sequence: 1000, epochTag: tag });
        const cut = int(MAP_SLOT_BYTES + 1);
        damaged.set(bytes.subarray(0, cut), slotOffset(p.slot));
        if (cut === MAP_SLOT_BYTES) newer.set(p.resourceId, { kind, param });
      }
    }
    for (const [name, w] of want) {
      const v = lookup(damaged, name);
      if (v.kind === VerdictKind.PASS && v.outcome !== 'hit') {
        damagedPass++;
        continue;
      }
      const alt = w === null ? undefined : newer.get(w.resourceId);
      const right = w !== null && v.resourceId === w.resourceId && ((v.kind === w.kind && v.param === w.param) || (alt !== undefined && v.kind === alt.kind && v.param === alt.param));
      if (!right) {
        wrong++;
        t.fail(`round ${round} ${name}: got ${JSON.stringify(v)}, wrote ${JSON.stringify(w)}`);
      }
    }
    t.equal(slotsDiffer, 0, `round ${round}: lookupInSlots on the slot array answers as lookupInWindow on the window`);
  }
  t.equal(wrong, 0, 'never a wrong verdict');
  t.comment(`${hits} hits, ${fullWindows} names found their window full, ${damagedPass} lookups failed open after damage`);
  t.ok(hits > 500 && fullWindows > 10 && damagedPass > 10, 'the rounds exercised hits, full windows and damage');
});

/** `hexdump -C` style lines, offsets from `base`. */
function hexDump(bytes: Uint8Array, base: number): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${(base + i).toString(16).padStart(8, '0')}  ${`${left}  ${right}`.padEnd(50)}|${ascii}|`);
  }
  return lines.join('\n');
}

t.test('the hex dumps in FORMAT.md are what the encoder produces', async (t) => {
  const epoch = mapEpochOf(T0, () => 0.5);
  const header = encodeMapHeader({ slotCount: 1024, epoch });
  const hash = nameHash('GET /orders');
  const slot = encodeSlot({ hash, resourceId: 7, kind: VerdictKind.BLOCK, param: T0 + 5000, refreshMs: T0 + 250, sequence: 3, epochTag: epochTagOf(epoch) });
  const at = windowOffset(hash, 1024);
  const format = readFileSync(new URL('../FORMAT.md', import.meta.url), 'utf8');
  t.ok(format.includes('```\n' + hexDump(header, 0) + '\n```'), 'the header dump');
  t.ok(format.includes('```\n' + hexDump(slot, at) + '\n```'), `the slot dump (home slot ${homeSlot(hash, 1024)}, offset ${at})`);
  t.comment(`${hexDump(header, 0)}\n${hexDump(slot, at)}\nhash ${joined(hash).toString(16)} epoch ${epoch} home ${homeSlot(hash, 1024)}`);
});

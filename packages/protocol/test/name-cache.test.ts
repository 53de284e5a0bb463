// The fast reader's name cache: every lookup returns the bytes' string, across evictions, slot
// collisions and arena restarts; bytes that decoders disagree on are refused.

import t from 'tap';
import { isWellFormedUtf8, lastName, NAME_SLOTS, nameString } from '../src/name-cache.js';
import { prng, testSeed } from './helpers.js';

t.test('lookups return the right string through evictions and arena restarts', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const enc = new TextEncoder();
  // 100 000 names of ~21 bytes overflow the 32 768 slots, and the ~240 000 lookups outside the hot set
  // fill the 2 MiB arena, which starts over (once, in two runs with other seeds).
  const names = Array.from({ length: 100_000 }, (_, i) => `${i % 7 === 0 ? '资源' : 'res'}-${i}-${'x'.repeat(i % 23)}`);
  const encoded = names.map((n) => enc.encode(n));
  const buf = new Uint8Array(2048);
  let wrong = 0;
  for (let k = 0; k < 800_000; k++) {
    // Mostly a hot set, sometimes any name; at a random offset of a reused buffer.
    const i = rand() < 0.7 ? Math.floor(rand() * 300) : Math.floor(rand() * names.length);
    const at = Math.floor(rand() * 512);
    buf.set(encoded[i]!, at);
    if (nameString(buf, at, encoded[i]!.length) !== names[i]) wrong++;
  }
  t.equal(wrong, 0);
});

t.test('names differing in one byte, or only in length, never share a cached string', async (t) => {
  const a = new TextEncoder().encode('abcdefgh-1');
  const b = new TextEncoder().encode('abcdefgh-2');
  for (let k = 0; k < 3; k++) {
    t.equal(nameString(a, 0, a.length), 'abcdefgh-1');
    t.equal(nameString(b, 0, b.length), 'abcdefgh-2');
    t.equal(nameString(a, 0, a.length - 1), 'abcdefgh-');
    t.equal(nameString(a, 0, 0), '');
  }
});

t.test('names of 1 to 13 bytes differing in any one byte each get their own string', async (t) => {
  // The hash and the comparison read four bytes at a time and the last four as one word (overlapping
  // the word before when the length is not a multiple of four): a byte at any place must count.
  const enc = new TextEncoder();
  const names: string[] = [];
  for (let length = 1; length <= 13; length++) {
    const base = 'abcdefghijklm'.slice(0, length);
    names.push(base);
    for (let p = 0; p < length; p++) names.push(`${base.slice(0, p)}Z${base.slice(p + 1)}`);
  }
  const buf = new Uint8Array(64);
  let wrong = 0;
  for (let round = 0; round < 3; round++) {
    for (const name of names) {
      const bytes = enc.encode(name);
      // At offsets 0–3, so the words fall at every alignment.
      const at = (round + name.length) % 4;
      buf.set(bytes, at);
      if (nameString(buf, at, bytes.length) !== name) wrong++;
    }
  }
  t.equal(names.length, 13 + (13 * 14) / 2);
  t.equal(wrong, 0);
});

t.test('bytes that decoders may turn into different strings are refused', async (t) => {
  const cases: Array<[number[], boolean]> = [
    [[0x41], true],
    [[0xe8, 0xae, 0xa2], true],
    [[0xf0, 0x9f, 0x9a, 0x80], true],
    [[0xff], false],
    [[0xc0, 0x80], false],
    [[0xe0, 0x80, 0x80], false],
    [[0xed, 0xa0, 0x80], false],
    [[0xf4, 0x90, 0x80, 0x80], false],
    [[0xe8, 0xae], false],
    [[0x80], false],
  ];
  for (const [bytes, ok] of cases) t.equal(isWellFormedUtf8(new Uint8Array(bytes), 0, bytes.length), ok, bytes.join(','));
  t.equal(nameString(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]), 0, 4), null, 'a leading BOM');
  t.equal(nameString(new Uint8Array([0x41, 0xef, 0xbb, 0xbf]), 0, 4), 'A\ufeff', 'a BOM inside is kept');
  t.equal(nameString(new Uint8Array([0xff, 0x41]), 0, 2), null);
});

t.test('lastName.slot: the slot of the returned cached name (the same while it stays cached), -1 when not cached', async (t) => {
  const enc = new TextEncoder();
  const a = enc.encode('GET /orders/slot-test');
  t.equal(nameString(a, 0, a.length), 'GET /orders/slot-test');
  const slot = lastName.slot;
  t.ok(slot >= 0 && slot < NAME_SLOTS, `slot ${slot}`);
  const copy = new Uint8Array(a.length + 3);
  copy.set(a, 3);
  t.equal(nameString(copy, 3, a.length), 'GET /orders/slot-test');
  t.equal(lastName.slot, slot, 'the same bytes elsewhere: the same slot');
  const long = enc.encode('x'.repeat(1500));
  t.equal(nameString(long, 0, long.length)!.length, 1500);
  t.equal(lastName.slot, -1, 'longer names are not cached');
  t.equal(nameString(a, 0, 0), '');
  t.equal(lastName.slot, -1, 'the empty name');
});

t.test('lastName.key: the same while a name stays cached; a key no fill had before at every fill, across the cache starting over', async (t) => {
  // A fresh copy of the module (an empty cache): ~2 100 names of 1 000 bytes overflow its 2 MiB arena once.
  const cache = (await import(`../src/name-cache.js?keys`)) as typeof import('../src/name-cache.js');
  const enc = new TextEncoder();
  const lookup = (name: string): { slot: number; key: number } => {
    const bytes = enc.encode(name);
    t.equal(cache.nameString(bytes, 0, bytes.length), name);
    return { slot: cache.lastName.slot, key: cache.lastName.key };
  };
  const first = lookup('GET /orders/key-test');
  t.ok(first.key >= 0, `a cached name has a key (${first.key})`);
  t.same(lookup('GET /orders/key-test'), first, 'looked up again: the same slot and key');
  const keys = new Set<number>([first.key]);
  let fills = 1;
  let slotTakenAgain = 0;
  for (let i = 0; i < 2100; i++) {
    const filled = lookup(`GET /${String(i).padStart(4, '0')}/${'x'.repeat(990)}`);
    keys.add(filled.key);
    fills++;
    if (filled.slot === first.slot) slotTakenAgain++;
  }
  const again = lookup('GET /orders/key-test');
  keys.add(again.key);
  fills++;
  t.equal(keys.size, fills, `${fills} fills (the cache started over once), as many keys`);
  t.not(again.key, first.key, 'the first name, filled again after the cache started over: another key');
  t.ok(slotTakenAgain + (again.slot === first.slot ? 1 : 0) > 0, 'the first name’s slot was filled again meanwhile (the case the key tells apart)');
  const long = enc.encode('y'.repeat(1500));
  cache.nameString(long, 0, long.length);
  t.equal(cache.lastName.key, -1, 'not cached: no key');
  // Another copy of the module: its first fill is at the same place of its own arena, under another key.
  const other = (await import(`../src/name-cache.js?keys-other-copy`)) as typeof import('../src/name-cache.js');
  const bytes = enc.encode('GET /orders/key-test');
  other.nameString(bytes, 0, bytes.length);
  t.ok(other.lastName.key >= 0 && !keys.has(other.lastName.key), `another copy's key ${other.lastName.key} is none of this copy's`);
});

t.test('two ways to a pair of slots: a third name replaces the one of the two filled first', async (t) => {
  // Fresh copies of the module (an empty cache each): one to find three names of one pair of slots,
  // one to fill that pair in order.
  const probe = (await import(`../src/name-cache.js?pairs`)) as typeof import('../src/name-cache.js');
  const enc = new TextEncoder();
  const byPair = new Map<number, string[]>();
  let three: string[] | undefined;
  for (let i = 0; three === undefined; i++) {
    const name = `GET /pair-${i}`;
    const bytes = enc.encode(name);
    probe.nameString(bytes, 0, bytes.length);
    const pair = probe.lastName.slot & ~1;
    const names = byPair.get(pair) ?? [];
    names.push(name);
    byPair.set(pair, names);
    if (names.length === 3) three = names;
  }
  const cache = (await import(`../src/name-cache.js?ways`)) as typeof import('../src/name-cache.js');
  const slotOf = (name: string): number => {
    const bytes = enc.encode(name);
    t.equal(cache.nameString(bytes, 0, bytes.length), name);
    return cache.lastName.slot;
  };
  const [a, b, c] = three as [string, string, string];
  const first = slotOf(a);
  t.equal(first % 2, 0, 'the first name takes the pair’s first slot');
  t.equal(slotOf(b), first + 1, 'the second its other slot');
  t.equal(slotOf(c), first, 'the third replaces the first');
  t.equal(slotOf(b), first + 1, 'the second is still cached');
  t.equal(slotOf(a), first + 1, 'the first again replaces the second, now the one filled first');
  t.equal(slotOf(c), first, 'the third is still cached');
});

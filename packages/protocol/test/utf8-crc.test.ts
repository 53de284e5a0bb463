import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { crc32, createCrc32, utf8Decode, utf8Encode, utf8Length } from '../src/index.js';
import { nodeCrc32 } from '../src/node/index.js';
import { prng, testSeed } from './helpers.js';

/**
 * `s` as printable ASCII: its UTF-16 code units in hex. Test names and compared values go into the
 * TAP stream, where a raw U+2028/U+2029, a control character or a `# SKIP` would cut or
 * reinterpret the line and break the test count.
 */
function codeUnits(s: string): string {
  return Array.from({ length: s.length }, (_, i) => s.charCodeAt(i).toString(16).padStart(4, '0')).join(' ');
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

t.test('UTF-8 encoding matches Buffer for CJK, emoji, lone surrogates and random strings', async (t) => {
  const fixed = ['', 'ascii', 'é', '日本語', '🚀', 'a\ud800b', '\udc00', 'x\ud83d', '\u0000', '\uffff', 'a|b'];
  // Strings that once cut the TAP stream when used raw in a test name.
  const tapHostile = ['\u2028', 'a\u2029b', '\n# SKIP', ' # TODO x', '\r\nnot ok 1', '\u0085', '\u001b[31m'];
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const random = Array.from({ length: 300 }, () =>
    String.fromCharCode(...Array.from({ length: Math.floor(rand() * 20) }, () => Math.floor(rand() * 0x10000))),
  );
  const all = [...fixed, ...tapHostile, ...random];
  for (const [i, s] of all.entries()) {
    const name = `string ${i} [${codeUnits(s)}]`;
    const expected = Buffer.from(s, 'utf8');
    const got = utf8Encode(s);
    t.equal(hexBytes(got), hexBytes(expected), `${name}: bytes`);
    t.equal(utf8Length(s), expected.length, `${name}: length`);
    t.equal(codeUnits(utf8Decode(got)), codeUnits(expected.toString('utf8')), `${name}: decoded back`);
  }
});

t.test('UTF-8 decoding replaces invalid sequences with U+FFFD as Node does', async (t) => {
  const cases = [[0xff], [0xc0, 0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x61, 0x80, 0x62]];
  for (const bytes of cases) {
    const b = new Uint8Array(bytes);
    t.equal(utf8Decode(b).replace(/\ufffd+/g, '?'), Buffer.from(b).toString('utf8').replace(/\ufffd+/g, '?'), bytes.join(','));
  }
});

t.test('the neutral CRC-32 equals zlib.crc32, and so does the node helper', async (t) => {
  const rand = prng(42);
  for (const length of [0, 1, 7, 64, 4088]) {
    const bytes = new Uint8Array(length).map(() => Math.floor(rand() * 256));
    const expected = zlib.crc32(bytes);
    t.equal(crc32(bytes, 0, length), expected, `length ${length}`);
    t.equal(nodeCrc32!(bytes, 0, length), expected);
  }
  t.equal(crc32(new TextEncoder().encode('123456789'), 0, 9), 0xcbf43926, 'the standard check value');
  // Word reads depend on alignment in the buffer: every start and view offset modulo 4, every tail modulo 8.
  const big = new Uint8Array(4200).map(() => Math.floor(rand() * 256));
  for (let viewOffset = 0; viewOffset < 4; viewOffset++) {
    const view = big.subarray(viewOffset);
    for (let start = 0; start < 5; start++) {
      for (const end of [start, start + 3, start + 16, start + 17, start + 18, start + 19, start + 20, start + 21, start + 22, start + 23, start + 24, 4096 - viewOffset]) {
        t.equal(crc32(view, start, end), zlib.crc32(view.subarray(start, end)), `view +${viewOffset}, [${start}, ${end})`);
      }
    }
  }
});

t.test('the CRC-32 with its 16-bit tables equals zlib.crc32, from the start and from the switch on', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const rand = prng(seed);
  const wide = createCrc32(0);
  // Switches after 100 bytes: its first calls are by slicing by 8, the rest by the 16-bit tables.
  const switching = createCrc32(100);
  t.equal(wide(new TextEncoder().encode('123456789ABCDEFGHIJ'), 0, 19), zlib.crc32(new TextEncoder().encode('123456789ABCDEFGHIJ')));
  const big = new Uint8Array(4200).map(() => Math.floor(rand() * 256));
  let bad = 0;
  let checked = 0;
  for (let round = 0; round < 2000; round++) {
    const viewOffset = Math.floor(rand() * 4);
    const view = big.subarray(viewOffset);
    const start = Math.floor(rand() * 64);
    const end = start + Math.floor(rand() * (rand() < 0.5 ? 40 : view.length - start + 1));
    const want = zlib.crc32(view.subarray(start, end));
    for (const f of [wide, switching]) {
      checked++;
      if (f(view, start, end) !== want && ++bad <= 3) t.fail(`view +${viewOffset}, [${start}, ${end})`);
    }
  }
  t.equal(bad, 0, `${checked} checksums as zlib's`);
  t.equal(switching(big, 0, 4096), zlib.crc32(big.subarray(0, 4096)), 'a full frame after the switch');
});

t.test('the main entry is platform-neutral: no node:* modules and no Buffer outside src/node', async (t) => {
  const srcDir = new URL('../src/', import.meta.url).pathname;
  const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts') && statSync(join(srcDir, f)).isFile());
  t.ok(files.length >= 8);
  for (const f of files) {
    const text = readFileSync(join(srcDir, f), 'utf8');
    t.notMatch(text, /from ['"]node:|require\(|\bBuffer\b|\bprocess\./, `${f} uses only neutral APIs`);
  }
});

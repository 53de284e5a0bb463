// resourceName: any string, from a request or anywhere, becomes a name the recorder accepts and the
// collector's reader counts under that same name; bounded, stable, unchanged when already valid.
// Seeded property test: random strings with control characters, lone surrogates, CJK, astral
// characters, and 10 kB strings (SW_SEED=... replays a run).
import t from 'tap';
import { Sentinel } from '../src/sentinel.js';
import { DEFAULT_RESOURCE_NAME_BYTES, resourceName } from '../src/resource-name.js';
import { utf8Length } from '@sentinel-wasi/protocol/encode';
import { MemoryHost, decodeSegment } from './fake-host.js';
import { prng, testSeed } from '../../../test/helpers/seeded.js';

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\ufeff\u202a-\u202e\u2066-\u2069]/;

function randomString(next: () => number): string {
  const long = next() < 0.1;
  const n = long ? 10_000 + Math.floor(next() * 200) : Math.floor(next() * 300);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.45) parts.push(String.fromCharCode(0x20 + Math.floor(next() * 0x5f)));
    else if (r < 0.6) parts.push(String.fromCharCode(Math.floor(next() * 0x20)));
    else if (r < 0.65) parts.push(String.fromCharCode(0x7f + Math.floor(next() * 0x21)));
    else if (r < 0.75) parts.push(String.fromCharCode(0x4e00 + Math.floor(next() * 0x5000)));
    else if (r < 0.82) parts.push(String.fromCodePoint(0x10000 + Math.floor(next() * 0xfffff)));
    else if (r < 0.9) parts.push(String.fromCharCode(0xd800 + Math.floor(next() * 0x800)));
    else if (r < 0.95) parts.push(['\ufeff', '\u202e', '\u2066', '|', '/'][Math.floor(next() * 5)]!);
    else parts.push(String.fromCharCode(0x80 + Math.floor(next() * 0x700)));
  }
  return parts.join('');
}

function wellFormed(s: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

t.test('examples', async (t) => {
  t.equal(resourceName('GET /orders'), 'GET /orders', 'a valid name is kept');
  t.equal(resourceName(''), '_');
  t.equal(resourceName('a\nb\x1b[31m\x7f'), 'a_b_[31m_');
  t.equal(resourceName('\ufeffbom'), '_bom');
  t.equal(resourceName('x\ud800y'), 'x\ufffdy');
  t.equal(resourceName('订单'), '订单');
  const long = '/' + 'a'.repeat(300);
  const cut = resourceName(long);
  t.equal(utf8Length(cut), DEFAULT_RESOURCE_NAME_BYTES);
  t.match(cut, /^\/a+~[0-9a-f]{8}$/);
  t.not(resourceName(long + 'b'), cut, 'long inputs with the same prefix stay apart');
  t.equal(resourceName(long), cut, 'stable');
  t.equal(utf8Length(resourceName('订'.repeat(500), { maxBytes: 1024 })), 1023, 'cut at a character boundary (3-byte characters)');
  t.throws(() => resourceName('x', { maxBytes: 2000 }), { name: 'FilterError', code: 'E_BAD_OPTION' });
  t.throws(() => resourceName('x', { maxBytes: 8 }), { name: 'FilterError', code: 'E_BAD_OPTION' });
});

t.test('property: bounded, well-formed, safe, stable, idempotent, accepted and counted as itself', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const next = prng(seed);
  const failures: string[] = [];
  const host = new MemoryHost();
  const sentinel = new Sentinel(host, { flushOnIdle: false });
  const names: string[] = [];
  for (let i = 0; i < 400; i++) {
    const raw = randomString(next);
    const maxBytes = next() < 0.5 ? undefined : 16 + Math.floor(next() * 1009);
    const name = resourceName(raw, maxBytes === undefined ? {} : { maxBytes });
    const bound = maxBytes ?? DEFAULT_RESOURCE_NAME_BYTES;
    const why =
      name.length === 0 ? 'empty'
      : utf8Length(name) > bound ? `${utf8Length(name)} bytes > ${bound}`
      : !wellFormed(name) ? 'a lone surrogate'
      : UNSAFE.test(name) ? 'an unsafe character'
      : resourceName(raw, maxBytes === undefined ? {} : { maxBytes }) !== name ? 'not stable'
      : resourceName(name, maxBytes === undefined ? {} : { maxBytes }) !== name ? 'not idempotent'
      : '';
    if (why !== '') failures.push(`input #${i} (${raw.length} units): ${why}`);
    try {
      sentinel.recordPass(name);
      names.push(name);
    } catch (e) {
      failures.push(`input #${i}: the recorder refused it: ${(e as Error).message}`);
    }
  }
  sentinel.flush();
  const decoded = [...host.segments.keys()].flatMap((seg) => decodeSegment(host.bytesOf(seg)).events);
  t.same(failures, [], `seed ${seed}`);
  t.equal(decoded.length, names.length, 'every record read back');
  t.same(decoded.map((e) => e.name), names, 'each under the name given');
});

// The globals a build gives every filter (console, TextEncoder, TextDecoder): the UTF-8 code agrees
// with Node's own on seeded random strings (lone surrogates included), and a filter that uses all
// three builds with the default (QuickJS) engine and prints exactly the same under the Node host
// and the wasmtime engine.

import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFilter } from '../src/componentize.js';
import { formatLine, Utf8TextDecoder, Utf8TextEncoder } from '../../filter/src/text-globals.js';
import { prng, testSeed } from '../../../test/helpers/seeded.js';
import { hostRunner } from '../../../test/helpers/hosts.js';
import { tempPin } from '../../../test/helpers/repo.js';
import { HOW_TO_GET_WASMTIME } from '../../../test/helpers/wasmtime.js';

// Builds components (a StarlingMonkey build alone can take minutes on a loaded machine).
t.setTimeout(900_000);

const FIXTURE = fileURLToPath(new URL('./fixtures/globals/filter.ts', import.meta.url));

function randomString(next: () => number, maxLength: number): string {
  const n = Math.floor(next() * maxLength);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.4) s += String.fromCharCode(0x20 + Math.floor(next() * 0x5f));
    else if (r < 0.55) s += String.fromCharCode(Math.floor(next() * 0x20));
    else if (r < 0.7) s += String.fromCharCode(0x80 + Math.floor(next() * 0x780));
    else if (r < 0.8) s += String.fromCharCode(0x4e00 + Math.floor(next() * 0x5000));
    else if (r < 0.9) s += String.fromCodePoint(0x10000 + Math.floor(next() * 0xfffff));
    else s += String.fromCharCode(0xd800 + Math.floor(next() * 0x800)); // a surrogate, often lone
  }
  return s;
}

t.test('TextEncoder / TextDecoder agree with Node on seeded random strings and bytes', async (t) => {
  const seed = testSeed();
  t.comment(`seed ${seed} (replay with SW_SEED=${seed})`);
  const next = prng(seed);
  const ours = new Utf8TextEncoder();
  const node = new TextEncoder();
  const decoder = new Utf8TextDecoder();
  const nodeDecoder = new TextDecoder();
  let mismatches = 0;
  for (let i = 0; i < 2000; i++) {
    const s = randomString(next, 40);
    const a = ours.encode(s);
    if (Buffer.compare(Buffer.from(a), Buffer.from(node.encode(s))) !== 0) mismatches++;
    const bytes = Uint8Array.from({ length: Math.floor(next() * 24) }, () => Math.floor(next() * 256));
    if (decoder.decode(bytes) !== nodeDecoder.decode(bytes)) mismatches++;
    const dest = new Uint8Array(Math.floor(next() * 30));
    const r1 = ours.encodeInto(s, dest);
    const dest2 = new Uint8Array(dest.length);
    const r2 = node.encodeInto(s, dest2);
    if (r1.read !== r2.read || r1.written !== r2.written || Buffer.compare(Buffer.from(dest), Buffer.from(dest2)) !== 0) mismatches++;
  }
  t.equal(mismatches, 0, `seed ${seed}`);
});

t.test('TextDecoder: fatal, BOM, labels, streaming refused', async (t) => {
  t.equal(new Utf8TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), 'A');
  t.equal(new Utf8TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), '\ufeffA');
  t.equal(new Utf8TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xef, 0xbf, 0xbd])), '\ufffd', 'a real U+FFFD is valid');
  t.throws(() => new Utf8TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0x61, 0xff])), { name: 'TypeError', message: /not valid UTF-8/ });
  t.throws(() => new Utf8TextDecoder('latin1'), { name: 'RangeError', message: /only UTF-8/ });
  t.equal(new Utf8TextDecoder(' UTF8 ').encoding, 'utf-8');
  t.throws(() => new Utf8TextDecoder().decode(new Uint8Array(1), { stream: true }), { name: 'TypeError' });
  t.equal(new Utf8TextDecoder().decode(new Uint16Array([0x6968]).buffer), 'hi', 'an ArrayBuffer');
  t.equal(new Utf8TextDecoder().decode(), '');
});

t.test('console lines: strings as they are, the rest as JSON or typed-array form, space-separated', async (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.equal(formatLine(['a', 1, true, null, undefined, { b: [1, 'x'] }]), 'a 1 true null undefined {"b":[1,"x"]}\n');
  t.equal(formatLine([new Uint8Array([1, 2]), new Uint8Array(0), 10n]), 'Uint8Array(2) [ 1, 2 ] Uint8Array(0) [] 10\n');
  t.equal(formatLine([cyclic]), '[object Object]\n');
  const e = new RangeError('too far');
  e.stack = '';
  t.equal(formatLine(['failed:', e]), 'failed: RangeError: too far\n');
});

t.test('a filter using console, TextEncoder and TextDecoder builds with QuickJS and prints the same under both hosts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-globals-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pin = await tempPin(t, 'globals-pin');
  const component = join(dir, 'globals.wasm');
  const built = await buildFilter({ source: FIXTURE, out: component, world: 'command', backend: 'quickjs' });
  t.ok(built.bytes > 0);
  const expectedStdout = 'héllo, 世界 🌍\n';
  const expectedStderr =
    'encoded 19 bytes\n' +
    '{"text":"héllo, 世界 🌍","chars":11}\n' +
    'a\ufffdb Uint8Array(4) [ 239, 191, 189, 120 ]\n';

  const node = await hostRunner('node')({ component, pin });
  t.equal(node.code, 0, node.stderr);
  t.equal(node.stdout, expectedStdout, 'Node host: stdout');
  t.equal(node.stderr, expectedStderr, 'Node host: console lines on stderr');

  let wasmtime;
  try {
    wasmtime = hostRunner('wasmtime');
  } catch (err) {
    t.skip(`no wasmtime engine: ${(err as Error).message.split('\n')[0]} (${HOW_TO_GET_WASMTIME})`);
    return;
  }
  const w = await wasmtime({ component, pin });
  t.equal(w.code, 0, w.stderr);
  t.equal(w.stdout, expectedStdout, 'wasmtime: stdout');
  t.equal(w.stderr, expectedStderr, 'wasmtime: console lines on stderr');
});

// What a failed load says, on real files: echoed text is cut to its first 20 lines / 2 KB with a
// note of what was left out (never a whole input), and loadComponent itself (which run and serve
// share) refuses a file by its header before jco sees it; what jco still rejects is E_TRANSPILE.

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { excerpt } from '../src/excerpt.js';
import { HostError, loadComponent } from '../src/transpile-cache.js';
import { REPO_ROOT, exampleComponent, tempDir } from '../../../test/helpers/repo.js';

t.test('excerpt: short text as it is; a long line or many lines cut, with what was left out', async (t) => {
  t.equal(excerpt('expected `(`\n --> <anon>:1:1'), 'expected `(`\n --> <anon>:1:1');
  // A source map is one long line.
  const map = readFileSync(`${exampleComponent('replay')}.map`, 'utf8');
  t.ok(Buffer.byteLength(map) > 8192, `the map is ${Buffer.byteLength(map)} bytes`);
  const cutMap = excerpt(map);
  t.equal(cutMap, `${map.slice(0, 2048)}\n[… ${Buffer.byteLength(map) - 2048} more bytes not shown]`);
  // A source file: its first 20 lines.
  const source = readFileSync(join(REPO_ROOT, 'examples/replay/src/replay.ts'), 'utf8');
  const lines = source.split('\n');
  t.ok(lines.length > 20);
  const first20 = lines.slice(0, 20).join('\n');
  t.ok(Buffer.byteLength(first20) <= 2048, 'the first 20 lines fit in 2 KB');
  t.equal(excerpt(source), `${first20}\n[… ${Buffer.byteLength(source) - Buffer.byteLength(first20)} more bytes, ${lines.length - 20} more lines not shown]`);
  // A cut never splits a character.
  const wide = '世'.repeat(1000); // 3000 bytes
  t.equal(excerpt(wide), `${'世'.repeat(682)}\n[… ${3000 - 682 * 3} more bytes not shown]`);
});

t.test('loadComponent refuses by the header (a source map, a core module) and reports what jco rejects in a few lines', async (t) => {
  const dir = await tempDir(t, 'load');
  const cacheDir = join(dir, 'cache');
  const refusal = async (path: string): Promise<HostError> => {
    const err = await loadComponent(path, cacheDir).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof HostError)) throw new Error(`expected a HostError for ${path}, got ${String(err)}`);
    return err;
  };
  const map = `${exampleComponent('replay')}.map`;
  const notWasm = await refusal(map);
  t.same({ code: notWasm.code, message: notWasm.message }, {
    code: 'E_NOT_WASM',
    message: `${map} is not a WebAssembly file (it does not start with \\0asm): build the filter with sentinel-wasi build <filter.ts> -o <out.wasm> and run the .wasm it writes`,
  });
  const short = join(dir, 'short.wasm');
  writeFileSync(short, Buffer.from('\0asm\x0d', 'latin1'));
  const cut = await refusal(short);
  t.same({ code: cut.code, message: cut.message }, { code: 'E_NOT_WASM', message: `${short} is cut short: it starts with \\0asm but ends after 5 bytes, before its version bytes` });
  const old = join(dir, 'old-layer.wasm');
  writeFileSync(old, Buffer.from('\0asm\x0a\0\x01\0', 'latin1'));
  const oldLayer = await refusal(old);
  t.same({ code: oldLayer.code, message: oldLayer.message }, {
    code: 'E_NOT_COMPONENT',
    message: `${old} is WebAssembly of a version or layer this host does not run (its version bytes are 0a 00 01 00; a component's are 0d 00 01 00)`,
  });
  // A component's header and 48 KB of noise: jco gets it, rejects it, and its message is short.
  const noise = join(dir, 'noise.wasm');
  writeFileSync(noise, Buffer.concat([Buffer.from('\0asm\x0d\0\x01\0', 'latin1'), randomBytes(48 * 1024)]));
  const rejected = await refusal(noise);
  t.equal(rejected.code, 'E_TRANSPILE');
  t.match(rejected.message, /^jco transpile failed: /);
  t.ok(rejected.message.length < 2048 + 100, `${rejected.message.length} characters`);
});

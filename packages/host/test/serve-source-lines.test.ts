// `sentinel-wasi serve` names an HTTP filter's own lines: a StarlingMonkey filter (fixtures/
// serve-http, built as a user builds it with `sentinel-wasi build --world http`) that throws on
// /throw at filter.ts line 19, called from line 28, prints those lines on stderr instead of the
// bundle's (`parseLimit@filter.js:LINE:COL`). Without its map the bundle's positions are printed as
// they were.

import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { startServe } from '../../../test/helpers/node-host.js';
import { CLI_BIN, runProcess, tempDir } from '../../../test/helpers/repo.js';
import { builtServeFixture, SERVE_FIXTURE_SOURCE as SHOWN } from './host-fixtures.js';

t.setTimeout(300_000);

/** The stack frames (`name@position`) StarlingMonkey printed, in order. */
function frames(stderr: string): string[] {
  return [...stderr.matchAll(/^\s+(\S*@\S+:\d+:\d+)$/gm)].map((m) => m[1]!);
}

/** Serves the component on a free port against a pin made by `sentinel-wasi init`; one request; what serve printed. */
async function serveOneRequest(t: Test, component: string): Promise<{ status: number; stderr: string }> {
  const pin = join(await tempDir(t, 'serve-lines'), 'pin');
  t.equal((await runProcess(process.execPath, [CLI_BIN, 'init', '--pin', pin])).code, 0, 'sentinel-wasi init --pin');
  const server = await startServe({ component, pin });
  t.teardown(() => server.stop());
  const res = await fetch(`${server.url}/throw`);
  await res.arrayBuffer();
  const { stderr } = await server.stop();
  return { status: res.status, stderr };
}

t.test('a StarlingMonkey HTTP filter that throws names filter.ts:19 and :28 in what serve prints', async (t) => {
  const component = builtServeFixture();
  const { status, stderr } = await serveOneRequest(t, component);
  t.equal(status, 500, 'the request whose handler threw (no response set) is answered 500');
  t.match(stderr, 'sentinel-wasi filter: httpHandler() body threw RangeError: not a limit: many\n', "the SDK's line, then the stack");
  t.match(stderr, 'request failed: the filter returned without setting a response: answered 500 (E_NO_RESPONSE)\n');
  t.match(stderr, '0 dropped after a trap', 'caught by httpHandler(): no trap, the instance serves on');
  t.same(frames(stderr).slice(0, 2), [`parseLimit@${SHOWN}:19:11`, `withSdk<@${SHOWN}:28:5`], stderr);
  t.notMatch(stderr, /@filter\.js:/, 'no bundle positions left');
  t.match(stderr, /\$handle@\/\S+\/initializer\.js:\d+:\d+\n/, "componentize-js's own frame (a real path) is left alone");

  // Without the map, the bundle's positions are what there is (nothing is guessed).
  const bare = join(await tempDir(t, 'serve-lines-bare'), 'filter.wasm');
  copyFileSync(component, bare);
  const unmapped = await serveOneRequest(t, bare);
  t.equal(unmapped.status, 500);
  t.match(frames(unmapped.stderr)[0], /^parseLimit@filter\.js:\d+:\d+$/, unmapped.stderr);
});

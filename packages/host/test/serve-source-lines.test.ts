// `sentinel-wasi serve` names an HTTP filter's own lines: a StarlingMonkey filter (fixtures/
// thrower-http, built as a user builds it with `sentinel-wasi build --world http`) that throws at
// thrower.ts line 9, called from line 15, prints those lines on stderr instead of the bundle's
// (`parseLimit@thrower.js:LINE:COL`). Without its map the bundle's positions are printed as they were.

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import t, { type Test } from 'tap';
import { buildOnce, listFiles } from '../../../test/helpers/build-once.js';
import { startServe } from '../../../test/helpers/node-host.js';
import { CACHE_DIR, CLI_BIN, REPO_ROOT, runProcess, tempDir } from '../../../test/helpers/repo.js';

t.setTimeout(300_000);

/** The fixture as printed relative to the repository root (where serve is started). */
const SHOWN = 'packages/host/test/fixtures/thrower-http/thrower.ts';

/** What the built component and its map depend on: the fixture, what it bundles, the build, the engines. */
const BUILD_INPUTS = [
  'packages/host/test/fixtures/thrower-http',
  'packages/filter/dist',
  'packages/protocol/dist',
  'packages/filter-build/dist',
  'node_modules/@bytecodealliance/jco/package.json',
  'node_modules/@bytecodealliance/componentize-js/package.json',
];

/** The fixture built with `sentinel-wasi build` (10–30 s), cached with its map under .cache/host-fixtures/ by its inputs' hash. */
function builtThrower(): string {
  const hash = createHash('sha256');
  for (const file of BUILD_INPUTS.flatMap((p) => listFiles(join(REPO_ROOT, p)))) hash.update(relative(REPO_ROOT, file)).update('\0').update(readFileSync(file));
  const dir = join(CACHE_DIR, 'host-fixtures');
  const out = join(dir, `thrower-http-${hash.digest('hex').slice(0, 16)}.wasm`);
  mkdirSync(dir, { recursive: true });
  // Built beside its final name, so that the map's relative sources hold after the renames.
  const tmp = join(dir, `thrower-http-${process.pid}.tmp.wasm`);
  try {
    buildOnce(out, tmp, () => {
      const built = spawnSync(process.execPath, [CLI_BIN, 'build', join(REPO_ROOT, SHOWN), '-o', tmp, '--world', 'http'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
      if (built.status !== 0) throw new Error(`building ${SHOWN} failed (exit ${built.status}):\n${built.stderr}`);
      renameSync(`${tmp}.map`, `${out}.map`); // before the component: it marks a finished build
    });
  } finally {
    rmSync(`${tmp}.map`, { force: true });
  }
  // Builds of inputs since changed (the SDK is rebuilt often) are 14 MB each: keep only this one.
  for (const old of readdirSync(dir)) {
    if (/^thrower-http-[0-9a-f]{16}\.wasm(\.map)?$/.test(old) && !join(dir, old).startsWith(out)) rmSync(join(dir, old), { force: true });
  }
  return out;
}

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
  const res = await fetch(`${server.url}/`);
  await res.arrayBuffer();
  const { stderr } = await server.stop();
  return { status: res.status, stderr };
}

t.test('a StarlingMonkey HTTP filter that throws names thrower.ts:9 and :15 in what serve prints', async (t) => {
  const component = builtThrower();
  const { status, stderr } = await serveOneRequest(t, component);
  t.equal(status, 500, 'the request whose handler threw is answered 500');
  t.match(stderr, 'not a limit: many');
  t.same(frames(stderr).slice(0, 2), [`parseLimit@${SHOWN}:9:11`, `incomingHandler<@${SHOWN}:15:3`], stderr);
  t.notMatch(stderr, /@thrower\.js:/, 'no bundle positions left');
  t.match(stderr, /\$handle@\/\S+\/initializer\.js:\d+:\d+\n/, "componentize-js's own frame (a real path) is left alone");

  // Without the map, the bundle's positions are what there is (nothing is guessed).
  const bare = join(await tempDir(t, 'serve-lines-bare'), 'thrower.wasm');
  copyFileSync(component, bare);
  const unmapped = await serveOneRequest(t, bare);
  t.equal(unmapped.status, 500);
  t.match(frames(unmapped.stderr)[0], /^parseLimit@thrower\.js:\d+:\d+$/, unmapped.stderr);
});

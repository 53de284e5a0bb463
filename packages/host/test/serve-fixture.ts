// Owns the HTTP filter component the serve tests share (fixtures/serve-http/filter.ts: /throw,
// /loop, /big, /none, else 'ok'), built as a user builds one (`sentinel-wasi build --world http`,
// StarlingMonkey, 10–30 s) from the fixture where it lies, so that its source map names
// `packages/host/test/fixtures/serve-http/filter.ts`. Built once per version of its inputs and
// cached with the map under .cache/host-fixtures/, safely when test files run side by side.

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildOnce, listFiles } from '../../../test/helpers/build-once.js';
import { CACHE_DIR, CLI_BIN, REPO_ROOT } from '../../../test/helpers/repo.js';

/** The fixture's source as a stack printed from the repository root names it. */
export const SERVE_FIXTURE_SOURCE = 'packages/host/test/fixtures/serve-http/filter.ts';

/** What the built component and its map depend on: the fixture, what it bundles, the build, the engines. */
const BUILD_INPUTS = [
  'packages/host/test/fixtures/serve-http',
  'packages/filter/dist',
  'packages/protocol/dist',
  'packages/filter-build/dist',
  'node_modules/@bytecodealliance/jco/package.json',
  'node_modules/@bytecodealliance/componentize-js/package.json',
];

/** The path of the built component (its map beside it, `<path>.map`), building it first if needed. */
export function builtServeFixture(): string {
  const hash = createHash('sha256');
  for (const file of BUILD_INPUTS.flatMap((p) => listFiles(join(REPO_ROOT, p)))) hash.update(relative(REPO_ROOT, file)).update('\0').update(readFileSync(file));
  const dir = join(CACHE_DIR, 'host-fixtures');
  const out = join(dir, `serve-http-${hash.digest('hex').slice(0, 16)}.wasm`);
  mkdirSync(dir, { recursive: true });
  // Built beside its final name, so that the map's relative sources hold after the renames.
  const tmp = join(dir, `serve-http-${process.pid}.tmp.wasm`);
  try {
    buildOnce(out, tmp, () => {
      const built = spawnSync(process.execPath, [CLI_BIN, 'build', join(REPO_ROOT, SERVE_FIXTURE_SOURCE), '-o', tmp, '--world', 'http'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
      if (built.status !== 0) throw new Error(`building ${SERVE_FIXTURE_SOURCE} failed (exit ${built.status}):\n${built.stderr}`);
      renameSync(`${tmp}.map`, `${out}.map`); // before the component: it marks a finished build
    });
  } finally {
    rmSync(`${tmp}.map`, { force: true });
  }
  // Builds of inputs since changed (the SDK is rebuilt often) are 14 MB each: keep only this one.
  for (const old of readdirSync(dir)) {
    if (/^serve-http-[0-9a-f]{16}\.wasm(\.map)?$/.test(old) && !join(dir, old).startsWith(out)) rmSync(join(dir, old), { force: true });
  }
  return out;
}

// Owns the fixture components the host's tests build as a user builds a filter (`sentinel-wasi
// build`, from where the fixture lies, so that a kept source map names its file): serve's HTTP
// filter (fixtures/serve-http) and the socket probe (fixtures/socket-probe). Each is built once
// per version of its inputs, even when test files run side by side, and cached under
// .cache/host-fixtures/ as `<name>-<hash>.wasm` (its map beside it when kept); older versions are
// removed.

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce, hashFiles } from '../../../test/helpers/build-once.js';
import { CACHE_DIR, CLI_BIN, REPO_ROOT } from '../../../test/helpers/repo.js';

/** serve's fixture as a stack printed from the repository root names it. */
export const SERVE_FIXTURE_SOURCE = 'packages/host/test/fixtures/serve-http/filter.ts';
const SOCKET_PROBE = 'packages/host/test/fixtures/socket-probe';

/**
 * serve's HTTP filter (StarlingMonkey, 10–30 s): /throw, /loop, /big, /big-trap, /none,
 * /unfinished, else 'ok' (its header says what each does). Its map is kept beside it (`<path>.map`).
 */
export function builtServeFixture(): string {
  return builtFixture({
    name: 'serve-http',
    source: SERVE_FIXTURE_SOURCE,
    flags: ['--world', 'http'],
    inputs: ['packages/host/test/fixtures/serve-http', 'packages/filter/dist', 'packages/protocol/dist', 'packages/filter-build/dist', 'node_modules/@bytecodealliance/jco/package.json', 'node_modules/@bytecodealliance/componentize-js/package.json'],
    keepMap: true,
  });
}

/** The socket probe, built against its own world (`--wit`; QuickJS, about 10 s). */
export function builtSocketProbe(): string {
  return builtFixture({
    name: 'socket-probe',
    source: `${SOCKET_PROBE}/probe.js`,
    flags: ['--wit', join(REPO_ROOT, SOCKET_PROBE, 'wit'), '--world-name', 'socket-probe'],
    inputs: [SOCKET_PROBE, 'packages/filter/wit', 'packages/filter/dist', 'packages/filter/package.json', 'packages/filter-build/dist', 'node_modules/@bytecodealliance/jco/package.json', 'node_modules/componentize-qjs/package.json'],
    keepMap: false,
  });
}

interface FixtureBuild {
  /** The cache file's prefix. */
  name: string;
  /** The source, relative to the repository root. */
  source: string;
  /** `sentinel-wasi build` flags after the source and `-o`. */
  flags: string[];
  /** What the component (and its map) depend on, relative to the repository root: hashed. */
  inputs: string[];
  keepMap: boolean;
}

function builtFixture(b: FixtureBuild): string {
  const hash = hashFiles(createHash('sha256'), REPO_ROOT, b.inputs);
  const dir = join(CACHE_DIR, 'host-fixtures');
  const out = join(dir, `${b.name}-${hash.digest('hex').slice(0, 16)}.wasm`);
  mkdirSync(dir, { recursive: true });
  // Built beside its final name, so that a map's relative sources hold after the renames.
  const tmp = join(dir, `${b.name}-${process.pid}.tmp.wasm`);
  try {
    buildOnce(out, tmp, () => {
      const built = spawnSync(process.execPath, [CLI_BIN, 'build', join(REPO_ROOT, b.source), '-o', tmp, ...b.flags], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
      if (built.status !== 0) throw new Error(`building ${b.source} failed (exit ${built.status}):\n${built.stderr}`);
      if (b.keepMap) renameSync(`${tmp}.map`, `${out}.map`); // before the component: it marks a finished build
    });
  } finally {
    rmSync(`${tmp}.map`, { force: true });
  }
  // Builds of inputs since changed (the SDK is rebuilt often; an HTTP one is 14 MB): keep only this one.
  const older = new RegExp(`^${b.name}-[0-9a-f]{16}\\.wasm(\\.map)?$`);
  for (const old of readdirSync(dir)) {
    if (older.test(old) && !join(dir, old).startsWith(out)) rmSync(join(dir, old), { force: true });
  }
  return out;
}

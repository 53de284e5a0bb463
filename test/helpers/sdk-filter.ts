// Owns building small filter components that end-to-end tests write inline: a TypeScript source
// using the SDK, built by `sentinel-wasi build` (command world, QuickJS: a few seconds; or http
// world, StarlingMonkey: 10–30 s) in a
// directory under .cache/sdk-filters/ (inside the repository, so the workspace's packages
// resolve). Each build is cached by the hash of its inputs (the source, the compiled SDK, protocol
// and build command it bundles or runs — their dist/, so run `npx tsc -b` first — and the jco
// versions), so a test run builds a filter at most once, even when test files run in parallel.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce, hashFiles } from './build-once.js';
import { CACHE_DIR, CLI_BIN, REPO_ROOT } from './repo.js';

/** What ends up in, or decides, the component besides its own source. */
const INPUTS = [
  'packages/filter/dist',
  'packages/filter/wit',
  'packages/filter/package.json',
  'packages/protocol/dist',
  'packages/filter-build/dist',
  'node_modules/@bytecodealliance/jco/package.json',
  'node_modules/@bytecodealliance/componentize-js/package.json',
  'node_modules/componentize-qjs/package.json',
];

function inputsHash(source: string, world: World): string {
  const hash = createHash('sha256').update(source).update('\0').update(world).update('\0');
  return hashFiles(hash, REPO_ROOT, INPUTS).digest('hex').slice(0, 16);
}

type World = 'command' | 'http';

/**
 * The built command component of `source` (a filter's TypeScript), building it first if the cache
 * does not have this version. Its directory keeps the source and the source map (`<wasm>.map`), so
 * a host can map a trap's stack to the source's lines.
 */
export function sdkCommandFilter(name: string, source: string): string {
  return sdkFilter(name, source, 'command');
}

/** The built HTTP component of `source` (`sentinel-wasi build --world http`), as sdkCommandFilter builds a command. */
export function sdkHttpFilter(name: string, source: string): string {
  return sdkFilter(name, source, 'http');
}

function sdkFilter(name: string, source: string, world: World): string {
  const project = join(CACHE_DIR, 'sdk-filters', `${name}-${inputsHash(source, world)}`);
  const out = join(project, `${name}.wasm`);
  mkdirSync(project, { recursive: true });
  const tmp = join(project, `tmp-${process.pid}.wasm`);
  try {
    return buildOnce(out, tmp, () => {
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `sdk-filter-${name}`, private: true, type: 'module' }));
      writeFileSync(join(project, 'filter.ts'), source);
      const built = spawnSync(process.execPath, [CLI_BIN, 'build', join(project, 'filter.ts'), '-o', tmp, '--world', world], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
      if (built.status !== 0 || !existsSync(tmp)) throw new Error(`building ${name} failed (exit ${built.status}):\n${built.stdout}\n${built.stderr}`);
      if (existsSync(`${tmp}.map`)) renameSync(`${tmp}.map`, `${out}.map`); // before the component: it marks a finished build
    });
  } finally {
    rmSync(`${tmp}.map`, { force: true });
  }
}

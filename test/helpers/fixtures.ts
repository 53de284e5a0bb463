// Owns building the test fixture components under test/fixtures/ (small components that exercise a
// host without the filter SDK). Each build is cached under .cache/fixtures/ by the hash of its
// inputs (fixture sources and WIT, the protocol sources it bundles, the jco version and flags), so
// a test run builds a fixture at most once, even when test files run in parallel.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildOnce, hashFiles } from './build-once.js';
import { CACHE_DIR, REPO_ROOT } from './repo.js';

interface FixtureSpec {
  source: string;
  world: string;
  flags: string[];
}

const FIXTURES: Record<string, FixtureSpec> = {
  // QuickJS, synchronous: builds in ~2 s.
  'append-cli': { source: 'src/append.js', world: 'append-cli', flags: ['--backend', 'quickjs', '--backend-qjs-disable-async'] },
  // QuickJS cannot build a wasi:http world; StarlingMonkey with a hand-written incoming-handler.
  'append-http': { source: 'src/handler.js', world: 'append-http', flags: ['-d', 'fetch-event'] },
};

function inputsHash(name: string, spec: FixtureSpec): string {
  const hash = hashFiles(createHash('sha256'), REPO_ROOT, [join('test/fixtures', name), 'packages/protocol/src', 'node_modules/@bytecodealliance/jco/package.json']);
  hash.update(JSON.stringify(spec));
  return hash.digest('hex').slice(0, 16);
}

/** The built fixture's path, building it first if the cache does not have this version. */
export function fixtureComponent(name: keyof typeof FIXTURES): string {
  const spec = FIXTURES[name]!;
  const dir = join(CACHE_DIR, 'fixtures');
  const out = join(dir, `${name}-${inputsHash(name, spec)}.wasm`);
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  return buildOnce(out, tmp, () => {
    const fixtureDir = join(REPO_ROOT, 'test/fixtures', name);
    const jco = join(dirname(createRequire(import.meta.url).resolve('@bytecodealliance/jco')), 'jco.js');
    const args = [jco, 'componentize', join(fixtureDir, spec.source), '--wit', join(fixtureDir, 'wit'), '--world-name', spec.world,
      '--bundle', '--cwd', REPO_ROOT, ...spec.flags, '-o', tmp];
    const built = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
    if (built.status !== 0 || !existsSync(tmp)) {
      throw new Error(`building fixture ${name} failed (exit ${built.status}):\n${built.stdout}\n${built.stderr}`);
    }
  });
}

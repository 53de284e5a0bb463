// The filters the READMEs show work as written: each code block is taken from the README itself,
// type-checked by tsc --strict against the SDK's declarations, built with `sentinel-wasi build`,
// and run — the HTTP filter served by the Node host and asked over HTTP (it answers 200 "ok"),
// the command filter run with a pin (it exits 0 and its records reach the pin's log).

import t from 'tap';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CACHE_DIR, CLI_BIN, REPO_ROOT, runProcess, tempDir } from '../helpers/repo.js';
import { runUnderNode, startServe } from '../helpers/node-host.js';

// Builds components (a StarlingMonkey build alone can take minutes on a loaded machine).
t.setTimeout(900_000);

/** The first ```ts block of a README that contains `marker`. */
function codeBlock(readme: string, marker: string): string {
  const text = readFileSync(join(REPO_ROOT, readme), 'utf8');
  for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) if (m[1]!.includes(marker)) return m[1]!;
  throw new Error(`${readme} has no ts block with ${marker}`);
}

/** A project directory (inside the repository, so the workspace's packages resolve) holding the block as filter.ts and a strict tsconfig. */
function project(name: string, code: string, world: 'command' | 'http'): string {
  const dir = join(CACHE_DIR, 'readme-examples', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'filter.ts'), code);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `readme-${name}`, private: true, type: 'module' }));
  const sdk = join(REPO_ROOT, 'packages', 'filter');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'ESNext.Disposable'], types: [], skipLibCheck: true },
      files: ['filter.ts', relative(dir, join(sdk, 'types', `filter-${world}.d.ts`)), relative(dir, join(sdk, 'globals', 'engine-globals.d.ts'))],
    }),
  );
  return dir;
}

async function tscStrict(dir: string): Promise<{ code: number; stdout: string }> {
  return runProcess(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir, '--strict'], { cwd: dir });
}

t.test("the filter README's HTTP example: tsc --strict, build, serve, answer", async (t) => {
  const dir = project('http', codeBlock('packages/filter/README.md', 'incomingHandler'), 'http');
  const tsc = await tscStrict(dir);
  t.same([tsc.code, tsc.stdout], [0, ''], 'tsc --strict passes as written');

  const out = join(dir, 'filter.wasm');
  const built = await runProcess(process.execPath, [CLI_BIN, 'build', join(dir, 'filter.ts'), '-o', out, '--world', 'http']);
  t.equal(built.code, 0, built.stderr);
  t.match(built.stdout, /built .*filter\.wasm \(http world, starlingmonkey\)/);

  const pin = await tempDir(t, 'readme-http');
  t.equal((await runProcess(process.execPath, [CLI_BIN, 'init', '--pin', pin])).code, 0);
  const server = await startServe({ component: out, pin });
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await server.stop();
  });
  const res = await fetch(`${server.url}/orders?id=7`);
  t.equal(res.status, 200);
  t.equal(await res.text(), 'ok\n', 'the response the example sends');
  const ctl = await fetch(`${server.url}/a%00b`);
  t.equal(ctl.status, 200);
  stopped = true;
  const stop = await server.stop();
  t.equal(stop.code, 0, stop.stderr);
  const segments = readdirSync(join(pin, 'log'));
  t.ok(segments.length > 0, 'the requests were recorded in the pin');
});

t.test("the top-level README's command example: tsc --strict, build, run", async (t) => {
  const dir = project('command', codeBlock('README.md', 'command('), 'command');
  const tsc = await tscStrict(dir);
  t.same([tsc.code, tsc.stdout], [0, ''], 'tsc --strict passes as written');
  const out = join(dir, 'filter.wasm');
  const built = await runProcess(process.execPath, [CLI_BIN, 'build', join(dir, 'filter.ts'), '-o', out]);
  t.equal(built.code, 0, built.stderr);
  const pin = await tempDir(t, 'readme-command');
  t.equal((await runProcess(process.execPath, [CLI_BIN, 'init', '--pin', pin])).code, 0);
  const run = await runUnderNode({ component: out, pin });
  t.equal(run.code, 0, run.stderr);
  t.ok(readdirSync(join(pin, 'log')).length > 0, 'its records reached the pin');
});

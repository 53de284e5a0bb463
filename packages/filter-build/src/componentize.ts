// Owns turning a filter source into a component: staging the WIT (the SDK's vendored worlds plus
// the filter's own, if any), type-checking the filter and its exports against what the world needs
// (typecheck.ts, world-exports.ts), giving QuickJS builds the Web globals
// that engine lacks (an entry module that loads @sentinel-wasi/filter/globals first), choosing jco
// componentize's backend and feature flags for the world, the bundle configuration (the source
// map; the check that nothing is recorded at module top level, top-level-records.ts), running jco,
// and moving the result into place only when it succeeded. Its errors carry stable codes: a source
// or --wit directory that is not there is a usage error (E_USAGE), a WIT jco cannot use is E_WIT
// (wit-errors.ts), an output that cannot be written is E_BUILD_OUTPUT.

import { cp, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fsReason } from '@sentinel-wasi/protocol/node';
import { runJco } from './jco.js';
import { TopLevelRecordError, topLevelCheckSource, topLevelRecordIn, topLevelWatchSource } from './top-level-records.js';
import { witError, isWitFailure, WitError } from './wit-errors.js';
import { sdkWorldExports, worldExports, WorldReadError } from './world-exports.js';

export type FilterWorld = 'command' | 'http';
export type Backend = 'quickjs' | 'starlingmonkey';

export const FILTER_WORLDS: readonly FilterWorld[] = ['command', 'http'];

/**
 * Default backend per world, chosen by measurement (packages/filter/README.md): QuickJS for
 * commands (cheaper per event, 7× smaller, 5× faster to build); StarlingMonkey for HTTP, the only
 * backend that builds the wasi:http world.
 */
export const DEFAULT_BACKEND: Readonly<Record<FilterWorld, Backend>> = { command: 'quickjs', http: 'starlingmonkey' };

/** The SDK world each filter world builds against (packages/filter/wit/world.wit). */
export const SDK_WORLD: Readonly<Record<FilterWorld, string>> = { command: 'filter-command', http: 'filter-http' };

export interface BuildRequest {
  source: string;
  out: string;
  world: FilterWorld;
  backend: Backend;
  /** The filter's own WIT directory (its world includes an SDK world), with its world name. */
  wit?: string;
  worldName?: string;
  /** Type-check a TypeScript source before building (default true). */
  typecheck?: boolean;
}

export interface BuildResult {
  out: string;
  bytes: number;
  elapsedMs: number;
}

/**
 * The build failed: E_BUILD (jco failed), E_USAGE (a source or --wit directory that is not there:
 * exit 2), E_SOURCE_READ (a source that is there but cannot be read), E_BUILD_OUTPUT (the output
 * cannot be written).
 */
export class BuildError extends Error {
  constructor(
    message: string,
    readonly code: 'E_BUILD' | 'E_USAGE' | 'E_SOURCE_READ' | 'E_BUILD_OUTPUT' = 'E_BUILD',
  ) {
    super(message);
    this.name = 'BuildError';
  }
}

export { WitError };

/** The filter does not type-check: nothing was built. The message lists tsc's errors. */
export class TypeCheckError extends Error {
  readonly code = 'E_TYPECHECK';
  constructor(readonly errors: string[]) {
    super(`the filter does not type-check (nothing built):\n${errors.join('\n')}`);
    this.name = 'TypeCheckError';
  }
}

/**
 * The filter does not export what its world needs (a `run` that is a plain function, no `run`, no
 * incomingHandler, ...): nothing was built. The message names each export and its expected shape.
 */
export class FilterExportsError extends Error {
  readonly code = 'E_FILTER_EXPORTS';
  constructor(
    readonly world: string,
    readonly errors: string[],
  ) {
    super(`the filter does not export what its world (${world}) needs (nothing built):\n${errors.join('\n')}`);
    this.name = 'FilterExportsError';
  }
}

const require = createRequire(import.meta.url);

/** The module that defines console, TextEncoder and TextDecoder where the engine has none. */
export function engineGlobalsModule(): string {
  return require.resolve('@sentinel-wasi/filter/globals');
}

/**
 * The entry module a QuickJS build componentizes: the engine globals first (ES modules run in
 * import order), then everything the filter exports.
 */
export function quickjsEntrySource(filterSource: string): string {
  return `import ${JSON.stringify(engineGlobalsModule())};\nexport * from ${JSON.stringify(resolve(filterSource))};\n`;
}

/** The SDK's vendored WIT directory (packages/filter/wit). */
export function sdkWitDir(): string {
  return join(dirname(require.resolve('@sentinel-wasi/filter/package.json')), 'wit');
}

/**
 * The SDK's core module (`@sentinel-wasi/filter/core`) as the filter's imports resolve it (from its
 * directory, symbolic links followed, as the bundler does); undefined when the SDK is not there.
 */
export function sdkCoreModule(source: string): string | undefined {
  try {
    return createRequire(resolve(source)).resolve('@sentinel-wasi/filter/core');
  } catch {
    return undefined;
  }
}

/**
 * The rolldown configuration jco bundles with (`--bundle-config`): a hidden source map of the
 * bundle, which a plugin writes to mapPath (without the sources' text) and keeps out of jco's
 * output, where jco accepts no assets. Hosts use it to name the filter's lines in run-time errors.
 * With the SDK's core module (sdkCore), the check that the filter records nothing at module top
 * level: its watch appended to that module (if the bundle has it), its check after everything else.
 */
export function bundleConfigSource(mapPath: string, sdkCore?: string): string {
  const topLevel =
    sdkCore === undefined
      ? ''
      : `
  // The check that nothing is recorded at module top level (top-level-records.ts).
  {
    name: 'sentinel-wasi-top-level-records',
    transform(code, id) {
      if (id !== ${JSON.stringify(sdkCore)}) return null;
      // Appended: the module's own lines keep their positions (map: null).
      return { code: code + ${JSON.stringify(topLevelWatchSource(sdkCore))}, map: null, moduleSideEffects: true };
    },
  },`;
  const outro = sdkCore === undefined ? '' : `, outro: ${JSON.stringify(topLevelCheckSource())}`;
  return `import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
export default {
  // Sources named by absolute path: the map's own directory is a temporary one of jco's.
  output: { sourcemap: 'hidden', sourcemapPathTransform: (source, mapFile) => resolve(dirname(mapFile), source)${outro} },
  plugins: [${topLevel}{
    name: 'sentinel-wasi-source-map',
    generateBundle(_options, bundle) {
      for (const [name, item] of Object.entries(bundle)) {
        if (item.type === 'chunk' && item.map) {
          const map = JSON.parse(item.map.toString());
          delete map.sourcesContent;
          writeFileSync(${JSON.stringify(mapPath)}, JSON.stringify(map));
        } else if (item.type === 'asset' && name.endsWith('.map')) {
          delete bundle[name];
        }
      }
    },
  }],
};
`;
}

/** The jco componentize arguments for a request whose WIT is at witDir. */
export function jcoArgs(req: BuildRequest, witDir: string, worldName: string, outPath: string, entry: string = req.source, bundleConfig?: string): string[] {
  const args = ['componentize', resolve(entry), '--wit', witDir, '--world-name', worldName, '-o', outPath];
  if (bundleConfig !== undefined) args.push('--bundle', '--bundle-config', bundleConfig);
  if (req.backend === 'quickjs') {
    // Synchronous exports and imports: an async (JSPI) build cannot run under jco on Node 20.
    args.push('--backend', 'quickjs', '--backend-qjs-disable-async');
  } else if (req.world === 'command') {
    // No wasi:http imports in a command; the JS module exports wasi:cli/run itself.
    args.push('-d', 'http', '-d', 'fetch-event');
  } else {
    // The module exports incomingHandler by hand; fetch-event breaks when an instance is reused.
    args.push('-d', 'fetch-event');
  }
  return args;
}

/** Copies the filter's WIT next to the SDK's: <stage>/*.wit, deps/<sdk deps>, deps/sentinel-wasi-filter. */
export async function stageWit(filterWit: string, stage: string): Promise<void> {
  const sdk = sdkWitDir();
  let entries;
  try {
    entries = await readdir(filterWit, { withFileTypes: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new BuildError(`--wit directory not found: ${filterWit}`, 'E_USAGE');
    throw new WitError(`cannot read the WIT directory ${filterWit}: ${fsReason(err)}`);
  }
  for (const e of entries) {
    if (e.isFile() && e.name.endsWith('.wit')) await cp(join(filterWit, e.name), join(stage, e.name));
    else if (e.isDirectory() && e.name === 'deps') await cp(join(filterWit, 'deps'), join(stage, 'deps'), { recursive: true });
  }
  await cp(join(sdk, 'deps'), join(stage, 'deps'), { recursive: true, force: false, errorOnExist: false });
  await mkdir(join(stage, 'deps', 'sentinel-wasi-filter'), { recursive: true });
  await cp(join(sdk, 'world.wit'), join(stage, 'deps', 'sentinel-wasi-filter', 'world.wit'));
}

/**
 * Type-checks the filter and checks its exports against what the world needs (read from the staged
 * WIT for a world of its own); throws when either fails, type errors first (nothing built).
 */
async function checkFilter(req: BuildRequest, witDir: string, worldName: string, stage: string): Promise<void> {
  let exports = sdkWorldExports(req.world);
  if (req.wit !== undefined) {
    // A world jco guest-types cannot read (a wrong --world-name, a typo in an include) fails here,
    // in one line (E_WIT); componentize would fail on the same WIT with a JavaScript stack.
    try {
      exports = await worldExports(witDir, worldName, stage);
    } catch (err) {
      if (err instanceof WorldReadError) throw witError(err.output, witDir, req.wit, worldName);
      exports = [];
    }
  }
  // Loaded here: the TypeScript compiler is most of a second to load, which --help, a usage error
  // and a --no-typecheck build need not pay.
  const { typecheckFilter } = await import('./typecheck.js');
  const { errors, exportErrors } = typecheckFilter(req.source, req.world, process.cwd(), req.wit !== undefined, exports);
  if (errors.length > 0) throw new TypeCheckError(errors);
  if (exportErrors.length > 0) throw new FilterExportsError(worldName, exportErrors);
}

/**
 * Moves the bundle's source map next to the component as `<out>.map`, its sources made relative to
 * that file's directory (the bundle config has rolldown name them by absolute path; a relative
 * one is taken relative to the staging directory).
 * No map (jco did not bundle): any stale one is removed, so a host never maps with the wrong lines.
 */
async function writeSourceMap(stagedMap: string, outMap: string, stage: string): Promise<void> {
  let text;
  try {
    text = await readFile(stagedMap, 'utf8');
  } catch {
    await rm(outMap, { force: true });
    return;
  }
  const map = JSON.parse(text) as { sources: string[]; sourceRoot?: string; file?: string };
  const base = resolve(stage, map.sourceRoot ?? '');
  map.sources = map.sources.map((s) => relative(dirname(outMap), resolve(base, s)));
  delete map.sourceRoot;
  map.file = basename(outMap, '.map');
  const near = `${outMap}.${process.pid}.tmp`;
  await writeFile(near, JSON.stringify(map));
  await rename(near, outMap);
}

/**
 * Moves the built component from the staging directory to `out` (a rename; across filesystems a
 * copy next to `out`, then a rename). Fails with E_BUILD_OUTPUT naming the output as given (`shown`)
 * and the system's reason, not the staging paths.
 */
async function placeOutput(tmpOut: string, out: string, shown: string): Promise<void> {
  try {
    await rename(tmpOut, out);
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== 'EXDEV') throw new BuildError(`cannot write ${shown}: ${fsReason(err)}`, 'E_BUILD_OUTPUT');
  }
  const near = `${out}.${process.pid}.tmp`;
  try {
    await cp(tmpOut, near);
    await rename(near, out);
  } catch (err) {
    await rm(near, { force: true });
    throw new BuildError(`cannot write ${shown}: ${fsReason(err)}`, 'E_BUILD_OUTPUT');
  }
}

/** Builds the component; the output file appears only when the build succeeded. */
export async function buildFilter(req: BuildRequest): Promise<BuildResult> {
  const started = Date.now();
  // A source that is not there is a usage error, as a missing component is for `run`.
  const isFile = await stat(req.source).then(
    (s) => s.isFile(),
    (err: unknown) => {
      // A directory on the way this user may not search: the source may well be there.
      const code = (err as { code?: string }).code;
      if (code === 'EACCES' || code === 'EPERM') throw new BuildError(`cannot read source ${req.source}: ${fsReason(err)}`, 'E_SOURCE_READ');
      return false;
    },
  );
  if (!isFile) throw new BuildError(`source file not found: ${req.source}`, 'E_USAGE');
  try {
    await (await open(req.source, 'r')).close();
  } catch (err) {
    throw new BuildError(`cannot read source ${req.source}: ${fsReason(err)}`, 'E_SOURCE_READ');
  }
  const out = resolve(req.out);
  const stage = await mkdtemp(join(tmpdir(), 'sentinel-wasi-build-'));
  const tmpOut = join(stage, 'out.wasm');
  try {
    let witDir = sdkWitDir();
    let worldName = SDK_WORLD[req.world];
    if (req.wit !== undefined) {
      witDir = join(stage, 'wit');
      await mkdir(witDir);
      await stageWit(req.wit, witDir);
      worldName = req.worldName ?? worldName;
    }
    if (req.typecheck !== false) await checkFilter(req, witDir, worldName, stage);
    await mkdir(dirname(out), { recursive: true }).catch((err: unknown) => {
      // EEXIST: a file where the directory would be (ENOTDIR: one above it).
      const code = (err as { code?: string }).code;
      const reason = code === 'EEXIST' || code === 'ENOTDIR' ? `${dirname(req.out)} is not a directory` : fsReason(err);
      throw new BuildError(`cannot write ${req.out}: ${reason}`, 'E_BUILD_OUTPUT');
    });
    let entry = req.source;
    if (req.backend === 'quickjs') {
      entry = join(stage, 'entry.ts');
      await writeFile(entry, quickjsEntrySource(req.source));
    }
    const bundleConfig = join(stage, 'bundle.config.mjs');
    const tmpMap = join(stage, 'out.wasm.map');
    await writeFile(bundleConfig, bundleConfigSource(tmpMap, sdkCoreModule(req.source)));
    const { code, output } = await runJco(jcoArgs(req, witDir, worldName, tmpOut, entry, bundleConfig));
    if (code !== 0) {
      const topLevel = topLevelRecordIn(output);
      if (topLevel !== undefined) throw new TopLevelRecordError(topLevel.method, topLevel.resource);
      if (req.wit !== undefined && isWitFailure(output)) {
        // componentize drops the cause's chain (a syntax error's own words); guest-types keeps it.
        const detail = await worldExports(witDir, worldName, stage).then(
          () => output,
          (err: unknown) => (err instanceof WorldReadError ? err.output : output),
        );
        throw witError(detail, witDir, req.wit, worldName);
      }
      throw new BuildError(`jco componentize failed (exit ${code}):\n${output.trim()}`);
    }
    const bytes = (await stat(tmpOut)).size;
    await placeOutput(tmpOut, out, req.out);
    try {
      await writeSourceMap(tmpMap, `${out}.map`, stage);
    } catch (err) {
      await rm(out, { force: true }); // a component without its map would print bundle positions
      throw new BuildError(`cannot write ${req.out}.map: ${fsReason(err)}`, 'E_BUILD_OUTPUT');
    }
    return { out, bytes, elapsedMs: Date.now() - started };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

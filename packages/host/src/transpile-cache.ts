// Owns turning a component file into something Node can instantiate: `jco transpile` (instantiation
// mode, so the host supplies every import) with the output cached on disk under the component's
// content hash, so repeated runs of the same component do not transpile again. Core modules are
// compiled once per process and reused by every instance. A file whose header is not a component's
// is refused before jco sees it (component-file.ts), and what jco says of a failure is echoed cut
// short (excerpt.ts).

import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { componentReadMessage, headerProblem, WASM_HEADER_BYTES } from './component-file.js';
import { defaultCacheDir } from './defaults.js';
import { excerpt } from './excerpt.js';

export { defaultCacheDir };

/** A compiled core WebAssembly module (WebAssembly.Module; the lib settings here do not declare it). */
export type CoreModule = object;

// Components built with the QuickJS backend use extended constant expressions, which Node 20's V8
// has behind a flag. Wasm feature flags are read when a module is compiled, so setting it here,
// before the first compile, is enough; later Node versions enable it by default.
setFlagsFromString('--experimental-wasm-extended-const');

const wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => CoreModule } }).WebAssembly;

/** jco's generated `instantiate` (sync instantiation mode). */
export type InstantiateFn = (getCoreModule: (path: string) => CoreModule, imports: Record<string, unknown>) => ComponentInstance;

/** The exports a filter component may have (a command, an HTTP handler, or both). */
export interface ComponentInstance {
  run?: { run(): void };
  incomingHandler?: { handle(request: unknown, responseOut: unknown): void };
  [name: string]: unknown;
}

export interface LoadedComponent {
  /** sha256 of the component bytes, hex. */
  hash: string;
  /** The directory holding the transpiled output. */
  dir: string;
  /** True when this call transpiled (the cache had no entry). */
  transpiled: boolean;
  /** Time spent transpiling (0 when the cache had it). */
  transpileMs: number;
  instantiate: InstantiateFn;
  getCoreModule(path: string): CoreModule;
}

export class HostError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

/** jco's version: its output for the same component can change between versions. */
function jcoVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@bytecodealliance/jco');
  return (JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Names the cache generation: bump the suffix when the transpile options or the rewrite below change. */
const CACHE_LAYOUT = `jco-${jcoVersion()}-sync-v2`;

/** jco 1.35's debug logger, called several times per import call: each call reads process.env (a slow lookup in Node). */
const JCO_DEBUG_LOG = `  const _debugLog = (...args) => {
    if (!globalThis?.process?.env?.JCO_DEBUG) { return; }
    console.debug(...args);
  };`;
const JCO_DEBUG_LOG_ONCE = `  const _debugLog = globalThis?.process?.env?.JCO_DEBUG ? (...args) => console.debug(...args) : () => {};`;

/**
 * The generated JS with JCO_DEBUG read once, when the module loads, instead of on every debug-log
 * call (about a third of the cost of an import call from the guest: the serve path and the filter's
 * map read make one per request). Output without that exact logger is returned unchanged.
 */
export function readJcoDebugOnce(js: string): string {
  return js.replace(JCO_DEBUG_LOG, JCO_DEBUG_LOG_ONCE);
}
const ENTRY_MODULE = 'component.js';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Instantiates the component with `imports`. jco's generated code destructures each interface the
 * component imports from the import object, so one the host does not provide fails with a
 * JavaScript TypeError (`Cannot destructure property 'f' of 'imports.x:y/z' as it is undefined.`);
 * that failure is thrown as `the component imports x:y/z, which the Node host does not provide`.
 * Any other failure is thrown with its error's name in its message (`RuntimeError: unreachable`).
 */
export function instantiateComponent(component: LoadedComponent, imports: Record<string, unknown>): ComponentInstance {
  const absent = new Set<string>();
  const watched = new Proxy(imports, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (value === undefined && typeof key === 'string') absent.add(key);
      return value;
    },
  });
  try {
    return component.instantiate(component.getCoreModule, watched);
  } catch (err) {
    // Only the destructuring failure names what was absent (a key read and found undefined on the way is not the cause of another failure).
    if (err instanceof TypeError && absent.size > 0) throw new Error(`the component imports ${[...absent].join(', ')}, which the Node host does not provide`);
    // A trap in a core module's start function is a RuntimeError whose message alone is `unreachable`.
    if (err instanceof Error && err.name !== 'Error') throw new Error(`${err.name}: ${err.message}`);
    throw err;
  }
}

/** Reads the component, transpiles it unless the cache has it, and imports the result. */
export async function loadComponent(componentPath: string, cacheDir: string = defaultCacheDir()): Promise<LoadedComponent> {
  let bytes: Buffer;
  try {
    bytes = await readFile(componentPath);
  } catch (err) {
    throw new HostError('E_COMPONENT_READ', componentReadMessage(componentPath, err));
  }
  const problem = headerProblem(componentPath, bytes.subarray(0, WASM_HEADER_BYTES));
  if (problem !== undefined) throw new HostError(problem.code, problem.message);
  const hash = sha256Hex(bytes);
  const dir = join(cacheDir, 'transpiled', CACHE_LAYOUT, hash);
  let transpiled = false;
  let transpileMs = 0;
  if (!(await hasEntry(dir))) {
    const startedMs = Date.now();
    await transpileInto(bytes, dir);
    transpileMs = Date.now() - startedMs;
    transpiled = true;
  }
  const mod = (await import(pathToFileURL(join(dir, ENTRY_MODULE)).href)) as { instantiate?: InstantiateFn };
  if (typeof mod.instantiate !== 'function') {
    throw new HostError('E_TRANSPILE', `transpiled output in ${dir} has no instantiate export`);
  }
  const modules = new Map<string, CoreModule>();
  const getCoreModule = (path: string): CoreModule => {
    let module = modules.get(path);
    if (module === undefined) {
      module = new wasm.Module(readFileSync(join(dir, path)));
      modules.set(path, module);
    }
    return module;
  };
  return { hash, dir, transpiled, transpileMs, instantiate: mod.instantiate, getCoreModule };
}

async function hasEntry(dir: string): Promise<boolean> {
  try {
    await access(join(dir, ENTRY_MODULE));
    return true;
  } catch {
    return false;
  }
}

/** Transpiles into a private temp directory, then renames it into place (a concurrent winner is kept). */
async function transpileInto(bytes: Uint8Array, dir: string): Promise<void> {
  let files: Record<string, Uint8Array>;
  try {
    const { transpile } = await import('@bytecodealliance/jco'); // only on a cache miss: ~100 ms to load
    const out = await transpile(bytes, { name: 'component', instantiation: 'sync', noTypescript: true, quiet: true } as never);
    files = (out as { files: Record<string, Uint8Array> }).files;
  } catch (err) {
    throw new HostError('E_TRANSPILE', `jco transpile failed: ${excerpt((err as Error).message)}`);
  }
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    try {
      await mkdir(tmp, { recursive: true });
    } catch (err) {
      // The cache is under the user's home by default: a user without a writable one (a service
      // account, nobody) is told where it is and how to put it elsewhere.
      throw new HostError('E_CACHE_DIR', `cannot make the transpile cache under ${dirname(dirname(dirname(dir)))}: ${(err as Error).message}; set SENTINEL_WASI_CACHE to a directory this user can write`);
    }
    for (const [name, content] of Object.entries(files)) {
      if (name.endsWith('.d.ts')) continue;
      const target = join(tmp, name);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, name === ENTRY_MODULE ? readJcoDebugOnce(Buffer.from(content).toString('utf8')) : content);
    }
    await writeFile(join(tmp, 'package.json'), '{"type":"module"}\n');
    await mkdir(dirname(dir), { recursive: true });
    try {
      await rename(tmp, dir);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      // Another process cached the same component first; its output is identical.
    }
  } finally {
    // Nothing to remove when the cache could not be made (its rm would hide why: ENOTDIR, EACCES).
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}

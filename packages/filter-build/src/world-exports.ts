// Owns what a filter module must export for its world: the names jco looks the exports up by
// (wasi:cli/run → `run`, wasi:http/incoming-handler → `incomingHandler`, a world's own interfaces
// and functions by their camelCase names), the TypeScript type each must fit, and the words and
// example an error shows. The SDK's two worlds are known; a filter's own world (--wit) is read with
// `jco guest-types`, which resolves its includes the way componentize does.

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FilterWorld } from './componentize.js';
import { runJco } from './jco.js';

/** `jco guest-types` could not read the world: its output says why (wit-errors.ts makes it one line). */
export class WorldReadError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = 'WorldReadError';
  }
}

export interface WorldExport {
  /** The module export jco looks up, e.g. `run`. */
  name: string;
  /** What it implements: an interface (`wasi:cli/run@0.2.12`), or `world <name>` for a function of the world itself. */
  of: string;
  /** The TypeScript type it must be assignable to. */
  type: string;
  /** That shape in words: `the object with a run() method`. */
  shape: string;
  /** The export written the expected way. */
  example: string;
}

/** The interfaces the SDK's worlds export, by name without version: the shapes its helpers return. */
const KNOWN: Readonly<Record<string, Pick<WorldExport, 'type' | 'shape' | 'example'>>> = {
  'wasi:cli/run': {
    type: '{ run(): void }',
    shape: 'the object with a run() method',
    example: 'export const run = command(() => { ... })',
  },
  'wasi:http/incoming-handler': {
    // Parameters unknown: a handle method of any two parameter types fits (method parameters are bivariant).
    type: '{ handle(request: unknown, responseOut: unknown): void }',
    shape: 'the object with a handle(request, responseOut) method',
    example: 'export const incomingHandler = httpHandler((request, responseOut) => { ... })',
  },
};

/** The WASI version the SDK's worlds export (packages/filter/wit). */
const SDK_WASI = '0.2.12';

/** What the SDK's own world needs the module to export. */
export function sdkWorldExports(world: FilterWorld): WorldExport[] {
  const of = world === 'http' ? `wasi:http/incoming-handler@${SDK_WASI}` : `wasi:cli/run@${SDK_WASI}`;
  return [{ name: world === 'http' ? 'incomingHandler' : 'run', of, ...KNOWN[of.split('@')[0]!]! }];
}

/** An exported interface of the world's own: every function (and resource class) it declares. */
function interfaceExport(name: string, of: string, declaration: string | undefined): WorldExport {
  const functions = [...(declaration ?? '').matchAll(/^\s*export function (\w+)\s*\(/gm)].map((m) => m[1]!);
  const classes = [...(declaration ?? '').matchAll(/^\s*export class (\w+)/gm)].map((m) => m[1]!);
  const members = [...functions, ...classes];
  if (members.length === 0) return { name, of, type: 'object', shape: 'an object', example: `export const ${name} = {}` };
  const example = [...functions.map((f) => `${f}(...) { ... }`), ...classes.map((c) => `${c}: class { ... }`)].join(', ');
  return {
    name,
    of,
    type: `{ ${members.map((m) => `${m}: Function`).join('; ')} }`,
    shape: `the object with functions ${members.join(', ')}`,
    example: `export const ${name} = { ${example} }`,
  };
}

/**
 * Parses `jco guest-types` output: the world's module declaration (`export * as run from
 * 'wasi:cli/run@0.2.12'`, `export function hello(...)`) and the interface declarations, by module.
 */
export function parseWorldTypes(worldName: string, world: string, interfaces: ReadonlyMap<string, string>): WorldExport[] {
  const out: WorldExport[] = [];
  for (const m of world.matchAll(/^\s*export (?:\* as (\w+) from '([^']+)'|function (\w+)\s*\()/gm)) {
    if (m[3] !== undefined) {
      out.push({ name: m[3], of: `world ${worldName}`, type: 'Function', shape: 'a function', example: `export function ${m[3]}(...) { ... }` });
      continue;
    }
    const known = KNOWN[m[2]!.split('@')[0]!];
    out.push(known !== undefined ? { name: m[1]!, of: m[2]!, ...known } : interfaceExport(m[1]!, m[2]!, interfaces.get(m[2]!)));
  }
  return out;
}

/**
 * What a world in a (staged) WIT directory needs the module to export, read with `jco guest-types`
 * into scratch/world-types. Throws a WorldReadError with jco's output when the world cannot be read.
 */
export async function worldExports(witDir: string, worldName: string, scratch: string): Promise<WorldExport[]> {
  const dir = join(scratch, 'world-types');
  await mkdir(dir, { recursive: true });
  const { code, output } = await runJco(['guest-types', witDir, '--world-name', worldName, '--quiet', '-o', dir]);
  if (code !== 0) throw new WorldReadError(`cannot read the world ${worldName} (jco guest-types, exit ${code}):\n${output.trim()}`, output);
  const interfaces = new Map<string, string>();
  const interfaceDir = join(dir, 'interfaces');
  for (const file of await readdir(interfaceDir).catch(() => [])) {
    const text = await readFile(join(interfaceDir, file), 'utf8');
    for (const m of text.matchAll(/^declare module '([^']+)'/gm)) interfaces.set(m[1]!, text);
  }
  const world = (await readdir(dir)).filter((f) => f.endsWith('.d.ts'));
  if (world.length !== 1) throw new Error(`cannot read the world ${worldName}: jco guest-types wrote ${world.length} world declarations`);
  return parseWorldTypes(worldName, await readFile(join(dir, world[0]!), 'utf8'), interfaces);
}

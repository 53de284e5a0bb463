// Owns the hints the build's type check adds to a tsc error whose fix tsc leaves unsaid: a `wasi:*`
// module it cannot find (TS2307), and, under a tsconfig, `console`, `TextEncoder` or `TextDecoder`
// not found (TS2584, TS2304). The SDK declares the wasi:* interfaces of its worlds in its
// types/ directory; a tsconfig must include that directory (and globals/, for console, TextEncoder
// and TextDecoder), while the check without a tsconfig includes the world's own declarations.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { FilterWorld } from './componentize.js';

const require = createRequire(import.meta.url);

let declared: Set<string> | undefined;

/** Every `wasi:*` module the SDK's types declare (types/interfaces/*.d.ts). */
export function sdkWasiModules(): Set<string> {
  if (declared !== undefined) return declared;
  const dir = join(dirname(require.resolve('@sentinel-wasi/filter/package.json')), 'types', 'interfaces');
  declared = new Set();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.d.ts'))) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/^declare module '(wasi:[^']+)'/gm)) declared.add(m[1]!);
  }
  return declared;
}

/** The SDK's directory as the filter resolves it, relative to the tsconfig's directory (`node_modules/@sentinel-wasi/filter`). */
function sdkDirFrom(source: string, tsconfig: string): string {
  if (existsSync(join(dirname(tsconfig), 'node_modules', '@sentinel-wasi', 'filter', 'package.json'))) return 'node_modules/@sentinel-wasi/filter';
  let sdk: string;
  try {
    sdk = dirname(createRequire(resolve(source)).resolve('@sentinel-wasi/filter/package.json'));
  } catch {
    return 'node_modules/@sentinel-wasi/filter';
  }
  return relative(dirname(tsconfig), sdk).split(sep).join('/');
}

export interface HintContext {
  source: string;
  world: FilterWorld;
  /** The tsconfig.json the check used; undefined: the defaults (the world's declarations included). */
  tsconfig?: string;
  /** How the tsconfig is named in the hint (relative to the working directory). */
  tsconfigShown?: string;
}

/** The sentence added to a tsc error (see above), or undefined for any other error. */
export function typecheckHint(code: number, message: string, ctx: HintContext): string | undefined {
  return wasiModuleHint(code, message, ctx) ?? globalsHint(code, message, ctx);
}

/** `Cannot find name 'console'` under a tsconfig that does not include the SDK's globals. */
function globalsHint(code: number, message: string, ctx: HintContext): string | undefined {
  if ((code !== 2584 && code !== 2304) || ctx.tsconfig === undefined) return undefined;
  if (!/^Cannot find name '(console|TextEncoder|TextDecoder)'/.test(message)) return undefined;
  const dir = sdkDirFrom(ctx.source, ctx.tsconfig);
  return `The build gives every filter console, TextEncoder and TextDecoder, declared in ${dir}/globals: add "${dir}/globals" to "include" in ${ctx.tsconfigShown ?? ctx.tsconfig}.`;
}

/** The sentence added to `Cannot find module 'wasi:...'`, or undefined for any other error. */
function wasiModuleHint(code: number, message: string, ctx: HintContext): string | undefined {
  if (code !== 2307) return undefined;
  const module = /Cannot find module '(wasi:[^']+)'/.exec(message)?.[1];
  if (module === undefined) return undefined;
  const sdk = sdkWasiModules();
  const otherWorld = ctx.world === 'http' ? 'command' : 'http';
  if (sdk.has(module)) {
    if (ctx.tsconfig !== undefined) {
      const dir = sdkDirFrom(ctx.source, ctx.tsconfig);
      return (
        `The SDK declares it in ${dir}/types: add "${dir}/types" (and "${dir}/globals", for console, TextEncoder and TextDecoder) ` +
        `to "include" in ${ctx.tsconfigShown ?? ctx.tsconfig}.`
      );
    }
    return `The SDK's filter-${ctx.world} world does not import it; its filter-${otherWorld} world does (--world ${otherWorld}), and a world of your own may (--wit).`;
  }
  const name = module.replace(/@.*$/, '');
  const other = [...sdk].find((m) => m.replace(/@.*$/, '') === name);
  if (other !== undefined) return `The SDK declares ${other}: import that version.`;
  if (ctx.tsconfig !== undefined) {
    return `The SDK's types do not declare it (only the interfaces of its worlds): declare it in a .d.ts of your own (declare module '${module}';) and build against a world that imports it (--wit).`;
  }
  return `The SDK's filter-${ctx.world} world does not import it: build against a world of your own that does (--wit).`;
}

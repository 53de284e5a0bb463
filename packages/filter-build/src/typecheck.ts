// Owns type-checking a TypeScript filter before it is built, so a type error fails the build with
// the source's own file, line and column (`filter.ts:3:7 - error TS2322: ...`) instead of running
// jco. The compiler options come from the filter project's tsconfig.json (the nearest one from the
// source's directory up to its package root), or, without one, strict defaults that see the SDK's
// `wasi:*` declarations for the world and the globals the build gives every filter. What is checked
// is the filter and what it imports, with the declaration files (.d.ts) the tsconfig includes: an
// error in another file of the project does not stop this filter's build. A `wasi:*` module tsc
// cannot find, and a missing console or TextEncoder, get a hint (typecheck-hints.ts). Given what the
// world needs the filter to export, the same program checks those exports (export-check.ts), for
// JavaScript sources too (only that).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import type { FilterWorld } from './componentize.js';
import { exportErrors, exportsCheckModule, shownPath, withExportsCheck } from './export-check.js';
import { typecheckHint, type HintContext } from './typecheck-hints.js';
import type { WorldExport } from './world-exports.js';

const require = createRequire(import.meta.url);

/** The SDK's declaration files a filter of this world compiles against by default. */
export function sdkDeclarations(world: FilterWorld): string[] {
  const sdk = dirname(require.resolve('@sentinel-wasi/filter/package.json'));
  return [
    join(sdk, 'types', world === 'http' ? 'filter-http.d.ts' : 'filter-command.d.ts'),
    join(sdk, 'globals', 'engine-globals.d.ts'),
  ];
}

/** What a filter is checked with when its project has no tsconfig.json. */
export const DEFAULT_COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
  types: [],
  strict: true,
  skipLibCheck: true,
  noEmit: true,
};

/** The filter project's tsconfig.json: the nearest from the source's directory up to the directory holding package.json. */
export function findTsconfig(source: string): string | undefined {
  let dir = dirname(resolve(source));
  for (;;) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (existsSync(join(dir, 'package.json'))) return undefined;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function formatOne(d: ts.Diagnostic, cwd: string, hints?: HintContext): string {
  let text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  const hint = hints === undefined ? undefined : typecheckHint(d.code, text, hints);
  if (hint !== undefined) text += ` ${hint}`;
  const kind = d.category === ts.DiagnosticCategory.Warning ? 'warning' : 'error';
  if (d.file === undefined || d.start === undefined) return `${kind} TS${d.code}: ${text}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${shownPath(d.file.fileName, cwd)}:${line + 1}:${character + 1} - ${kind} TS${d.code}: ${text}`;
}

/**
 * tsc's one-line form of each error: `<file>:<line>:<column> - error TS<code>: <message>`, the file
 * relative to cwd when under it; with `hints`, a missing `wasi:*` module's error says how to declare it.
 */
export function formatDiagnostics(diagnostics: readonly ts.Diagnostic[], cwd: string = process.cwd(), hints?: HintContext): string[] {
  return diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).map((d) => formatOne(d, cwd, hints));
}

interface CheckPlan {
  rootNames: string[];
  options: ts.CompilerOptions;
  configErrors: readonly ts.Diagnostic[];
  tsconfig?: string;
}

/** Declares every other `wasi:*` module (as `any`): a filter's own world (--wit) may import interfaces the SDK does not declare. */
export function otherWitModulesDeclaration(): string {
  return fileURLToPath(new URL('../wit-modules.d.ts', import.meta.url));
}

function planFor(source: string, world: FilterWorld, ownWit: boolean): CheckPlan {
  const abs = resolve(source);
  const tsconfig = findTsconfig(abs);
  if (tsconfig !== undefined) {
    const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, undefined, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => undefined,
    });
    // A solution-style tsconfig (only references, no files of its own) says nothing about this filter.
    if (parsed !== undefined && !(parsed.fileNames.length === 0 && (parsed.projectReferences?.length ?? 0) > 0)) {
      const options: ts.CompilerOptions = {
        ...parsed.options,
        noEmit: true,
        composite: false,
        incremental: false,
        declaration: false,
        declarationMap: false,
        emitDeclarationOnly: false,
      };
      delete options.tsBuildInfoFile;
      // The filter may sit outside the project's emitted sources (e.g. a bench/): widen rootDir to the project.
      if (options.rootDir !== undefined && relative(options.rootDir, abs).startsWith('..')) options.rootDir = dirname(tsconfig);
      // The filter and what it imports, not every file the tsconfig includes: only its declaration
      // files (the SDK's types and globals, the project's own), which no import names.
      const rootNames = [abs, ...parsed.fileNames.filter((f) => /\.d\.[mc]?ts$/.test(f) && f !== abs)];
      return { rootNames, options, configErrors: parsed.errors, tsconfig };
    }
  }
  const rootNames = [abs, ...sdkDeclarations(world), ...(ownWit ? [otherWitModulesDeclaration()] : [])];
  return { rootNames, options: DEFAULT_COMPILER_OPTIONS, configErrors: [] };
}

export interface TypeCheckResult {
  /** Formatted errors (empty when the filter type-checks). */
  errors: string[];
  /** One error per export the world needs that the filter lacks or has in the wrong shape. */
  exportErrors: string[];
  /** The tsconfig.json used, if any. */
  tsconfig?: string;
}

/**
 * Type-checks a .ts/.mts/.cts filter source; JavaScript sources are not type-checked (no errors).
 * `ownWit`: the filter is built against its own world (--wit), whose other wasi:* imports are then
 * accepted untyped when no tsconfig says otherwise. `exports`: what the world needs the module to
 * export, checked for TypeScript and JavaScript sources alike.
 */
export function typecheckFilter(
  source: string,
  world: FilterWorld,
  cwd: string = process.cwd(),
  ownWit = false,
  exports: readonly WorldExport[] = [],
): TypeCheckResult {
  const typescript = /\.[mc]?ts$/.test(source);
  if (!typescript && exports.length === 0) return { errors: [], exportErrors: [] };
  const plan = planFor(source, world, ownWit);
  // A JavaScript source is read for the types of its exports (allowJs), not checked (checkJs).
  const options = typescript ? plan.options : { ...plan.options, allowJs: true, checkJs: false };
  const check = exports.length > 0 ? exportsCheckModule(source, exports) : undefined;
  const host = ts.createCompilerHost(options);
  const program = ts.createProgram({
    rootNames: check === undefined ? plan.rootNames : [...plan.rootNames, check.path],
    options,
    host: check === undefined ? host : withExportsCheck(host, check),
  });
  const own = typescript ? [...plan.configErrors, ...ts.getPreEmitDiagnostics(program)].filter((d) => d.file === undefined || resolve(d.file.fileName) !== check?.path) : [];
  const hints: HintContext = { source, world };
  if (plan.tsconfig !== undefined) {
    hints.tsconfig = plan.tsconfig;
    hints.tsconfigShown = shownPath(plan.tsconfig, cwd);
  }
  const result: TypeCheckResult = {
    errors: formatDiagnostics(own, cwd, hints),
    exportErrors: check === undefined ? [] : exportErrors(program, check, source, cwd),
  };
  if (plan.tsconfig !== undefined) result.tsconfig = plan.tsconfig;
  return result;
}

// Owns the filter toolchain's public entry point: building a filter source into a WASI component
// with jco componentize against the filter SDK's vendored WIT.

export {
  BuildError,
  buildFilter,
  DEFAULT_BACKEND,
  engineGlobalsModule,
  FilterExportsError,
  quickjsEntrySource,
  TypeCheckError,
  WitError,
  FILTER_WORLDS,
  jcoArgs,
  SDK_WORLD,
  sdkWitDir,
  type Backend,
  type BuildRequest,
  type BuildResult,
  type FilterWorld,
} from './componentize.js';
export { parseBuildArgs, type BuildArgs } from './commands/build.js';
export { TopLevelRecordError, topLevelRecordMessage } from './top-level-records.js';
export { sdkWorldExports, worldExports, type WorldExport } from './world-exports.js';
export { DEFAULT_COMPILER_OPTIONS, findTsconfig, formatDiagnostics, sdkDeclarations, typecheckFilter, type TypeCheckResult } from './typecheck.js';

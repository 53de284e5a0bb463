// Owns the filter toolchain's public entry point: building a filter source into a WASI component
// with jco componentize against the filter SDK's vendored WIT.

export {
  BuildError,
  buildFilter,
  DEFAULT_BACKEND,
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

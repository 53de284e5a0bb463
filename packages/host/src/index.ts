// Owns the Node host package's public entry point: running and serving filter components with jco
// transpile + preview2-shim, the pin preopened at /pin and appends made atomic.

export { LineRewriter, SourceLines, sourceMapPath } from './source-lines.js';
export { runComponent, type RunOptions, type RunResult } from './run.js';
export { serveComponent, type RunningServer, type ServeCounters, type ServeOptions } from './serve.js';
export { DEFAULT_SERVE_HOST, DEFAULT_SERVE_INSTANCES, defaultCacheDir } from './defaults.js';
export { InstancePool, type InstancePoolOptions, type Lease, type PoolCounters } from './instance-pool.js';
export { HostError, loadComponent, type LoadedComponent } from './transpile-cache.js';
export { ComponentExit, instanceImports, PinWriteFailures, type InstanceImports, type InstanceImportsOptions } from './imports.js';
export { createAppendFilesystem, type AppendFilesystem, type PinPolicy } from './append-fs.js';

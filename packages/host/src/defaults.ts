// Owns the Node host's defaults that the command line needs without loading the host itself
// (jco and preview2-shim are loaded only by `run` and `serve`).

import { homedir } from 'node:os';
import { join } from 'node:path';

/** `serve` binds loopback unless told otherwise. */
export const DEFAULT_SERVE_HOST = '127.0.0.1';

/** `serve` keeps this many component instances ready unless told otherwise. */
export const DEFAULT_SERVE_INSTANCES = 4;

/** `$SENTINEL_WASI_CACHE`, else `$XDG_CACHE_HOME/sentinel-wasi`, else `~/.cache/sentinel-wasi`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SENTINEL_WASI_CACHE) return env.SENTINEL_WASI_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sentinel-wasi');
}

// Owns running a command component (wasi:cli/run) under the Node host: load (transpile cache),
// one instance with the pin preopened, stdio passed through, and the run's outcome turned into an
// exit code the way `wasmtime run` does (ok → 0, err or trap → 1, wasi:cli/exit → its code), an
// err or a trap reported as one line with its code (guest-failure.ts).

import { basename } from 'node:path';
import { describeGuestFailure } from './guest-failure.js';
import { ComponentExit, instanceImports, PinWriteFailures } from './imports.js';
import { mappedStderr } from './mapped-stderr.js';
import { SourceLines } from './source-lines.js';
import { HostError, defaultCacheDir, instantiateComponent, loadComponent, type LoadedComponent } from './transpile-cache.js';

export interface RunOptions {
  componentPath: string;
  /** Host directory preopened at /pin (undefined: no preopen). */
  pinDir: string | undefined;
  pinReadOnly?: boolean;
  /** Arguments after argv[0] (argv[0] is the component's file name, as under wasmtime). */
  args: string[];
  env?: Record<string, string>;
  cacheDir?: string;
  /** Where traps and host errors are reported. */
  stderr?: NodeJS.WritableStream;
}

export interface RunResult {
  exitCode: number;
  component: LoadedComponent;
  pinWriteFailures: PinWriteFailures;
}

export async function runComponent(options: RunOptions): Promise<RunResult> {
  const stderr = options.stderr ?? process.stderr;
  const component = await loadComponent(options.componentPath, options.cacheDir ?? defaultCacheDir());
  // With the build's source map, what the guest prints on stderr names the filter's own lines.
  const lines = SourceLines.forComponent(options.componentPath);
  const guestStderr = lines === undefined ? undefined : mappedStderr(lines, stderr);
  const { imports, pinWriteFailures } = instanceImports({
    stderr: guestStderr?.cli,
    pinDir: options.pinDir,
    pinReadOnly: options.pinReadOnly ?? false,
    args: [basename(options.componentPath), ...options.args],
    env: options.env ?? {},
  });
  let instance;
  try {
    instance = instantiateComponent(component, imports);
  } catch (err) {
    throw new HostError('E_INSTANTIATE', `cannot instantiate ${options.componentPath}: ${(err as Error).message}`);
  }
  if (typeof instance.run?.run !== 'function') {
    throw new HostError('E_NOT_COMMAND', `${options.componentPath} does not export wasi:cli/run (is it an HTTP component? use serve)`);
  }
  let exitCode = 0;
  try {
    try {
      instance.run.run();
    } finally {
      guestStderr?.rewriter.flush();
    }
  } catch (err) {
    if (err instanceof ComponentExit) exitCode = err.exitCode;
    else {
      const failure = describeGuestFailure(err);
      stderr.write(`sentinel-wasi run: the component failed: ${failure.text} (${failure.code})\n`);
      exitCode = 1;
    }
  }
  if (pinWriteFailures.total > 0) {
    stderr.write(`sentinel-wasi run: ${pinWriteFailures.total} operations on the pin failed (${pinWriteFailures.describe()})\n`);
  }
  return { exitCode, component, pinWriteFailures };
}

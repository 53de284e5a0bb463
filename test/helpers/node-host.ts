// Owns driving the Node host the way a user does: `sentinel-wasi run` and `sentinel-wasi serve` as
// child processes, with the transpile cache under .cache/ so only the first run transpiles.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadComponent } from '../../packages/host/src/transpile-cache.js';
import { CACHE_DIR, CLI_BIN, REPO_ROOT, runProcess, type ProcessResult } from './repo.js';

export const NODE_HOST_CACHE = join(CACHE_DIR, 'sentinel-wasi');

export interface GuestRun {
  component: string;
  /** Host directory for /pin; undefined runs without one (Node host: --no-pin; wasmtime: no --dir). */
  pin: string | undefined;
  pinReadOnly?: boolean;
  args?: string[];
  /** The component's environment (it sees nothing of the host's). */
  env?: Record<string, string>;
  stdin?: string | Uint8Array;
}

/** `--env K=V` for each variable (both hosts' runners take this form). */
export function envFlags(env: Record<string, string> | undefined): string[] {
  return Object.entries(env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
}

/** Transpiles the component into the host's cache, so processes started together do not all do it. */
export async function prepareUnderNode(component: string): Promise<void> {
  await loadComponent(component, NODE_HOST_CACHE);
}

/** The command line of `sentinel-wasi run` for a guest run (after the node executable). */
export function nodeRunArgs(run: GuestRun): string[] {
  return [
    CLI_BIN,
    'run',
    run.component,
    ...(run.pin === undefined ? ['--no-pin'] : ['--pin', run.pin]),
    ...(run.pinReadOnly ? ['--pin-read-only'] : []),
    ...envFlags(run.env),
    '--cache-dir',
    NODE_HOST_CACHE,
    '--',
    ...(run.args ?? []),
  ];
}

export function runUnderNode(run: GuestRun): Promise<ProcessResult> {
  return runProcess(process.execPath, nodeRunArgs(run), { stdin: run.stdin });
}

export interface ServingHost {
  port: number;
  url: string;
  /** SIGTERM, then the exit code and everything printed on stderr. */
  stop(): Promise<{ code: number; stderr: string }>;
}

/** Starts `sentinel-wasi serve` on a free port and waits until it listens. */
export function startServe(options: { component: string; pin: string; pinReadOnly?: boolean; extraArgs?: string[] }): Promise<ServingHost> {
  const child = spawn(process.execPath, [
    CLI_BIN,
    'serve',
    options.component,
    '--pin',
    options.pin,
    ...(options.pinReadOnly ? ['--pin-read-only'] : []),
    '--port',
    '0',
    '--cache-dir',
    NODE_HOST_CACHE,
    ...(options.extraArgs ?? []),
  ], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number>((resolveExit) => child.on('close', (code, signal) => resolveExit(code ?? (signal ? 128 : 1))));
  return new Promise((resolvePromise, reject) => {
    let started = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
      if (m && !started) {
        started = true;
        const port = Number(m[1]);
        resolvePromise({
          port,
          url: `http://127.0.0.1:${port}`,
          async stop() {
            child.kill('SIGTERM');
            const code = await exited;
            return { code, stderr };
          },
        });
      }
    });
    void exited.then((code) => {
      if (!started) reject(new Error(`sentinel-wasi serve exited with ${code} before listening:\n${stderr}`));
    });
  });
}

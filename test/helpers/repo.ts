// Owns the paths and small process utilities the end-to-end tests share: the repository root, the
// cache directory, example components, temp pins, and running a child process to completion.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePin } from '../../packages/collector/src/pin/pin.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Build and compile caches shared by test runs (ignored by git). */
export const CACHE_DIR = join(REPO_ROOT, '.cache');
export const CLI_BIN = join(REPO_ROOT, 'packages/cli/bin/sentinel-wasi.js');

/** A built example component, e.g. exampleComponent('http-gateway', 'http-gateway-cli'). */
export function exampleComponent(example: string, file: string = example): string {
  const path = join(REPO_ROOT, 'examples', example, 'dist', `${file}.wasm`);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: build the examples first (npm run build:examples)`);
  }
  return path;
}

/** A fresh directory removed when the test ends. */
export async function tempDir(t: { teardown(fn: () => unknown): void }, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `sw-${prefix}-`));
  // Retries: a child (e.g. Chromium's crash handler) may still be finishing writes in it.
  t.teardown(() => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  return dir;
}

/** A fresh pin (PIN header and sub-directories, as `sentinel-wasi init` makes one), removed when the test ends. */
export async function tempPin(t: { teardown(fn: () => unknown): void }, prefix: string): Promise<string> {
  const dir = await tempDir(t, prefix);
  ensurePin(dir);
  return dir;
}

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, feeding it `stdin` (then closing it). */
export function runProcess(
  command: string,
  args: string[],
  options: { stdin?: string | Uint8Array; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.on('error', () => {
      // the child may exit without reading all of its input
    });
    child.stdin.end(options.stdin ?? '');
  });
}

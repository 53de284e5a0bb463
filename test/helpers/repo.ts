// Owns the paths and small process utilities the end-to-end tests share: the repository root, the
// cache directory, example components, temp pins, and running a child process to completion.

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
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

/**
 * Runs a command to completion, feeding it `stdin` (then closing it). `stopWhen`: SIGTERM once
 * its stderr matches (a server that should have refused to start, stopped instead of hanging the
 * test); `uid`/`gid`: run as that user.
 */
export function runProcess(
  command: string,
  args: string[],
  options: { stdin?: string | Uint8Array; env?: NodeJS.ProcessEnv; cwd?: string; stopWhen?: RegExp; uid?: number; gid?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const ids = options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid };
    const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], ...ids });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (options.stopWhen?.test(stderr) === true) child.kill('SIGTERM');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.on('error', () => {
      // the child may exit without reading all of its input
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** A `serve` that starts listening (it should have refused): runProcess's stopWhen for it. */
export const SERVE_LISTENING = /listening on http:/;

/** As root: the unprivileged `nobody` (65534), for whom permission bits count; otherwise the current user. */
export const UNPRIVILEGED: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/**
 * `sentinel-wasi <argv>` to its end as UNPRIVILEGED, without NODE_OPTIONS (tap loads its process
 * tracking into every child through it, and that writes under .tap/, which `nobody` may not);
 * a `serve` that starts listening is stopped.
 */
export function runCliUnprivileged(argv: string[]): Promise<ProcessResult> {
  return runProcess('env', ['-u', 'NODE_OPTIONS', process.execPath, CLI_BIN, ...argv], { stopWhen: SERVE_LISTENING, ...UNPRIVILEGED });
}

/**
 * Two copies of `content` named `name` that UNPRIVILEGED cannot read: one of mode 000 in a
 * directory it may enter (`dir`, mode `dirMode`), one in a sub-directory of mode 700 it may not
 * enter. Null (the test skipped with the reason) when that user cannot run the command line here.
 */
export async function unreadableCopies(t: { teardown(fn: () => unknown): void; pass(m: string, o: { skip: string }): void }, prefix: string, name: string, content: string | Uint8Array, dirMode = 0o755): Promise<{ dir: string; unreadable: string; unreachable: string } | null> {
  const probe = await runCliUnprivileged(['--version']);
  if (probe.code !== 0) {
    t.pass('not run', { skip: `the unprivileged user cannot run the command line here (exit ${probe.code}: ${probe.stderr.trim()})` });
    return null;
  }
  const dir = await tempDir(t, prefix);
  chmodSync(dir, dirMode); // mkdtemp's 700: the user must reach what is in it
  const unreadable = join(dir, `unreadable-${name}`);
  writeFileSync(unreadable, content);
  chmodSync(unreadable, 0o000);
  const closed = join(dir, 'closed');
  mkdirSync(closed, { mode: 0o700 });
  const unreachable = join(closed, name);
  writeFileSync(unreachable, content);
  return { dir, unreadable, unreachable };
}

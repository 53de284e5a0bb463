// Owns the wasmtime lane: running command components under the real wasmtime engine. It uses the
// `wasmtime` CLI when it is on PATH; otherwise the wasmtime 49 engine's Python embedding, installed
// into .cache/wasmtime-venv on first use (from the machine's package index; fails fast when it
// cannot be had). Compiled components are cached as .cwasm under .cache/wasmtime-cwasm, keyed by
// content hash, so only the first run of a component pays for the compile.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { envFlags, type GuestRun } from './node-host.js';
import { CACHE_DIR, REPO_ROOT, runProcess, type ProcessResult } from './repo.js';

export const WASMTIME_PY_VERSION = '49.0.0';
const VENV_DIR = join(CACHE_DIR, 'wasmtime-venv');
export const VENV_PYTHON = join(VENV_DIR, 'bin', 'python');
const CWASM_DIR = join(CACHE_DIR, 'wasmtime-cwasm');
export const WASMTIME_RUNNER = join(REPO_ROOT, 'test', 'helpers', 'wasmtime_run.py');
const RUNNER = WASMTIME_RUNNER;
const LOCK_DIR = `${VENV_DIR}.lock`;
/** A lock older than this is left over from a killed set-up. */
const STALE_LOCK_MS = 120_000;

export const HOW_TO_GET_WASMTIME =
  'The wasmtime lane needs the wasmtime engine: put the `wasmtime` CLI on PATH, or make the Python ' +
  `embedding installable: \`python3 -m venv .cache/wasmtime-venv && .cache/wasmtime-venv/bin/pip install wasmtime==${WASMTIME_PY_VERSION}\` ` +
  '(python3 with the venv module, and a package index or local wheel that has wasmtime 49).';

export interface WasmtimeLane {
  kind: 'cli' | 'python';
  run(run: GuestRun): Promise<ProcessResult>;
  /** Compiles the component into the cache, so processes started together do not all compile it. */
  prepare(component: string): Promise<void>;
}

function onPath(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

function venvWorks(): boolean {
  return existsSync(VENV_PYTHON) && spawnSync(VENV_PYTHON, ['-c', 'import wasmtime.component'], { stdio: 'ignore' }).status === 0;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Creates the venv in a private directory and renames it into place, under a lock (tests run in parallel). */
function ensureVenv(): void {
  mkdirSync(CACHE_DIR, { recursive: true });
  for (;;) {
    if (venvWorks()) return;
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch {
      if (Date.now() - statSync(LOCK_DIR, { throwIfNoEntry: false })!.mtimeMs > STALE_LOCK_MS) rmSync(LOCK_DIR, { recursive: true, force: true });
      else sleepMs(200);
    }
  }
  const tmp = `${VENV_DIR}.tmp-${process.pid}`;
  try {
    if (venvWorks()) return;
    rmSync(tmp, { recursive: true, force: true });
    const venv = spawnSync('python3', ['-m', 'venv', tmp], { encoding: 'utf8', timeout: 60_000 });
    if (venv.status !== 0) throw new Error(`python3 -m venv failed: ${venv.stderr || venv.error?.message}\n${HOW_TO_GET_WASMTIME}`);
    const pip = spawnSync(join(tmp, 'bin', 'python'), ['-m', 'pip', 'install', '--retries', '0', '--timeout', '15', '-q', `wasmtime==${WASMTIME_PY_VERSION}`], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (pip.status !== 0) throw new Error(`pip install wasmtime==${WASMTIME_PY_VERSION} failed: ${pip.stderr || pip.error?.message}\n${HOW_TO_GET_WASMTIME}`);
    rmSync(VENV_DIR, { recursive: true, force: true });
    renameSync(tmp, VENV_DIR);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
  if (!venvWorks()) throw new Error(`the wasmtime venv at ${VENV_DIR} cannot import wasmtime.component\n${HOW_TO_GET_WASMTIME}`);
}

function pythonArgs(run: GuestRun): string[] {
  return [
    RUNNER,
    '--cache-dir',
    CWASM_DIR,
    ...(run.pin === undefined ? [] : ['--pin', run.pin]),
    ...(run.pinReadOnly ? ['--pin-read-only'] : []),
    ...envFlags(run.env),
    run.component,
    '--',
    ...(run.args ?? []),
  ];
}

function cliArgs(run: GuestRun): string[] {
  if (run.pinReadOnly) throw new Error('read-only pins are run through the Python embedding');
  return ['run', '-S', 'http', ...(run.pin === undefined ? [] : ['--dir', `${run.pin}::/pin`]), ...envFlags(run.env), run.component, ...(run.args ?? [])];
}

let lane: WasmtimeLane | undefined;

/** The wasmtime lane for this machine; throws (with how to get one) when neither engine can be had. */
export function wasmtimeLane(): WasmtimeLane {
  if (lane !== undefined) return lane;
  if (onPath('wasmtime')) {
    lane = {
      kind: 'cli',
      prepare: async () => {
        // the CLI keeps its own compilation cache
      },
      run: (run) => {
        if (run.pinReadOnly) {
          ensureVenv();
          return runProcess(VENV_PYTHON, pythonArgs(run), { stdin: run.stdin });
        }
        return runProcess('wasmtime', cliArgs(run), { stdin: run.stdin });
      },
    };
    return lane;
  }
  ensureVenv();
  lane = {
    kind: 'python',
    run: (run) => runProcess(VENV_PYTHON, pythonArgs(run), { stdin: run.stdin }),
    prepare: async (component) => {
      const r = await runProcess(VENV_PYTHON, [RUNNER, '--cache-dir', CWASM_DIR, '--compile-only', component]);
      if (r.code !== 0) throw new Error(`compiling ${component} under wasmtime failed:\n${r.stderr}`);
    },
  };
  return lane;
}

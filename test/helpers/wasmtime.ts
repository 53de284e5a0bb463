// Owns the wasmtime lane: running command components under the real wasmtime engine. It uses the
// `wasmtime` CLI when it is on PATH; otherwise the project's supported runner on the wasmtime 49
// engine's Python embedding (scripts/wasmtime-run.js: it installs wasmtime-py into
// .cache/wasmtime-venv on first use, from the machine's package index, and fails fast with how to
// get the engine when it cannot). Compiled components are cached as .cwasm under
// .cache/wasmtime-cwasm, keyed by content hash, so only the first run of a component compiles it.

import { spawnSync } from 'node:child_process';
import { envFlags, type GuestRun } from './node-host.js';
import { runProcess, type ProcessResult } from './repo.js';
// The same script users run: its environment set-up, its runner, its cache.
import { CWASM_DIR, ensureWasmtimeVenv, HOW_TO_GET_WASMTIME, VENV_PYTHON, WASMTIME_PY_VERSION, WASMTIME_RUNNER } from '../../scripts/wasmtime-run.js';

export { HOW_TO_GET_WASMTIME, VENV_PYTHON, WASMTIME_PY_VERSION, WASMTIME_RUNNER };
const RUNNER = WASMTIME_RUNNER;

export interface WasmtimeLane {
  kind: 'cli' | 'python';
  run(run: GuestRun): Promise<ProcessResult>;
  /** The command line `run` starts (its stdin aside): for a caller that wraps it, under a deadline say. */
  commandFor(run: GuestRun): { file: string; args: string[] };
  /** Compiles the component into the cache, so processes started together do not all compile it. */
  prepare(component: string): Promise<void>;
}

function onPath(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

function ensureVenv(): void {
  ensureWasmtimeVenv();
}

function pythonArgs(run: GuestRun): string[] {
  return [
    RUNNER,
    '--cache-dir',
    CWASM_DIR,
    ...(run.pin === undefined ? ['--no-pin'] : ['--pin', run.pin]),
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
    const commandFor = (run: GuestRun): { file: string; args: string[] } => {
      if (!run.pinReadOnly) return { file: 'wasmtime', args: cliArgs(run) };
      ensureVenv();
      return { file: VENV_PYTHON, args: pythonArgs(run) };
    };
    lane = {
      kind: 'cli',
      prepare: async () => {
        // the CLI keeps its own compilation cache
      },
      commandFor,
      run: (run) => {
        const c = commandFor(run);
        return runProcess(c.file, c.args, { stdin: run.stdin });
      },
    };
    return lane;
  }
  ensureVenv();
  lane = {
    kind: 'python',
    commandFor: (run) => ({ file: VENV_PYTHON, args: pythonArgs(run) }),
    run: (run) => runProcess(VENV_PYTHON, pythonArgs(run), { stdin: run.stdin }),
    prepare: async (component) => {
      const r = await runProcess(VENV_PYTHON, [RUNNER, '--cache-dir', CWASM_DIR, '--compile-only', component]);
      if (r.code !== 0) throw new Error(`compiling ${component} under wasmtime failed:\n${r.stderr}`);
    },
  };
  return lane;
}

#!/usr/bin/env node
// Owns running a command filter component under the wasmtime engine on a machine without the
// `wasmtime` CLI: the engine's Python embedding (wasmtime-py, the same engine version as the CLI
// the project targets) in a virtual environment under .cache/wasmtime-venv, created on first use
// with `python3 -m venv` and `pip install wasmtime==49.0.0` from the machine's package index.
// The runner itself is scripts/wasmtime-run.py; the test suite's wasmtime lane uses both.
//
//   node scripts/wasmtime-run.js --pin ./.sentinel-wasi examples/replay/dist/replay.wasm < traffic.tsv
//   node scripts/wasmtime-run.js --setup      (create the environment only)
//   node scripts/wasmtime-run.js --help

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WASMTIME_PY_VERSION = '49.0.0';
export const VENV_DIR = join(ROOT, '.cache', 'wasmtime-venv');
export const VENV_PYTHON = join(VENV_DIR, 'bin', 'python');
/** The Python runner (wasmtime-py): `wasmtime run --dir PIN::/pin` semantics. */
export const WASMTIME_RUNNER = join(ROOT, 'scripts', 'wasmtime-run.py');
/** Compiled components (.cwasm), keyed by content hash and engine version. */
export const CWASM_DIR = join(ROOT, '.cache', 'wasmtime-cwasm');
const LOCK_DIR = `${VENV_DIR}.lock`;
/** A lock older than this is left over from a killed set-up. */
const STALE_LOCK_MS = 120_000;

export const HOW_TO_GET_WASMTIME =
  'Running under the wasmtime engine needs the `wasmtime` CLI on PATH, or its Python embedding: ' +
  `python3 with the venv module and a package index (or a local wheel) that has wasmtime ${WASMTIME_PY_VERSION}; ` +
  `by hand: \`python3 -m venv .cache/wasmtime-venv && .cache/wasmtime-venv/bin/pip install wasmtime==${WASMTIME_PY_VERSION}\`.`;

const HELP = `Usage: node scripts/wasmtime-run.js [options] <component.wasm> [-- args...]
       node scripts/wasmtime-run.js --setup

Runs a command component (wasi:cli/run) under the wasmtime ${WASMTIME_PY_VERSION.split('.')[0]} engine through its Python
embedding, as \`wasmtime run --dir PIN::/pin component.wasm args...\` does: the pin preopened at
/pin and nothing else, stdin/stdout/stderr inherited, the exit code the component's (ok 0, error or
trap 1, wasi:cli/exit its code). On first use it creates .cache/wasmtime-venv (python3 -m venv,
pip install wasmtime==${WASMTIME_PY_VERSION} from the machine's package index). Compiled components are
cached under .cache/wasmtime-cwasm, so only the first run of a component compiles it.

Options:
  --pin DIR          host directory preopened at /pin (it must exist)
  --pin-read-only    preopen the pin read-only
  --env K=V          an environment variable for the component (repeatable)
  --cache-dir DIR    where compiled components are kept (default .cache/wasmtime-cwasm)
  --timing           print compile, instantiate and run times to stderr
  --compile-only     compile the component into the cache (or find it there) and exit
  --setup            create the Python environment and exit
  -h, --help         show this help

Exit code 2 with a message when the environment cannot be created or the pin cannot be preopened.
`;

function venvWorks() {
  return existsSync(VENV_PYTHON) && spawnSync(VENV_PYTHON, ['-c', 'import wasmtime.component'], { stdio: 'ignore' }).status === 0;
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Makes .cache/wasmtime-venv usable (creating it in a private directory and renaming it into
 * place, under a lock, so processes started together do not race); returns the Python to run.
 * Throws with how to get the engine when it cannot.
 */
export function ensureWasmtimeVenv() {
  if (venvWorks()) return VENV_PYTHON;
  mkdirSync(dirname(VENV_DIR), { recursive: true });
  for (;;) {
    if (venvWorks()) return VENV_PYTHON;
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch {
      const lock = statSync(LOCK_DIR, { throwIfNoEntry: false });
      if (lock !== undefined && Date.now() - lock.mtimeMs > STALE_LOCK_MS) rmSync(LOCK_DIR, { recursive: true, force: true });
      else sleepMs(200);
    }
  }
  const tmp = `${VENV_DIR}.tmp-${process.pid}`;
  try {
    if (venvWorks()) return VENV_PYTHON;
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
  if (!venvWorks()) throw new Error(`the environment at ${VENV_DIR} cannot import wasmtime.component\n${HOW_TO_GET_WASMTIME}`);
  return VENV_PYTHON;
}

/** The component path among the runner's own arguments (the first that is not an option or its value). */
export function componentArg(own) {
  for (let i = 0; i < own.length; i++) {
    if (['--pin', '--env', '--cache-dir'].includes(own[i])) i++;
    else if (!own[i].startsWith('-')) return own[i];
  }
  return undefined;
}

/**
 * A maker of line rewriters from the component's source map (`<component>.map`, written by
 * `sentinel-wasi build`, read by the Node host's reader), or undefined without a map: the runner's
 * stderr is then passed through as is.
 */
async function sourceLinesFor(component) {
  if (component === undefined || !existsSync(`${component}.map`)) return undefined;
  const { LineRewriter, SourceLines } = await import('@sentinel-wasi/host');
  const lines = SourceLines.forComponent(component);
  return lines === undefined ? undefined : (write) => new LineRewriter(lines, write);
}

/** Runs the Python runner; with source lines, its stderr is rewritten line by line to the filter's lines. */
function runRunner(python, args, newRewriter) {
  return new Promise((resolvePromise) => {
    const child = spawn(python, args, { stdio: ['inherit', 'inherit', newRewriter === undefined ? 'inherit' : 'pipe'] });
    let rewriter;
    if (newRewriter !== undefined) {
      rewriter = newRewriter((text) => process.stderr.write(text));
      child.stderr.on('data', (chunk) => rewriter.push(chunk));
    }
    child.on('error', (err) => {
      process.stderr.write(`wasmtime-run: cannot start ${python}: ${err.message}\n`);
      resolvePromise(2);
    });
    child.on('close', (code) => {
      rewriter?.flush();
      resolvePromise(code ?? 1);
    });
  });
}

async function main(argv) {
  const own = argv.indexOf('--') < 0 ? argv : argv.slice(0, argv.indexOf('--'));
  if (own.includes('-h') || own.includes('--help')) {
    process.stdout.write(HELP);
    return 0;
  }
  let python;
  try {
    python = ensureWasmtimeVenv();
  } catch (err) {
    process.stderr.write(`wasmtime-run: ${err.message}\n`);
    return 2;
  }
  if (own.includes('--setup')) {
    process.stderr.write(`wasmtime-run: ${VENV_DIR} has wasmtime ${WASMTIME_PY_VERSION}\n`);
    return 0;
  }
  const hasCacheDir = own.includes('--cache-dir');
  const newRewriter = await sourceLinesFor(componentArg(own));
  return runRunner(python, [WASMTIME_RUNNER, ...(hasCacheDir ? [] : ['--cache-dir', CWASM_DIR]), ...argv], newRewriter);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}

#!/usr/bin/env node
// Owns running a command filter component under the wasmtime engine on a machine without the
// `wasmtime` CLI: the engine's Python embedding (wasmtime-py, the same engine version as the CLI
// the project targets) in a virtual environment under .cache/wasmtime-venv, created on first use
// with `python3 -m venv` and `pip install wasmtime==49.0.0` from the machine's package index.
// The runner itself is scripts/wasmtime-run.py; the test suite's wasmtime lane uses both. Before
// Python starts, this script refuses what `sentinel-wasi run` refuses, with its codes and wording:
// a usage error (E_USAGE, exit 2: among them a run with neither --pin DIR nor --no-pin, which would
// drop every record), a pin that is missing or is not a pin (E_NO_PIN, E_BAD_PIN,
// E_PIN_NOT_DIRECTORY, exit 1: records written there would reach no collector), and a file that is
// not a component by its first 8 bytes (E_NOT_WASM, E_NOT_COMPONENT, exit 1). It works from any
// directory; the environment and the compile cache stay in this checkout's .cache.
//
//   node scripts/wasmtime-run.js --pin ./.sentinel-wasi examples/replay/dist/replay.wasm < traffic.tsv
//   node scripts/wasmtime-run.js --no-pin examples/replay/dist/replay.wasm < traffic.tsv
//   node scripts/wasmtime-run.js --setup      (create the environment only)
//   node scripts/wasmtime-run.js --help

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
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

const HELP = `Usage: node scripts/wasmtime-run.js --pin DIR|--no-pin [options] <component.wasm> [-- args...]
       node scripts/wasmtime-run.js --compile-only [options] <component.wasm>
       node scripts/wasmtime-run.js --setup

Runs a command component (wasi:cli/run) under the wasmtime ${WASMTIME_PY_VERSION.split('.')[0]} engine through its Python
embedding, as \`wasmtime run --dir PIN::/pin component.wasm args...\` does (here: --pin PIN): the
pin preopened at /pin and nothing else, stdin/stdout/stderr inherited, the exit code the
component's (ok 0, error or trap 1, wasi:cli/exit its code). On first use it creates
.cache/wasmtime-venv in this checkout (python3 -m venv, pip install wasmtime==${WASMTIME_PY_VERSION} from the
machine's package index); it runs from any directory. Compiled components are cached under
.cache/wasmtime-cwasm, so only the first run of a component compiles it.

Options:
  --pin DIR          the pin directory, preopened at /pin (required, unless --no-pin or
                     --compile-only; it must be a pin, with its PIN file: sentinel-wasi init
                     --pin DIR makes one, and so does the collector)
  --no-pin           preopen nothing (a filter finds no /pin, drops and counts every record)
  --pin-read-only    preopen the pin read-only
  --env NAME=VALUE   an environment variable for the component (repeatable)
  --cache-dir DIR    where compiled components are kept (default .cache/wasmtime-cwasm)
  --timing           print compile, instantiate and run times to stderr
  --compile-only     compile the component into the cache (or find it there) and exit
  --setup            create the Python environment and exit
  -h, --help         show this help

Arguments after the component (or after --) are passed to it. Input is checked before Python
starts and refused with one line and a code, as sentinel-wasi run does: exit code 2 for a usage
error (E_USAGE: among them neither --pin nor --no-pin, and a component file that does not exist)
or an environment that cannot be created; 1 for a pin that is missing or is not a pin
(E_NO_PIN, E_BAD_PIN, E_PIN_NOT_DIRECTORY) or a file that is not a component (E_NOT_WASM,
E_NOT_COMPONENT). A trap exits 1 with one line, E_TRAP; wasi:cli/run's error, 1 and E_RUN_ERROR.
`;

/** How this script is named in its messages (the Python runner is told the same). */
const PROG = 'node scripts/wasmtime-run.js';

/** Input this script refuses: one line with a stable code (the codes and wording of `sentinel-wasi run`). */
export class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    this.exitCode = code === 'E_USAGE' ? 2 : 1;
  }
}

const usage = (message) => new Refusal('E_USAGE', message);

/** The lines a refusal prints on stderr: E_USAGE adds where the usage is, as `sentinel-wasi run` does. */
export function refusalText(err) {
  const hint = err.code === 'E_USAGE' ? `Run '${PROG} --help' for usage.\n` : '';
  return `wasmtime-run: ${err.message} (${err.code})\n${hint}`;
}

const VALUE_OPTIONS = { '--pin': 'DIR', '--env': 'NAME=VALUE', '--cache-dir': 'DIR' };
const FLAG_OPTIONS = ['--no-pin', '--pin-read-only', '--timing', '--compile-only', '--setup'];

/**
 * The script's command line: its options up to the component (or up to --), then the component,
 * then the component's arguments (an optional -- after the component is dropped). Throws E_USAGE.
 */
export function parseRunArgs(argv) {
  const opts = { help: false, setup: false, pin: undefined, noPin: false, pinReadOnly: false, env: [], cacheDir: undefined, timing: false, compileOnly: false };
  let rest = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') return { ...opts, help: true, component: undefined, guestArgs: [] };
    if (arg === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      rest = argv.slice(i);
      break;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (name in VALUE_OPTIONS) {
      const value = name === arg ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '') throw usage(`${name} needs a value: ${name} ${VALUE_OPTIONS[name]}`);
      if (name === '--pin') opts.pin = value;
      if (name === '--cache-dir') opts.cacheDir = value;
      if (name === '--env') {
        if (value.indexOf('=') <= 0) throw usage(`--env expects NAME=VALUE, got ${JSON.stringify(value)}`);
        opts.env.push(value);
      }
    } else if (FLAG_OPTIONS.includes(arg)) {
      if (arg === '--no-pin') opts.noPin = true;
      if (arg === '--pin-read-only') opts.pinReadOnly = true;
      if (arg === '--timing') opts.timing = true;
      if (arg === '--compile-only') opts.compileOnly = true;
      if (arg === '--setup') opts.setup = true;
    } else {
      throw usage(`unknown option ${arg}`);
    }
  }
  const guestArgs = rest[1] === '--' ? rest.slice(2) : rest.slice(1);
  return { ...opts, component: rest[0], guestArgs };
}

/** The checks of `sentinel-wasi run` (the host's pin-check.ts): the pin must be a directory with a PIN a collector accepts. */
export async function checkPin(pinDir) {
  const { checkPinDir } = await import('@sentinel-wasi/host/commands');
  let found;
  try {
    found = checkPinDir(pinDir);
  } catch (err) {
    throw new Refusal(err.code, err.message);
  }
  if (found === 'missing') throw new Refusal('E_NO_PIN', `pin ${pinDir} does not exist (create it with: sentinel-wasi init --pin ${pinDir})`);
}

/** The component file must exist (a usage error, as in `sentinel-wasi run`). */
export function checkComponentExists(path) {
  if (!existsSync(path) || !statSync(path).isFile()) throw usage(`component file not found: ${path}`);
}

/** The component file must start as a component does (the host's component-file.ts: same codes, same words). */
export async function checkComponentHeader(path) {
  const { headerProblem, WASM_HEADER_BYTES } = await import('@sentinel-wasi/host/commands');
  const head = Buffer.alloc(WASM_HEADER_BYTES);
  let length;
  try {
    const fd = openSync(path, 'r');
    try {
      length = readSync(fd, head, 0, WASM_HEADER_BYTES, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new Refusal('E_COMPONENT_READ', `cannot read component ${path}: ${err.message}`);
  }
  const problem = headerProblem(path, head.subarray(0, length));
  if (problem !== undefined) throw new Refusal(problem.code, problem.message);
}

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
    } catch (err) {
      // Only a lock another process holds is waited for: a directory this user cannot write is not one.
      if (err.code !== 'EEXIST') throw new Error(`cannot make the wasmtime venv in ${dirname(VENV_DIR)}: ${err.message}\n${HOW_TO_GET_WASMTIME}`);
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
    const child = spawn(python, args, {
      stdio: ['inherit', 'inherit', newRewriter === undefined ? 'inherit' : 'pipe'],
      env: { ...process.env, WASMTIME_RUN_PROG: PROG }, // the runner names this script in its usage errors
    });
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

/** The Python runner's arguments for a parsed command line (the pin absolute, the cache this checkout's unless given). */
function runnerArgs(opts, pinDir) {
  return [
    WASMTIME_RUNNER,
    '--cache-dir',
    opts.cacheDir ?? CWASM_DIR,
    ...(pinDir === undefined ? ['--no-pin'] : ['--pin', pinDir]),
    ...(opts.pinReadOnly ? ['--pin-read-only'] : []),
    ...opts.env.flatMap((pair) => ['--env', pair]),
    ...(opts.timing ? ['--timing'] : []),
    ...(opts.compileOnly ? ['--compile-only'] : []),
    opts.component,
    '--',
    ...opts.guestArgs,
  ];
}

async function main(argv) {
  let opts;
  let pinDir;
  try {
    opts = parseRunArgs(argv);
    if (opts.help) {
      process.stdout.write(HELP);
      return 0;
    }
    if (!opts.setup) {
      if (opts.component === undefined) throw usage('expected a component file, got none');
      checkComponentExists(opts.component);
      // As sentinel-wasi run: a run without a pin drops every record, so it must be asked for.
      if (opts.pin !== undefined && opts.noPin) throw usage('--pin and --no-pin cannot be given together');
      if (opts.pin === undefined && !opts.noPin && !opts.compileOnly) throw usage('--pin DIR is required (or --no-pin)');
      pinDir = opts.pin === undefined ? undefined : resolve(opts.pin); // absolute, as run makes it
      if (pinDir !== undefined && !opts.compileOnly) await checkPin(pinDir);
      await checkComponentHeader(opts.component);
    }
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    process.stderr.write(refusalText(err));
    return err.exitCode;
  }
  let python;
  try {
    python = ensureWasmtimeVenv();
  } catch (err) {
    process.stderr.write(`wasmtime-run: ${err.message}\n`);
    return 2;
  }
  if (opts.setup) {
    process.stderr.write(`wasmtime-run: ${VENV_DIR} has wasmtime ${WASMTIME_PY_VERSION}\n`);
    return 0;
  }
  const newRewriter = await sourceLinesFor(opts.component);
  return runRunner(python, runnerArgs(opts, pinDir), newRewriter);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}

// Test helper: runs a real command component (wasi:cli/run) in a child Node process through
// jco transpile + preview2-shim, with the pin preopened at /pin, arguments and stdin; and reads
// back the segments it wrote. Example components are built first (build-examples, a no-op when
// up to date) and transpiled once per content hash into .cache/component-tests/.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSegment, type Decoded } from './fake-host.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CACHE = join(REPO, '.cache', 'component-tests');

// The child: QuickJS components use wasm extended-const, behind a flag in Node 20's V8.
const RUNNER = `import v8 from 'node:v8';
v8.setFlagsFromString('--experimental-wasm-extended-const');
const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
const { _setArgs } = await import('@bytecodealliance/preview2-shim/cli');
const [mod, pin, argv0, ...args] = process.argv.slice(2);
_setPreopens(pin === '-' ? {} : { '/pin': pin });
_setArgs([argv0, ...args]);
const m = await import(mod);
let code = 0;
try {
  m.run.run();
} catch (e) {
  process.stderr.write('component failed: ' + String(e && e.payload !== undefined ? JSON.stringify(e.payload) : e) + '\\n');
  code = 1;
}
process.exitCode = code;
`;

/** Builds the named examples if their inputs changed (no-op otherwise). */
export function buildExamples(...names: string[]): void {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'build-examples.js'), ...names], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-examples failed:\n${r.stdout}\n${r.stderr}`);
}

/** Transpiles a component once per content hash; returns the module path. */
export function transpiled(wasmPath: string): string {
  const hash = createHash('sha256').update(readFileSync(wasmPath)).digest('hex').slice(0, 16);
  const name = basename(wasmPath, '.wasm');
  const dir = join(CACHE, `${name}-${hash}`);
  const mod = join(dir, `${name}.js`);
  if (!existsSync(mod)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const jco = join(REPO, 'node_modules', '@bytecodealliance', 'jco', 'dist', 'jco.js');
    const r = spawnSync(process.execPath, [jco, 'transpile', wasmPath, '-o', tmp, '--name', name, '-q'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`jco transpile failed:\n${r.stderr}`);
    // Test files run in parallel: another one may have put the same transpilation in place first.
    try {
      renameSync(tmp, dir);
    } catch {
      if (existsSync(mod)) {
        rmSync(tmp, { recursive: true, force: true });
      } else {
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
      }
    }
  }
  const runner = join(CACHE, 'run-command.mjs');
  if (!existsSync(runner) || readFileSync(runner, 'utf8') !== RUNNER) {
    // Written whole under a temporary name, so a parallel test file never imports half of it.
    const tmp = `${runner}.tmp-${process.pid}`;
    writeFileSync(tmp, RUNNER);
    renameSync(tmp, runner);
  }
  return mod;
}

export interface CommandRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command component; pin null means no preopen at all. */
export function runCommand(wasmPath: string, pin: string | null, args: string[], stdin: string | Buffer): CommandRun {
  const mod = transpiled(wasmPath);
  const r = spawnSync(process.execPath, [join(CACHE, 'run-command.mjs'), mod, pin ?? '-', basename(wasmPath), ...args], {
    input: stdin,
    encoding: 'utf8',
    cwd: REPO,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Decodes every segment under <pin>/log, by file name. */
export function readSegments(pin: string): Map<string, Decoded> {
  const out = new Map<string, Decoded>();
  const log = join(pin, 'log');
  if (!existsSync(log)) return out;
  for (const f of readdirSync(log).sort()) out.set(f, decodeSegment(readFileSync(join(log, f))));
  return out;
}

const HTTP_RUNNER = `const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
const { HTTPServer } = await import('@bytecodealliance/preview2-shim/http');
const [mod, pin] = process.argv.slice(2);
_setPreopens({ '/pin': pin });
const m = await import(mod);
const server = new HTTPServer(m.incomingHandler);
server.listen(0, '127.0.0.1');
process.stdout.write(JSON.stringify(server.address()) + '\\n');
process.on('SIGTERM', () => { server.stop(); process.exit(0); });
`;

export interface HttpComponent {
  url: string;
  /** Stops the server process (and waits for it to exit). */
  stop(): Promise<void>;
}

/** Serves an HTTP component (one reused instance, as jco serve does) on 127.0.0.1. */
export async function serveHttp(wasmPath: string, pin: string): Promise<HttpComponent> {
  const { spawn } = await import('node:child_process');
  const mod = transpiled(wasmPath);
  const runner = join(CACHE, 'serve-http.mjs');
  if (!existsSync(runner) || readFileSync(runner, 'utf8') !== HTTP_RUNNER) writeFileSync(runner, HTTP_RUNNER);
  const child = spawn(process.execPath, [runner, mod, pin], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const address = await new Promise<{ port: number }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as { port: number });
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${address.port}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

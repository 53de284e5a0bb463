// Owns running one benchmark function in its own Node process (a fresh heap and JIT for every
// benchmark, tsx loaded so collector sources import directly): `runChild(module, fn, args)`
// spawns this file, which imports the module, awaits fn(args) and writes the JSON result to a file.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

/**
 * Runs `fn(args)` exported by `modulePath` in a child process; resolves to its result.
 * `nodeArgs` go before the script (e.g. --cpu-prof); `env`: variables set for the child on top of
 * this process's; `timeoutMs` kills a stuck child; `prefix`: a command that runs node (e.g. valgrind and its options);
 * `tsx: false` leaves the TypeScript loader out (a child that imports only JavaScript).
 */
export function runChild(modulePath, fn, args, { nodeArgs = [], env = {}, timeoutMs = 600_000, log = process.stderr, prefix = [], tsx = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-child-'));
  const out = join(dir, 'result.json');
  const argFile = join(dir, 'args.json');
  writeFileSync(argFile, JSON.stringify(args));
  return new Promise((resolvePromise, reject) => {
    const command = [...prefix, process.execPath, ...(tsx ? ['--import', 'tsx'] : []), ...nodeArgs, SELF, resolve(modulePath), fn, argFile, out];
    const child = spawn(command[0], command.slice(1), {
      stdio: ['ignore', 'inherit', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      log.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        if (code !== 0) throw new Error(`${fn} in ${modulePath} exited ${code ?? signal}: ${failureText(stderr)}`);
        resolvePromise(JSON.parse(readFileSync(out, 'utf8')));
      } catch (e) {
        reject(e);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

async function main() {
  const [modulePath, fn, argFile, out] = process.argv.slice(2);
  const mod = await import(pathToFileURL(modulePath).href);
  if (typeof mod[fn] !== 'function') throw new Error(`${modulePath} exports no function ${fn}`);
  const result = await mod[fn](JSON.parse(readFileSync(argFile, 'utf8')));
  writeFileSync(out, JSON.stringify(result));
}

if (process.argv[1] === SELF) {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${e && e.stack ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}

/**
 * What a failed child said, in one line: the first line that names an error code or a compiler
 * error (the cause, often far above the stack), then the last five lines.
 */
function failureText(stderr) {
  const lines = stderr.trim().split('\n');
  const last = lines.slice(-5);
  const cause = lines.find((l) => /\(E_[A-Z0-9_]+\)|error TS\d+|^\w*Error: /.test(l));
  return (cause === undefined || last.includes(cause) ? last : [cause, ...last]).join(' | ');
}

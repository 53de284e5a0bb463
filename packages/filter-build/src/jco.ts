// Owns running jco as a child process (never loaded into the caller): where its CLI is, the module
// the child loads first (jco-preopen.ts), and collecting what it prints.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The module the jco process loads first (jco-preopen.ts: the `/` preopen preview2-shim 0.26.1
 * dropped), compiled: the same path from src/ (tests) and dist/.
 */
function jcoPreopenModule(): string {
  return new URL('../dist/jco-preopen.js', import.meta.url).href;
}

function jcoBin(): string {
  // jco exports no package.json; its main entry sits next to the CLI in dist/.
  return join(dirname(require.resolve('@bytecodealliance/jco')), 'jco.js');
}

/** Runs `jco <args>`; resolves to its exit code and everything it printed (stdout and stderr). */
export function runJco(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', jcoPreopenModule(), jcoBin(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

#!/usr/bin/env node
// Builds every example filter (examples/<name>, its npm `build` script, which runs
// `sentinel-wasi build`) into examples/<name>/dist/*.wasm. An example is skipped when the hash of
// its inputs (its src, wit and package.json; the compiled filter SDK, protocol and build command
// that get bundled or run; the jco version) matches the stamp left by its last successful build and its outputs exist.
//
//   node scripts/build-examples.js [--force] [name...]

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = '.build-stamp.json';

/** Inputs every example shares: what ends up in (or decides) each component. */
const SHARED_INPUTS = [
  'packages/filter/dist',
  'packages/filter/wit',
  'packages/filter/package.json',
  'packages/protocol/dist',
  'packages/protocol/package.json',
  'packages/filter-build/dist',
  'packages/filter-build/package.json',
  'node_modules/@bytecodealliance/jco/package.json',
  'node_modules/@bytecodealliance/componentize-js/package.json',
  'node_modules/componentize-qjs/package.json',
];

function listFiles(path) {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  const out = [];
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    out.push(...listFiles(join(path, e.name)));
  }
  return out.sort();
}

function inputsHash(exampleDir) {
  const hash = createHash('sha256');
  const files = [
    ...SHARED_INPUTS.flatMap((p) => listFiles(join(root, p))),
    ...['src', 'wit', 'package.json'].flatMap((p) => listFiles(join(exampleDir, p))),
  ];
  for (const f of files) {
    if (f.endsWith('.map') || f.endsWith('.tsbuildinfo')) continue;
    hash.update(relative(root, f));
    hash.update('\0');
    hash.update(readFileSync(f));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** The .wasm files an example's build scripts name with `-o`. */
function outputsOf(exampleDir, pkg) {
  const outs = new Set();
  for (const script of Object.values(pkg.scripts ?? {})) {
    for (const m of String(script).matchAll(/-o\s+(\S+\.wasm)/g)) outs.add(join(exampleDir, m[1]));
  }
  return [...outs];
}

function readStamp(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function main(argv) {
  const force = argv.includes('--force');
  const only = argv.filter((a) => !a.startsWith('--'));
  const examplesDir = join(root, 'examples');
  const names = existsSync(examplesDir)
    ? readdirSync(examplesDir).filter((n) => existsSync(join(examplesDir, n, 'package.json'))).sort()
    : [];
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    console.error(`build-examples: no such example: ${unknown.join(', ')} (have: ${names.join(', ')})`);
    return 2;
  }
  if (!existsSync(join(root, 'packages/cli/dist/main.js')) || !existsSync(join(root, 'packages/filter/dist/index.js'))) {
    console.error('build-examples: run `npx tsc -b` first (the build command and the SDK are compiled TypeScript)');
    return 1;
  }
  for (const name of only.length > 0 ? only : names) {
    const dir = join(examplesDir, name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (pkg.scripts?.build === undefined) continue;
    const outputs = outputsOf(dir, pkg);
    const hash = inputsHash(dir);
    const stampFile = join(dir, 'dist', STAMP);
    const stamp = readStamp(stampFile);
    if (!force && stamp?.hash === hash && outputs.every((o) => existsSync(o))) {
      console.log(`build-examples: ${name} is up to date`);
      continue;
    }
    console.log(`build-examples: building ${name} (${outputs.map((o) => relative(root, o)).join(', ')})`);
    const started = Date.now();
    const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`build-examples: ${name} failed (exit ${r.status ?? r.signal})`);
      return 1;
    }
    mkdirSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(stampFile, `${JSON.stringify({ hash, outputs: outputs.map((o) => relative(dir, o)), builtAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000 }, null, 2)}\n`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));

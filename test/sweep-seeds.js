// Runs seeded test files under many seeds, to find seeds that fail (a property test prints its
// seed; this replays a whole range of them). Not part of `npm test`.
//
//   node test/sweep-seeds.js [--seeds N] [--jobs J] [--from S] [--minutes M] file.test.ts...
//
// Each run is `node --import=tsx <file>` with SW_SEED set; a run fails when it exits non-zero or
// prints a `not ok` line (tap's per-file timeout is raised to 600 s, TAP_TIMEOUT, so that a loaded
// machine does not turn slow runs into failures). Seeds are S, S+1, ... (default: a random S, printed); every file runs
// seed S before any runs S+1, so a run cut short by --minutes (no new runs after M minutes) has
// covered all files alike. Prints one line per file: runs, failures and the failing seeds.

import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  args.splice(i, 2);
  return value;
};
const seeds = option('--seeds', 200);
const jobs = option('--jobs', 2);
const from = option('--from', Math.floor(Math.random() * 2 ** 30));
const stopAtMs = Date.now() + option('--minutes', Infinity) * 60_000;
const files = args;
if (files.length === 0) {
  process.stderr.write('usage: node test/sweep-seeds.js [--seeds N] [--jobs J] [--from S] [--minutes M] file.test.ts...\n');
  process.exit(2);
}

function runOnce(file, seed) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import=tsx', file], { env: { ...process.env, SW_SEED: String(seed), TAP_TIMEOUT: process.env.TAP_TIMEOUT ?? '600' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve(code === 0 && !/^\s*not ok\b/m.test(out)));
  });
}

process.stdout.write(`seeds ${from} … ${from + seeds - 1}, ${jobs} at a time\n`);
const runs = new Map(files.map((f) => [f, 0]));
const failed = new Map(files.map((f) => [f, []]));
let next = 0;
const worker = async () => {
  while (next < seeds * files.length && Date.now() < stopAtMs) {
    const k = next++;
    const seed = from + Math.floor(k / files.length);
    const file = files[k % files.length];
    const ok = await runOnce(file, seed);
    runs.set(file, runs.get(file) + 1);
    if (!ok) failed.get(file).push(seed);
  }
};
await Promise.all(Array.from({ length: jobs }, worker));
for (const file of files) {
  const f = failed.get(file).sort((a, b) => a - b);
  process.stdout.write(`${file}: ${runs.get(file)} runs, ${f.length} failed${f.length > 0 ? ` (SW_SEED=${f.join(', ')})` : ''}\n`);
}
process.exit([...failed.values()].some((f) => f.length > 0) ? 1 : 0);

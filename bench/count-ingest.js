// Owns counting the machine instructions one event costs on the collector's ingest path (the
// Ingestor and StatsStore of a compiled collector): the workload's segments written once (natively),
// then bench/ingest.js's ingestRounds run over them in node under valgrind's cachegrind (no cache
// simulation), with `warm` rounds and with `warm + rounds`, the difference divided by rounds ×
// events, so node's start-up and the JIT's warm-up rounds cancel out.
//
// Timed A/B runs of the collector (bench/compare.js) spread by 0.3–14 % between identical copies
// on a shared machine; counts of one copy spread by about ±2 % (the median of K repeats is given),
// so a change of a few % in the work done can be seen (not in memory stalls: with no cache
// simulation a change that only saves cache misses counts the same). With --cache-sim, cachegrind
// also simulates the machine's caches (its first-level data cache and last-level cache, as it
// detects them here; ~1.5× slower) and the data misses of each level per event are given beside
// the instructions: a model's misses, not the machine's; first-level ones repeat within about
// ±2 %, last-level ones (under one an event on the standard workload) up to ±30 %. To make counts
// repeat, V8 runs single-threaded and predictable (no compiler or GC threads, a fixed GC schedule,
// fixed hash and random seeds; the compiler's and the GC's work is counted as it happens), the
// process without address randomization, and with only JavaScript: SRC is a compiled collector,
// not its TypeScript (transpiling in the counted process spread the counts by ±8 %).
//
// Each round's new store, made and warmed with ~6 000 records, is counted with the round: about
// 90 million instructions (~3 890 an event at N = 50 000, ~2 980 at 100 000, of which ~2 070 are
// the events' own), so a ratio of two copies understates a change to the per-event path by that
// share (a larger N shrinks it).
//
//   node bench/count-ingest.js SRC [SRC ...] [--events N] [--warm W] [--rounds R] [--repeat K] [--variant standard|uniform|resources10k|single] [--cache-sim]
//
// SRC: a compiled collector directory inside the repository (so that it finds @sentinel-wasi/protocol
// in node_modules): packages/collector/dist after `npx tsc -b`, or a copy of it made before a change
// (e.g. `cp -r packages/collector/dist .cache/collector-before`). Defaults: N 100 000, W 3, R 3,
// K 3 (~50 s per SRC and repeat). Needs valgrind (Debian package `valgrind`).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runChild } from './lib/child.js';
import { median } from './lib/stats.js';

const USAGE = 'usage: node bench/count-ingest.js SRC [SRC ...] [--events N] [--warm W] [--rounds R] [--repeat K] [--variant standard|uniform|resources10k|single] [--cache-sim]\n';
/** A bad argument or a missing tool: said in one line, with the usage, exit 2. */
function fail(message) {
  process.stderr.write(`count-ingest: ${message}\n${USAGE}`);
  process.exit(2);
}
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { events: { type: 'string' }, warm: { type: 'string' }, rounds: { type: 'string' }, repeat: { type: 'string' }, variant: { type: 'string' }, 'cache-sim': { type: 'boolean' } },
  });
} catch (e) {
  fail(e.message);
}
const { values, positionals } = parsed;
const events = Number(values.events ?? 100_000);
const warm = Number(values.warm ?? 3);
const rounds = Number(values.rounds ?? 3);
const repeat = Number(values.repeat ?? 3);
const variant = values.variant ?? 'standard';
const cacheSim = values['cache-sim'] === true;
if (positionals.length === 0) fail('no collector directory given');
if (!['standard', 'uniform', 'resources10k', 'single'].includes(variant)) fail(`unknown --variant ${variant}`);
if (!Number.isSafeInteger(events) || events < 1) fail(`--events must be a positive integer, got ${values.events}`);
if (!Number.isSafeInteger(warm) || warm < 0) fail(`--warm must be a non-negative integer, got ${values.warm}`);
if (!Number.isSafeInteger(rounds) || rounds < 1) fail(`--rounds must be a positive integer, got ${values.rounds}`);
if (!Number.isSafeInteger(repeat) || repeat < 1) fail(`--repeat must be a positive integer, got ${values.repeat}`);
for (const src of positionals) {
  if (!existsSync(join(src, 'ingest', 'ingestor.js'))) {
    fail(`${src} is not a compiled collector directory (no ingest/ingestor.js in it${existsSync(join(src, 'ingest', 'ingestor.ts')) ? ': a TypeScript source; give its dist after `npx tsc -b`' : ''})`);
  }
}
if (spawnSync('valgrind', ['--version']).status !== 0) fail('valgrind is not installed (Debian: apt-get install valgrind)');

/**
 * Counts of one child process running `n` rounds of src's ingest path (the whole process):
 * instructions, and with --cache-sim the data misses of the first and the last cache level (reads and writes).
 */
async function counts(src, input, n) {
  try {
    const out = join(dir, `cachegrind-${n}.out`);
    const prefix = ['setarch', '-R', 'valgrind', '--tool=cachegrind', `--cache-sim=${cacheSim ? 'yes' : 'no'}`, '--smc-check=all-non-file', `--cachegrind-out-file=${out}`];
    await runChild(resolve('bench/ingest.js'), 'ingestRounds', { src: resolve(src), input, rounds: n }, {
      prefix,
      nodeArgs: ['--single-threaded', '--predictable', '--predictable-gc-schedule', '--hash-seed=1', '--random-seed=1'],
      // Only JavaScript in the counted process: the collector's compiled dist, no TypeScript loader.
      env: { SW_BENCH_COLLECTOR_SRC: resolve(src) },
      tsx: false,
      timeoutMs: 1_800_000,
      log: { write: (d) => { for (const line of String(d).split('\n')) if (line !== '' && !line.startsWith('==') && !line.startsWith('--')) process.stderr.write(`${line}\n`); } },
    });
    const text = readFileSync(out, 'utf8');
    const names = /^events: (.+)$/m.exec(text);
    const summary = /^summary: (.+)$/m.exec(text);
    if (names === null || summary === null) throw new Error('cachegrind wrote no summary');
    const values = summary[1].trim().split(/\s+/).map(Number);
    const c = Object.fromEntries(names[1].trim().split(/\s+/).map((name, i) => [name, values[i]]));
    return { Ir: c.Ir, D1: (c.D1mr ?? 0) + (c.D1mw ?? 0), LL: (c.DLmr ?? 0) + (c.DLmw ?? 0) };
  } finally {
    rmSync(join(dir, `cachegrind-${n}.out`), { force: true });
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sw-instr-ingest-'));
try {
  const input = await runChild(resolve('bench/ingest.js'), 'writeRoundsInput', { dir, events, seed: 20261126, variant });
  // Sources interleaved, repeat by repeat, so that anything drifting on the machine meets each alike.
  const perEvent = new Map(positionals.map((src) => [src, []]));
  const missesPerEvent = new Map(positionals.map((src) => [src, { D1: [], LL: [] }]));
  for (let k = 0; k < repeat; k++) {
    for (const src of positionals) {
      const base = await counts(src, input, warm);
      const more = await counts(src, input, warm + rounds);
      perEvent.get(src).push((more.Ir - base.Ir) / (rounds * events));
      for (const level of ['D1', 'LL']) missesPerEvent.get(src)[level].push((more[level] - base[level]) / (rounds * events));
    }
  }
  const first = median(perEvent.get(positionals[0]));
  for (const [src, xs] of perEvent) {
    const m = median(xs);
    const vsFirst = src === positionals[0] ? '' : `  ${(m / first).toFixed(3)}× the first`;
    process.stdout.write(`${src}  ${Math.round(m).toLocaleString('en')} instructions/event (median of ${xs.map((x) => Math.round(x).toLocaleString('en')).join(', ')})${vsFirst}\n`);
    if (cacheSim) {
      const ms = missesPerEvent.get(src);
      const firstMs = missesPerEvent.get(positionals[0]);
      const show = (level) => {
        const lm = median(ms[level]);
        const vs = src === positionals[0] ? '' : ` (${(lm / median(firstMs[level])).toFixed(3)}×)`;
        return `${lm.toFixed(2)} ${level} data misses/event${vs} (median of ${ms[level].map((x) => x.toFixed(2)).join(', ')})`;
      };
      process.stdout.write(`${' '.repeat(src.length)}  ${show('D1')}; ${show('LL')}\n`);
    }
  }
  process.stdout.write(`(${variant}, ${events.toLocaleString('en')} events, ${warm} warm-up rounds, ${rounds} counted${cacheSim ? ', caches simulated' : ''})\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

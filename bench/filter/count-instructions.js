// Owns counting the machine instructions one event of a mode costs inside a benchmark component:
// bench_filter.py run under valgrind's cachegrind (no cache simulation) with N and with 2N events,
// the difference divided by N, so start-up, compilation and the export call cancel out. Unlike
// timing on a shared machine (whose rounds spread ±40 %), the count repeats to about ±0.1 %: it is
// how a change to the SDK or the encoder is measured before it is timed (bench/filter/compare-builds.js).
//
//   node bench/filter/count-instructions.js C.wasm MODE[,MODE...] [--events N]
//
// C.wasm: a build of the QuickJS benchmark component (`node -e "import('./bench/filter.js')
// .then((m) => console.log(m.buildComponent('quickjs').path))"`). Needs valgrind (Debian package
// `valgrind`). Compiled components are cached in .cache/bench/cwasm-valgrind (compiled under
// valgrind, whose CPU lacks some of the host's features: the native cache's files do not load
// there); the first count of a build compiles it (about half a minute).
//
// N defaults to 60 000: both runs then checksum more than the CRC's WIDE_AFTER_BYTES (256 KiB: a
// mode that finishes frames writes ~7 bytes an event), so both build its 16-bit tables (~150
// million instructions, once per instance) and the difference leaves them out. With N = 20 000
// only the 2N run built them, which added ~8 500 instructions to each event of the modes that
// finish frames (`buffered` 30 758 against 22 090, `encodeids`, `crc`).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeBenchMap } from '../filter.js';
import { ensureWasmtimeVenv } from '../../scripts/wasmtime-run.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CWASM_CACHE = join(ROOT, '.cache', 'bench', 'cwasm-valgrind');

const { values, positionals } = parseArgs({ allowPositionals: true, options: { events: { type: 'string' } } });
const [wasm, modeList] = positionals;
if (wasm === undefined || modeList === undefined) {
  process.stderr.write('usage: node bench/filter/count-instructions.js C.wasm MODE[,MODE...] [--events N]\n');
  process.exit(2);
}
const events = Number(values.events ?? 60_000);
if (!Number.isSafeInteger(events) || events < 1) throw new Error(`--events must be a positive integer, got ${values.events}`);
if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed (Debian: apt-get install valgrind)');
const py = ensureWasmtimeVenv();

/** Instructions of one run of `mode` with n events (the whole process, under cachegrind). */
function instructions(mode, n) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-instr-'));
  try {
    writeBenchMap(dir);
    const out = join(dir, 'cachegrind.out');
    const r = spawnSync('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--smc-check=all-non-file', `--cachegrind-out-file=${out}`,
      py, join(ROOT, 'bench/filter/bench_filter.py'), '--component', resolve(wasm), '--pin', dir, '--modes', mode, '--events', String(n),
      '--http-events', '1', '--repeats', '1', '--authority', '127.0.0.1:9', '--clock', 'cpu', '--cache-dir', CWASM_CACHE], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`${mode} with ${n} events: ${r.stderr.split('\n').filter((l) => !l.startsWith('==')).slice(-5).join('\n')}`);
    const summary = /^summary: (\d+)/m.exec(readFileSync(out, 'utf8'));
    if (summary === null) throw new Error('cachegrind wrote no summary');
    return Number(summary[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const modes = modeList.split(',');
instructions(modes[0], 1); // compiles the component into the cache, if it is not there yet (not counted)
for (const mode of modes) {
  const once = instructions(mode, events);
  const twice = instructions(mode, 2 * events);
  console.log(`${mode.padEnd(14)} ${Math.round((twice - once) / events).toLocaleString('en')} instructions/event  (${events.toLocaleString('en')} events: ${once.toLocaleString('en')}; ${(2 * events).toLocaleString('en')}: ${twice.toLocaleString('en')})`);
}

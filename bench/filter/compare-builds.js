// Owns comparing two builds of the QuickJS benchmark component in one run (a change to the SDK or
// the encoder against the build before it): the same modes of both, interleaved round by round,
// each round in its own instance, against the same pin and map, timed in CPU time of the thread
// running the component (`--clock wall` for wall time). Prints the median µs/event per mode and
// build, and the ratio.
//
//   node bench/filter/compare-builds.js OLD.wasm NEW.wasm [--modes a,b] [--old-modes a,b] [--events N] [--rounds R] [--clock cpu|process|wall]
//
// --old-modes names the old build's mode for each of --modes, in order (a mode renamed or
// redefined between the builds: e.g. --modes buffered,bufferedopts --old-modes buffered,buffered).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeMapHeader, encodeSlot, epochTagOf, mapFileBytes, MapSlotTable, slotOffset, VerdictKind } from '@sentinel-wasi/protocol/encode';
import { COMPONENTS } from '../filter.js';
import { ensureWasmtimeVenv } from '../../scripts/wasmtime-run.js';
import { median } from '../lib/stats.js';
import { generate, STANDARD } from '../lib/workload.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values, positionals } = parseArgs({ allowPositionals: true, options: { modes: { type: 'string' }, 'old-modes': { type: 'string' }, events: { type: 'string' }, rounds: { type: 'string' }, clock: { type: 'string' } } });
const [oldWasm, newWasm] = positionals;
if (oldWasm === undefined || newWasm === undefined) throw new Error('usage: compare-builds.js OLD.wasm NEW.wasm [--modes a,b] [--events N] [--rounds R]');
const modes = (values.modes ?? 'noop,encode,encodeids,buffered,bufferednames').split(',');
/** The old build's mode for each of `modes`. */
const oldModes = values['old-modes'] === undefined ? modes : values['old-modes'].split(',');
if (oldModes.length !== modes.length) throw new Error('--old-modes needs one mode for each of --modes');
const events = Number(values.events ?? 50_000);
const rounds = Number(values.rounds ?? 5);
const py = ensureWasmtimeVenv();
/** Modes that return how many of their n events they did (bench/filter.js checks the same in a full run). */
const COUNTED = new Set(COMPONENTS.quickjs.modes);

/** A map giving every workload name a PASS slot (so the SDK names them by id). */
function writeMap(pin) {
  const slotCount = 16384;
  const epoch = Date.now() * 1024;
  const table = new MapSlotTable(slotCount);
  const bytes = new Uint8Array(mapFileBytes(slotCount));
  bytes.set(encodeMapHeader({ slotCount, epoch }));
  for (const name of new Set(generate(STANDARD, 4096, 20261126).names)) {
    const p = table.place(name);
    bytes.set(encodeSlot({ hash: p.hash, resourceId: p.resourceId, kind: VerdictKind.PASS, param: 0, refreshMs: Date.now(), sequence: 1, epochTag: epochTagOf(epoch) }), slotOffset(p.slot));
  }
  writeFileSync(join(pin, 'map'), bytes);
}

const samples = { old: {}, new: {} };
for (let round = 0; round < rounds; round++) {
  for (const [label, wasm] of round % 2 === 0 ? [['old', oldWasm], ['new', newWasm]] : [['new', newWasm], ['old', oldWasm]]) {
    const runModes = label === 'old' ? oldModes : modes;
    const pin = mkdtempSync(join(tmpdir(), 'sw-cmp-'));
    try {
      writeMap(pin);
      const r = spawnSync(py, [join(ROOT, 'bench/filter/bench_filter.py'), '--component', wasm, '--pin', pin, '--modes', runModes.join(','), '--events', String(events), '--http-events', '1', '--repeats', '1', '--authority', '127.0.0.1:9', '--clock', values.clock ?? 'cpu', '--cache-dir', join(ROOT, '.cache', 'bench', 'cwasm')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      const out = JSON.parse(r.stdout);
      modes.forEach((m, i) => {
        const run = runModes[i];
        // Every mode that counts its events must have done them all (a lookup mode: found the map's verdict each time).
        if (COUNTED.has(run) && out.modes[run].returned.some((x) => x !== events)) throw new Error(`${label} ${run}: the component reported ${out.modes[run].returned.join(',')} of ${events} events done`);
        (samples[label][m] ??= []).push(out.modes[run].usPerEvent);
      });
    } finally {
      rmSync(pin, { recursive: true, force: true });
    }
  }
}
for (const m of modes) {
  const o = median(samples.old[m]);
  const n = median(samples.new[m]);
  const name = oldModes[modes.indexOf(m)] === m ? m : `${m} (old: ${oldModes[modes.indexOf(m)]})`;
  console.log(`${name.padEnd(14)} old ${o.toFixed(2)} µs  new ${n.toFixed(2)} µs  new/old ${(n / o).toFixed(2)}  (old ${samples.old[m].map((x) => x.toFixed(2)).join(' ')}; new ${samples.new[m].map((x) => x.toFixed(2)).join(' ')})`);
}

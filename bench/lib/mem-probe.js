// Owns a memory probe preloaded into a process under measurement (`node --import
// bench/lib/mem-probe.js …`): on SIGUSR2 it writes process.memoryUsage() and V8's heap-space
// statistics as JSON to $SW_BENCH_MEM_PROBE_OUT, then renames it into place. It does nothing else.

import { renameSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.SW_BENCH_MEM_PROBE_OUT;
if (out) {
  process.on('SIGUSR2', () => {
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
    writeFileSync(`${out}.tmp`, JSON.stringify({ atMs: Date.now(), ...process.memoryUsage(), spaces }));
    renameSync(`${out}.tmp`, out);
  });
}

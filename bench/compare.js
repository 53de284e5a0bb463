// Owns `node bench/compare.js <collector-src-A> <collector-src-B> [events] [rounds] [variant]`: the
// collector ingest path of two copies of packages/collector/src on the same segments of one workload
// (standard unless `variant` names another of bench/ingest.js's VARIANTS), rounds interleaved, medians of wall and CPU rates. For before/after numbers of a change.

import { resolve } from 'node:path';
import { runChild } from './lib/child.js';

const [a, b, events = '1000000', rounds = '6', variant = 'standard'] = process.argv.slice(2);
if (a === undefined || b === undefined || !['standard', 'uniform', 'resources10k', 'single'].includes(variant)) {
  process.stderr.write('usage: node bench/compare.js <collector-src-A> <collector-src-B> [events] [rounds] [standard|uniform|resources10k|single]\n');
  process.exit(2);
}
const r = await runChild(resolve('bench/ingest.js'), 'compareSources', { a: resolve(a), b: resolve(b), events: Number(events), seed: 20261126, rounds: Number(rounds), variant });
const M = (x) => `${(x / 1e6).toFixed(3)} M/s`;
process.stdout.write(`A ${r.a}\nB ${r.b}\n${r.events} events (${r.variant}), ${r.rounds} rounds each, interleaved\n`);
process.stdout.write(`wall: A ${M(r.wallEventsPerSec.a)}  B ${M(r.wallEventsPerSec.b)}  B/A ${(r.wallEventsPerSec.b / r.wallEventsPerSec.a).toFixed(3)}\n`);
process.stdout.write(`cpu:  A ${M(r.cpuEventsPerSec.a)}  B ${M(r.cpuEventsPerSec.b)}  B/A ${(r.cpuEventsPerSec.b / r.cpuEventsPerSec.a).toFixed(3)}\n`);

// The replay example under the Node host and under the wasmtime engine with something that is not
// a file at <pin>/map (a directory or a FIFO, as a user may leave there): the filter cannot read
// the map and fails open, so the run exits 0 and writes the same records as with no map at all.
// Before the Node host's filesystem answered these with error codes, the directory trapped the
// component (Node's EISDIR reached the guest as an Error) and the FIFO's open blocked the host for
// good; under wasmtime the FIFO's open blocked the filter until the SDK opened regular files only.
// Each run has a deadline (`timeout -s KILL`), so a blocking open fails the test instead of hanging it.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { RecordKind } from '@sentinel-wasi/protocol';
import { nodeRunArgs, prepareUnderNode, type GuestRun } from '../helpers/node-host.js';
import { wasmtimeLane } from '../helpers/wasmtime.js';
import { exampleComponent, runProcess, tempPin, type ProcessResult } from '../helpers/repo.js';
import { scanPin, toObject } from '../helpers/segments.js';
import { expectedAggregates, makeTraffic, toTsv } from '../helpers/traffic.js';

const START_MS = 1_764_000_000_000;
/** Far above a run's few hundred ms (the component is transpiled before the runs start). */
const RUN_DEADLINE_S = 60;
/** How `timeout -s KILL` reports a run it killed (124; 128 + 9 on some systems). */
const KILLED: ReadonlySet<number> = new Set([124, 137]);

type Host = 'node' | 'wasmtime';

/** The run as its host starts it (`sentinel-wasi run`, or the wasmtime lane), under a deadline (a blocked open is killed, not waited on). */
function runWithDeadline(host: Host, run: GuestRun & { pin: string }): Promise<ProcessResult> {
  const c = host === 'node' ? { file: process.execPath, args: nodeRunArgs(run) } : wasmtimeLane().commandFor(run);
  return runProcess('timeout', ['-s', 'KILL', String(RUN_DEADLINE_S), c.file, ...c.args], { stdin: run.stdin });
}

/** The replay summary line on stderr: records read and dropped, frames written. */
function summary(stderr: string): { records: number; framesWritten: number; dropped: number } | null {
  const m = /replay: \d+ lines, (\d+) records, \d+ bad lines, (\d+) frames written, (\d+) records dropped/.exec(stderr);
  return m === null ? null : { records: Number(m[1]), framesWritten: Number(m[2]), dropped: Number(m[3]) };
}

const component = exampleComponent('replay');
const lines = makeTraffic(400, { seed: 21, startMs: START_MS, seconds: 3 });
const blocks = lines.filter((l) => l.outcome === 'block').length;
const expected = toObject(expectedAggregates(lines));

const cases: Array<{ name: string; makeMap(pin: string): void }> = [
  { name: 'no map (the baseline)', makeMap: () => {} },
  { name: 'a directory at <pin>/map', makeMap: (pin) => mkdirSync(join(pin, 'map')) },
  { name: 'a FIFO at <pin>/map', makeMap: (pin) => execFileSync('mkfifo', [join(pin, 'map')]) },
];

t.before(async () => {
  await prepareUnderNode(component);
  await wasmtimeLane().prepare(component);
});

const runs = (['node', 'wasmtime'] as const).flatMap((host) => cases.map((c) => ({ host, c })));

for (const { host, c } of runs) {
  t.test(`${host}: ${c.name}: exit 0, and every record written, as with no map`, async (t) => {
    const pin = await tempPin(t, 'replay-map');
    c.makeMap(pin);
    const started = Date.now();
    const result = await runWithDeadline(host, { component, pin, args: ['--writer', 'w1'], stdin: toTsv(lines) });
    t.notOk(KILLED.has(result.code), `not killed at the ${RUN_DEADLINE_S} s deadline (a blocked run is)`);
    t.equal(result.code, 0, result.stderr);
    t.ok(Date.now() - started < RUN_DEADLINE_S * 1000);
    t.notMatch(result.stderr, /the component failed|EISDIR/, 'no trap');
    t.notMatch(result.stderr, /operations on the pin failed/, 'a map that cannot be read is not a failed write');
    const s = summary(result.stderr);
    t.same(s === null ? null : { records: s.records, dropped: s.dropped }, { records: lines.length, dropped: 0 });
    const scan = scanPin(pin);
    t.ok(scan.segments.length >= 1 && scan.segments.every((f) => f.endsWith('-w1.seg')), `segments: ${scan.segments.join(', ')}`);
    t.equal(scan.framesRead, s?.framesWritten, 'every frame written is read back');
    t.same({ skipped: scan.framesSkipped, incomplete: scan.incompleteTails, rejected: scan.recordsRejected },
      { skipped: 0, incomplete: 0, rejected: 0 });
    t.same({ call: scan.byKind[RecordKind.CALL] ?? 0, block: scan.byKind[RecordKind.BLOCK] ?? 0, pass: scan.byKind[RecordKind.PASS] ?? 0 },
      { call: lines.length - blocks, block: blocks, pass: 0 });
    t.same(toObject(scan.aggregates), expected, 'the aggregates equal the input');
  });
}

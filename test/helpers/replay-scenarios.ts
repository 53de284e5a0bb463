// Owns the replay example's end-to-end scenarios, written once and run under each host: exact
// aggregates per second, concurrent writers, and a missing or read-only pin.

import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { RecordKind } from '@sentinel-wasi/protocol';
import type { HostName, HostRun } from './hosts.js';
import { exampleComponent, tempPin } from './repo.js';
import { scanPin, toObject } from './segments.js';
import { expectedAggregates, makeTraffic, toTsv, type TrafficLine } from './traffic.js';

const START_MS = 1_764_000_000_000;

/** The replay summary line on stderr, parsed. */
function summary(stderr: string): { lines: number; records: number; badLines: number; framesWritten: number; dropped: number } {
  const m = /replay: (\d+) lines, (\d+) records, (\d+) bad lines, (\d+) frames written, (\d+) records dropped/.exec(stderr);
  if (m === null) throw new Error(`no replay summary on stderr:\n${stderr}`);
  return { lines: Number(m[1]), records: Number(m[2]), badLines: Number(m[3]), framesWritten: Number(m[4]), dropped: Number(m[5]) };
}

function countOutcomes(lines: TrafficLine[]): { calls: number; blocks: number } {
  const blocks = lines.filter((l) => l.outcome === 'block').length;
  return { calls: lines.length - blocks, blocks };
}

export function replayScenarios(t: Test, host: HostName, run: HostRun): void {
  const component = exampleComponent('replay');

  t.test(`${host}: every frame is valid and the aggregates equal the input, per second`, async (t) => {
    const pin = await tempPin(t, 'replay');
    rmSync(join(pin, 'log'), { recursive: true }); // a pin whose log/ is not made yet: the filter makes it
    const lines = makeTraffic(3000, { seed: 1, startMs: START_MS, seconds: 7 });
    const result = await run({ component, pin, args: ['--writer', 'w1'], stdin: toTsv(lines) });
    t.equal(result.code, 0, result.stderr);
    const s = summary(result.stderr);
    t.same({ lines: s.lines, records: s.records, badLines: s.badLines, dropped: s.dropped }, { lines: 3000, records: 3000, badLines: 0, dropped: 0 });
    t.notMatch(result.stderr, /operations on the pin failed/, 'creating log/ on first use is not a failure');
    const scan = scanPin(pin);
    t.ok(scan.segments.length >= 1 && scan.segments.every((f) => f.endsWith('-w1.seg')), `segments: ${scan.segments.join(', ')}`);
    t.equal(scan.framesRead, s.framesWritten, 'every frame written is read back');
    t.same({ skipped: scan.framesSkipped, bytesSkipped: scan.bytesSkipped, incomplete: scan.incompleteTails, rejected: scan.recordsRejected, unknown: scan.unknownKinds },
      { skipped: 0, bytesSkipped: 0, incomplete: 0, rejected: 0, unknown: 0 });
    const { calls, blocks } = countOutcomes(lines);
    t.same({ call: scan.byKind[RecordKind.CALL] ?? 0, block: scan.byKind[RecordKind.BLOCK] ?? 0 }, { call: calls, block: blocks });
    const expected = toObject(expectedAggregates(lines));
    t.same(toObject(scan.aggregates), expected, 'scanner aggregates equal the input');
    t.same(toObject(scan.msgpackrAggregates), expected, 'msgpackr-decoded aggregates equal the input');
    t.equal(Object.keys(expected).length > 7, true, 'the input spans several seconds and resources');
  });

  t.test(`${host}: 4 concurrent writer processes on one segment lose nothing`, async (t) => {
    const pin = await tempPin(t, 'replay4');
    await run.prepare(component);
    const inputs = [0, 1, 2, 3].map((i) => makeTraffic(3000, { seed: 100 + i, startMs: START_MS, seconds: 5, resourcePrefix: `p${i} ` }));
    const results = await Promise.all(inputs.map((lines) => run({ component, pin, args: ['--writer', 'shared'], stdin: toTsv(lines) })));
    let framesWritten = 0;
    for (const r of results) {
      t.equal(r.code, 0, r.stderr);
      const s = summary(r.stderr);
      t.same({ records: s.records, dropped: s.dropped }, { records: 3000, dropped: 0 });
      framesWritten += s.framesWritten;
    }
    const scan = scanPin(pin);
    t.ok(scan.segments.every((f) => f.endsWith('-shared.seg')), `segments: ${scan.segments.join(', ')}`);
    t.equal(scan.framesRead, framesWritten, 'no frame lost');
    t.same({ skipped: scan.framesSkipped, incomplete: scan.incompleteTails, rejected: scan.recordsRejected }, { skipped: 0, incomplete: 0, rejected: 0 }, 'no frame torn');
    const expected = new Map();
    for (const lines of inputs) expectedAggregates(lines, expected);
    t.same(toObject(scan.aggregates), toObject(expected));
  });

  t.test(`${host}: no pin preopened does not fail the run; every record is counted as dropped`, async (t) => {
    const lines = makeTraffic(500, { seed: 7, startMs: START_MS, seconds: 2 });
    const result = await run({ component, pin: undefined, args: ['--writer', 'w1'], stdin: toTsv(lines) });
    t.equal(result.code, 0, result.stderr);
    const s = summary(result.stderr);
    t.same({ records: s.records, framesWritten: s.framesWritten, dropped: s.dropped }, { records: 500, framesWritten: 0, dropped: 500 });
  });

  t.test(`${host}: a read-only pin does not fail the run; every record is counted as dropped`, async (t) => {
    const pin = await tempPin(t, 'replay-ro');
    const lines = makeTraffic(500, { seed: 8, startMs: START_MS, seconds: 2 });
    const result = await run({ component, pin, pinReadOnly: true, args: ['--writer', 'w1'], stdin: toTsv(lines) });
    t.equal(result.code, 0, result.stderr);
    const s = summary(result.stderr);
    t.same({ records: s.records, framesWritten: s.framesWritten, dropped: s.dropped }, { records: 500, framesWritten: 0, dropped: 500 });
    if (host === 'node') t.match(result.stderr, /sentinel-wasi run: \d+ operations on the pin failed \(not-permitted \d+\)/, 'the host counts them too');
    t.same(readdirSync(join(pin, 'log')), [], 'nothing was created in the pin');
  });
}

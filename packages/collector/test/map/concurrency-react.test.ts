// Between control ticks, on real files: a concurrency rule whose count the collector just saw in
// flight, and a QPS rule whose PASS since the tick make a burst after a quiet spell, have their
// verdict slot in <pin>/map written at once (FlowControl.react → the engine's betweenTicks →
// MapWriter.rewrite), as a filter reads it; the writer's rewrite writes only keys the last
// publish gave a slot; nothing is written without a flow rule. A limiting QPS rule's step
// (FlowControl.step, every 20 ms between ticks) writes its slot when the ratio changes.

import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapKeyOf, VerdictKind } from '@sentinel-wasi/protocol/encode';
import { emptyFlowRecord, RecordKind } from '@sentinel-wasi/protocol';
import { FlowControl } from '../../src/map/flow-control.js';
import { MapWriter } from '../../src/map/map-writer.js';
import { mapPinDir, readVerdict } from './map-files.js';

const T0 = 1_764_130_000_000;

t.test('MapWriter.rewrite: writes the verdicts of keys already in the map now, and skips any other key', async (t) => {
  const dirs = mapPinDir(t, 'sw-react-');
  const w = new MapWriter({ ...dirs, slotCount: 64, random: () => 0.5 });
  w.open(T0);
  w.publish(T0, [{ key: 'GET /a', verdict: { kind: 'pass' } }, { key: mapKeyOf('GET /a', 'x'), verdict: { kind: 'admit', ratio: 0.5 } }]);
  const writes = w.counters.mapSlotWrites;
  t.equal(w.rewrite(T0 + 10, [{ key: 'GET /a', verdict: { kind: 'admit', ratio: 0 } }, { key: 'GET /new', verdict: { kind: 'admit', ratio: 0 } }]), 1, 'one key had a slot');
  const a = readVerdict(dirs.pinDir, 'GET /a', T0 + 10);
  t.same([a.outcome, a.kind, a.param, a.refreshMs], ['hit', VerdictKind.ADMIT, 0, T0 + 10], 'GET /a: ratio 0, refreshed now');
  t.equal(readVerdict(dirs.pinDir, 'GET /new', T0 + 10).outcome, 'miss', 'a key the last publish did not give stays out of the map');
  const x = readVerdict(dirs.pinDir, mapKeyOf('GET /a', 'x'), T0 + 10);
  t.same([x.kind, x.param, x.refreshMs], [VerdictKind.ADMIT, 0.5, T0], 'a key not given is not touched');
  t.equal(w.counters.mapSlotWrites, writes + 1);
  w.close();
});

t.test('FlowControl.react: a concurrency rule at its count, and a QPS rule past its burst bound, are written now; below them or with no rule, nothing is', async (t) => {
  const dirs = mapPinDir(t, 'sw-react-');
  const rulesDir = join(dirs.pinDir, 'rules');
  mkdirSync(rulesDir, { mode: 0o700 });
  writeFileSync(join(rulesDir, 'flow.json'), JSON.stringify([{ resource: 'GET /slow', grade: 0, count: 2 }, { resource: 'GET /fast', count: 5 }]));
  const flow = new FlowControl({ ...dirs, rulesDir, mapSlots: 64 });
  flow.start(T0);
  const inFlight = new Map<string, number>([['GET /slow', 0], ['GET /fast', 100]]);
  const concurrencyOf = (resource: string, origin: string): number => (origin === '' ? (inFlight.get(resource) ?? 0) : 0);
  flow.tick(T0 + 100, concurrencyOf);
  t.equal(readVerdict(dirs.pinDir, 'GET /slow', T0 + 100).kind, VerdictKind.PASS, 'the tick: nothing in flight, pass');
  inFlight.set('GET /slow', 1);
  t.equal(flow.react(T0 + 120, concurrencyOf), 0, '1 of 2 in flight: nothing written');
  inFlight.set('GET /slow', 2);
  t.equal(flow.react(T0 + 130, concurrencyOf), 1, '2 of 2: one slot written');
  const slow = readVerdict(dirs.pinDir, 'GET /slow', T0 + 130);
  t.same([slow.kind, slow.param, slow.refreshMs], [VerdictKind.ADMIT, 0, T0 + 130], 'ratio 0 from now on, before the next tick');
  t.equal(readVerdict(dirs.pinDir, 'GET /fast', T0 + 130).kind, VerdictKind.PASS, 'a QPS rule without PASS since the tick is left to it');
  t.equal(flow.react(T0 + 140, concurrencyOf), 0, 'written once');
  t.equal(flow.health().map.saturationWrites, 1);
  t.equal(flow.health().map.burstWrites, 0);
  // GET /fast (count 5), after over a second without traffic: the bound is max(5 · 0.2, 4) = 4
  // requests past the tick's allowance.
  inFlight.set('GET /slow', 0);
  for (let ms = 200; ms <= 1300; ms += 100) flow.tick(T0 + ms, concurrencyOf);
  for (let i = 0; i < 4; i++) flow.tap.record({ ...emptyFlowRecord(), kind: RecordKind.PASS, name: 'GET /fast' });
  t.equal(flow.react(T0 + 1300, concurrencyOf), 0, 'GET /fast: 4 PASS at the tick\'s instant: not past the bound');
  flow.tap.record({ ...emptyFlowRecord(), kind: RecordKind.PASS, name: 'GET /fast' });
  t.equal(flow.react(T0 + 1300, concurrencyOf), 1, 'a fifth: the burst stop writes its slot');
  const fast = readVerdict(dirs.pinDir, 'GET /fast', T0 + 1300);
  t.same([fast.kind, fast.param, fast.refreshMs], [VerdictKind.ADMIT, 0, T0 + 1300], 'ratio 0 until the next tick');
  t.same([flow.health().map.saturationWrites, flow.health().map.burstWrites], [1, 1], 'counted as a burst write');
  flow.tick(T0 + 1400, concurrencyOf);
  t.equal(readVerdict(dirs.pinDir, 'GET /fast', T0 + 1400).kind, VerdictKind.ADMIT, 'the tick sizes a ratio from the 5 it saw');
  flow.close();

  const none = mapPinDir(t, 'sw-react-');
  const noRules = join(none.pinDir, 'rules');
  mkdirSync(noRules, { mode: 0o700 });
  const idle = new FlowControl({ ...none, rulesDir: noRules, mapSlots: 64 });
  idle.start(T0);
  t.equal(idle.react(T0 + 10, () => 1_000), 0, 'no rule: nothing');
  t.equal(idle.health().map.saturationWrites, 0);
  idle.close();
});

t.test('FlowControl.step: a QPS rule that limits has its slot written when a step changes its ratio; nothing while no rule limits', async (t) => {
  const dirs = mapPinDir(t, 'sw-step-');
  const rulesDir = join(dirs.pinDir, 'rules');
  mkdirSync(rulesDir, { mode: 0o700 });
  writeFileSync(join(rulesDir, 'flow.json'), JSON.stringify([{ resource: 'GET /busy', count: 10 }, { resource: 'GET /calm', count: 10 }]));
  const flow = new FlowControl({ ...dirs, rulesDir, mapSlots: 64 });
  flow.start(T0);
  const none = (): number => 0;
  flow.tick(T0 + 100, none);
  t.equal(flow.step(T0 + 120), 0, 'no traffic: no rule limits, nothing written');
  const record = (kind: RecordKind, times: number) => {
    for (let i = 0; i < times; i++) flow.tap.record({ ...emptyFlowRecord(), kind, name: 'GET /busy' });
  };
  record(RecordKind.PASS, 2);
  record(RecordKind.BLOCK, 8);
  flow.tick(T0 + 200, none);
  const ticked = readVerdict(dirs.pinDir, 'GET /busy', T0 + 200);
  t.same([ticked.kind, ticked.refreshMs], [VerdictKind.ADMIT, T0 + 200], 'GET /busy: 100/s offered against 10, limited at the tick');
  record(RecordKind.BLOCK, 3);
  t.equal(flow.step(T0 + 210), 0, '10 ms after the tick: no step yet');
  t.equal(flow.step(T0 + 220), 1, '20 ms after it: one slot written');
  const stepped = readVerdict(dirs.pinDir, 'GET /busy', T0 + 220);
  t.equal(stepped.refreshMs, T0 + 220, 'refreshed at the step');
  t.equal(stepped.kind, VerdictKind.ADMIT);
  t.equal(readVerdict(dirs.pinDir, 'GET /calm', T0 + 220).refreshMs, T0 + 200, 'GET /calm (no traffic) is left to the ticks');
  t.equal(flow.health().map.stepWrites, 1, 'counted as a step write');
  t.same([flow.health().map.burstWrites, flow.health().map.saturationWrites], [0, 0]);
  t.equal(flow.step(T0 + 230), 0, 'the next step is 20 ms after this one');
  flow.close();
});

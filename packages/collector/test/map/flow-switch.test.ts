// Sentinel's switch on real files: off, the rules in force are not enforced (each ruled key's slot
// in <pin>/map is PASS from the next tick; rules pushed meanwhile wait), while getRules and the
// files keep them; on again, the next tick enforces them.

import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VerdictKind } from '@sentinel-wasi/protocol/encode';
import { FlowControl } from '../../src/map/flow-control.js';
import { mapPinDir, readVerdict } from './map-files.js';

const T0 = 1_764_130_000_000;

t.test('setSwitch(false): PASS at the next tick, rules kept; setSwitch(true): enforced again', async (t) => {
  const dirs = mapPinDir(t, 'sw-switch-');
  const rulesDir = join(dirs.pinDir, 'rules');
  mkdirSync(rulesDir, { mode: 0o700 });
  writeFileSync(join(rulesDir, 'flow.json'), JSON.stringify([{ resource: 'GET /stop', count: 0 }, { resource: 'GET /slow', grade: 0, count: 1 }]));
  const flow = new FlowControl({ ...dirs, rulesDir, mapSlots: 64 });
  flow.start(T0);
  t.teardown(() => flow.close());
  const inFlight = (resource: string, origin: string): number => (resource === 'GET /slow' && origin === '' ? 1 : 0);
  const verdict = (key: string, nowMs: number) => {
    const v = readVerdict(dirs.pinDir, key, nowMs);
    return [v.outcome, v.kind, v.param];
  };
  for (const name of ['GET /stop', 'GET /slow', 'GET /new']) flow.resourceCounted(name); // they have traffic: their slots stay, PASS when no rule applies
  flow.tick(T0 + 50, inFlight); // a rule's limiter starts at its first tick
  flow.tick(T0 + 100, inFlight);
  t.same(verdict('GET /stop', T0 + 100), ['hit', VerdictKind.ADMIT, 0], 'count 0: admit none');
  t.same(verdict('GET /slow', T0 + 100), ['hit', VerdictKind.ADMIT, 0], '1 of 1 in flight: admit none');
  t.equal(flow.switchedOn, true, 'on at start');
  t.equal(flow.steps, true, 'a QPS rule in force (GET /stop): the daemon runs its step timer');

  t.equal(flow.setSwitch(false), true);
  t.equal(flow.steps, false, 'off: no rule enforced, no steps');
  t.equal(flow.setSwitch(false), false, 'already off: nothing changes');
  t.same(verdict('GET /stop', T0 + 100), ['hit', VerdictKind.ADMIT, 0], 'the slots change at the next tick, not before');
  flow.tick(T0 + 200, inFlight);
  t.same(verdict('GET /stop', T0 + 200), ['hit', VerdictKind.PASS, 0], 'off: PASS');
  t.same(verdict('GET /slow', T0 + 200), ['hit', VerdictKind.PASS, 0]);
  t.equal(flow.react(T0 + 210, inFlight), 0, 'nothing between ticks either');
  t.same(JSON.parse(flow.getRules('flow')).map((r: { resource: string }) => r.resource), ['GET /stop', 'GET /slow'], 'the rules stay in force for getRules');
  t.equal(flow.health().switchOn, false);
  t.equal(flow.health().flow.active, 2);

  flow.setRules('flow', JSON.stringify([{ resource: 'GET /stop', count: 0 }, { resource: 'GET /slow', grade: 0, count: 1 }, { resource: 'GET /new', count: 0 }]), T0 + 250);
  flow.tick(T0 + 300, inFlight);
  t.same(verdict('GET /new', T0 + 300), ['hit', VerdictKind.PASS, 0], 'a rule pushed while off is kept, not enforced');

  t.equal(flow.setSwitch(true), true);
  t.equal(flow.steps, true, 'on again: steps again');
  flow.tick(T0 + 350, inFlight);
  flow.tick(T0 + 400, inFlight);
  t.same(verdict('GET /stop', T0 + 400), ['hit', VerdictKind.ADMIT, 0], 'on: enforced again (limiters start afresh: from their second tick)');
  t.same(verdict('GET /slow', T0 + 400), ['hit', VerdictKind.ADMIT, 0]);
  t.same(verdict('GET /new', T0 + 400), ['hit', VerdictKind.ADMIT, 0], 'the rule pushed while off too');
  t.equal(flow.health().switchOn, true);
});

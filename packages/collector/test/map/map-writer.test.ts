// The daemon's resource-map writer on real files: a new map (header, epoch, size), verdicts as a
// filter reads them, ids persisted before their slots are written and reused after a restart
// (same epoch, same ids, no id given twice), resources keeping their slot and id as PASS when their
// verdict ends and (resource, origin) keys zeroed, counted resources given PASS slots written once,
// ids resolved for frames (current and previous epoch), collisions and full windows counted, a map
// that does not match its id file recreated with a new epoch.

import t from 'tap';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapFileBytes, mapKeyOf, VerdictKind } from '@sentinel-wasi/protocol/encode';
import { countedNamesIn, MapWriter } from '../../src/map/map-writer.js';
import { HealthLog } from '../../src/stats/health.js';
import { mapPinDir, readVerdict } from './map-files.js';

const T0 = 1_764_120_000_000;

const pinDir = (t: { teardown(fn: () => void): void }) => mapPinDir(t, 'sw-mapw-');
const read = readVerdict;

t.test('creates the map, publishes verdicts a filter reads, persists ids first, reuses them after a restart', async (t) => {
  const dirs = pinDir(t);
  const w = new MapWriter({ ...dirs, slotCount: 64, random: () => 0.5 });
  w.open(T0);
  t.equal(statSync(join(dirs.pinDir, 'map')).size, mapFileBytes(64));
  t.equal(w.epoch, T0 * 1024 + 512);
  w.addResources(['GET /b', 'GET /c']); // counted by the statistics (GET /u is not)
  w.publish(T0, [
    { key: 'GET /a', verdict: { kind: 'admit', ratio: 0.25 } },
    { key: 'GET /b', verdict: { kind: 'block', untilMs: T0 + 5000 } },
    { key: mapKeyOf('GET /a', 'app-x'), verdict: { kind: 'block' } },
    { key: 'GET /c', verdict: { kind: 'pass' } },
    { key: 'GET /u', verdict: { kind: 'block' } },
  ]);
  t.same([read(dirs.pinDir, 'GET /a', T0).kind, read(dirs.pinDir, 'GET /a', T0).param], [VerdictKind.ADMIT, 0.25]);
  t.same([read(dirs.pinDir, 'GET /b', T0).kind, read(dirs.pinDir, 'GET /b', T0).param], [VerdictKind.BLOCK, T0 + 5000]);
  t.same([read(dirs.pinDir, mapKeyOf('GET /a', 'app-x'), T0).kind, read(dirs.pinDir, mapKeyOf('GET /a', 'app-x'), T0).param], [VerdictKind.BLOCK, T0], 'a block without a time holds until rewritten');
  t.same([read(dirs.pinDir, 'GET /c', T0).kind, read(dirs.pinDir, 'GET /c', T0).outcome], [VerdictKind.PASS, 'hit']);
  const ids = JSON.parse(readFileSync(join(dirs.collectorDir, 'map-ids.json'), 'utf8')) as { epoch: number; nextId: number; entries: Array<{ name: string; resourceId: number }> };
  t.same([ids.epoch, ids.nextId, ids.entries.length], [w.epoch, 6, 5], 'ids durable');
  t.same(countedNamesIn(dirs.collectorDir).sort(), ['GET /b', 'GET /c'], 'the counted names, read without opening the map (a starting collector\'s warm start)');
  t.same(countedNamesIn(join(dirs.pinDir, 'nowhere')), [], 'no id file: none');
  const idOfA = read(dirs.pinDir, 'GET /a', T0).resourceId;
  const idOfU = read(dirs.pinDir, 'GET /u', T0).resourceId;
  t.equal(w.counters.mapSlotWrites, 5);

  // GET /b (counted) loses its verdict: it goes back to PASS and keeps its slot and id. GET /u
  // (not counted) loses its slot; its id is retired: still resolvable, never given again.
  const idOfB = read(dirs.pinDir, 'GET /b', T0).resourceId;
  w.publish(T0 + 100, [{ key: 'GET /a', verdict: { kind: 'admit', ratio: 0.5 } }, { key: 'GET /c', verdict: { kind: 'pass' } }, { key: mapKeyOf('GET /a', 'app-x'), verdict: { kind: 'block' } }]);
  t.same([read(dirs.pinDir, 'GET /b', T0 + 100).kind, read(dirs.pinDir, 'GET /b', T0 + 100).resourceId], [VerdictKind.PASS, idOfB]);
  t.equal(read(dirs.pinDir, 'GET /u', T0 + 100).outcome, 'miss');
  t.equal(w.resolveId(w.epoch, idOfU), 'GET /u', 'a retired id still resolves');
  const idOfOrigin = read(dirs.pinDir, mapKeyOf('GET /a', 'app-x'), T0).resourceId;
  w.close();

  const again = new MapWriter({ ...dirs, slotCount: 64, random: () => 0.9 });
  again.open(T0 + 1000);
  t.equal(again.reused, true);
  t.equal(again.epoch, w.epoch, 'same epoch');
  again.publish(T0 + 1000, [{ key: 'GET /a', verdict: { kind: 'admit', ratio: 0.75 } }, { key: 'GET /d', verdict: { kind: 'pass' } }]);
  t.equal(read(dirs.pinDir, 'GET /a', T0 + 1000).resourceId, idOfA, 'same id after the restart');
  t.equal(read(dirs.pinDir, 'GET /b', T0 + 1000).resourceId, idOfB, 'a resource keeps its id');
  t.same([read(dirs.pinDir, 'GET /c', T0 + 1000).kind, read(dirs.pinDir, 'GET /c', T0 + 1000).outcome], [VerdictKind.PASS, 'hit'], 'resources without a verdict after the restart are PASS');
  t.equal(read(dirs.pinDir, mapKeyOf('GET /a', 'app-x'), T0 + 1000).outcome, 'miss', '(resource, origin) keys without a verdict after the restart are cleared');
  t.equal(read(dirs.pinDir, 'GET /d', T0 + 1000).resourceId, 6, 'a new name gets the next id');
  t.equal(again.resolveId(w.epoch, idOfOrigin), null, 'a (resource, origin) key is no resource');
  t.equal(again.resolveId(w.epoch, idOfU), 'GET /u', 'a retired id still resolves after the restart');
  again.publish(T0 + 1100, [{ key: 'GET /e', verdict: { kind: 'pass' } }]);
  t.equal(read(dirs.pinDir, 'GET /e', T0 + 1100).resourceId, 7, 'never a freed id');
  again.close();

  // A map that does not match its id file (here: replaced by another size) is recreated.
  writeFileSync(join(dirs.pinDir, 'map'), new Uint8Array(100));
  const fresh = new MapWriter({ ...dirs, slotCount: 64, random: () => 0.1 });
  fresh.open(T0 + 2000);
  t.equal(fresh.reused, false);
  t.not(fresh.epoch, w.epoch, 'a new epoch');
  fresh.close();
});

t.test('collisions and full windows are counted; a name without a slot reads PASS', async (t) => {
  const dirs = pinDir(t);
  const w = new MapWriter({ ...dirs, slotCount: 1 }); // every name has home slot 0: window of 4
  w.open(T0);
  const keys = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
  w.publish(T0, keys.map((key) => ({ key, verdict: { kind: 'admit', ratio: 0.5 } as const })));
  t.same([w.counters.mapCollisions, w.counters.mapWindowFull, w.size], [3, 2, 4]);
  t.equal(read(dirs.pinDir, 'r5', T0).outcome, 'miss');
  w.publish(T0 + 100, keys.map((key) => ({ key, verdict: { kind: 'admit', ratio: 0.5 } as const })));
  t.equal(w.counters.mapWindowFull, 2, 'each homeless key counted once');
  w.close();
});

t.test('a key under a rule whose window is full takes the slot of a resource there that has no verdict; with none, E_MAP_NO_SLOT once', async (t) => {
  const dirs = pinDir(t);
  const health = new HealthLog();
  const w = new MapWriter({ ...dirs, slotCount: 1, problems: health }); // every name has home slot 0: window of 4
  w.open(T0);
  w.addResources(['c0', 'c1', 'c2', 'c3']); // counted, no verdict: PASS slots with ids 1…4
  w.publish(T0, []);
  const idOfC0 = read(dirs.pinDir, 'c0', T0).resourceId;
  t.same([w.size, w.counters.mapResourcesPlaced], [4, 4]);

  // A rule for a new name: the first counted resource of the window gives up its slot.
  w.publish(T0 + 100, [{ key: 'ruled', verdict: { kind: 'block' } }]);
  const ruled = read(dirs.pinDir, 'ruled', T0 + 100);
  t.same([ruled.outcome, ruled.kind, ruled.resourceId], ['hit', VerdictKind.BLOCK, 5], 'the ruled name has a slot and its verdict');
  t.equal(read(dirs.pinDir, 'c0', T0 + 100).outcome, 'miss', 'the resource whose slot was taken has none: filters read PASS');
  t.same(['c1', 'c2', 'c3'].map((k) => read(dirs.pinDir, k, T0 + 100).kind), [VerdictKind.PASS, VerdictKind.PASS, VerdictKind.PASS], 'the others keep theirs');
  t.equal(w.resolveId(w.epoch, idOfC0), 'c0', 'its id still resolves (frames written with it count)');
  const file = JSON.parse(readFileSync(join(dirs.collectorDir, 'map-ids.json'), 'utf8')) as { entries: Array<{ name: string }>; retired: Array<{ name: string; resourceId: number; atMs: number }> };
  t.same([file.entries.map((e) => e.name).sort(), file.retired], [['c1', 'c2', 'c3', 'ruled'], [{ name: 'c0', resourceId: idOfC0, atMs: T0 + 100 }]], 'the id file says so');
  t.same([w.counters.mapSlotsTakenForRules, w.counters.mapWindowFull], [1, 1], 'the ruled name found its window full once; one slot taken');

  // Three more rules in that window take the other three slots; a fifth finds every slot under a rule.
  const rules = ['ruled', 'c1', 'c2', 'r3', 'r4'].map((key) => ({ key, verdict: { kind: 'admit', ratio: 0.5 } as const }));
  w.publish(T0 + 200, rules);
  w.publish(T0 + 300, rules);
  t.same(['ruled', 'c1', 'c2', 'r3'].map((k) => read(dirs.pinDir, k, T0 + 300).kind), [VerdictKind.ADMIT, VerdictKind.ADMIT, VerdictKind.ADMIT, VerdictKind.ADMIT]);
  t.equal(read(dirs.pinDir, 'r4', T0 + 300).outcome, 'miss');
  t.equal(read(dirs.pinDir, 'c3', T0 + 300).outcome, 'miss', 'c3 gave its slot to r3');
  t.same(health.problems.filter((p) => p.code === 'E_MAP_NO_SLOT').map((p) => p.message), ['resource "r4" is under a rule, but every slot of its map window holds another key under a rule: filters cannot read its verdict and admit it (a pin made with more --map-slots has room)'], 'reported once while it lasts');
  t.same([w.counters.mapSlotsTakenForRules, w.counters.mapWindowFull], [2, 3], 'r3 and r4 found the window full once each; r3 took c3\'s slot');

  // r3's rule ends: its slot (it is not counted, so it would be cleared) goes to r4 in the same publish.
  const idOfR3 = read(dirs.pinDir, 'r3', T0 + 300).resourceId;
  w.publish(T0 + 400, rules.filter((r) => r.key !== 'r3'));
  t.same([read(dirs.pinDir, 'r4', T0 + 400).outcome, read(dirs.pinDir, 'r4', T0 + 400).kind], ['hit', VerdictKind.ADMIT], 'the slot of a key whose rule ended is taken by the ruled key without one');
  t.same([read(dirs.pinDir, 'r3', T0 + 400).outcome, w.resolveId(w.epoch, idOfR3)], ['miss', 'r3'], 'r3 has no slot; its id resolves');
  t.equal(w.counters.mapSlotsTakenForRules, 3);
  // The rules end: r4 gives its slot back; a free slot in a full window's place is taken first, not another resource's.
  w.publish(T0 + 500, []);
  w.publish(T0 + 600, [{ key: 'r5', verdict: { kind: 'block' } }]);
  t.same([read(dirs.pinDir, 'r5', T0 + 600).kind, w.counters.mapSlotsTakenForRules], [VerdictKind.BLOCK, 3], 'r5 took a free slot');
  w.close();
});

t.test('an id file that cannot be loaded is set aside and reported (E_MAP_IDS_INVALID); a missing one is a first start', async (t) => {
  const dirs = pinDir(t);
  const quiet = new HealthLog();
  const first = new MapWriter({ ...dirs, slotCount: 64, problems: quiet, random: () => 0.5 });
  first.open(T0);
  first.publish(T0, [{ key: 'GET /a', verdict: { kind: 'block' } }]);
  first.close();
  t.same(quiet.problems, [], 'no id file at the first start: nothing to report');
  const path = join(dirs.collectorDir, 'map-ids.json');
  for (const [content, why, atMs] of [['xx\n', 'it is not JSON', T0 + 1000], ['{}\n', 'not an id file (epoch, entries)', T0 + 2000]] as const) {
    writeFileSync(path, content);
    const health = new HealthLog();
    const w = new MapWriter({ ...dirs, slotCount: 64, problems: health, random: () => 0.25 });
    w.open(atMs);
    t.equal(w.reused, false, 'a new map');
    t.equal(w.epoch, atMs * 1024 + 256, 'with a new epoch');
    t.same(health.problems.map((p) => [p.code, p.message]), [['E_MAP_IDS_INVALID', `the map's id file ${path} cannot be loaded (${why}): set aside as map-ids.json.invalid-${atMs}; a new map is made with a new epoch, and records written with the old ids are rejected (recordsRejected)`]], content);
    t.equal(readFileSync(`${path}.invalid-${atMs}`, 'utf8'), content, 'kept for a look');
    t.equal((JSON.parse(readFileSync(path, 'utf8')) as { epoch: number }).epoch, w.epoch, 'a new id file');
    w.close();
  }
});

t.test('after a restart, the last run\'s counted resources keep their slots only while tracked or under a rule (keepCountedOnly)', async (t) => {
  const dirs = pinDir(t);
  const w = new MapWriter({ ...dirs, slotCount: 64, random: () => 0.5 });
  w.open(T0);
  w.addResources(['a', 'b', 'c', 'd']);
  w.publish(T0, []);
  const idOf = (k: string): number => read(dirs.pinDir, k, T0).resourceId;
  const [idA, idB, idC, idD] = ['a', 'b', 'c', 'd'].map(idOf);
  w.close();

  const again = new MapWriter({ ...dirs, slotCount: 64, random: () => 0.5 });
  again.open(T0 + 70_000);
  t.equal(again.reused, true);
  again.keepCountedOnly(['a']); // the collector tracks a alone now; c is under a rule
  again.publish(T0 + 70_000, [{ key: 'c', verdict: { kind: 'block' } }]);
  t.same(['a', 'b', 'c', 'd'].map((k) => [read(dirs.pinDir, k, T0 + 70_000).outcome, read(dirs.pinDir, k, T0 + 70_000).kind]), [['hit', VerdictKind.PASS], ['miss', VerdictKind.PASS], ['hit', VerdictKind.BLOCK], ['miss', VerdictKind.PASS]]);
  t.same([read(dirs.pinDir, 'a', T0 + 70_000).resourceId, read(dirs.pinDir, 'c', T0 + 70_000).resourceId], [idA, idC], 'the kept ones keep their ids');
  t.same([again.resolveId(again.epoch, idB), again.resolveId(again.epoch, idD)], ['b', 'd'], 'the cleared ones\' ids still resolve');
  t.equal(again.size, 2);
  const file = JSON.parse(readFileSync(join(dirs.collectorDir, 'map-ids.json'), 'utf8')) as { entries: Array<{ name: string; counted?: boolean }> };
  t.same(file.entries.map((e) => [e.name, e.counted === true]).sort(), [['a', true], ['c', true]], 'the id file lists the two, counted');
  t.same(countedNamesIn(dirs.collectorDir).sort(), ['a', 'c']);
  // The rule on c ends: c is still counted (it was under a rule at the pruning), so it keeps a PASS slot.
  again.publish(T0 + 70_100, []);
  t.same([read(dirs.pinDir, 'c', T0 + 70_100).kind, read(dirs.pinDir, 'c', T0 + 70_100).resourceId], [VerdictKind.PASS, idC]);
  // b comes back: counted again, with a new id (ids are never given twice).
  again.addResources(['b']);
  again.publish(T0 + 70_200, []);
  t.same([read(dirs.pinDir, 'b', T0 + 70_200).outcome, read(dirs.pinDir, 'b', T0 + 70_200).resourceId], ['hit', 5]);
  again.close();
});

t.test('retired ids are forgotten once retired 120 s before the sealed frontier (no record can count with them then)', async (t) => {
  const dirs = pinDir(t);
  const w = new MapWriter({ ...dirs, slotCount: 64, random: () => 0.5 });
  w.open(T0);
  w.publish(T0, [{ key: 'x', verdict: { kind: 'block' } }, { key: 'y', verdict: { kind: 'block' } }]);
  const [idX, idY] = ['x', 'y'].map((k) => read(dirs.pinDir, k, T0).resourceId);
  w.publish(T0 + 100, [{ key: 'y', verdict: { kind: 'block' } }]); // x's rule ends: retired at T0 + 100
  w.publish(T0 + 5_000, []); // y's: retired at T0 + 5 000
  const retiredIn = (): Array<[string, number, number | undefined]> => ((JSON.parse(readFileSync(join(dirs.collectorDir, 'map-ids.json'), 'utf8')) as { retired?: Array<{ name: string; resourceId: number; atMs?: number }> }).retired ?? []).map((r) => [r.name, r.resourceId, r.atMs]);
  t.same(retiredIn(), [['x', idX, T0 + 100], ['y', idY, T0 + 5_000]], 'the id file says when each was retired');
  t.equal(w.pruneRetired(T0 + 100 + 120_000), 0, 'not before 120 s behind the sealed frontier');
  t.equal(w.pruneRetired(T0 + 100 + 120_001), 1);
  t.same([w.resolveId(w.epoch, idX), w.resolveId(w.epoch, idY)], [null, 'y']);
  w.publish(T0 + 125_200, []);
  t.same(retiredIn(), [['y', idY, T0 + 5_000]], 'written with the next publish');
  w.close();
  // An id file from before retirement times: its retired ids count as retired at the open.
  const file = JSON.parse(readFileSync(join(dirs.collectorDir, 'map-ids.json'), 'utf8')) as { retired: Array<{ atMs?: number }> };
  delete file.retired[0]!.atMs;
  writeFileSync(join(dirs.collectorDir, 'map-ids.json'), JSON.stringify(file));
  const again = new MapWriter({ ...dirs, slotCount: 64, random: () => 0.5 });
  again.open(T0 + 200_000);
  t.same([again.pruneRetired(T0 + 200_000 + 120_000), again.resolveId(again.epoch, idY)], [0, 'y']);
  t.same([again.pruneRetired(T0 + 200_000 + 120_001), again.resolveId(again.epoch, idY)], [1, null]);
  again.close();
});

t.test('counted resources get a PASS slot and an id, durable first, written once; ids resolve for frames', async (t) => {
  const dirs = pinDir(t);
  const w = new MapWriter({ ...dirs, slotCount: 256, random: () => 0.5 });
  w.open(T0);
  w.addResources(['GET /x', 'GET /y', 'GET /x', mapKeyOf('GET /x', 'o')]);
  w.publish(T0, [{ key: 'GET /ruled', verdict: { kind: 'block' } }]);
  const x = read(dirs.pinDir, 'GET /x', T0);
  const y = read(dirs.pinDir, 'GET /y', T0);
  t.same([x.kind, x.outcome, y.kind, y.outcome], [VerdictKind.PASS, 'hit', VerdictKind.PASS, 'hit']);
  t.equal(read(dirs.pinDir, mapKeyOf('GET /x', 'o'), T0).outcome, 'miss', 'only resource names are placed as counted resources');
  t.same([w.counters.mapResourcesPlaced, w.counters.mapSlotWrites, w.verdictSlots], [2, 3, 1]);
  const file = JSON.parse(readFileSync(join(dirs.collectorDir, 'map-ids.json'), 'utf8')) as { entries: Array<{ name: string; resourceId: number }> };
  t.same(file.entries.map((e) => [e.name, e.resourceId]).sort(), [['GET /ruled', 1], ['GET /x', 2], ['GET /y', 3]], 'the ids are in the id file');
  // Later ticks refresh the verdict slot only; the PASS slots are left to go stale, with their ids.
  w.addResources(['GET /x']);
  w.publish(T0 + 100, [{ key: 'GET /ruled', verdict: { kind: 'block' } }]);
  w.publish(T0 + 200, [{ key: 'GET /ruled', verdict: { kind: 'block' } }]);
  t.equal(w.counters.mapSlotWrites, 5);
  const idle = read(dirs.pinDir, 'GET /x', T0 + 10_000);
  t.same([idle.outcome, idle.resourceId], ['idle', x.resourceId], 'a PASS slot left alone (idle) still carries the id');
  // Resolving: this epoch's resources; not (resource, origin) keys, other epochs or unknown ids.
  t.equal(w.resolveId(w.epoch, x.resourceId), 'GET /x');
  t.equal(w.resolveId(w.epoch, 1), 'GET /ruled');
  t.equal(w.resolveId(w.epoch, 99), null);
  t.equal(w.resolveId(w.epoch + 1, x.resourceId), null);
  w.publish(T0 + 300, [{ key: mapKeyOf('GET /x', 'o'), verdict: { kind: 'block' } }]);
  t.equal(w.resolveId(w.epoch, read(dirs.pinDir, mapKeyOf('GET /x', 'o'), T0 + 300).resourceId), null, 'a (resource, origin) key is no resource');
  const firstEpoch = w.epoch;
  w.close();

  // The map is recreated (new epoch): the previous epoch's ids still resolve, also after a restart that reuses the new map.
  writeFileSync(join(dirs.pinDir, 'map'), new Uint8Array(10));
  const second = new MapWriter({ ...dirs, slotCount: 256, random: () => 0.25 });
  second.open(T0 + 1000);
  t.equal(second.reused, false);
  t.not(second.epoch, firstEpoch);
  second.addResources(['GET /y']);
  second.publish(T0 + 1000, []);
  const y2 = read(dirs.pinDir, 'GET /y', T0 + 1000);
  t.equal(y2.resourceId, 1, 'ids start over in the new epoch');
  t.equal(second.resolveId(second.epoch, 1), 'GET /y');
  t.equal(second.resolveId(firstEpoch, 1), 'GET /ruled', 'the previous epoch resolves with its own table');
  t.equal(second.resolveId(firstEpoch, x.resourceId), 'GET /x');
  second.close();
  const restarted = new MapWriter({ ...dirs, slotCount: 256 });
  restarted.open(T0 + 2000);
  t.equal(restarted.reused, true);
  t.equal(restarted.resolveId(firstEpoch, x.resourceId), 'GET /x', 'the previous epoch survives a restart');
  t.equal(restarted.resolveId(restarted.epoch, 1), 'GET /y');
  restarted.close();
  // A second recreation keeps only the epoch just replaced.
  writeFileSync(join(dirs.pinDir, 'map'), new Uint8Array(10));
  const third = new MapWriter({ ...dirs, slotCount: 256, random: () => 0.75 });
  third.open(T0 + 3000);
  t.equal(third.resolveId(firstEpoch, x.resourceId), null, 'two epochs back: unresolvable');
  t.equal(third.resolveId(second.epoch, 1), 'GET /y');
  third.close();
});

t.test('a map that cannot be created (here: a directory in its place) does not stop the collector; it is tried again every 5 s', async (t) => {
  const dirs = pinDir(t);
  mkdirSync(join(dirs.pinDir, 'map', 'in-the-way'), { recursive: true });
  const w = new MapWriter({ ...dirs, slotCount: 64 });
  w.open(T0);
  t.equal(w.counters.mapWriteErrors, 1);
  w.addResources(['GET /a']);
  w.publish(T0 + 100, [{ key: 'GET /b', verdict: { kind: 'block' } }]);
  t.same([w.counters.mapSlotWrites, w.size], [0, 0], 'nothing published without a map');
  rmSync(join(dirs.pinDir, 'map'), { recursive: true });
  w.publish(T0 + 4000, []);
  t.equal(statSync(join(dirs.pinDir, 'map'), { throwIfNoEntry: false }), undefined, 'not before 5 s');
  w.publish(T0 + 5000, [{ key: 'GET /b', verdict: { kind: 'block' } }]);
  t.equal(read(dirs.pinDir, 'GET /b', T0 + 5000).kind, VerdictKind.BLOCK, 'created on the retry, and published');
  t.equal(read(dirs.pinDir, 'GET /a', T0 + 5000).outcome, 'hit', 'the resources counted meanwhile get their slots');
  t.equal(w.resolveId(w.epoch, read(dirs.pinDir, 'GET /a', T0 + 5000).resourceId), 'GET /a');
  w.close();
});

// A resource map removed, replaced or overwritten in place while the collector runs: the writer kept writing into the
// open file nobody else could see (filters failed open, and nothing said so). It now notices within
// a second (E_MAP_LOST), makes the map again with a new epoch, writes the verdicts and the counted
// resources' PASS slots into it at that publish, and keeps the lost epoch's ids resolvable.

import t from 'tap';
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { VerdictKind } from '@sentinel-wasi/protocol/encode';
import { MapWriter } from '../../src/map/map-writer.js';
import { HealthLog } from '../../src/stats/health.js';
import { mapPinDir, readVerdict } from './map-files.js';

const T0 = 1_764_120_000_000;

const pinDir = (t: { teardown(fn: () => void): void }) => mapPinDir(t, 'sw-maplost-');
const read = readVerdict;

const verdicts = [{ key: 'POST /pay', verdict: { kind: 'block' as const, untilMs: T0 + 60_000 } }];

for (const how of ['removed', 'replaced by another file', 'overwritten in place'] as const) {
  t.test(`a map ${how} while running is made again within a second, with a new epoch, and reported once`, async (t) => {
    const dirs = pinDir(t);
    const health = new HealthLog();
    let draw = 0.25;
    const w = new MapWriter({ ...dirs, slotCount: 64, problems: health, random: () => draw });
    w.open(T0);
    const firstEpoch = w.epoch;
    w.addResources(['GET /counted']);
    w.publish(T0, verdicts);
    const before = read(dirs.pinDir, 'POST /pay', T0);
    const countedId = read(dirs.pinDir, 'GET /counted', T0).resourceId;
    t.same([before.kind, before.epoch], [VerdictKind.BLOCK, firstEpoch]);

    const map = join(dirs.pinDir, 'map');
    if (how === 'removed') rmSync(map);
    else if (how === 'overwritten in place') {
      const fd = openSync(map, 'r+');
      writeSync(fd, Buffer.alloc(32, 'X'), 0, 32, 0); // the header, as `dd conv=notrunc` would
      closeSync(fd);
    } else {
      writeFileSync(join(dirs.pinDir, 'other'), 'not a map');
      renameSync(join(dirs.pinDir, 'other'), map);
    }
    draw = 0.75;
    w.publish(T0 + 500, verdicts); // checked at most once a second: not yet
    t.same(health.problems, [], 'not noticed before the second is up');
    w.publish(T0 + 1000, verdicts);
    const after = read(dirs.pinDir, 'POST /pay', T0 + 1000);
    t.not(w.epoch, firstEpoch, 'a new epoch');
    t.same([after.kind, after.param, after.epoch], [VerdictKind.BLOCK, T0 + 60_000, w.epoch], 'the verdict is in the new map at once');
    const counted = read(dirs.pinDir, 'GET /counted', T0 + 1000);
    t.same([counted.kind, counted.outcome], [VerdictKind.PASS, 'hit'], 'the counted resource has its PASS slot again');
    t.equal(w.resolveId(firstEpoch, countedId), 'GET /counted', "the lost epoch's ids still resolve");
    t.equal(w.resolveId(w.epoch, counted.resourceId), 'GET /counted');
    t.same(health.problems.map((p) => [p.atMs, p.code, p.message]), [
      [T0 + 1000, 'E_MAP_LOST', `the resource map ${map} ${{ removed: 'was removed', 'replaced by another file': 'was replaced', 'overwritten in place': 'had its header overwritten' }[how]} while the collector ran (filters failed open meanwhile): a new map is made (epoch ${w.epoch}; the ids of epoch ${firstEpoch} stay resolvable)`],
    ]);
    // And from then on, nothing more to say.
    w.publish(T0 + 2000, verdicts);
    w.publish(T0 + 3000, verdicts);
    t.equal(health.problems.length, 1);
    t.equal(JSON.parse(readFileSync(join(dirs.collectorDir, 'map-ids.json'), 'utf8')).epoch, w.epoch, 'the id file is of the new epoch');
    w.close();
  });
}

t.test('a map left alone is never taken as lost', async (t) => {
  const dirs = pinDir(t);
  const health = new HealthLog();
  const w = new MapWriter({ ...dirs, slotCount: 64, problems: health, random: () => 0.5 });
  w.open(T0);
  const epoch = w.epoch;
  for (let i = 0; i <= 50; i++) w.publish(T0 + i * 100, verdicts);
  t.same([w.epoch, health.problems.length], [epoch, 0]);
  w.close();
});

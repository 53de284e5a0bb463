// End to end, real processes: a real filter component (the replay example under `sentinel-wasi
// run`) and a real collector. Once the collector has counted a resource it gives it a map slot and
// id; the filter's next frames name it by id (version 3), the counts stay exact. A restarted
// collector reloads its ids (frames keep resolving). A map recreated with a new epoch: frames
// written with the previous epoch's ids still resolve (the collector keeps that table); frames
// with ids of an older epoch are rejected and counted (recordsRejected), never counted under
// another name.

import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { decodeRecords, scanFrames, type ResourceIdResolver } from '@sentinel-wasi/protocol';
import { bucketSecOf, FrameBuilder, segmentName } from '@sentinel-wasi/protocol/encode';
import { exampleComponent, tempDir } from '../helpers/repo.js';
import { prepareUnderNode, runUnderNode } from '../helpers/node-host.js';
import { healthOf, mapVerdict, startCollector, waitFor, type RunningCollector } from './flow-support.js';

const REPLAY = exampleComponent('replay');
const NAMES = ['GET /a', 'POST /b', '订单/c'];

interface Health {
  counters: { recordsCounted: number; recordsRejected: number };
  rules: { map: { epoch: number; mapResourcesPlaced: number } };
}

const health = (c: RunningCollector): Promise<Health> => healthOf<Health>(c);

async function minute(c: RunningCollector, name: string): Promise<{ pass: number; block: number; success: number; exception: number }> {
  const r = (await (await fetch(`${c.url}/api/v1/resources/${encodeURIComponent(name)}`)).json()) as { node: { minute: { pass: number; block: number; success: number; exception: number } } };
  const { pass, block, success, exception } = r.node.minute;
  return { pass, block, success, exception };
}

/** `n` lines per name: ok for the first, error for the second, block for the third (times: now). */
function traffic(n: number, names: readonly string[] = NAMES): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) names.forEach((name, k) => out.push(`-\t${name}\t${3 + i}\t${['ok', 'error', 'block'][k % 3]}`));
  return `${out.join('\n')}\n`;
}

async function replay(pin: string, writer: string, input: string): Promise<void> {
  const r = await runUnderNode({ component: REPLAY, pin, args: ['--writer', writer], stdin: input });
  if (r.code !== 0) throw new Error(`replay exited ${r.code}: ${r.stderr}`);
}

/** The collector's id tables (current and previous epoch), as map-ids.json holds them. */
function idTables(pin: string): ResourceIdResolver {
  const file = JSON.parse(readFileSync(join(pin, 'collector', 'map-ids.json'), 'utf8')) as { epoch: number; entries: Array<{ name: string; resourceId: number }>; previous?: { epoch: number; entries: Array<{ name: string; resourceId: number }> } };
  const tables = new Map<number, Map<number, string>>([[file.epoch, new Map(file.entries.map((e) => [e.resourceId, e.name]))]]);
  if (file.previous !== undefined) tables.set(file.previous.epoch, new Map(file.previous.entries.map((e) => [e.resourceId, e.name])));
  return (epoch, id) => tables.get(epoch)?.get(id) ?? null;
}

/** Frame versions, map epochs and record names of one writer's segments (read before the collector deletes them). */
function framesOf(pin: string, writer: string, resolveId: ResourceIdResolver): { versions: number[]; epochs: number[]; names: string[]; rejected: number } {
  const out = { versions: [] as number[], epochs: [] as number[], names: [] as string[], rejected: 0 };
  for (const file of readdirSync(join(pin, 'log')).filter((f) => f.endsWith(`-${writer}.seg`)).sort()) {
    const bytes = readFileSync(join(pin, 'log', file));
    scanFrames(bytes, 0, bytes.length, {
      frame: (f) => {
        out.versions.push(f.version);
        out.epochs.push(f.mapEpoch);
        out.rejected += decodeRecords(f, (r) => r.kind !== 8 && out.names.push(r.name)).rejected;
      },
    }, { final: true, resolveId });
  }
  return out;
}

async function counted(c: RunningCollector, records: number): Promise<Health> {
  return waitFor(`${records} records counted`, async () => {
    const h = await health(c);
    return h.counters.recordsCounted >= records ? h : undefined;
  });
}

t.test('a filter names counted resources by id; counts exact across a restart and a new map epoch; older epochs rejected', async (t) => {
  const pin = await tempDir(t, 'ids');
  await prepareUnderNode(REPLAY);
  let collector = await startCollector(pin);
  t.teardown(() => collector.stop());

  // 1. Nothing counted yet: no slots, so names go inline (version 1 frames).
  await replay(pin, 'r1', traffic(5));
  const r1 = framesOf(pin, 'r1', () => null);
  t.same([...new Set(r1.versions)], [1], 'before any slot: version 1');
  t.equal(r1.names.length, 15);
  await counted(collector, 15);
  const slots = await waitFor('a slot and id for each counted resource', () => {
    const v = NAMES.map((n) => mapVerdict(pin, n));
    return v.every((x) => x.resourceId > 0) ? v : undefined;
  });
  t.same(slots.map((v) => v.kind), [0, 0, 0], 'PASS slots');
  const epoch1 = (await health(collector)).rules.map.epoch;

  // 2. The filter finds the slots: ids in the frames; a new name still goes inline.
  await replay(pin, 'r2', traffic(10) + traffic(2, ['GET /new']));
  const r2 = framesOf(pin, 'r2', idTables(pin));
  t.same([...new Set(r2.versions)], [3], 'version 3 frames');
  t.same([...new Set(r2.epochs)], [epoch1], 'of the map epoch');
  t.equal(r2.rejected, 0);
  t.same(r2.names.sort(), [...Array.from({ length: 10 }, () => NAMES).flat(), 'GET /new', 'GET /new'].sort(), 'the ids resolve to the names written');
  const h2 = await counted(collector, 15 + 32);
  t.same([h2.counters.recordsCounted, h2.counters.recordsRejected], [47, 0]);
  t.same(await minute(collector, 'GET /a'), { pass: 15, block: 0, success: 15, exception: 0 }, 'GET /a exact');
  t.same(await minute(collector, 'POST /b'), { pass: 15, block: 0, success: 15, exception: 15 }, 'POST /b exact');
  t.same(await minute(collector, '订单/c'), { pass: 0, block: 15, success: 0, exception: 0 }, '订单/c exact');
  t.same(await minute(collector, 'GET /new'), { pass: 2, block: 0, success: 2, exception: 0 });

  // 3. Restart: the same map and ids; frames with ids are counted by the new process. (Health
  // counters carry over a restart through the checkpoint: compare with the last process's.)
  const final2 = await health(collector);
  t.equal(await collector.stop(), 0);
  collector = await startCollector(pin);
  t.equal((await health(collector)).rules.map.epoch, epoch1, 'the map and its ids reused');
  await replay(pin, 'r3', traffic(4));
  const r3 = framesOf(pin, 'r3', idTables(pin));
  t.same([[...new Set(r3.versions)], [...new Set(r3.epochs)], r3.rejected], [[3], [epoch1], 0]);
  const h3 = await counted(collector, final2.counters.recordsCounted + 12);
  t.same([h3.counters.recordsCounted - final2.counters.recordsCounted, h3.counters.recordsRejected], [12, 0], 'every id resolved after the restart');

  // 4. The collector stops; a filter keeps writing the ids it read (stale slots still carry them).
  const final3 = await health(collector);
  t.equal(await collector.stop(), 0);
  await replay(pin, 'r4', traffic(3));
  const r4 = framesOf(pin, 'r4', idTables(pin));
  t.same([[...new Set(r4.versions)], [...new Set(r4.epochs)]], [[3], [epoch1]], 'written with epoch 1 ids');
  // The map is lost (damaged): the next collector creates a new epoch and keeps epoch 1's ids.
  writeFileSync(join(pin, 'map'), new Uint8Array(64));
  collector = await startCollector(pin);
  const epoch2 = (await health(collector)).rules.map.epoch;
  t.not(epoch2, epoch1, 'a new map epoch');
  const h4 = await counted(collector, final3.counters.recordsCounted + 9);
  t.same([h4.counters.recordsCounted - final3.counters.recordsCounted, h4.counters.recordsRejected], [9, 0], 'previous-epoch ids resolve: all 9 counted');
  const r4names = framesOf(pin, 'r4', idTables(pin)).names;
  t.same(r4names.sort(), [...Array.from({ length: 3 }, () => NAMES).flat()].sort(), 'the epoch 1 table (kept as the previous one) names them');

  // 5. Ids of an epoch older than the previous one are rejected and counted, never misattributed.
  t.equal(await collector.stop(), 0);
  writeFileSync(join(pin, 'map'), new Uint8Array(64));
  collector = await startCollector(pin);
  t.not((await health(collector)).rules.map.epoch, epoch2);
  const h5before = await health(collector);
  const aBefore = await minute(collector, 'GET /a');
  const bBefore = await minute(collector, 'POST /b');
  const b = new FrameBuilder();
  b.setMapEpoch(epoch1);
  const now = Date.now();
  b.addCall(now, slots[0]!.resourceId, 5, false); // GET /a's id in epoch 1
  b.addCall(now, slots[1]!.resourceId, 5, true); // POST /b's
  b.addCall(now, 'GET /inline', 5, false);
  appendFileSync(join(pin, 'log', segmentName(bucketSecOf(now), 'old')), b.finish());
  const h5 = await waitFor('the old-epoch frame read', async () => {
    const h = await health(collector);
    return h.counters.recordsCounted + h.counters.recordsRejected >= h5before.counters.recordsCounted + h5before.counters.recordsRejected + 3 ? h : undefined;
  });
  t.same([h5.counters.recordsCounted - h5before.counters.recordsCounted, h5.counters.recordsRejected - h5before.counters.recordsRejected], [1, 2], 'the two id records rejected, the inline one counted');
  t.same([await minute(collector, 'GET /a'), await minute(collector, 'POST /b')], [aBefore, bBefore], 'nothing counted under the names those ids had');
  t.same((await minute(collector, 'GET /inline')).pass, 1);
});

// The resource-map writer's failed writes are reported, not only counted: creating the map, writing
// the id file and writing slots each report E_MAP_WRITE with the file and the OS error to the
// problem sink (the collector's HealthLog, which suppresses repeats), and FlowControl hands its
// sink to the writer. Faults are made as root can meet them too: a non-empty directory where a
// file is renamed into place (EISDIR), a descriptor that cannot be written (EBADF).

import t from 'tap';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FlowControl } from '../../src/map/flow-control.js';
import { MapWriter } from '../../src/map/map-writer.js';
import { HealthLog } from '../../src/stats/health.js';
import { mapPinDir } from './map-files.js';

const T0 = 1_764_120_000_000;

const pinDir = (t: { teardown(fn: () => void): void }) => mapPinDir(t, 'sw-mapp-');

const problemsOf = (h: HealthLog) => h.problems.map((p) => ({ atMs: p.atMs, code: p.code, message: p.message }));

t.test('a map that cannot be created is reported (E_MAP_WRITE, the OS error), once per 10 s with a count of the repeats', async (t) => {
  const dirs = pinDir(t);
  const map = join(dirs.pinDir, 'map');
  mkdirSync(join(map, 'in-the-way'), { recursive: true });
  const health = new HealthLog();
  const w = new MapWriter({ ...dirs, slotCount: 64, problems: health });
  w.open(T0);
  const message = `cannot create the resource map: ${map}: EISDIR: illegal operation on a directory; filters fail open (no flow control) until it exists; next try in 5 s`;
  t.same(problemsOf(health), [{ atMs: T0, code: 'E_MAP_WRITE', message }]);
  t.equal(w.counters.mapWriteErrors, 1);
  w.publish(T0 + 5000, [{ key: 'GET /b', verdict: { kind: 'block' } }]);
  t.equal(w.counters.mapWriteErrors, 2, 'the retry failed too');
  t.same([health.problems.length, health.problemsRepeated], [1, 1], 'an identical problem within 10 s is counted, not listed again');
  w.publish(T0 + 10_000, []);
  t.same(problemsOf(health)[1], { atMs: T0 + 10_000, code: 'E_MAP_WRITE', message: `${message} (repeated 1 times in the last 10 s)` });
  rmSync(map, { recursive: true });
  w.publish(T0 + 15_000, [{ key: 'GET /b', verdict: { kind: 'block' } }]);
  t.same([w.counters.mapWriteErrors, w.counters.mapSlotWrites, health.problems.length], [3, 1, 2], 'created on the next retry: nothing more to report');
  w.close();
});

t.test('an id file that cannot be written is reported; the resources it would have placed get no slot', async (t) => {
  const dirs = pinDir(t);
  const health = new HealthLog();
  const w = new MapWriter({ ...dirs, slotCount: 64, problems: health });
  w.open(T0);
  t.same(health.problems, []);
  const ids = join(dirs.collectorDir, 'map-ids.json');
  rmSync(ids);
  mkdirSync(join(ids, 'in-the-way'), { recursive: true });
  w.publish(T0 + 100, [{ key: 'GET /b', verdict: { kind: 'block' } }]);
  t.same(problemsOf(health), [{ atMs: T0 + 100, code: 'E_MAP_WRITE', message: `cannot write the resource ids ${ids}: EISDIR: illegal operation on a directory; resources new to the map get no slot until it is written (filters fail open for them)` }]);
  t.same([w.counters.mapWriteErrors, w.counters.mapSlotWrites, w.size], [1, 0, 0]);
  w.close();
});

t.test('a slot write that fails is reported with the map file and the OS error', async (t) => {
  const dirs = pinDir(t);
  const health = new HealthLog();
  const w = new MapWriter({ ...dirs, slotCount: 64, problems: health });
  w.open(T0);
  w.publish(T0, [{ key: 'GET /b', verdict: { kind: 'block' } }]);
  t.equal(w.counters.mapSlotWrites, 1);
  // The writer's descriptor swapped for a read-only one: its positioned writes fail with EBADF.
  const internals = w as unknown as { fd: number | null };
  const writable = internals.fd!;
  internals.fd = openSync(join(dirs.pinDir, 'map'), 'r');
  w.publish(T0 + 100, [{ key: 'GET /b', verdict: { kind: 'block' } }]);
  w.publish(T0 + 200, [{ key: 'GET /b', verdict: { kind: 'block' } }]);
  t.same(problemsOf(health), [
    { atMs: T0 + 100, code: 'E_MAP_WRITE', message: `cannot write to the resource map ${join(dirs.pinDir, 'map')}: EBADF: bad file descriptor; the slots not written keep their last verdict and go stale (filters then fail open)` },
  ]);
  t.same([w.counters.mapWriteErrors, w.counters.mapSlotWrites, health.problemsRepeated], [2, 1, 1]);
  closeSync(writable);
  w.close();
});

t.test('FlowControl gives the map writer its problem sink', async (t) => {
  const dirs = pinDir(t);
  const rulesDir = join(dirs.pinDir, 'rules');
  mkdirSync(rulesDir, { mode: 0o700 });
  mkdirSync(join(dirs.pinDir, 'map', 'in-the-way'), { recursive: true });
  const health = new HealthLog();
  const flow = new FlowControl({ ...dirs, rulesDir, mapSlots: 64, problems: health });
  flow.start(T0);
  t.same(health.problems.map((p) => p.code), ['E_MAP_WRITE']);
  t.equal(flow.health().map.mapWriteErrors, 1);
  flow.close();
});

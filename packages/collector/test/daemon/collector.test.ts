// The collector's cycle on real files with explicit times: sealing, late records, deletion of
// sealed and consumed segments only, torn tails, restart from a checkpoint, and a crash between
// appending metric lines and the checkpoint.
import t from 'tap';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFrames, RecordKind, type FlowEvent } from '@sentinel-wasi/protocol';
import { Collector, type CollectorOptions } from '../../src/daemon/collector.js';
import { appendEvents, expectedSums, metricSums, withoutLines } from './helpers.js';

const B = 1795657900; // a 10 s bucket, epoch seconds
const T = B * 1000;
const { PASS, BLOCK, EXIT, CALL } = RecordKind;

function open(pinDir: string, nowMs: number, extra: Partial<CollectorOptions> = {}): Collector {
  return new Collector({ pinDir, app: 'test', graceMs: 2000, utcOffsetMinutes: 0, ...extra }, nowMs);
}

function calls(fromMs: number, n: number, stepMs: number, name = 'r'): FlowEvent[] {
  const out: FlowEvent[] = [];
  for (let i = 0; i < n; i++) out.push({ kind: CALL, tsMs: fromMs + i * stepMs, name, rtMs: 4, error: i % 5 === 0 });
  return out;
}

function logFiles(pinDir: string): string[] {
  return readdirSync(join(pinDir, 'log')).sort();
}

t.test('seconds are sealed after their grace; segments are deleted only once sealed and consumed', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T);
  const first = calls(T + 100, 50, 100); // seconds B .. B+4
  const second: FlowEvent[] = [{ kind: PASS, tsMs: T + 10_500, name: 'r', count: 3 }];
  appendEvents(pin, B, 'w1', first, 256);
  appendEvents(pin, B + 10, 'w1', second);

  t.equal(c.sealedThroughSecAt(T), -1);
  let r = c.cycleAt(T + 8_000, true);
  t.equal(c.store.lastSealedSec, B + 5, '(B+5)+1 s + 2 s grace = T+8 s');
  t.equal(c.sealedThroughSecAt(T + 8_000), B + 5);
  t.same(r.deleted, [], 'bucket B is not sealed before T + 12 s');
  t.same(logFiles(pin), [`${B}-w1.seg`, `${B + 10}-w1.seg`]);
  t.same(withoutLines(metricSums(pin)), expectedSums(first));

  r = c.cycleAt(T + 11_999, true);
  t.same(r.deleted, []);
  r = c.cycleAt(T + 12_000, true);
  t.same(r.deleted, [`${B}-w1.seg`], 'sealed, consumed and checkpointed: deleted');
  t.same(logFiles(pin), [`${B + 10}-w1.seg`]);
  t.equal(c.store.counters.segmentsDeleted, 1);

  // A torn frame at the end of a live segment waits; the rest of it completes it.
  const [frame] = encodeFrames([{ kind: BLOCK, tsMs: T + 13_000, name: 'r', count: 2 }]);
  const path = join(pin, 'log', `${B + 10}-w1.seg`);
  appendFileSync(path, frame!.subarray(0, 5));
  c.cycleAt(T + 13_500, true);
  t.equal(c.store.counters.framesSkipped, 0, 'an incomplete tail of a live segment is not damage');
  t.equal(c.healthAt(T + 13_500).segments[0]!.offsetBytes, readFileSync(path).length - 5);
  appendFileSync(path, frame!.subarray(5));
  c.cycleAt(T + 14_000, true);
  t.equal(c.store.counters.recordsCounted, 52);

  // A torn tail still there when the segment is sealed is skipped and counted; the segment goes.
  appendFileSync(path, frame!.subarray(0, 7));
  c.cycleAt(T + 21_999, true);
  t.same(logFiles(pin), [`${B + 10}-w1.seg`]);
  r = c.cycleAt(T + 22_000, true);
  t.same(r.deleted, [`${B + 10}-w1.seg`]);
  t.same([c.store.counters.framesSkipped, c.store.counters.bytesSkipped], [1, 7]);
  t.same(withoutLines(metricSums(pin)), expectedSums([...first, ...second, { kind: BLOCK, tsMs: T + 13_000, name: 'r', count: 2 }]));
  c.closeAt(T + 23_000);
});

t.test('a record for an already sealed second becomes an extra line and is counted late', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T);
  const onTime = calls(T + 1_000, 10, 10);
  appendEvents(pin, B, 'w1', onTime);
  c.cycleAt(T + 5_000, true);
  t.equal(c.store.lastSealedSec, B + 2);
  const late: FlowEvent[] = [{ kind: EXIT, tsMs: T + 1_500, name: 'r', rtMs: 9, error: true, count: 2 }];
  const tooLate: FlowEvent[] = [{ kind: PASS, tsMs: T - 61_000, name: 'r' }];
  appendEvents(pin, B, 'w2', [...late, ...tooLate]);
  c.cycleAt(T + 5_500, true);
  const sums = metricSums(pin);
  t.same(sums.get(`${B + 1}|r`), { pass: 10, block: 0, success: 12, exception: 4, lines: 2 }, 'two lines for second B+1; their sum is right');
  t.same([c.store.counters.recordsLate, c.store.counters.recordsLateDropped, c.store.counters.recordsCounted], [2, 1, 11]);
  // The extra line has an index record of its own (after the newer ones), so range reads find it.
  const idx = readFileSync(join(pin, 'collector', 'metrics', 'test-metrics.log.2026-11-26.idx'));
  t.equal(idx.length, 32);
  t.equal(Number(idx.readBigInt64BE(0)), B + 1);
  t.equal(Number(idx.readBigInt64BE(16)), B + 1);
  t.ok(Number(idx.readBigInt64BE(24)) > 0, 'at the extra line');
  c.closeAt(T + 6_000);
});

t.test('corrupt, torn, hostile and invalid input is skipped and counted; the rest is counted', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T);
  const groups = [calls(T + 100, 10, 10), calls(T + 300, 7, 10), calls(T + 500, 12, 10)];
  const [f0, f1, f2] = groups.map((g) => encodeFrames(g)[0]!);
  const seg = join(pin, 'log', `${B}-w1.seg`);
  // frame 0 intact; frame 1 with a flipped payload bit; garbage; a header claiming 4000 bytes; frame 2.
  appendFileSync(seg, f0!);
  const flipped = Buffer.from(f1!);
  flipped[12] = flipped[12]! ^ 0x10;
  appendFileSync(seg, flipped);
  const garbage = Buffer.from('garbage without a marker');
  appendFileSync(seg, garbage);
  const hostile = Buffer.from([0xc1, 0x01, 0xa0, 0x0f, 1, 2, 3, 4]);
  appendFileSync(seg, hostile);
  appendFileSync(seg, f2!);
  writeFileSync(join(pin, 'log', 'notes.txt'), 'not a segment');
  writeFileSync(join(pin, 'log', '1795657905-w1.seg'), 'bucket not a multiple of 10');
  mkdirSync(join(pin, 'log', `${B}-dir.seg`));
  c.cycleAt(T + 5_000, true);
  let h = c.healthAt(T + 5_000);
  t.equal(h.counters.recordsCounted, 10, 'live segment: the claimed 4000-byte frame could still be completing');
  c.cycleAt(T + 12_000, true);
  h = c.healthAt(T + 12_000);
  t.equal(h.counters.recordsCounted, 10 + 12, 'sealed: the hostile header is skipped, the frame after it counted');
  t.same([h.counters.framesRead, h.counters.framesSkipped, h.counters.bytesSkipped], [2, 2, flipped.length + garbage.length + hostile.length]);
  t.equal(h.counters.segmentsBadName, 2);
  t.equal(h.counters.segmentReadErrors, 1, 'a directory named like a segment: reported once, not each pass');
  t.ok(h.recentProblems.some((p) => p.code === 'E_BAD_SEGMENT_NAME' && p.segment === 'notes.txt'));
  t.ok(h.recentProblems.some((p) => p.code === 'E_CRC' && p.segment === `${B}-w1.seg`));
  t.ok(h.recentProblems.some((p) => p.code === 'E_TRUNCATED' && p.segment === `${B}-w1.seg`));
  c.closeAt(T + 13_000);
});

t.test('restart from the checkpoint: nothing lost, nothing counted twice', async (t) => {
  const pin = t.testdir();
  const a = calls(T + 100, 40, 50, 'a');
  const b = calls(T + 1_100, 40, 50, 'b');
  let c = open(pin, T);
  appendEvents(pin, B, 'w1', a, 200);
  c.cycleAt(T + 2_000, true);
  c.closeAt(T + 2_000);
  appendEvents(pin, B, 'w1', b, 200);
  c = open(pin, T + 3_000);
  t.equal(c.restored.fromCheckpoint, true);
  c.cycleAt(T + 10_000, true);
  t.same(withoutLines(metricSums(pin)), expectedSums([...a, ...b]));
  t.equal(c.store.counters.recordsCounted, 80);
  c.closeAt(T + 10_000);
});

t.test('a crash between appending metric lines and the checkpoint leaves the same bytes as no crash', async (t) => {
  const run = (pin: string, crash: boolean): Buffer => {
    let c = open(pin, T);
    appendEvents(pin, B, 'w1', calls(T + 100, 40, 50, 'a'), 200);
    c.cycleAt(T + 1_000, true);
    appendEvents(pin, B, 'w1', calls(T + 1_100, 60, 50, 'b'), 200);
    if (crash) {
      c.passAt(T + 6_000);
      t.ok(c.sealAt(T + 6_000) > 0, 'lines appended, then the process dies before its checkpoint');
      c.metricLog.close();
      c = open(pin, T + 6_000);
      t.ok(c.restored.truncatedMetricBytes > 0, 'the lines after the checkpoint are cut');
    }
    c.cycleAt(T + 6_000, true);
    c.cycleAt(T + 9_000, true);
    c.closeAt(T + 9_000);
    return readFileSync(join(pin, 'collector', 'metrics', 'test-metrics.log.2026-11-26'));
  };
  const reference = run(t.testdir({ r: {} }) + '/r', false);
  const crashed = run(t.testdir({ c: {} }) + '/c', true);
  t.same(crashed.toString(), reference.toString());
});

t.test('a checkpoint pointing past a segment end or at a vanished segment is reported, not waited on', async (t) => {
  const pin = t.testdir();
  let c = open(pin, T);
  appendEvents(pin, B, 'w1', calls(T + 100, 20, 10, 'a'));
  appendEvents(pin, B, 'w2', calls(T + 100, 20, 10, 'b'));
  c.cycleAt(T + 1_000, true);
  c.closeAt(T + 1_000);
  truncateSync(join(pin, 'log', `${B}-w1.seg`), 10);
  unlinkSync(join(pin, 'log', `${B}-w2.seg`));
  c = open(pin, T + 2_000);
  const h = c.healthAt(T + 2_000);
  t.same([h.counters.segmentsReset, h.counters.segmentsMissing], [1, 1]);
  t.same(h.recentProblems.map((p) => p.code).sort(), ['E_CHECKPOINT_PAST_END', 'E_SEGMENT_MISSING']);
  appendEvents(pin, B, 'w1', calls(T + 2_100, 5, 10, 'a'));
  c.cycleAt(T + 5_000, true);
  t.equal(c.store.counters.recordsCounted, 45, 'new records after the cut are read (the torn 10 bytes are skipped)');
  // A segment removed by someone else while being followed is counted too.
  appendEvents(pin, B + 10, 'w3', calls(T + 10_100, 5, 10, 'c'));
  c.cycleAt(T + 10_500, true);
  unlinkSync(join(pin, 'log', `${B + 10}-w3.seg`));
  c.cycleAt(T + 11_000, true);
  t.equal(c.store.counters.segmentsMissing, 2);
  t.ok(c.healthAt(T + 11_000).recentProblems.some((p) => p.code === 'E_SEGMENT_VANISHED'));
  c.closeAt(T + 11_000);
  t.equal(existsSync(join(pin, 'collector', 'checkpoint.json')), true);
});

t.test('a sealed segment that grows before its deletion is read again, not deleted; a recreated one is new', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T);
  const first = calls(T + 100, 10, 10, 'a');
  appendEvents(pin, B, 'w1', first);
  c.cycleAt(T + 12_000, false); // sealed and read to its end: done, but no checkpoint yet
  t.same(c.tailer.doneNames(), new Set([`${B}-w1.seg`]));
  const laggard: FlowEvent[] = [{ kind: PASS, tsMs: T + 9_900, name: 'a', count: 5 }];
  appendEvents(pin, B, 'w1', laggard); // a writer whose clock lags appends after the seal
  let r = c.checkpointAt(T + 12_100);
  t.same(r.deleted, [], 'grew since it was read: kept');
  t.same(logFiles(pin), [`${B}-w1.seg`]);
  r = c.checkpointAt(T + 12_200);
  t.same(r.deleted, []);
  const cyc = c.cycleAt(T + 12_300, true);
  t.same(cyc.deleted, [`${B}-w1.seg`], 'read to its new end, checkpointed, then deleted');
  t.equal(c.store.counters.recordsCounted, 11);
  // The same name written again after deletion is a new segment, read from 0.
  const again: FlowEvent[] = [{ kind: BLOCK, tsMs: T + 9_950, name: 'a', count: 2 }];
  appendEvents(pin, B, 'w1', again);
  c.cycleAt(T + 12_400, true);
  c.cycleAt(T + 12_500, true);
  t.equal(c.store.counters.recordsCounted, 12);
  t.same(logFiles(pin), []);
  t.same(withoutLines(metricSums(pin)), expectedSums([...first, ...laggard, ...again]), 'late records as extra lines: sums exact');
  c.closeAt(T + 13_000);
});

t.test('after a restart the minute windows are refilled from the metric log (resource and total nodes)', async (t) => {
  const pin = t.testdir();
  let c = open(pin, T);
  appendEvents(pin, B, 'w1', [...calls(T + 100, 30, 100, 'a'), { kind: BLOCK, tsMs: T + 4_500, name: 'b', count: 3 }]);
  c.cycleAt(T + 6_000, true); // seconds through B+3 sealed; B+4 still pending
  t.equal(c.store.lastSealedSec, B + 3);
  const at = T + 6_500;
  const before = c.resourceAt('a', at)!.node.minute;
  const beforeTotal = c.resourceAt('__total_inbound_traffic__', at)!.node.minute;
  const beforeB = c.resourceAt('b', at)!.node.minute;
  c.closeAt(T + 6_000);
  c = open(pin, T + 6_100);
  t.ok(c.restored.warmStartLines > 0);
  t.same(c.resourceAt('a', at)!.node.minute, before);
  t.same(c.resourceAt('__total_inbound_traffic__', at)!.node.minute, beforeTotal);
  t.same(c.resourceAt('b', at)!.node.minute, beforeB, 'pending second B+4 comes from the checkpoint');
  c.closeAt(T + 7_000);
});

t.test('a restart a minute or more after the last sealed second refills nothing: the resources of that minute are not tracked', async (t) => {
  const pin = t.testdir();
  let c = open(pin, T, { maxResources: 2 });
  appendEvents(pin, B, 'w1', [...calls(T + 100, 3, 10, 'old-a'), ...calls(T + 200, 3, 10, 'old-b')]);
  c.cycleAt(T + 4_000, true);
  t.equal(c.store.lastSealedSec, B + 1);
  c.closeAt(T + 4_000);
  // The lines are of second B: 59 s later it is still in the minute, refilled.
  c = open(pin, (B + 59) * 1000 + 500, { maxResources: 2 });
  t.same([c.restored.warmStartLines, c.resourceAt('old-a', (B + 59) * 1000 + 500)?.node.minute.pass], [3, 3], 'old-a, old-b and the total');
  c.closeAt((B + 59) * 1000 + 500);
  // A minute after it: nothing refilled, no place of the cap taken, new names counted.
  const laterMs = (B + 60) * 1000 + 500;
  c = open(pin, laterMs, { maxResources: 2 });
  t.equal(c.restored.warmStartLines, 0);
  t.same([c.resourceAt('old-a', laterMs), c.resourceAt('old-b', laterMs)], [undefined, undefined], 'not tracked');
  const bucket = Math.floor((B + 70) / 10) * 10;
  appendEvents(pin, bucket, 'w1', [...calls((B + 70) * 1000 + 100, 2, 10, 'new-a'), ...calls((B + 70) * 1000 + 200, 2, 10, 'new-b')]);
  c.cycleAt((B + 74) * 1000, true);
  t.same([c.store.counters.resourcesOverflow, c.resourceAt('new-a', (B + 74) * 1000)?.node.minute.pass, c.resourceAt('new-b', (B + 74) * 1000)?.node.minute.pass], [0, 2, 2], 'both new names have their place');
  c.closeAt((B + 75) * 1000);
});

t.test('the warm start reads an escaped metric-log name back as the known name it stands for: no ghost resource taking a place of the cap', async (t) => {
  // `a|b` is written `a_b` in the metric log. Read back as a new resource `a_b`, it took one of the
  // 2 places, and `a|b` itself then counted on the total only and lost its lines after the restart.
  const pin = t.testdir();
  mkdirSync(join(pin, 'collector'), { recursive: true });
  const known = (): string[] => ['a|b', 'c'];
  let c = open(pin, T, { maxResources: 2, knownNames: known });
  appendEvents(pin, B, 'w1', [...calls(T + 100, 3, 10, 'a|b'), ...calls(T + 200, 3, 10, 'c')]);
  c.cycleAt(T + 4_000, true);
  t.equal(c.store.lastSealedSec, B + 1);
  const at = T + 4_500;
  const before = c.resourceAt('a|b', at)!.node.minute;
  c.closeAt(T + 4_000);
  c = open(pin, T + 4_100, { maxResources: 2, knownNames: known });
  t.ok(c.restored.warmStartLines > 0);
  t.same(c.resourceAt('a|b', at)!.node.minute, before, 'the minute refilled under the name the filters write');
  t.equal(c.resourceAt('a_b', at), undefined, 'no resource a_b');
  appendEvents(pin, B + 10, 'w1', [...calls(T + 10_100, 2, 10, 'a|b'), ...calls(T + 10_200, 2, 10, 'c')]);
  c.cycleAt(T + 14_000, true);
  t.equal(c.store.counters.resourcesOverflow, 0, 'both resources have their place');
  const lines = metricSums(pin);
  t.same([lines.get(`${B + 10}|a_b`)?.pass, lines.get(`${B + 10}|c`)?.pass], [2, 2], 'and their lines after the restart');
  c.closeAt(T + 15_000);

  // Two known names that escape alike: their lines are left out of the warm start (cold windows), not mixed.
  const both = t.testdir();
  let d = open(both, T, { knownNames: () => ['x|y', 'x_y'] });
  appendEvents(both, B, 'w1', [...calls(T + 100, 3, 10, 'x|y'), ...calls(T + 200, 2, 10, 'x_y')]);
  d.cycleAt(T + 4_000, true);
  d.closeAt(T + 4_000);
  d = open(both, T + 4_100, { knownNames: () => ['x|y', 'x_y'] });
  t.same([d.resourceAt('x|y', at)?.node.minute.pass, d.resourceAt('x_y', at)?.node.minute.pass], [undefined, undefined], 'neither refilled');
  d.closeAt(T + 5_000);
});

t.test('segments deleted at the stop (after its checkpoint) are still counted in segmentsDeleted after the restart', async (t) => {
  const pin = t.testdir();
  let c = open(pin, T);
  appendEvents(pin, B, 'w1', calls(T + 100, 5, 100));
  c.cycleAt(T + 8_000, false); // read, not yet sealed as a bucket, no checkpoint
  t.same(logFiles(pin), [`${B}-w1.seg`]);
  c.closeAt(T + 12_500); // bucket B sealed: the stop's checkpoint records it consumed, then it is deleted
  t.same(logFiles(pin), [], 'deleted at the stop');
  t.equal(c.store.counters.segmentsDeleted, 1);
  c = open(pin, T + 13_000);
  t.equal(c.store.counters.segmentsDeleted, 1, 'and still counted after the restart (it was 0)');
  c.closeAt(T + 14_000);
  c = open(pin, T + 15_000);
  t.equal(c.store.counters.segmentsDeleted, 1, 'counted once: the last checkpoint no longer lists it');
  c.closeAt(T + 16_000);
});

t.test('segments deleted after a checkpoint, then a crash before the next one: counted in segmentsDeleted at the restart, once', async (t) => {
  const pin = t.testdir();
  let c = open(pin, T);
  appendEvents(pin, B, 'w1', calls(T + 100, 5, 100));
  appendEvents(pin, B, 'w2', calls(T + 200, 5, 100));
  c.cycleAt(T + 12_000, false);
  t.same(c.checkpointAt(T + 12_000).deleted, [`${B}-w1.seg`, `${B}-w2.seg`], 'recorded consumed, then deleted');
  t.equal(c.store.counters.segmentsDeleted, 2);
  c.metricLog.close(); // the process dies before its next checkpoint (which would have counted them)
  c = open(pin, T + 12_500);
  t.equal(c.store.counters.segmentsDeleted, 2, 'consumed in the checkpoint and gone: deleted');
  t.equal(c.store.counters.segmentsMissing, 0, 'not taken for segments lost before they were read');
  t.same(c.healthAt(T + 12_500).recentProblems.map((p) => p.code), []);
  c.closeAt(T + 13_000);
  c = open(pin, T + 14_000);
  t.equal(c.store.counters.segmentsDeleted, 2, 'and not again after the next restart');
  c.closeAt(T + 15_000);
});

t.test('a crash between deleting a consumed segment and the next checkpoint, then the name written again: read as new', async (t) => {
  const pin = t.testdir();
  let c = open(pin, T);
  const first = calls(T + 100, 10, 10, 'a');
  appendEvents(pin, B, 'w1', first);
  c.cycleAt(T + 12_000, false);
  const r = c.checkpointAt(T + 12_000); // records the segment as done, then deletes it
  t.same(r.deleted, [`${B}-w1.seg`]);
  c.metricLog.close(); // the process dies before its next checkpoint (which would forget the segment)
  const laggard: FlowEvent[] = [{ kind: BLOCK, tsMs: T + 9_990, name: 'a', count: 4 }];
  appendEvents(pin, B, 'w1', laggard); // same name again (the inode may well be reused too)
  c = open(pin, T + 12_500);
  t.equal(c.store.counters.segmentsReset, 1);
  t.equal(c.store.counters.segmentsDeleted, 1, 'the consumed file was deleted before the name came back');
  t.ok(c.healthAt(T + 12_500).recentProblems.some((p) => p.code === 'E_SEGMENT_REPLACED'));
  c.cycleAt(T + 13_000, true);
  c.cycleAt(T + 13_100, true);
  t.equal(c.store.counters.recordsCounted, 11);
  t.same(logFiles(pin), []);
  t.same(withoutLines(metricSums(pin)), expectedSums([...first, ...laggard]));
  c.closeAt(T + 14_000);
});

t.test('with a columns tap, fast-path frames reach the store and the tap as columns; a record tap alone sees every record', async (t) => {
  const events = [...calls(T + 100, 30, 50, 'a'), ...calls(T + 200, 20, 50, 'b')];
  const root = t.testdir();
  const run = (withColumns: boolean): { columnRecords: number; records: number; resources: string[]; counted: number; countsColumns: boolean } => {
    const pin = join(root, withColumns ? 'columns' : 'records');
    const out = { columnRecords: 0, records: 0, resources: [] as string[], counted: 0, countsColumns: false };
    const taps: Partial<CollectorOptions> = { onRecord: () => void out.records++, onResource: (name) => void out.resources.push(name) };
    if (withColumns) taps.onColumns = (cols): void => void (out.columnRecords += cols.accepted);
    const c = open(pin, T, taps);
    appendEvents(pin, B, 'w1', events, 256);
    c.cycleAt(T + 1000, true);
    out.counted = c.store.counters.recordsCounted;
    out.countsColumns = c.store.countsColumns;
    return out;
  };
  t.same(run(true), { columnRecords: 50, records: 0, resources: ['a', 'b'], counted: 50, countsColumns: true });
  t.same(run(false), { columnRecords: 0, records: 50, resources: ['a', 'b'], counted: 50, countsColumns: false });
});

t.test('records the store drops or cannot place on a node are reported as problems, each counter at most once per 10 s', async (t) => {
  const pin = t.testdir();
  const c = open(pin, T, { maxResources: 3, maxOriginNodes: 1 });
  const problems = (): string[] => c.healthAt(0).recentProblems.map((p) => `${p.code}: ${p.message}`);
  appendEvents(pin, B, 'w1', [
    ...['a', 'b', 'c', 'd', 'e'].map((name, i): FlowEvent => ({ kind: CALL, tsMs: T + 1_000 + i, name, rtMs: 4, error: false })),
    { kind: PASS, tsMs: T + 1_010, name: 'a', origin: 'o1' },
    { kind: PASS, tsMs: T + 1_011, name: 'a', origin: 'o2' },
    { kind: BLOCK, tsMs: T + 200_000, name: 'a' },
  ]);
  c.cycleAt(T + 5_000, true);
  t.same(problems(), [
    'E_RESOURCES_OVERFLOW: 2 records of resources beyond the 3 the collector keeps (--max-resources) counted on the total node only (no resource node or metric-log line of their own); raise --max-resources',
    'E_ORIGINS_OVERFLOW: 1 record from origins beyond the 1 origin nodes kept counted on their resource only',
    "E_RECORDS_FUTURE: 1 record stamped more than 60 s after the collector's clock dropped (is a writer's clock ahead?)",
  ]);
  // A record too old for the sealed seconds, and two more beyond the resource cap 3 s later.
  appendEvents(pin, B, 'w2', [
    { kind: PASS, tsMs: T - 61_000, name: 'a' },
    { kind: PASS, tsMs: T + 7_000, name: 'f' },
    { kind: PASS, tsMs: T + 7_001, name: 'g' },
  ]);
  c.cycleAt(T + 8_000, true);
  t.same(problems().slice(3), ['E_RECORDS_LATE_DROPPED: 1 record too old to count dropped (more than 60 s behind the newest second in the metric log, or, before the first second is sealed, more than 1 h old)'], 'the overflow waits for its 10 s');
  c.cycleAt(T + 15_000, true);
  t.same(problems().slice(4), ['E_RESOURCES_OVERFLOW: 2 records of resources beyond the 3 the collector keeps (--max-resources) counted on the total node only (no resource node or metric-log line of their own); raise --max-resources']);
  t.same([c.store.counters.resourcesOverflow, c.store.counters.originsOverflow, c.store.counters.recordsFuture, c.store.counters.recordsLateDropped], [4, 1, 1, 1]);
  c.closeAt(T + 16_000);
  // After a restart the counts restored from the checkpoint are not reported again.
  const again = open(pin, T + 17_000, { maxResources: 3, maxOriginNodes: 1 });
  again.cycleAt(T + 30_000, true);
  t.same(again.healthAt(0).recentProblems.filter((p) => p.code.startsWith('E_RESOURCES') || p.code.startsWith('E_RECORDS') || p.code.startsWith('E_ORIGINS')), []);
  t.equal(again.store.counters.resourcesOverflow, 4, 'the count itself is kept');
  again.closeAt(T + 31_000);
});

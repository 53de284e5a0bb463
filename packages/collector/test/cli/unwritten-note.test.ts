// What `stats`, `top` and `metric` say a stopped collector has not yet written: the seconds its
// checkpoint holds (pending seconds apart from late lines of seconds already in the log; spans
// that are not consecutive not written as "A to B"; with --resource, only that resource's rows),
// and the bytes of the segments in <pin>/log past the checkpoint's offsets (a SIGKILL between a
// read and a checkpoint, or records never read): exact notes for known checkpoints and files.
process.env.TZ = 'UTC';
import t from 'tap';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePinHeader, segmentName } from '@sentinel-wasi/protocol';
import { formatFatLine, metricLogBaseName } from '../../src/metriclog/line.js';
import { line, writeMetricFile } from '../metriclog-read/fixture.js';
import { runCli } from './run-cli.js';

const T = 1764120000000; // 2025-11-26 01:20:00 UTC, a bucket's start
const SEC = T / 1000;
const root = mkdtempSync(join(tmpdir(), 'sw-unwritten-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const base = metricLogBaseName('demo.app');
const AGAIN = 'its checkpoint holds them, and they are written when the collector starts again';

function makePin(name: string, withLog = true): string {
  const pin = join(root, name);
  mkdirSync(join(pin, 'collector', 'metrics'), { recursive: true });
  mkdirSync(join(pin, 'log'));
  writeFileSync(join(pin, 'PIN'), JSON.stringify(makePinHeader('demo.app')));
  if (withLog) writeMetricFile(join(pin, 'collector', 'metrics'), `${base}.2025-11-26`, [line(T, 'a', 3, { rtMs: 10 }), line(T, 'GET /a_b', 1)]);
  return pin;
}

type Row = [string, number, number, number, number, number];
function checkpoint(pin: string, fields: { pending?: Array<{ sec: number; rows: Row[] }>; late?: Array<{ sec: number; rows: Row[] }>; segments?: unknown[] }): void {
  const store = { lastSealedSec: SEC, pending: fields.pending ?? [], late: fields.late ?? [] };
  writeFileSync(join(pin, 'collector', 'checkpoint.json'), JSON.stringify({ version: 1, atMs: T + 5000, segments: fields.segments ?? [], metricLog: null, store }));
}

/** A segment file of `bytes` bytes (contents do not matter: the note only stats); returns its name and inode. */
function segment(pin: string, writer: string, bytes: number, bucketSec = SEC): { name: string; ino: number } {
  const name = segmentName(bucketSec, writer);
  writeFileSync(join(pin, 'log', name), Buffer.alloc(bytes, 0x2a));
  return { name, ino: statSync(join(pin, 'log', name)).ino };
}

const row = (name: string): Row => [name, 1, 0, 1, 0, 2];

t.test('killed after reading 32 of a segment’s 70 bytes, nothing pending: the 38 bytes not yet read are named', async (t) => {
  const pin = makePin('killed');
  const seg = segment(pin, 'w1', 70);
  checkpoint(pin, { segments: [{ name: seg.name, ino: seg.ino, offsetBytes: 32, done: false }] });
  const note = `the collector stopped with 38 bytes of records in ${join(pin, 'log')} not yet read: it reads them when it starts again`;
  const stats = await runCli('stats', '--pin', pin);
  t.same([stats.code, stats.stderr], [0, `sentinel-wasi stats: ${note}\n`]);
  const top = await runCli('top', '--pin', pin, '--once');
  t.same([top.code, top.stderr], [0, `sentinel-wasi top: ${note}\n`]);
  const metric = await runCli('metric', '--pin', pin, '--from', String(T));
  t.same([metric.code, metric.stderr], [0, `sentinel-wasi metric: ${note}\n`]);
});

t.test('what counts as unread: unlisted segments from 0, another inode from 0; links, other names, shrunk and read-out files not at all', async (t) => {
  const pin = makePin('segments');
  const kept = segment(pin, 'w1', 70); // 38 past its offset
  segment(pin, 'w2', 20); // not in the checkpoint: 20
  const replaced = segment(pin, 'w3', 15); // listed under another inode: 15
  const shrunk = segment(pin, 'w4', 10); // shorter than its offset: 0
  const done = segment(pin, 'w5', 40); // read to its end: 0
  writeFileSync(join(pin, 'log', 'notes.txt'), 'x'.repeat(1000)); // not a segment's name
  writeFileSync(join(root, 'outside.seg'), 'x'.repeat(5000));
  symlinkSync(join(root, 'outside.seg'), join(pin, 'log', segmentName(SEC, 'link'))); // skipped by the collector too
  checkpoint(pin, {
    segments: [
      { name: kept.name, ino: kept.ino, offsetBytes: 32, done: false },
      { name: replaced.name, ino: replaced.ino + 1_000_000, offsetBytes: 15, done: false },
      { name: shrunk.name, ino: shrunk.ino, offsetBytes: 30, done: false },
      { name: done.name, ino: done.ino, offsetBytes: 40, done: true },
      { name: segmentName(SEC - 10, 'gone'), ino: 1, offsetBytes: 7, done: true },
    ],
  });
  const r = await runCli('stats', '--pin', pin);
  t.equal(r.stderr, `sentinel-wasi stats: the collector stopped with 73 bytes of records in ${join(pin, 'log')} not yet read: it reads them when it starts again\n`);
});

t.test('seconds and bytes together; late lines apart; a span that is not consecutive says "between"', async (t) => {
  const pin = makePin('both');
  const seg = segment(pin, 'w1', 70);
  const segments = [{ name: seg.name, ino: seg.ino, offsetBytes: 32, done: false }];
  checkpoint(pin, { pending: [{ sec: SEC + 1, rows: [row('a')] }], segments });
  t.equal(
    (await runCli('stats', '--pin', pin)).stderr,
    `sentinel-wasi stats: the collector stopped with 1 second not yet in the metric log (2025-11-26 01:20:01): its checkpoint holds it, and it is written when the collector starts again; and with 38 bytes of records in ${join(pin, 'log')} not yet read: it reads them when it starts again\n`,
  );
  rmSync(join(pin, 'log', seg.name)); // consumed and deleted: only seconds from here on
  checkpoint(pin, { pending: [{ sec: SEC + 1, rows: [row('a')] }, { sec: SEC + 3, rows: [row('a')] }, { sec: SEC + 4, rows: [row('b')] }] });
  t.equal((await runCli('stats', '--pin', pin)).stderr, `sentinel-wasi stats: the collector stopped with 3 seconds not yet in the metric log (between 2025-11-26 01:20:01 and 2025-11-26 01:20:04): ${AGAIN}\n`);
  checkpoint(pin, { late: [{ sec: SEC - 1, rows: [row('a')] }, { sec: SEC, rows: [row('a')] }] });
  t.equal((await runCli('stats', '--pin', pin)).stderr, `sentinel-wasi stats: the collector stopped with late lines of 2 seconds not yet in the metric log (2025-11-26 01:19:59 to 2025-11-26 01:20:00): ${AGAIN}\n`);
  checkpoint(pin, { pending: [{ sec: SEC + 1, rows: [row('a')] }], late: [{ sec: SEC, rows: [row('a')] }] });
  t.equal(
    (await runCli('stats', '--pin', pin)).stderr,
    `sentinel-wasi stats: the collector stopped with 1 second (2025-11-26 01:20:01) and late lines of 1 second (2025-11-26 01:20:00) not yet in the metric log: ${AGAIN}\n`,
  );
});

t.test('stats --resource and metric --resource name only the seconds with rows of that resource (compared escaped)', async (t) => {
  const pin = makePin('one');
  checkpoint(pin, {
    pending: [{ sec: SEC + 1, rows: [row('a')] }, { sec: SEC + 2, rows: [row('b')] }, { sec: SEC + 3, rows: [row('GET /a|b'), row('b')] }],
  });
  const one = await runCli('stats', '--pin', pin, '--resource', 'a');
  t.same([one.code, one.stderr], [0, 'sentinel-wasi stats: the collector stopped with 1 second not yet in the metric log (2025-11-26 01:20:01): its checkpoint holds it, and it is written when the collector starts again\n']);
  const escaped = await runCli('stats', '--pin', pin, '--resource', 'GET /a_b');
  t.same([escaped.code, escaped.stderr], [0, 'sentinel-wasi stats: the collector stopped with 1 second not yet in the metric log (2025-11-26 01:20:03): its checkpoint holds it, and it is written when the collector starts again\n'], '"GET /a|b" is written as "GET /a_b"');
  const metric = await runCli('metric', '--pin', pin, '--from', String(T), '--to', String(T + 10_000), '--resource', 'b');
  t.equal(metric.stderr, `sentinel-wasi metric: no lines between 2025-11-26 01:20:00 and 2025-11-26 01:20:10 for "b"\nsentinel-wasi metric: the collector stopped with 2 seconds not yet in the metric log (2025-11-26 01:20:02 to 2025-11-26 01:20:03): ${AGAIN}\n`);
  checkpoint(pin, { pending: [{ sec: SEC + 2, rows: [row('b')] }] });
  t.equal((await runCli('stats', '--pin', pin, '--resource', 'a')).stderr, '', 'no second of that resource: no note');
});

t.test('metric: segments written to only before --from are not named', async (t) => {
  const pin = makePin('range');
  segment(pin, 'w1', 70); // bucket 01:20:00: written to until 01:20:13 at the latest
  checkpoint(pin, {});
  const note = `sentinel-wasi metric: the collector stopped with 70 bytes of records in ${join(pin, 'log')} not yet read: it reads them when it starts again\n`;
  t.equal((await runCli('metric', '--pin', pin, '--from', String(T + 13_000), '--to', String(T + 20_000))).stderr.endsWith(note), true, 'its records may still be of 01:20:13');
  t.equal((await runCli('metric', '--pin', pin, '--from', String(T + 14_000), '--to', String(T + 20_000))).stderr.includes('bytes'), false);
});

t.test('no checkpoint yet: all the bytes of the segments are named, in E_NO_DATA too', async (t) => {
  const pin = makePin('never', false);
  segment(pin, 'w1', 70);
  const r = await runCli('stats', '--pin', pin);
  t.same(
    [r.code, r.stdout, r.stderr],
    [1, '', `sentinel-wasi stats: no collector runs for ${pin} and its metric log (${join(pin, 'collector', 'metrics')}) is empty; no checkpoint yet: the collector reads the 70 bytes of records in ${join(pin, 'log')} when it starts (E_NO_DATA)\n`],
  );
  rmSync(join(pin, 'log'), { recursive: true });
  t.equal((await runCli('stats', '--pin', pin)).stderr, `sentinel-wasi stats: no collector runs for ${pin} and its metric log (${join(pin, 'collector', 'metrics')}) is empty (E_NO_DATA)\n`, 'no log directory: nothing to name');
});

t.test('killed after writing a sealed second but before checkpointing it: that second is in the log, not named', async (t) => {
  const pin = makePin('past-checkpoint');
  const file = join(pin, 'collector', 'metrics', `${base}.2025-11-26`);
  const sizeBytes = statSync(file).size;
  appendFileSync(file, formatFatLine(line(T + 1000, 'a', 2, { rtMs: 4 }))); // sealed and written, then SIGKILL
  const store = { lastSealedSec: SEC, pending: [{ sec: SEC + 1, rows: [row('a')] }, { sec: SEC + 2, rows: [row('a')] }], late: [] };
  writeFileSync(join(pin, 'collector', 'checkpoint.json'), JSON.stringify({ version: 1, atMs: T + 1500, segments: [], metricLog: { file: `${base}.2025-11-26`, sizeBytes, idxBytes: 0 }, store }));
  const r = await runCli('stats', '--pin', pin);
  t.equal(r.stderr, 'sentinel-wasi stats: the collector stopped with 1 second not yet in the metric log (2025-11-26 01:20:02): its checkpoint holds it, and it is written when the collector starts again\n');
});

// The replay component, run for real (jco transpile + preview2-shim): exact records for a known
// input, bad lines reported by number, the writer id, and a missing pin that drops and counts.

import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordKind, bucketSecOf, segmentName, type FlowEvent } from '@sentinel-wasi/protocol';
import { buildExamples, readSegments, runCommand, REPO } from '../../../packages/filter/test/component-runner.js';
import { LineSplitter, MAX_LINE_BYTES, parseLine } from '../src/lines.js';

const WASM = join(REPO, 'examples', 'replay', 'dist', 'replay.wasm');
const T0 = 1_764_120_000_000;
const NAMES = ['GET /', 'POST /api/orders', '资源-订单', 'emoji-🚀-route', 'k'.repeat(40)];

buildExamples('replay');

function pin(): string {
  return mkdtempSync(join(tmpdir(), 'sw-replay-'));
}

t.test('every good line becomes exactly one record; bad lines are reported by number', async (t) => {
  const lines: string[] = [];
  const expected: FlowEvent[] = [];
  const badAt: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const lineNo = lines.length + 1;
    if (i % 250 === 7) {
      lines.push(`${T0 + i}\tbroken\tnot-a-number\tok`);
      badAt.push(lineNo);
      continue;
    }
    const name = NAMES[i % NAMES.length]!;
    const origin = i % 5 === 0 ? `app-${i % 3}` : undefined;
    const outcome = i % 10 === 9 ? 'block' : i % 10 === 8 ? 'error' : 'ok';
    const ts = T0 + i * 3;
    lines.push([String(ts), name, String(i % 97), outcome, ...(origin ? [origin] : [])].join('\t'));
    const o = origin ? { origin } : {};
    if (outcome === 'block') expected.push({ kind: RecordKind.BLOCK, tsMs: ts, name, count: 1, ...o });
    else expected.push({ kind: RecordKind.CALL, tsMs: ts, name, rtMs: i % 97, error: outcome === 'error', ...o });
  }
  lines.push('', '# a comment', 'GET /\t1\tok'); // blank and comment skipped; 3 fields is bad
  badAt.push(lines.length);
  const dir = pin();
  const r = runCommand(WASM, dir, [], lines.join('\n') + '\n');
  t.equal(r.status, 0, r.stderr);
  const reported = [...r.stderr.matchAll(/^replay: line (\d+): /gm)].map((m) => Number(m[1]));
  t.same(reported, badAt);
  t.match(r.stderr, `replay: ${lines.length} lines, ${expected.length} records, ${badAt.length} bad lines`);
  t.match(r.stderr, / 0 records dropped/);
  // A frame goes to the segment of its write's 10 s bucket: a run that crosses a bucket's end
  // (this one takes seconds) writes its later frames to the next bucket's segment.
  const segments = [...readSegments(dir)];
  t.ok(segments.length === 1 || segments.length === 2, `${segments.length} segment(s)`);
  for (const [file] of segments) t.match(file, /^\d+-shared\.seg$/);
  if (segments.length === 2) t.equal(Number(segments[1]![0].split('-')[0]) - Number(segments[0]![0].split('-')[0]), 10, 'consecutive buckets');
  t.same(segments.flatMap(([, d]) => d.events), expected, 'the records, in order, exactly');
  t.same(segments.map(([, d]) => [d.skipped, d.rejected]), segments.map(() => [0, 0]));
  const frames = segments.reduce((n, [, d]) => n + d.frames, 0);
  t.ok(frames > 1, `several frames (${frames})`);
});

t.test('only the first 100 bad lines are reported one by one (stderr over 4096 bytes stays intact)', async (t) => {
  const lines = Array.from({ length: 150 }, (_, i) => `${T0}\tresource-${i}\tnot-a-number-${'x'.repeat(40)}\tok`);
  const r = runCommand(WASM, pin(), [], lines.join('\n'));
  t.equal(r.status, 0);
  const reported = r.stderr.split('\n').filter((l) => l.startsWith('replay: line '));
  t.same(reported.map((l) => Number(/line (\d+):/.exec(l)![1])), Array.from({ length: 100 }, (_, i) => i + 1));
  for (const l of reported) t.match(l, /^replay: line \d+: bad rtMs "not-a-number-x{40}" \(a non-negative number\)$/);
  t.ok(r.stderr.length > 4096);
  t.match(r.stderr, /replay: 150 lines, 0 records, 150 bad lines, 0 frames written, 0 records dropped\n$/);
});

t.test('"-" stamps a line with the time of the run; --writer names the segment', async (t) => {
  const dir = pin();
  const before = Date.now();
  const r = runCommand(WASM, dir, ['--writer', 'edge-7'], '-\tGET /now\t5\terror\n-\tGET /now\t1\tblock\n');
  const after = Date.now();
  t.equal(r.status, 0, r.stderr);
  const segments = readSegments(dir);
  const [file, decoded] = [...segments][0]!;
  t.ok(file.endsWith('-edge-7.seg'));
  const bucket = Number(file.split('-')[0]);
  // preview2-shim 0.26.0's wall clock reads Date.now() twice (seconds, then the sub-second part),
  // so a read that straddles a second boundary comes out up to 1 s early: allow for it.
  const slackMs = 1000;
  t.ok(bucket >= bucketSecOf(before - slackMs) && bucket <= bucketSecOf(after), 'segment named by the write time');
  t.same(decoded.events.map((e) => [e.kind, e.name]), [[RecordKind.CALL, 'GET /now'], [RecordKind.BLOCK, 'GET /now']]);
  for (const e of decoded.events) t.ok(e.tsMs >= before - slackMs && e.tsMs <= after + 1, `stamped with the time of the run (${e.tsMs - before} ms after the start)`);
  t.equal(segmentName(bucket, 'edge-7'), file);
});

t.test('a missing pin never crashes the run: records are dropped and counted', async (t) => {
  const r = runCommand(WASM, null, [], `${T0}\ta\t1\tok\n${T0}\tb\t2\tblock\n`);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /replay: 2 lines, 2 records, 0 bad lines, 0 frames written, 2 records dropped/);
});

t.test('--pin names the preopen to use: /pin/ is /pin; another path finds no pin and drops', async (t) => {
  const dir = pin();
  const line = `${T0}\ta\t1\tok\n`;
  const same = runCommand(WASM, dir, ['--pin', '/pin/'], line);
  t.match(same.stderr, /1 records, 0 bad lines, 1 frames written, 0 records dropped/);
  const other = runCommand(WASM, dir, ['--pin', '/data'], line);
  t.match(other.stderr, /1 records, 0 bad lines, 0 frames written, 1 records dropped/);
  t.same([...readSegments(dir).values()].map((d) => d.events.length), [1]);
});

t.test('a pin whose log/ cannot be used (a file, not a directory) drops and counts, exit 0', async (t) => {
  const dir = pin();
  writeFileSync(join(dir, 'log'), 'not a directory');
  const r = runCommand(WASM, dir, [], `${T0}\ta\t1\tok\n${T0}\tb\t2\terror\n${T0}\tc\t0\tblock\n`);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /3 records, 0 bad lines, 0 frames written, 3 records dropped/);
});

t.test('bad arguments are refused with a usage message', async (t) => {
  const dir = pin();
  for (const [args, pattern] of [
    [['--writer', 'Not Valid'], /writer must match/],
    [['--writer'], /--writer needs a value/],
    [['--speed', '2'], /unknown argument "--speed"/],
  ] as const) {
    const r = runCommand(WASM, dir, [...args], '');
    t.equal(r.status, 1);
    t.match(r.stderr, pattern);
  }
  t.equal(readSegments(dir).size, 0);
});

t.test('line parsing (unit)', async (t) => {
  t.same(parseLine('12\tGET /\t3.6\tok\r'), { ok: true, line: { tsMs: 12, resource: 'GET /', rtMs: 4, outcome: 'ok', origin: undefined } });
  t.same(parseLine('-\tx\t0\tblock\to'), { ok: true, line: { tsMs: null, resource: 'x', rtMs: 0, outcome: 'block', origin: 'o' } });
  t.same(parseLine('   '), { ok: 'skip' });
  t.match(parseLine('1.5\tx\t0\tok'), { ok: false, reason: /bad tsMs/ });
  t.match(parseLine('1\t\t0\tok'), { ok: false, reason: /empty resource/ });
  t.match(parseLine('1\tx\t-1\tok'), { ok: false, reason: /bad rtMs/ });
  t.match(parseLine('1\tx\t0\tfine'), { ok: false, reason: /bad outcome "fine"/ });
  t.match(parseLine('1\tx\t0\tok\t'), { ok: false, reason: /empty origin/ });
  t.match(parseLine('1\tx\t0\tok\to\textra'), { ok: false, reason: /got 6/ });
  t.match(parseLine(`1\t${'x'.repeat(1025)}\t0\tok`), { ok: false, reason: /longer than 1024/ });

  const got: Array<string | null> = [];
  const s = new LineSplitter();
  const enc = (x: string): Uint8Array => new TextEncoder().encode(x);
  const onLine = (b: Uint8Array | null): void => void got.push(b === null ? null : new TextDecoder().decode(b));
  s.push(enc('a\nb'), onLine);
  s.push(enc('c\n' + 'z'.repeat(MAX_LINE_BYTES + 10)), onLine);
  s.push(enc('zz\nlast'), onLine);
  s.end(onLine);
  t.same(got, ['a', 'bc', null, 'last']);
});

// entry() decides with the collector's verdict from the resource map (in-memory host): PASS
// records PASS; BLOCK records BLOCK and returns a blocked entry whose exit() is a no-op; ADMIT p
// admits by error diffusion from one injected draw per key (admission.ts); an origin's verdict
// combines with the resource's (the credit of the verdict applied); a stale map fails open.

import t from 'tap';
import { mapEpochOf, mapKeyOf, RecordKind, VerdictKind, bucketSecOf, segmentName, type VerdictKind as Kind } from '@sentinel-wasi/protocol/encode';
import { Sentinel } from '../src/sentinel.js';
import { decodeSegment, MemoryHost, T0, writeMap } from './fake-host.js';

const SEG0 = segmentName(bucketSecOf(T0), 'shared');

/** Each call a new epoch, so that the ids of one test's map never stand for another's names. */
let epochs = 0;
function mapOf(verdicts: Record<string, [Kind, number]>, refreshMs: number): Uint8Array {
  return writeMap(verdicts, refreshMs, mapEpochOf(T0, () => 0.5) + ++epochs);
}

t.test('PASS, BLOCK and ADMIT verdicts decide entries; a blocked entry records BLOCK and its exit() does nothing', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf({ open: [VerdictKind.PASS, 0], closed: [VerdictKind.BLOCK, T0 + 5000], half: [VerdictKind.ADMIT, 0.5] }, T0));
  const draws = [0.49];
  const s = new Sentinel(host, { random: () => draws.shift()!, verdictCacheMs: 0 });
  const a = s.entry('open');
  t.equal(a.blocked, false);
  a.exit();
  const b = s.entry('closed');
  t.equal(b.blocked, true);
  t.same(b.verdict, { kind: 'block', untilMs: T0 + 5000 });
  t.equal(b.exit(), 0, 'exit of a blocked entry is a no-op');
  t.equal(b.exit(), 0, 'and may be called again');
  const got = [s.entry('half'), s.entry('half'), s.entry('half'), s.entry('half')].map((e) => e.blocked);
  t.same(got, [true, false, true, false], 'credit 0.49: + 0.5 = 0.99 no, 1.49 admitted (0.49 left), 0.99 no, 1.49 admitted');
  t.equal(draws.length, 0, 'one draw for the ADMIT resource, none for PASS or BLOCK');
  t.equal(s.stats().entriesBlocked, 3);
  t.equal(s.stats().openEntries, 2, 'the two admitted half entries are open');
  s.flush();
  const kinds = decodeSegment(host.bytesOf(SEG0)).events.map((e) => `${e.kind === RecordKind.PASS ? 'PASS' : e.kind === RecordKind.BLOCK ? 'BLOCK' : 'EXIT'} ${e.name}`);
  t.same(kinds, ['PASS open', 'EXIT open', 'BLOCK closed', 'BLOCK half', 'PASS half', 'BLOCK half', 'PASS half']);
  t.equal(host.reads.filter(([p, , len]) => p === 'map' && len === 192).length, 6, 'one positioned window read per entry');
});

t.test('a BLOCK holds past its untilMs while the slot is fresh, and a stale map fails open', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf({ closed: [VerdictKind.BLOCK, T0 + 100] }, T0));
  const s = new Sentinel(host, { random: () => 0 });
  host.clockMs = T0 + 2000;
  t.equal(s.entry('closed').blocked, true, 'untilMs passed, the collector has not rewritten the slot: still blocked');
  host.clockMs = T0 + 3001;
  t.equal(s.entry('closed').blocked, false, 'the collector stopped refreshing: fail open');
  t.equal(s.stats().map!.stale, 1);
});

t.test('an origin verdict combines with the resource verdict: the most restrictive applies, with its own credit', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf({ r: [VerdictKind.ADMIT, 0.8], [mapKeyOf('r', 'app-a')]: [VerdictKind.ADMIT, 0.2], [mapKeyOf('r', 'app-b')]: [VerdictKind.BLOCK, T0 + 1000] }, T0));
  const draws: string[] = [];
  let draw = 0.5;
  const s = new Sentinel(host, {
    random: () => {
      draws.push(String(draw));
      return draw;
    },
  });
  t.equal(s.entry('r').blocked, false, 'r: 0.5 + 0.8 = 1.3 admitted (0.3 left)');
  t.equal(s.entry('r', { origin: 'app-a' }).blocked, true, 'r|app-a (the origin\'s ratio applies): 0.5 + 0.2 = 0.7');
  draw = 0.1;
  t.equal(s.entry('r', { origin: 'app-a' }).blocked, true, 'its own credit: 0.9');
  t.equal(s.entry('r', { origin: 'app-a' }).blocked, false, '1.1 admitted');
  t.equal(s.entry('r', { origin: 'app-b' }).blocked, true, 'origin blocked');
  t.equal(s.entry('r', { origin: 'app-c' }).blocked, false, 'an origin without a verdict has the resource\'s ratio and credit: 0.3 + 0.8 = 1.1');
  t.same(draws, ['0.5', '0.5'], 'one draw per key: r and r|app-a');
  t.same(s.verdict('r', 'app-a'), { kind: 'admit', ratio: 0.2 });
  t.same(s.verdict('r'), { kind: 'admit', ratio: 0.8 });
});

t.test('an admitted entry of a resource under a rule (a fresh slot) is written at once; an unruled one waits for its exit', async (t) => {
  const host = new MemoryHost();
  // `ruled` has a fresh slot (the collector refreshes the slots of resources under a rule every
  // tick); `plain` only an idle one (a PASS written once, 4 s ago: no rule).
  const epoch = mapEpochOf(T0, () => 0.5) + ++epochs;
  const map = writeMap({ ruled: [VerdictKind.PASS, 0] }, T0, epoch);
  const idle = writeMap({ plain: [VerdictKind.PASS, 0] }, T0 - 4000, epoch + 1000);
  host.files.set('map', map);
  const s = new Sentinel(host);
  const a = s.entry('ruled');
  t.equal(host.attempts.length, 1, 'the PASS went out with the entry: the collector sees it in flight');
  t.equal(s.stats().recordsBuffered, 0);
  host.clockMs += 7;
  t.equal(a.exit(), 7);
  t.equal(host.attempts.length, 2, 'the EXIT at the end of the request');
  const kinds = decodeSegment(host.bytesOf(SEG0)).events.map((e) => e.kind);
  t.same(kinds, [RecordKind.PASS, RecordKind.EXIT]);

  const other = new MemoryHost();
  other.files.set('map', idle);
  const u = new Sentinel(other);
  const b = u.entry('plain');
  t.equal(other.attempts.length, 0, 'no rule: the PASS waits in the buffer');
  b.exit();
  t.equal(other.attempts.length, 1, 'PASS and EXIT in one frame at the end of the request');

  const batching = new MemoryHost();
  batching.files.set('map', map);
  const off = new Sentinel(batching, { flushOnIdle: false });
  off.entry('ruled');
  t.equal(batching.attempts.length, 0, 'flushOnIdle: false leaves every write to the filter');
});

t.test('an entry starts after the map read it needed (the first one opens the map), not before it', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf({ r: [VerdictKind.PASS, 0] }, T0));
  // Opening the map takes 15 ms on this host's clock.
  const open = host.openPinFile.bind(host);
  host.openPinFile = (path) => {
    host.clockMs += 15;
    return open(path);
  };
  const s = new Sentinel(host);
  const e = s.entry('r');
  t.equal(e.startMs, T0 + 15, 'the entry starts when the read is done');
  host.clockMs += 2;
  t.equal(e.exit(), 2, 'its RT leaves the filter\'s own map read out');
  const second = s.entry('r');
  t.equal(second.startMs, T0 + 17, 'a verdict answered from the cache: one clock read');
  t.equal(second.exit(), 0);
});

t.test('the host\'s random source starts admission credits when no `random` option is given', async (t) => {
  const host = new MemoryHost();
  host.files.set('map', mapOf({ half: [VerdictKind.ADMIT, 0.5] }, T0));
  const drawn: number[] = [];
  // A method that needs its host (`this`): the recorder calls it bound.
  class DrawingHost extends MemoryHost {
    readonly draw = 0.6;
    random(): number {
      drawn.push(this.draw);
      return this.draw;
    }
  }
  const drawing = new DrawingHost();
  drawing.files.set('map', host.files.get('map')!);
  const s = new Sentinel(drawing);
  t.same([s.entry('half'), s.entry('half'), s.entry('half')].map((e) => e.blocked), [false, true, false], 'credit 0.6: 1.1 admitted, 0.6, 1.1 admitted');
  t.same(drawn, [0.6], 'one draw, from the host');
});

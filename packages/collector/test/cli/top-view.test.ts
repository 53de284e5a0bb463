// top's frame: cutting by display width (CJK = 2 columns) with an ellipsis, sort keys, figure
// columns left out on a narrow terminal, and no line wider than the terminal.
import t from 'tap';
import { nextSortKey, sortRows, SORT_KEYS, topFrame } from '../../src/client/top-view.js';
import { truncateMiddle, truncateToWidth } from '../../src/client/fit-names.js';
import { displayWidth } from '../../src/client/table.js';
import type { FigureRow, LiveView } from '../../src/client/live-view.js';

function row(name: string, f: Partial<FigureRow> = {}): FigureRow {
  return { name, passQps: 0, blockQps: 0, successQps: 0, exceptionQps: 0, avgRtMs: 0, concurrency: 0, minutePass: 0, minuteBlock: 0, minuteException: 0, ...f };
}

t.test('truncateMiddle keeps a name\'s start and end (a hash that tells long names apart)', async (t) => {
  // 24 columns: 8 of the end (a third), the ellipsis, 15 of the start.
  t.equal(truncateMiddle('GET /' + 'a'.repeat(240) + '~8df9ce2e', 24), 'GET /aaaaaaaaaa…8df9ce2e');
  t.equal(truncateMiddle('GET /' + 'a'.repeat(240) + '~8ef9cfc1', 24), 'GET /aaaaaaaaaa…8ef9cfc1');
  t.equal(truncateMiddle('GET /' + 'a'.repeat(240) + '~8df9ce2e', 40), 'GET /' + 'a'.repeat(24) + '…a~8df9ce2e', 'at most 10 columns of the end');
  t.equal(truncateMiddle('short', 24), 'short', 'a name that fits is as it is');
  t.equal(truncateMiddle('订单'.repeat(20), 12), '订单订…订单', 'by display width, whole characters');
  t.equal(truncateMiddle('abcdef', 2), 'a…', 'no room for an end: a prefix');
  for (const w of [3, 8, 13, 24, 40]) t.ok(displayWidth(truncateMiddle('名前x'.repeat(40), w)) <= w, `within ${w} columns`);
});

t.test('truncateToWidth counts CJK as two columns and never splits a code point', async (t) => {
  t.equal(truncateToWidth('订单', 4), '订单');
  t.equal(truncateToWidth('订单x', 4), '订…');
  t.equal(truncateToWidth('订单', 3), '订…');
  t.equal(truncateToWidth('订单', 2), '…');
  t.equal(truncateToWidth('abcdef', 4), 'abc…');
  t.equal(truncateToWidth('a😀b', 3), 'a…', 'a wide emoji does not fit in 1 column');
  t.equal(truncateToWidth('x'.repeat(1024), 10), 'xxxxxxxxx…');
  t.equal(truncateToWidth('abc', 0), '');
});

t.test('sort keys: each figure highest first, ties by the minute then name; name alphabetical; s cycles', async (t) => {
  const rows = [
    row('b', { passQps: 1, blockQps: 9, avgRtMs: 5 }),
    row('a', { passQps: 5, successQps: 4, exceptionQps: 1, avgRtMs: 1 }),
    row('c', { passQps: 5, successQps: 5, minutePass: 10, avgRtMs: 9 }),
  ];
  const order = (k: (typeof SORT_KEYS)[number]) => sortRows(rows, k).map((r) => r.name).join('');
  t.same(
    Object.fromEntries(SORT_KEYS.map((k) => [k, order(k)])),
    { busy: 'bca', pass: 'cab', block: 'bca', success: 'cab', exception: 'acb', rt: 'cba', name: 'abc' },
  );
  const seen = [];
  let k = SORT_KEYS[0];
  for (let i = 0; i < SORT_KEYS.length; i++) {
    seen.push(k);
    k = nextSortKey(k);
  }
  t.same(seen, SORT_KEYS);
  t.equal(k, 'busy', 'back to the first after the last');
});

t.test('a frame fits its terminal: names cut, then figure columns dropped from the right', async (t) => {
  const view: LiveView = {
    sourceLine: 'source: test',
    nameColumn: 'resource',
    rows: [row('/long/' + 'x'.repeat(1018), { passQps: 5 }), row('名前'.repeat(50), { passQps: 4 }), row('esc\x1b[2J', { passQps: 3 })],
    json: {},
  };
  for (const columns of [40, 80, 120, 200]) {
    const text = topFrame(view, { sortKey: 'busy', limit: 20, columns, footer: 'keys' });
    const lines = text.trimEnd().split('\n');
    t.ok(lines.every((l) => displayWidth(l) <= columns), `every line within ${columns} columns`);
    t.equal(lines.length, 6, 'source, header, 3 rows, footer');
    t.match(lines[2], /^\/long\/x+…x+ /, 'cut in the middle');
    t.match(lines[4], /^esc\\x1b\[2J /, 'control characters escaped');
  }
  t.match(topFrame(view, { sortKey: 'busy', limit: 20, columns: 80 }), /avgRt\(ms\)\n/, '80 columns: up to avgRt');
  t.match(topFrame(view, { sortKey: 'busy', limit: 20, columns: 200 }), /1m-exception\n/, '200 columns: every figure');
  t.equal(topFrame(view, { sortKey: 'busy', limit: 20, rows: 4 }).trimEnd().split('\n').length, 4, 'rows beyond the terminal are left out');
  t.match(topFrame(view, { sortKey: 'busy', limit: 20 }), 'x'.repeat(1018), 'no terminal: names in full');
});

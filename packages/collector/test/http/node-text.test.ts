// The plain-text node views, laid out as Sentinel prints them: cnode's and origin's fixed-width
// tables (long names wrapped at 79 characters), the tree text with its entrance nodes, and Java's
// double printing.
import t from 'tap';
import { cnodeTable, javaDouble, originTable, TREE_LEGEND, treeText } from '../../src/http/node-text.js';
import { invocationTree } from '../../src/http/invocation-tree.js';
import { node } from './fixed-query.js';

t.test('javaDouble prints what Double.toString prints for node figures', async (t) => {
  t.same([0, 1, 12.5, 0.25, 1e7].map(javaDouble), ['0.0', '1.0', '12.5', '0.25', '10000000']);
});

t.test('cnode wraps a name longer than 79 characters onto a continuation row', async (t) => {
  const long = 'r'.repeat(79) + 'TAIL';
  const table = cnodeTable([node(long, '', { passQps: 1 }, { pass: 1 }), node('short-r', '', {}, {})], 'r');
  const rows = table.split('\n');
  t.equal(rows.length, 5, 'header, long name, its continuation, short name, final newline');
  t.equal(rows[0], 'idx ' + 'id'.padEnd(80) + 'thread    pass      blocked   success    total    aRt   1m-pass   1m-block   1m-all   exception  ');
  t.equal(rows[1]!.slice(0, 84), '1   ' + 'r'.repeat(79) + ' ');
  t.equal(rows[2], '    ' + 'TAIL'.padEnd(80) + ' '.repeat(10 + 10 + 10 + 11 + 9 + 6 + 10 + 11 + 9 + 11));
  t.match(rows[3], /^2   short-r\s+0 {9}0\.0 {7}0\.0 {7}0\.0 {8}0\.0 {6}0\.0 {3}0 {9}0 {10}0 {8}0\.0 +$/);
  t.equal(rows[4], '');
  t.equal(cnodeTable([node('a', '', {}, {})], 'zzz'), 'idx ' + 'id'.padEnd(3) + 'thread    pass      blocked   success    total    aRt   1m-pass   1m-block   1m-all   exception  \n', 'no match: the id column is at least as wide as its header');
});

t.test('origin: the resource, a blank line, then one row per origin in Sentinel\'s widths', async (t) => {
  const text = originTable('GET /orders', [
    node('GET /orders', 'app-b', { passQps: 2 }, { pass: 100 }),
    node('GET /orders', 'web', { passQps: 0.5, blockQps: 1, avgRtMs: 3.25 }, { pass: 3, block: 2 }, 1),
  ]);
  t.equal(
    text,
    'id: GET /orders\n' +
      '\n' +
      'idx origin threadNum passQps   blockQps   totalQps aRt   1m-pass   1m-block   1m-total \n' +
      '1   app-b  0         2.0       0.0        2.0      0.0   100       0          100      \n' +
      '2   web    1         0.5       1.0        1.5      3.25  3         2          5        \n',
  );
  const long = 'o'.repeat(80) + 'X';
  const rows = originTable('r', [node('r', long, {}, {})]).split('\n');
  t.equal(rows[2], 'idx ' + 'origin'.padEnd(80) + 'threadNum passQps   blockQps   totalQps aRt   1m-pass   1m-block   1m-total ', 'the origin column: the longest origin, at most 79');
  t.equal(rows[3]!.slice(0, 84), '1   ' + 'o'.repeat(79) + ' ');
  t.equal(rows[4], '    ' + 'oX'.padEnd(80) + ' '.repeat(10 + 10 + 11 + 9 + 6 + 10 + 11 + 9), 'the rest on a continuation row');
  t.equal(originTable('idle', []), 'id: idle\n\nidx origin threadNum passQps   blockQps   totalQps aRt   1m-pass   1m-block   1m-total \n', 'no origins: the header alone');
  const many = Array.from({ length: 31 }, (_, i) => node('r', `o${String(i).padStart(2, '0')}`, {}, {}));
  const listed = originTable('r', many).trimEnd().split('\n');
  t.same([listed.length, listed.at(-1)!.slice(0, 8)], [3 + 30, '30  o29 '], 'at most 30 origins');
});

t.test('tree: machine-root, the default context\'s entrance, the resources; entrance figures are sums', async (t) => {
  // a: pass 3/s at RT 10, success 1/s; b: pass 1/s at RT 2, success 3/s. Weighted by pass the
  // entrance's RT is (3·10 + 1·2) / 4 = 8 (by success it would be 4).
  const root = invocationTree([
    node('a', '', { passQps: 3, blockQps: 0.5, successQps: 1, avgRtMs: 10 }, { pass: 70, block: 5, exception: 1 }, 2),
    node('b', '', { passQps: 1, successQps: 3, avgRtMs: 2 }, { pass: 9 }),
  ]);
  const figures = 't:2 pq:4.0 bq:0.5 tq:4.5 rt:8.0 prq:4.0 1mp:79 1mb:5 1mt:84';
  t.equal(
    treeText(root),
    `EntranceNode: machine-root(${figures})\n` +
      `-EntranceNode: sentinel_default_context(${figures})\n` +
      '--a(t:2 pq:3.0 bq:0.5 tq:3.5 rt:10.0 prq:1.0 1mp:70 1mb:5 1mt:75)\n' +
      '--b(t:0 pq:1.0 bq:0.0 tq:1.0 rt:2.0 prq:3.0 1mp:9 1mb:0 1mt:9)\n' +
      '\r\n\r\n' +
      't:threadNum  pq:passQps  bq:blockQps  tq:totalQps  rt:averageRt  prq: passRequestQps 1mp:1m-pass 1mb:1m-block 1mt:1m-total\r\n',
  );
  const entrance =
    `EntranceNode: sentinel_default_context(${figures})\n` +
    '-a(t:2 pq:3.0 bq:0.5 tq:3.5 rt:10.0 prq:1.0 1mp:70 1mb:5 1mt:75)\n' +
    '-b(t:0 pq:1.0 bq:0.0 tq:1.0 rt:2.0 prq:3.0 1mp:9 1mb:0 1mt:9)\n' +
    `\r\n\r\n${TREE_LEGEND}\r\n`;
  t.equal(treeText(root, 'sentinel_default_context'), entrance, 'id: the subtree of the entrance named so, from level 0');
  t.equal(treeText(root, 'default'), entrance, 'id: else of every entrance whose name contains it');
  t.equal(treeText(root, 'a'), treeText(root, 'sentinel_default_context'), '"a" is in the entrance\'s name: its whole subtree, not resource a');
  t.equal(treeText(root, 'GET /orders'), `\r\n\r\n${TREE_LEGEND}\r\n`, 'id names an entrance, not a resource: none matches, the legend alone');
  t.equal(treeText(invocationTree([])), `EntranceNode: machine-root(t:0 pq:0.0 bq:0.0 tq:0.0 rt:0.0 prq:0.0 1mp:0 1mb:0 1mt:0)\n\r\n\r\n${TREE_LEGEND}\r\n`, 'no resource: no entrance yet');
});

// cnode's fixed-width table (long names wrapped at 79 characters) and Java's double printing.
import t from 'tap';
import { cnodeTable, javaDouble, toNodeVo } from '../../src/http/node-vo.js';
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

t.test('NodeVo truncates rates and RT to integers as (long) casts do', async (t) => {
  const vo = toNodeVo(node('x', '', { passQps: 2.99, blockQps: 0.5, avgRtMs: 7.9, exceptionQps: 0.1 }, { pass: 5, block: 2, exception: 1 }, 3), 42);
  t.same([vo.passQps, vo.blockQps, vo.totalQps, vo.averageRt, vo.exceptionQps, vo.oneMinutePass, vo.oneMinuteTotal, vo.threadNum, vo.timestamp], [2, 0, 3, 7, 0, 5, 7, 3, 42]);
});

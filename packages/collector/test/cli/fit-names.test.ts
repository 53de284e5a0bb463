// `stats` on a terminal: the table fitted to its width as `top` fits it (client/fit-names.ts):
// names cut in the middle, then figure columns left out from the right; whole without a width.
import t from 'tap';
import { figuresTableFitting } from '../../src/client/fit-names.js';
import { displayWidth } from '../../src/client/table.js';
import type { FigureRow, LiveView } from '../../src/client/live-view.js';

const row = (name: string, passQps: number): FigureRow => ({ name, passQps, blockQps: 0, successQps: passQps, exceptionQps: 0, avgRtMs: 2, concurrency: 1, minutePass: passQps * 60, minuteBlock: 0, minuteException: 0 });
const view = (rows: FigureRow[]): LiveView => ({ sourceLine: 'source: test', nameColumn: 'resource', rows, json: null });
const widest = (table: string): number => Math.max(...table.split('\n').map(displayWidth));
const LONG_A = 'GET /' + 'p'.repeat(240) + '~8df9ce2e';
const LONG_B = 'GET /' + 'p'.repeat(240) + '~8ef9cfc1';

t.test('no terminal width, or names that fit: the table as it is', async (t) => {
  const v = view([row('GET /orders', 2), row('x'.repeat(1024), 1)]);
  t.equal(figuresTableFitting(v, undefined).split('\n')[2]!.slice(0, 1024), 'x'.repeat(1024), 'a pipe gets the whole name');
  const short = view([row('GET /orders', 2)]);
  t.equal(figuresTableFitting(short, 200), figuresTableFitting(short, undefined));
});

t.test('long names on 200, 120 and 80 columns: every line fits, the names keep their ends apart', async (t) => {
  const v = view([row('GET /orders', 2), row(LONG_A, 1), row(LONG_B, 1)]);
  for (const columns of [200, 120, 80]) {
    const table = figuresTableFitting(v, columns);
    const lines = table.trimEnd().split('\n');
    t.ok(widest(table) <= columns, `within ${columns} columns`);
    const names = lines.slice(2).map((l) => l.split(/ {2,}/)[0]!);
    t.match(names[0], /^GET \/p+…p?~?8df9ce2e$/, `${columns}: the first long name's hash`);
    t.match(names[1], /^GET \/p+…p?~?8ef9cfc1$/, `${columns}: the second long name's hash`);
    t.match(lines[1], /^GET \/orders +2 +0 +2 /, `${columns}: the short name whole`);
  }
  t.match(figuresTableFitting(v, 200).split('\n')[0], /1m-exception$/, '200 columns: every figure column');
  t.match(figuresTableFitting(v, 120).split('\n')[0], /1m-block$/, '120 columns: the last figure column left out for the names');
  t.match(figuresTableFitting(v, 80).split('\n')[0], /avgRt\(ms\)$/, '80 columns: up to avgRt');
});

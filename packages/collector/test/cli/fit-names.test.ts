// `stats` on a terminal: names too wide for it are cut, figure columns all kept (client/fit-names.ts).
import t from 'tap';
import { figuresTableFitting, MIN_NAME_COLUMNS } from '../../src/client/fit-names.js';
import type { FigureRow, LiveView } from '../../src/client/live-view.js';

const row = (name: string, passQps: number): FigureRow => ({ name, passQps, blockQps: 0, successQps: passQps, exceptionQps: 0, avgRtMs: 2, concurrency: 1, minutePass: passQps * 60, minuteBlock: 0, minuteException: 0 });
const view = (rows: FigureRow[]): LiveView => ({ sourceLine: 'source: test', nameColumn: 'resource', rows, json: null });
const HEADER_FIGURES = '  pass/s  block/s  success/s  exception/s  avgRt(ms)  concurrency  1m-pass  1m-block  1m-exception';
const widest = (table: string): number => Math.max(...table.split('\n').map((l) => l.length));

t.test('names that fit, or no terminal width: the table as it is', async (t) => {
  const v = view([row('GET /orders', 2), row('x'.repeat(1024), 1)]);
  const whole = figuresTableFitting(v, undefined);
  t.equal(whole.split('\n')[2]!.slice(0, 1024), 'x'.repeat(1024), 'a pipe gets the whole name');
  const short = view([row('GET /orders', 2)]);
  t.equal(figuresTableFitting(short, 200), figuresTableFitting(short, undefined));
});

t.test('a 1 024-byte name on a 140-column terminal: names cut with …, every figure column kept, lines 140 wide', async (t) => {
  const v = view([row('GET /orders', 2), row('x'.repeat(1024), 1)]);
  const table = figuresTableFitting(v, 140);
  const lines = table.trimEnd().split('\n');
  const nameColumns = 140 - HEADER_FIGURES.length;
  t.equal(nameColumns, 42);
  t.equal(lines[0], 'resource'.padEnd(nameColumns) + HEADER_FIGURES);
  t.equal(lines[2]!.slice(0, nameColumns), 'x'.repeat(nameColumns - 1) + '…');
  t.match(lines[1], /^GET \/orders +2 +0 +2 +0 +2 +1 +120 +0 +0$/);
  t.equal(widest(table), 140);
});

t.test('a terminal too narrow for the figures: names keep their minimum, the lines wrap', async (t) => {
  const table = figuresTableFitting(view([row('y'.repeat(300), 1)]), 60);
  const name = table.split('\n')[1]!.split(' ')[0]!;
  t.equal(name, 'y'.repeat(MIN_NAME_COLUMNS - 1) + '…');
  t.equal(widest(table), MIN_NAME_COLUMNS + HEADER_FIGURES.length);
});

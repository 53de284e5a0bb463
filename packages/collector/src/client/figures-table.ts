// Owns the table the stats and top commands print for a LiveView (a figure not known, such as the
// concurrency read from the metric log, as `-`).

import { formatNumber, formatTable } from './table.js';
import type { FigureRow, LiveView } from './live-view.js';

const HEADER = ['pass/s', 'block/s', 'success/s', 'exception/s', 'avgRt(ms)', 'concurrency', '1m-pass', '1m-block', '1m-exception'];

/** How many figure columns there are (after the name). */
export const FIGURE_COLUMNS = HEADER.length;

/** The table; `figureColumns` keeps only the first N figure columns (for a narrow terminal). */
export function figuresTable(view: LiveView, rows: FigureRow[] = view.rows, figureColumns: number = FIGURE_COLUMNS): string {
  const header = HEADER.slice(0, figureColumns);
  const cells = rows.map((r) => [
    r.name,
    ...[r.passQps, r.blockQps, r.successQps, r.exceptionQps, r.avgRtMs, r.concurrency, r.minutePass, r.minuteBlock, r.minuteException].slice(0, figureColumns).map((v) => (v === null ? '-' : formatNumber(v))),
  ]);
  return formatTable([view.nameColumn, ...header], cells, ['left', ...header.map(() => 'right' as const)]);
}

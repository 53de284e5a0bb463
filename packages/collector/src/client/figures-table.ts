// Owns the table the stats and top commands print for a LiveView.

import { formatNumber, formatTable } from './table.js';
import type { FigureRow, LiveView } from './live-view.js';

const HEADER = ['pass/s', 'block/s', 'success/s', 'exception/s', 'avgRt(ms)', 'concurrency', '1m-pass', '1m-block', '1m-exception'];

export function figuresTable(view: LiveView, rows: FigureRow[] = view.rows): string {
  const cells = rows.map((r) => [
    r.name,
    ...[r.passQps, r.blockQps, r.successQps, r.exceptionQps, r.avgRtMs, r.concurrency, r.minutePass, r.minuteBlock, r.minuteException].map(formatNumber),
  ]);
  return formatTable([view.nameColumn, ...HEADER], cells, ['left', ...HEADER.map(() => 'right' as const)]);
}

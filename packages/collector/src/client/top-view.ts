// Owns what one frame of `sentinel-wasi top` shows: the rows sorted by the chosen key, names made
// terminal-safe (control characters escaped), the table fitted to the terminal (fit-names.ts) and
// no line wider than it, and as many rows as the terminal has room for.

import { figuresTable } from './figures-table.js';
import { fittedTable, truncateToWidth } from './fit-names.js';
import type { FigureRow, LiveView } from './live-view.js';

/** busy = current pass + block (the default); the others sort by that figure, name alphabetically. */
export const SORT_KEYS = ['busy', 'pass', 'block', 'success', 'exception', 'rt', 'name'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export function isSortKey(s: string): s is SortKey {
  return (SORT_KEYS as readonly string[]).includes(s);
}

/** The key after `key` (what `s` switches to while top runs). */
export function nextSortKey(key: SortKey): SortKey {
  return SORT_KEYS[(SORT_KEYS.indexOf(key) + 1) % SORT_KEYS.length]!;
}

function byName(a: FigureRow, b: FigureRow): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

const FIGURE: Record<Exclude<SortKey, 'name'>, (r: FigureRow) => number> = {
  busy: (r) => r.passQps + r.blockQps,
  pass: (r) => r.passQps,
  block: (r) => r.blockQps,
  success: (r) => r.successQps,
  exception: (r) => r.exceptionQps,
  rt: (r) => r.avgRtMs,
};

/** Highest first by the key's figure, then by the minute's pass + block, then by name; `name` sorts by name. */
export function sortRows(rows: FigureRow[], key: SortKey): FigureRow[] {
  if (key === 'name') return [...rows].sort(byName);
  const figure = FIGURE[key];
  return [...rows].sort((a, b) => figure(b) - figure(a) || b.minutePass + b.minuteBlock - (a.minutePass + a.minuteBlock) || byName(a, b));
}

export interface FrameOptions {
  sortKey: SortKey;
  limit: number;
  /** Terminal width: names are shortened and lines cut to fit (undefined: no limit). */
  columns?: number;
  /** Terminal height: rows beyond it are left out (undefined: no limit). */
  rows?: number;
  /** A last line (e.g. the keys), shown when there is room. */
  footer?: string;
}

/** The frame's text: the source line, the table, the footer; every line at most `columns` wide. */
export function topFrame(view: LiveView, options: FrameOptions): string {
  const headerLines = 2 + (options.footer === undefined ? 0 : 1);
  const room = options.rows === undefined ? Infinity : Math.max(1, options.rows - headerLines);
  const sorted = sortRows(view.rows, options.sortKey);
  // Names are made terminal-safe by the table (formatTable; fittedTable before it measures them).
  const shown = sorted.slice(0, Math.min(options.limit, room));
  const table = options.columns === undefined ? figuresTable(view, shown) : fittedTable(view, shown, options.columns);
  const lines = [`${view.sourceLine}; ${view.rows.length} resources, top ${shown.length}`, ...table.trimEnd().split('\n')];
  if (options.footer !== undefined) lines.push(options.footer);
  const fit = options.columns === undefined ? lines : lines.map((l) => truncateToWidth(l, options.columns!));
  return fit.join('\n') + '\n';
}

// Owns what one frame of `sentinel-wasi top` shows: the rows sorted by the chosen key, names made
// terminal-safe (control characters escaped) and truncated by display width with an ellipsis so
// that no line is wider than the terminal, and as many rows as the terminal has room for.

import { terminalSafe } from '../text/terminal-safe.js';
import { FIGURE_COLUMNS, figuresTable } from './figures-table.js';
import { displayWidth } from './table.js';
import type { FigureRow, LiveView } from './live-view.js';

/** busy = current pass + block (the default); the others sort by that figure, name alphabetically. */
export const SORT_KEYS = ['busy', 'pass', 'block', 'success', 'exception', 'rt', 'name'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

const ELLIPSIS = '…';
/** The name column never gets narrower than this (the line is cut at the terminal's edge instead). */
const MIN_NAME_COLUMNS = 8;
/** Figure columns are left out (from the right) until the names have this much room, or their own width. */
const NAME_COLUMNS_WANTED = 24;

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

/** The longest prefix of `text` (whole code points) that fits `maxColumns`, with `…` when cut. */
export function truncateToWidth(text: string, maxColumns: number): string {
  if (displayWidth(text) <= maxColumns) return text;
  if (maxColumns <= 0) return '';
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = displayWidth(ch);
    if (used + w > maxColumns - 1) break;
    out += ch;
    used += w;
  }
  return out + ELLIPSIS;
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

/**
 * The table for a terminal `columns` wide: all figure columns if the names then keep up to
 * NAME_COLUMNS_WANTED columns, else the rightmost figure columns are left out until they do; the
 * names are then cut to the room left.
 */
function fittedTable(view: LiveView, rows: FigureRow[], columns: number): string {
  const nameWidth = Math.max(displayWidth(view.nameColumn), ...rows.map((r) => displayWidth(r.name)));
  const wanted = Math.min(nameWidth, NAME_COLUMNS_WANTED);
  let figureColumns = FIGURE_COLUMNS;
  let others = 0;
  for (; figureColumns >= 1; figureColumns--) {
    // Every line pads the name column to its widest cell: what is left of the widest line is the figures.
    const table = figuresTable(view, rows, figureColumns);
    others = Math.max(...table.split('\n').map(displayWidth)) - nameWidth;
    if (columns - others >= wanted) break;
  }
  figureColumns = Math.max(1, figureColumns);
  const nameColumns = Math.max(MIN_NAME_COLUMNS, columns - others);
  return figuresTable(view, rows.map((r) => ({ ...r, name: truncateToWidth(r.name, nameColumns) })), figureColumns);
}

/** The frame's text: the source line, the table, the footer; every line at most `columns` wide. */
export function topFrame(view: LiveView, options: FrameOptions): string {
  const headerLines = 2 + (options.footer === undefined ? 0 : 1);
  const room = options.rows === undefined ? Infinity : Math.max(1, options.rows - headerLines);
  const sorted = sortRows(view.rows, options.sortKey);
  const shown = sorted.slice(0, Math.min(options.limit, room)).map((r) => ({ ...r, name: terminalSafe(r.name) }));
  let table = figuresTable(view, shown);
  if (options.columns !== undefined) table = fittedTable(view, shown, options.columns);
  const lines = [`${view.sourceLine}; ${view.rows.length} resources, top ${shown.length}`, ...table.trimEnd().split('\n')];
  if (options.footer !== undefined) lines.push(options.footer);
  const fit = options.columns === undefined ? lines : lines.map((l) => truncateToWidth(l, options.columns!));
  return fit.join('\n') + '\n';
}

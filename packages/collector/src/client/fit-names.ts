// Owns fitting the figures table (stats, top) to a terminal `columns` wide: all figure columns if
// the names then keep NAME_COLUMNS_WANTED columns, else the rightmost figure columns are left out
// until they do; the names are then cut to the room left, by display width, in the middle (`…`),
// keeping their ends: a name made unique by its end (resourceName's `~` and hash of a long
// name) stays told apart. Without a terminal width (a pipe, a file) the table is whole; `--json`
// always has the names whole. Also the prefix cut of a whole line (truncateToWidth).

import { terminalSafe } from '../text/terminal-safe.js';
import { FIGURE_COLUMNS, figuresTable } from './figures-table.js';
import { displayWidth } from './table.js';
import type { FigureRow, LiveView } from './live-view.js';

const ELLIPSIS = '…';
/** The name column never gets narrower than this (the lines are wider than the terminal then). */
export const MIN_NAME_COLUMNS = 8;
/** Figure columns are left out (from the right) until the names have this much room, or their own width. */
export const NAME_COLUMNS_WANTED = 24;
/** A name cut in the middle keeps at most this many columns of its end. */
const KEPT_END_COLUMNS = 10;

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

/**
 * `text` in `maxColumns`: as it is when it fits, else its start, `…` and its end (up to
 * KEPT_END_COLUMNS, a third of the room at most), whole code points by display width.
 */
export function truncateMiddle(text: string, maxColumns: number): string {
  if (displayWidth(text) <= maxColumns) return text;
  const endColumns = Math.min(KEPT_END_COLUMNS, Math.floor(maxColumns / 3));
  if (endColumns < 1) return truncateToWidth(text, maxColumns);
  const chars = [...text];
  let end = '';
  let used = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const w = displayWidth(chars[i]!);
    if (used + w > endColumns) break;
    end = chars[i]! + end;
    used += w;
  }
  return truncateToWidth(text, maxColumns - used).slice(0, -ELLIPSIS.length) + ELLIPSIS + end;
}

/** The table of `rows` for a terminal `columns` wide (see the header); names made terminal-safe. */
export function fittedTable(view: LiveView, unsafeRows: FigureRow[], columns: number): string {
  const rows = unsafeRows.map((r) => ({ ...r, name: terminalSafe(r.name) }));
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
  return figuresTable(view, rows.map((r) => ({ ...r, name: truncateMiddle(r.name, nameColumns) })), figureColumns);
}

/** The table of `view` for `stats`: fitted to a terminal `columns` wide, whole when undefined. */
export function figuresTableFitting(view: LiveView, columns: number | undefined): string {
  return columns === undefined ? figuresTable(view) : fittedTable(view, view.rows, columns);
}

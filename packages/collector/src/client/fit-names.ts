// Owns fitting the `stats` table to a terminal: every figure column is kept, and when the longest
// name would make the lines wider than the terminal, names are cut by display width (with an
// ellipsis) to the room the figures leave, never below MIN_NAME_COLUMNS. Without a terminal width
// (a pipe, a file) the names are printed whole; `--json` always has them whole.

import { terminalSafe } from '../text/terminal-safe.js';
import { figuresTable } from './figures-table.js';
import { displayWidth } from './table.js';
import { truncateToWidth } from './top-view.js';
import type { LiveView } from './live-view.js';

/** Names keep at least this many columns, however narrow the terminal (its lines then wrap). */
export const MIN_NAME_COLUMNS = 24;

/** The table of `view` for a terminal `columns` wide (undefined: names whole). */
export function figuresTableFitting(view: LiveView, columns: number | undefined): string {
  const table = figuresTable(view);
  if (columns === undefined || Math.max(...table.split('\n').map(displayWidth)) <= columns) return table;
  const rows = view.rows.map((r) => ({ ...r, name: terminalSafe(r.name) }));
  const nameWidth = Math.max(displayWidth(view.nameColumn), ...rows.map((r) => displayWidth(r.name)));
  const figuresWidth = Math.max(...table.split('\n').map(displayWidth)) - nameWidth;
  const nameColumns = Math.max(MIN_NAME_COLUMNS, columns - figuresWidth);
  return figuresTable(view, rows.map((r) => ({ ...r, name: truncateToWidth(r.name, nameColumns) })));
}

// Owns `sentinel-wasi top`: a refreshing table of the busiest resources (by current pass + block,
// then by the minute's, then by name).

import type { Command } from '../command.js';
import { intOption, parseOptions, str } from '../../client/args.js';
import { UsageError } from '../command.js';
import { figuresTable } from '../../client/figures-table.js';
import { loadLiveView, type FigureRow } from '../../client/live-view.js';
import { refreshLoop } from '../../client/refresh.js';

const HELP = `Usage: sentinel-wasi top --pin DIR [--url URL] [--limit N] [--interval MS] [--once]

Shows the busiest resources, refreshing until interrupted (Ctrl-C). Figures come from the running
collector (through <pin>/collector/address.json, or --url), or from the metric log when none runs.

Options:
  --pin DIR        the pin directory (required unless --url is given)
  --url URL        ask the collector at URL
  --limit N        rows shown (default 20)
  --interval MS    refresh period (default 1000)
  --once           print one table and exit (no screen clearing)
`;

export function busiestFirst(rows: FigureRow[]): FigureRow[] {
  return [...rows].sort(
    (a, b) =>
      b.passQps + b.blockQps - (a.passQps + a.blockQps) ||
      b.minutePass + b.minuteBlock - (a.minutePass + a.minuteBlock) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

export const topCommand: Command = {
  name: 'top',
  summary: 'show a live, refreshing table of the busiest resources',
  help: HELP,
  async run(argv, io) {
    const v = parseOptions(argv, {
      pin: { type: 'string' },
      url: { type: 'string' },
      limit: { type: 'string' },
      interval: { type: 'string' },
      once: { type: 'boolean' },
    });
    const url = str(v, 'url');
    const pinDir = str(v, 'pin');
    if ((pinDir === undefined || pinDir === '') && url === undefined) throw new UsageError('--pin DIR is required (or --url URL)');
    const limit = intOption('limit', str(v, 'limit'), 20, 1, 100_000);
    const intervalMs = intOption('interval', str(v, 'interval'), 1000, 100, 3_600_000);
    const render = async (): Promise<string> => {
      const view = await loadLiveView({ pinDir: pinDir ?? '', url, note: (m) => io.stderr.write(`sentinel-wasi top: ${m}\n`) });
      const rows = busiestFirst(view.rows).slice(0, limit);
      return `${view.sourceLine}; ${view.rows.length} resources, top ${rows.length}\n${figuresTable(view, rows)}`;
    };
    if (v.once === true) {
      io.stdout.write(await render());
      return 0;
    }
    return refreshLoop(io, render, intervalMs);
  },
};

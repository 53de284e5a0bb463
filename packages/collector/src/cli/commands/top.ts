// Owns `sentinel-wasi top`: a refreshing table of the busiest resources, sorted by a key chosen with
// --sort or switched with `s` while it runs, fitted to the terminal (top-view.ts), in a terminal
// session that q or Ctrl-C ends and that gives the terminal back as it was (top-screen.ts); plain
// frames without control codes when stdout is not a terminal; a quiet exit 0 when its reader goes.

import { intOption, parseOptions, str } from '../../client/args.js';
import { UsageError, type Command } from '@sentinel-wasi/protocol/node';
import { checkPin, loadLiveView } from '../../client/live-view.js';
import { catchWriteErrors, noteOnceEach, tryWrite } from '../../client/output.js';
import { runScreen, type ScreenOut } from '../../client/top-screen.js';
import { isSortKey, nextSortKey, SORT_KEYS, topFrame, type SortKey } from '../../client/top-view.js';

const HELP = `Usage: sentinel-wasi top --pin DIR [--url URL] [--sort KEY] [--limit N] [--interval MS] [--once]

Shows the busiest resources, refreshing every second until you press q (or Ctrl-C). Figures come
from the running collector (through <pin>/collector/address.json, or --url), or from the metric log
when none runs or it runs without HTTP (what a stopped collector has not written there yet is
named on stderr: seconds its checkpoint holds, records in <pin>/log it has not read; it writes them
when it starts again). On a terminal, names are shortened with … to fit its width (control
characters are always shown escaped, e.g. \\x1b) and only the rows that fit are shown.

When stdout is not a terminal (a pipe or a file), top writes no terminal control codes and reads
no keys: it prints a plain frame (the same as --once) every interval, frames apart by a blank
line, until Ctrl-C or SIGTERM. When the reader goes away (e.g. | head) top ends quietly, exit 0.

Options:
  --pin DIR        the pin directory (required unless --url is given)
  --url URL        ask the collector at URL
  --sort KEY       ${SORT_KEYS.join(' | ')} (default busy: pass/s + block/s);
                   sorts by the live per-second columns (pass/s … avgRt(ms)), not the
                   1m columns: highest first, ties by 1m-pass + 1m-block, then name;
                   name: alphabetically
  --limit N        rows shown at most (default 20)
  --interval MS    refresh period (default 1000)
  --once           print one table and exit (no screen clearing)

Keys on a terminal: s  next sort key    q or Ctrl-C  quit

Exit codes: 0 ok (also when the reader of its output goes away; while refreshing, a frame without
figures shows why and top goes on), 1 no figures with --once (collector unreachable with --url,
empty log, unreadable pin), or a --pin that is no pin top can read (none there, no PIN file, an
unreadable PIN; checked at start, with or without --once), 2 bad usage.
`;

export const topCommand: Command = {
  name: 'top',
  summary: 'show a live, refreshing table of the busiest resources',
  help: HELP,
  async run(argv, io) {
    const v = parseOptions(argv, {
      pin: { type: 'string' },
      url: { type: 'string' },
      sort: { type: 'string' },
      limit: { type: 'string' },
      interval: { type: 'string' },
      once: { type: 'boolean' },
    });
    const url = str(v, 'url');
    const pinDir = str(v, 'pin');
    if ((pinDir === undefined || pinDir === '') && url === undefined) throw new UsageError('--pin DIR is required (or --url URL)');
    const limit = intOption('limit', str(v, 'limit'), 20, 1, 100_000);
    const intervalMs = intOption('interval', str(v, 'interval'), 1000, 100, 3_600_000);
    const sortText = str(v, 'sort') ?? 'busy';
    if (!isSortKey(sortText)) throw new UsageError(`--sort must be one of ${SORT_KEYS.join(', ')}, got ${JSON.stringify(sortText)}`);
    let sortKey: SortKey = sortText;
    const out = io.stdout as NodeJS.WritableStream & ScreenOut;
    catchWriteErrors(io.stderr);
    const note = noteOnceEach(io.stderr, 'top');
    const frame = async (columns: number | undefined, rows: number | undefined, footer?: string): Promise<string> => {
      const view = await loadLiveView({ pinDir: pinDir ?? '', url, note });
      return topFrame(view, { sortKey, limit, columns, rows, footer });
    };
    if (v.once === true) {
      await tryWrite(out, await frame(out.isTTY === true ? out.columns : undefined, undefined)); // a failed write: nothing more to do
      return 0;
    }
    // A pin that is not there (a typo, no init yet) is said once, as --once says it, rather than
    // in every frame: what may pass (no collector yet, an empty log) is what top waits through.
    if (url === undefined && pinDir !== undefined) checkPin(pinDir);
    return runScreen({
      out,
      input: process.stdin,
      intervalMs,
      render: (size) => frame(size.columns, size.rows, out.isTTY === true ? `sorted by ${sortKey} · s: next sort key · q: quit` : undefined),
      onKey: (key) => {
        if (key === 's') sortKey = nextSortKey(sortKey);
      },
    });
  },
};

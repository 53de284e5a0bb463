// Owns `sentinel-wasi stats`: the live per-resource figures as a table (or JSON, one shape whichever
// the source: client/stats-json.ts), once or refreshing.

import { UsageError, type Command } from '@sentinel-wasi/protocol/node';
import { intOption, parseOptions, str } from '../../client/args.js';
import { figuresTableFitting } from '../../client/fit-names.js';
import { loadLiveView, type ViewRequest } from '../../client/live-view.js';
import { noteOnceEach, writeOutput } from '../../client/output.js';
import { refreshLoop } from '../../client/refresh.js';

const HELP = `Usage: sentinel-wasi stats --pin DIR [--resource R] [--url URL] [--json] [--watch [--interval MS]]

Prints the live per-resource figures: the second window (per-second rates) and the minute window
(totals of the last 60 s). They come from the running collector, found through
<pin>/collector/address.json (or --url), or, when none runs or it runs without HTTP, from the
metric log (its newest second and the minute up to it). A collector keeps its last seconds open for
late records (--grace-ms); stopped, it keeps them in its checkpoint and writes them to the log when
it starts again: stats names such seconds on stderr, and records in <pin>/log it has not read.
On a terminal the table is fitted to its width as top fits it: long names are cut in the middle
(…), and on a narrow terminal the rightmost columns are left out; sent to a pipe or a file, or
with --json, everything is printed whole.

Options:
  --pin DIR        the pin directory (required unless --url is given)
  --resource R     one resource: its node and one row per origin
  --url URL        ask the collector at URL (no fallback to the metric log)
  --json           print JSON instead of a table: the same shape from the collector and from the
                   metric log, {source, nowMs, total, resources: [{resource, origin, concurrency,
                   second: {...}, minute: {...}}]} ({source, nowMs, node, origins} with --resource);
                   source is "collector" or "metric-log"; null: a figure the metric log cannot know
  --watch          refresh until interrupted (Ctrl-C); on a terminal the screen is redrawn, elsewhere
                   (a pipe, a file) the tables follow one another, a blank line between them
  --interval MS    refresh period for --watch (default 1000)

Exit codes: 0 ok, 1 no figures (collector unreachable, unknown resource, empty log), 2 bad usage.
`;

export const statsCommand: Command = {
  name: 'stats',
  summary: 'print live per-resource statistics (from the running collector, else the metric log)',
  help: HELP,
  async run(argv, io) {
    const v = parseOptions(argv, {
      pin: { type: 'string' },
      resource: { type: 'string' },
      url: { type: 'string' },
      json: { type: 'boolean' },
      watch: { type: 'boolean' },
      interval: { type: 'string' },
    });
    const url = str(v, 'url');
    const pinDir = str(v, 'pin');
    if ((pinDir === undefined || pinDir === '') && url === undefined) throw new UsageError('--pin DIR is required (or --url URL)');
    if (url !== undefined && !/^https?:\/\/[^/]+/.test(url)) throw new UsageError(`--url must be an http:// URL, got ${JSON.stringify(url)}`);
    const intervalMs = intOption('interval', str(v, 'interval'), 1000, 100, 3_600_000);
    if (v.interval !== undefined && v.watch !== true) throw new UsageError('--interval only applies with --watch');
    const resource = str(v, 'resource');
    if (resource === '') throw new UsageError('--resource needs a name');
    const req: ViewRequest = { pinDir: pinDir ?? '', url, resource, note: noteOnceEach(io.stderr, 'stats') };
    const render = async (): Promise<string> => {
      const view = await loadLiveView(req);
      if (v.json === true) return JSON.stringify(view.json, null, 2) + '\n';
      const out = io.stdout as { isTTY?: boolean; columns?: number };
      return `${view.sourceLine}\n${figuresTableFitting(view, out.isTTY === true ? out.columns : undefined)}`;
    };
    if (v.watch === true) return refreshLoop(io, render, intervalMs);
    await writeOutput(io, await render()); // false: the reader went away (exit 0)
    return 0;
  },
};

// Owns `sentinel-wasi metric`: historical per-second lines from the metric log, for a time range.

import { UsageError, type Command } from '@sentinel-wasi/protocol/node';
import { parseOptions, requirePin, str } from '../../client/args.js';
import { escapeResource, formatDateTime } from '../../metriclog/line.js';
import { MAX_LINES_RETURN } from '../../metriclog/search.js';
import { searcherForPin } from '../../client/live-view.js';
import { collectorRuns, findCollector } from '../../client/daemon.js';
import { unwrittenNote, unwrittenOf } from '../../client/unwritten-seconds.js';
import { writeOutput } from '../../client/output.js';
import { formatTable } from '../../client/table.js';
import { parseTimeArg, TIME_FORMS } from '../../client/time-arg.js';

const HELP = `Usage: sentinel-wasi metric --pin DIR --from TIME [--to TIME] [--resource R] [--json]

Prints the per-second lines of the metric log (<pin>/collector/metrics) whose second lies in
[--from, --to], both inclusive, as Sentinel's metric search reads them (at most ${MAX_LINES_RETURN} lines).
A second is written once it closes (--grace-ms of the collector). While no collector runs, what a
stopped one has not written yet is named on stderr: seconds in the range (or late lines of them)
that its checkpoint holds, and records in <pin>/log it has not read; it writes them when it
starts again.

TIME is ${TIME_FORMS}.

Options:
  --pin DIR        the pin directory (required)
  --from TIME      first second (required)
  --to TIME        last second (default: now)
  --resource R     only this resource, matched as the log writes names: | and control characters
                   as _ (so "GET /a|b" also gives the lines of "GET /a_b")
  --json           print a JSON array of lines instead of a table

Exit codes: 0 ok (also when no line matches; a note goes to stderr), 1 unreadable pin, 2 bad usage.
`;

function timeOption(name: string, text: string | undefined, nowMs: number): number | undefined {
  if (text === undefined) return undefined;
  const t = parseTimeArg(text, nowMs);
  if (t === undefined) {
    // A negative number is no time (epoch ms are ≥ 0); it likely meant "that long ago".
    const ago = /^-\d{1,9}[smhd]$/.test(text) ? `; did you mean now${text}?` : /^-\d/.test(text) ? '; a time before now is now-<n>s|m|h|d, e.g. now-5m' : '';
    throw new UsageError(`--${name}: cannot read ${JSON.stringify(text)} as a time (${TIME_FORMS})${ago}`);
  }
  return t;
}

export const metricCommand: Command = {
  name: 'metric',
  summary: 'print historical per-second metric lines from the metric log',
  help: HELP,
  async run(argv, io) {
    const v = parseOptions(argv, {
      pin: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      resource: { type: 'string' },
      json: { type: 'boolean' },
    });
    const pinDir = requirePin(str(v, 'pin'));
    const nowMs = Date.now();
    const fromMs = timeOption('from', str(v, 'from'), nowMs);
    if (fromMs === undefined) throw new UsageError('--from TIME is required');
    const toMs = timeOption('to', str(v, 'to'), nowMs) ?? nowMs;
    if (toMs < fromMs) throw new UsageError(`--to (${formatDateTime(toMs)}) is before --from (${formatDateTime(fromMs)})`);
    const resource = str(v, 'resource');
    if (resource === '') throw new UsageError('--resource needs a name');
    const searcher = searcherForPin(pinDir);
    const result = await searcher.findByTimeAndResource(fromMs, toMs, resource === undefined ? undefined : escapeResource(resource));
    if (v.json === true) {
      await writeOutput(io, JSON.stringify(result.lines) + '\n');
    } else if (result.lines.length > 0) {
      const header = ['time', 'resource', 'pass', 'block', 'success', 'exception', 'rt(ms)', 'occupied', 'concurrency'];
      const rows = result.lines.map((l) => [
        formatDateTime(l.timestampMs),
        l.resource,
        ...[l.pass, l.block, l.success, l.exception, l.rtMs, l.occupiedPass, l.concurrency].map(String),
      ]);
      await writeOutput(io, formatTable(header, rows, ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right']));
    }
    if (result.lines.length === 0) {
      // A range before the log's oldest second: say so (rotated away, or never written), not only "no lines".
      const kept = await searcher.secondRange();
      const before = kept !== undefined && toMs < kept.oldestSec * 1000 ? ` (the metric log holds seconds from ${formatDateTime(kept.oldestSec * 1000)} on: older ones were never written or were rotated away, see the collector's --metric-file-count and --metric-file-bytes)` : '';
      io.stderr.write(`sentinel-wasi metric: no lines between ${formatDateTime(fromMs)} and ${formatDateTime(toMs)}${resource === undefined ? '' : ` for ${JSON.stringify(resource)}`}${before}\n`);
    }
    if (result.truncated) io.stderr.write(`sentinel-wasi metric: stopped at ${MAX_LINES_RETURN} lines; narrow --from/--to or add --resource\n`);
    if (result.linesUnparsable > 0) io.stderr.write(`sentinel-wasi metric: skipped ${result.linesUnparsable} lines that are not metric lines\n`);
    if (!collectorRuns(await findCollector(pinDir))) {
      // A running collector (with or without HTTP) writes its open seconds as they close; a stopped one at its next start.
      const unwritten = unwrittenNote(unwrittenOf(pinDir, { fromMs, toMs, ...(resource === undefined ? {} : { resource }) }));
      if (unwritten !== undefined) io.stderr.write(`sentinel-wasi metric: ${unwritten}\n`);
    }
    return 0;
  },
};

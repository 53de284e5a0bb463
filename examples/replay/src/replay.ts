// Owns the replay command filter: reads tab-separated request lines from stdin and records each
// as a CALL (ok/error) or BLOCK (block) record stamped with its time, through the filter SDK.
// Bad lines are counted and reported on stderr with their line numbers; they never stop the run.
//
//   wasmtime run --dir <pin>::/pin replay.wasm [--writer NAME] [--pin /pin] < traffic.tsv

import { command, createSentinel, type Sentinel } from '@sentinel-wasi/filter';
import { utf8Decode } from '@sentinel-wasi/protocol/encode';
import { LineSplitter, parseLine } from './lines.js';
import { args, readStdin, writeStderr } from './stdio.js';

const USAGE = 'usage: replay [--writer NAME] [--pin GUEST_PATH] < lines\n' +
  '  each line: tsMs|-<TAB>resource<TAB>rtMs<TAB>ok|error|block[<TAB>origin]\n';
/** Bad lines reported one by one; the rest only in the summary. */
const MAX_REPORTED_BAD_LINES = 100;

interface Options {
  writer: string;
  pin: string;
}

function parseArgs(argv: string[]): Options | string {
  const options: Options = { writer: 'shared', pin: '/pin' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--writer' || a === '--pin') {
      const v = argv[++i];
      if (v === undefined) return `${a} needs a value`;
      if (a === '--writer') options.writer = v;
      else options.pin = v;
    } else if (a === '--help' || a === '-h') {
      return '';
    } else {
      return `unknown argument ${JSON.stringify(a)}`;
    }
  }
  return options;
}

function replay(sentinel: Sentinel): { lines: number; records: number; badLines: number } {
  let lineNo = 0;
  let records = 0;
  let badLines = 0;
  const bad = (reason: string): void => {
    badLines++;
    if (badLines <= MAX_REPORTED_BAD_LINES) writeStderr(`replay: line ${lineNo}: ${reason}\n`);
  };
  const onLine = (bytes: Uint8Array | null): void => {
    lineNo++;
    if (bytes === null) return bad('line too long');
    const parsed = parseLine(utf8Decode(bytes));
    if (parsed.ok === 'skip') return;
    if (!parsed.ok) return bad(parsed.reason);
    const { tsMs, resource, rtMs, outcome, origin } = parsed.line;
    const at = tsMs === null ? {} : { tsMs };
    if (outcome === 'block') sentinel.recordBlock(resource, { ...at, origin });
    else sentinel.recordCall(resource, rtMs, { ...at, origin, error: outcome === 'error' });
    records++;
  };
  const splitter = new LineSplitter();
  readStdin((chunk) => splitter.push(chunk, onLine));
  splitter.end(onLine);
  sentinel.flush();
  return { lines: lineNo, records, badLines };
}

// Everything recorded is flushed when the body ends; returning false ends the run with err (exit 1).
export const run = command(() => {
  const options = parseArgs(args());
  if (typeof options === 'string') {
    writeStderr(options === '' ? USAGE : `replay: ${options}\n${USAGE}`);
    return options === '';
  }
  let sentinel: Sentinel;
  try {
    sentinel = createSentinel({ writer: options.writer, pin: options.pin, flushOnIdle: false });
  } catch (e) {
    writeStderr(`replay: ${(e as Error).message}\n`);
    return false;
  }
  const r = replay(sentinel);
  const s = sentinel.stats();
  writeStderr(
    `replay: ${r.lines} lines, ${r.records} records, ${r.badLines} bad lines, ` +
      `${s.framesWritten} frames written, ${s.recordsDropped} records dropped\n`,
  );
  return true;
});

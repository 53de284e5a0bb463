// Owns the replay input format: one request per tab-separated line,
// `tsMs|-  resource  rtMs  ok|error|block  [origin]`. Parsing only; no I/O, so it runs the same
// inside the component and under Node tests.

import { MAX_NAME_BYTES, utf8Length } from '@sentinel-wasi/protocol/encode';

export type Outcome = 'ok' | 'error' | 'block';

export interface ReplayLine {
  /** Event time (epoch ms), or null for "now" (`-`). */
  tsMs: number | null;
  resource: string;
  rtMs: number;
  outcome: Outcome;
  origin: string | undefined;
}

export type ParseResult = { ok: true; line: ReplayLine } | { ok: false; reason: string } | { ok: 'skip' };

const DIGITS = /^[0-9]+$/;
const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

function checkName(field: string, value: string): string | null {
  if (value.length === 0) return `empty ${field}`;
  if (value.length * 3 > MAX_NAME_BYTES && utf8Length(value) > MAX_NAME_BYTES) return `${field} longer than ${MAX_NAME_BYTES} bytes`;
  return null;
}

/** Parses one line (without its newline). Blank lines and lines starting with `#` are skipped. */
export function parseLine(text: string): ParseResult {
  const raw = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (raw.trim().length === 0 || raw.startsWith('#')) return { ok: 'skip' };
  const f = raw.split('\t');
  if (f.length < 4 || f.length > 5) return { ok: false, reason: `expected 4 or 5 tab-separated fields, got ${f.length}` };
  const [tsText, resource, rtText, outcomeText, originText] = f as [string, string, string, string, string | undefined];

  let tsMs: number | null = null;
  if (tsText !== '-') {
    if (!DIGITS.test(tsText) || !Number.isSafeInteger(Number(tsText))) return { ok: false, reason: `bad tsMs ${JSON.stringify(tsText)} (epoch ms or -)` };
    tsMs = Number(tsText);
  }
  const nameProblem = checkName('resource', resource);
  if (nameProblem !== null) return { ok: false, reason: nameProblem };
  if (!DECIMAL.test(rtText)) return { ok: false, reason: `bad rtMs ${JSON.stringify(rtText)} (a non-negative number)` };
  const rtMs = Math.round(Number(rtText));
  if (!Number.isSafeInteger(rtMs)) return { ok: false, reason: `rtMs ${rtText} is too large` };
  if (outcomeText !== 'ok' && outcomeText !== 'error' && outcomeText !== 'block') {
    return { ok: false, reason: `bad outcome ${JSON.stringify(outcomeText)} (ok, error or block)` };
  }
  let origin: string | undefined;
  if (originText !== undefined) {
    const originProblem = checkName('origin', originText);
    if (originProblem !== null) return { ok: false, reason: originProblem };
    origin = originText;
  }
  return { ok: true, line: { tsMs, resource, rtMs, outcome: outcomeText, origin } };
}

/** Longest line accepted; longer ones are reported as bad lines and skipped. */
export const MAX_LINE_BYTES = 8192;

/**
 * Splits a byte stream into lines; feed chunks, get complete lines (bytes without the newline),
 * or null for a line longer than MAX_LINE_BYTES. Memory stays bounded by MAX_LINE_BYTES.
 */
export class LineSplitter {
  private pending: Uint8Array = new Uint8Array(0);
  private overlong = false;

  push(chunk: Uint8Array, onLine: (bytes: Uint8Array | null) => void): void {
    let data = chunk;
    if (this.pending.length > 0) {
      data = new Uint8Array(this.pending.length + chunk.length);
      data.set(this.pending, 0);
      data.set(chunk, this.pending.length);
    }
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0x0a) continue;
      if (this.overlong || i - start > MAX_LINE_BYTES) onLine(null);
      else onLine(data.subarray(start, i));
      this.overlong = false;
      start = i + 1;
    }
    if (data.length - start > MAX_LINE_BYTES) {
      this.overlong = true;
      this.pending = new Uint8Array(0);
    } else {
      this.pending = data.slice(start);
    }
  }

  /** The last line, when the input did not end with a newline. */
  end(onLine: (bytes: Uint8Array | null) => void): void {
    if (this.overlong) onLine(null);
    else if (this.pending.length > 0) onLine(this.pending);
    this.pending = new Uint8Array(0);
    this.overlong = false;
  }
}

// Owns keeping the pin's `PIN` header in place while the collector runs. Filters do not read it,
// but `serve` and `run` refuse to start on a directory without it, and so do the query commands
// (`stats`, `top`): a PIN removed or changed while the collector runs would leave the collector
// counting and everyone else locked out, with nothing said. Checked at most once a second; what
// is wrong is put right (the header the collector opened the pin with, written as a new file and
// renamed into place) and reported once as E_PIN_LOST, or as E_PIN_WRITE while it cannot be.
// The file is looked at with lstat first, and read as a rules file is (rule-file-read.ts: opened
// O_NOFOLLOW|O_NONBLOCK, a regular file of its own, small): a FIFO or a link put there, even
// between the lstat and the open, is replaced, never followed or waited on.

import { lstatSync } from 'node:fs';
import { parsePinHeader, type PinHeader } from '@sentinel-wasi/protocol/encode';
import { readRuleFile, RuleFileReadError } from '../rules/rule-file-read.js';
import type { Problem } from '../stats/health.js';
import { writeHeader, type PinPaths } from './pin.js';

export const PIN_LOST = 'E_PIN_LOST';
export const PIN_WRITE = 'E_PIN_WRITE';
/** A PIN header is a line of JSON: anything larger is not one. */
const MAX_HEADER_BYTES = 4096;
const CHECK_INTERVAL_MS = 1000;

export interface PinGuardOptions {
  paths: PinPaths;
  /** The header the collector opened the pin with. */
  header: PinHeader;
  problems: { problem(p: Problem): void };
}

export class PinGuard {
  private readonly options: PinGuardOptions;
  private checkedAtMs = -Infinity;
  /** A write failure is reported once until the header is back. */
  private writeFailing = false;

  constructor(options: PinGuardOptions) {
    this.options = options;
  }

  /** Looks at the PIN file (at most once a second) and puts it right when it is not the header. */
  checkAt(nowMs: number): void {
    if (nowMs - this.checkedAtMs < CHECK_INTERVAL_MS) return;
    this.checkedAtMs = nowMs;
    const { paths, header, problems } = this.options;
    const why = this.whatIsWrong();
    if (why === null) {
      this.writeFailing = false;
      return;
    }
    try {
      writeHeader(paths, header);
    } catch (err) {
      if (!this.writeFailing) problems.problem({ atMs: nowMs, code: PIN_WRITE, message: `the pin header ${paths.header} ${why} while the collector ran, and cannot be written again: ${(err as Error).message}; serve, run, stats and top refuse the pin until it is (tried again every second)` });
      this.writeFailing = true;
      return;
    }
    this.writeFailing = false;
    problems.problem({ atMs: nowMs, code: PIN_LOST, message: `the pin header ${paths.header} ${why} while the collector ran (serve, run, stats and top refuse a pin without it): written again` });
  }

  /** Why the PIN file is not the collector's header, or null when it is. */
  private whatIsWrong(): string | null {
    const path = this.options.paths.header;
    let st;
    try {
      st = lstatSync(path);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'was removed' : null;
    }
    if (!st.isFile()) return `was replaced by ${st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? 'a directory' : 'something other than a file'}`;
    let text: string;
    try {
      text = readRuleFile(path, MAX_HEADER_BYTES);
    } catch (err) {
      if (err instanceof RuleFileReadError && err.code === 'E_RULES_NOT_FILE') return 'was replaced by something other than a file of its own';
      if (err instanceof RuleFileReadError && err.code === 'E_RULES_TOO_LARGE') return 'was changed';
      return null; // unreadable for a moment (a race with a rename): looked at again in a second
    }
    try {
      return JSON.stringify(parsePinHeader(JSON.parse(text))) === JSON.stringify(this.options.header) ? null : 'was changed';
    } catch {
      return 'was changed'; // not JSON, or not a pin header
    }
  }
}

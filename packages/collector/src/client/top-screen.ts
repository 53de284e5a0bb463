// Owns top's session. On a terminal: the alternate screen with the cursor hidden, keys read raw
// from stdin (q or Ctrl-C quits; any other key goes to the caller and redraws at once), a frame
// every interval and on resize, and the terminal given back as it was however the session ends
// (quit key, SIGINT, SIGTERM, or an error). Without a terminal on stdin it still refreshes and
// stops on SIGINT/SIGTERM. When stdout is not a terminal (a pipe, a file) it writes no control
// codes and reads no keys: a plain frame every interval, frames apart by a blank line (as `top -b`).
// A failed write to stdout (EPIPE when the reader goes away, or any other) ends the session
// quietly with exit 0, writing nothing more.

import { tryWrite, type OutputStream } from './output.js';
import { frameOrError } from './refresh.js';

const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';
const CURSOR_HIDE = '\x1b[?25l';
const CURSOR_SHOW = '\x1b[?25h';
const HOME_AND_CLEAR = '\x1b[H\x1b[2J';

/** What the session needs of stdout: a writable stream, with the size when it is a terminal. */
export interface ScreenOut extends OutputStream {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  on?(event: 'error', listener: (err: Error) => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

/** What the session needs of stdin (process.stdin). */
export interface KeyIn {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface ScreenSize {
  columns?: number;
  rows?: number;
}

export interface ScreenOptions {
  out: ScreenOut;
  input?: KeyIn;
  intervalMs: number;
  render(size: ScreenSize): Promise<string>;
  /** A key other than q / Ctrl-C (one character); the screen is redrawn right after. */
  onKey(key: string): void;
}

export function isQuitKey(key: string): boolean {
  return key === 'q' || key === 'Q' || key === '\x03';
}

/** Runs the session until a quit key, a signal or a failed write; resolves to the exit code (0). */
export async function runScreen(options: ScreenOptions): Promise<number> {
  const { out, input } = options;
  const tty = out.isTTY === true;
  const stop = new AbortController();
  let wake: (() => void) | undefined;
  let writable = true;
  const write = async (text: string): Promise<void> => {
    if (writable && (await tryWrite(out, text)) !== undefined) {
      writable = false;
      stop.abort();
    }
  };
  const keys = tty && input?.isTTY === true && typeof input.setRawMode === 'function' ? input : undefined;
  const onData = (chunk: Buffer | string): void => {
    for (const key of chunk.toString()) {
      if (isQuitKey(key)) stop.abort();
      else options.onKey(key);
    }
    wake?.();
  };
  const onSignal = (): void => {
    stop.abort();
    wake?.();
  };
  const onResize = (): void => wake?.();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  out.on?.('resize', onResize);
  if (keys !== undefined) {
    keys.setRawMode!(true);
    keys.on('data', onData);
    keys.resume();
  }
  try {
    if (tty) await write(ALT_SCREEN_ON + CURSOR_HIDE);
    for (let frame = 0; !stop.signal.aborted; frame++) {
      const text = await frameOrError(() => options.render(tty ? { columns: out.columns, rows: out.rows } : {}));
      if (stop.signal.aborted) break;
      await write(tty ? HOME_AND_CLEAR + text : (frame === 0 ? '' : '\n') + text);
      if (stop.signal.aborted) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, options.intervalMs);
        function done(): void {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
        if (stop.signal.aborted) done();
      });
    }
    return 0;
  } finally {
    if (keys !== undefined) {
      keys.off('data', onData);
      keys.setRawMode!(false);
      keys.pause();
    }
    out.off?.('resize', onResize);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (tty && writable) out.write(CURSOR_SHOW + ALT_SCREEN_OFF);
  }
}

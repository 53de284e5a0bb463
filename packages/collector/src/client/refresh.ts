// Owns the refresh loop of `stats --watch` (top has its own session: top-screen.ts): render a
// frame, clear the screen, print it, wait, again (on a stdout that is not a terminal: no screen
// clear, frames one after another with a blank line between them) — until stopped (Ctrl-C, i.e.
// SIGINT, unless the caller passes its own signal), the given number of frames, or the reader of
// stdout going away (EPIPE: exit 0; output.ts). A frame that fails to render shows its error and
// the loop goes on (frameOrError, which top's session uses too).

import type { CommandIo } from '@sentinel-wasi/protocol/node';
import { writeOutput } from './output.js';

const CLEAR_SCREEN = '\x1b[H\x1b[2J';

export interface RefreshOptions {
  maxFrames?: number;
  /** Ends the loop when aborted; default: a signal aborted by SIGINT while the loop runs. */
  stop?: AbortSignal;
}

/** A rendered frame; when rendering fails, its error as the frame's one line (`message (CODE)`). */
export async function frameOrError(render: () => Promise<string>): Promise<string> {
  try {
    return await render();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    return `${String(e.message ?? err)}${typeof e.code === 'string' ? ` (${e.code})` : ''}\n`;
  }
}

export async function refreshLoop(io: CommandIo, render: () => Promise<string>, intervalMs: number, options: RefreshOptions = {}): Promise<number> {
  const maxFrames = options.maxFrames ?? Infinity;
  const terminal = (io.stdout as { isTTY?: boolean }).isTTY === true;
  const own = options.stop === undefined ? new AbortController() : undefined;
  const stop = options.stop ?? own!.signal;
  const onSigint = () => own!.abort();
  if (own !== undefined) process.on('SIGINT', onSigint);
  try {
    for (let frame = 0; frame < maxFrames && !stop.aborted; frame++) {
      const text = await frameOrError(render);
      if (!(await writeOutput(io, (terminal ? CLEAR_SCREEN : frame > 0 ? '\n' : '') + text))) break;
      if (stop.aborted || frame + 1 >= maxFrames) break;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, intervalMs);
        stop.addEventListener('abort', done);
      });
    }
    return 0;
  } finally {
    if (own !== undefined) process.off('SIGINT', onSigint);
  }
}

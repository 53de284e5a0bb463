// Owns the refresh loop of `stats --watch` and `top`: render a frame, clear the screen, print it,
// wait, again — until Ctrl-C (SIGINT) or the given number of frames. A frame that fails to render
// shows its error and the loop goes on.

import type { CommandIo } from '../cli/command.js';

const CLEAR_SCREEN = '\x1b[H\x1b[2J';

export async function refreshLoop(io: CommandIo, render: () => Promise<string>, intervalMs: number, maxFrames = Infinity): Promise<number> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const onSigint = () => {
    stopped = true;
    wake?.();
  };
  process.on('SIGINT', onSigint);
  try {
    for (let frame = 0; frame < maxFrames && !stopped; frame++) {
      let text: string;
      try {
        text = await render();
      } catch (err) {
        const e = err as { code?: unknown; message?: unknown };
        text = `${String(e.message ?? err)}${typeof e.code === 'string' ? ` (${e.code})` : ''}\n`;
      }
      io.stdout.write(CLEAR_SCREEN + text);
      if (frame + 1 >= maxFrames) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs).unref();
      });
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

// Test helper: a pino logger whose JSON lines a test reads back, and a wait for the first line
// (from a given index on) whose message starts with a text.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface LogCapture<L extends { msg: string }> {
  logger: Logger;
  lines: L[];
  /** The first line from index `from` whose message starts with `start`, once it is logged (10 s at most). */
  logged(start: string, from?: number): Promise<L>;
}

export function captureLog<L extends { msg: string }>(): LogCapture<L> {
  const lines: L[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk)) as L); cb(); } }));
  const logged = async (start: string, from = 0): Promise<L> => {
    for (let i = 0; i < 500; i++) {
      const l = lines.slice(from).find((x) => x.msg.startsWith(start));
      if (l !== undefined) return l;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`never logged: ${start}; log:\n${lines.map((l) => l.msg).join('\n')}`);
  };
  return { logger, lines, logged };
}

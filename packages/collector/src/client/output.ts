// Owns writing a client command's output when its reader may go away. A failed write to stdout is
// never an unhandled 'error' event (a stack trace): the writer learns of it and stops. EPIPE — the
// reader closed the pipe, as `| head` does — is the normal end of the output: the command ends
// quietly with exit 0, as Unix tools do. Any other write error (a full disk, say) is E_STDOUT:
// one line on stderr, exit 1. Notes (noteOnceEach) go to stderr, each text once per command run.

import { QueryError } from './errors.js';

/** What is needed of a stream written to (stdout, stderr). */
export interface OutputStream {
  write(text: string, done?: (err?: Error | null) => void): unknown;
  on?(event: 'error', listener: (err: Error) => void): unknown;
}

const caught = new WeakSet<object>();

/** Keeps `out`'s write errors from being unhandled 'error' events (once per stream); writers see them in their callback. */
export function catchWriteErrors(out: OutputStream): void {
  if (typeof out.on !== 'function' || caught.has(out)) return;
  caught.add(out);
  out.on('error', () => {});
}

/** Writes `text`; resolves once the stream has taken it: undefined, or the write error. */
export function tryWrite(out: OutputStream, text: string): Promise<Error | undefined> {
  catchWriteErrors(out);
  return new Promise((resolve) => {
    out.write(text, (err) => resolve(err ?? undefined));
  });
}

/** The reader went away: EPIPE, or a write to the stream that EPIPE closed. */
export function readerGone(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/**
 * Writes a command's output to stdout: true once written, false when the reader has gone away (the
 * command stops and exits 0). Throws E_STDOUT for any other write error. Errors on stderr are caught
 * too (a note to a closed pipe is lost, not a crash).
 */
export async function writeOutput(io: { stdout: OutputStream; stderr: OutputStream }, text: string): Promise<boolean> {
  catchWriteErrors(io.stderr);
  const err = await tryWrite(io.stdout, text);
  if (err === undefined) return true;
  if (readerGone(err)) return false;
  throw new QueryError('E_STDOUT', `cannot write to stdout: ${err.message}`);
}

/**
 * The notes of a command that may render many times (`stats --watch`, `top`): each text written
 * once to stderr as `sentinel-wasi <command>: <text>`, never again in that run.
 */
export function noteOnceEach(stderr: OutputStream, command: string): (message: string) => void {
  const noted = new Set<string>();
  return (message) => {
    if (noted.has(message)) return;
    noted.add(message);
    stderr.write(`sentinel-wasi ${command}: ${message}\n`);
  };
}

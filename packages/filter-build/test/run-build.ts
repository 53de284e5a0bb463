// Test helper: `sentinel-wasi build …` through the command-line dispatcher in this process, with
// its stdout and stderr captured as text.

import { Writable } from 'node:stream';
import { main } from '../../cli/src/main.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/** Runs `sentinel-wasi build <argv…>`; resolves to its exit code and what it printed. */
export async function runBuild(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const out = sink();
  const err = sink();
  const code = await main(['build', ...argv], { stdout: out.stream, stderr: err.stream });
  return { code, stderr: err.text(), stdout: out.text() };
}

// Writing to a stdout whose reader goes away: EPIPE stops the writer quietly (exit 0), another
// write error is E_STDOUT; never an unhandled 'error' event. The refresh loop and top's terminal
// session stop at the first failed write, and top restores nothing on a stream that failed.
import t from 'tap';
import { Writable } from 'node:stream';
import { noteOnceEach, writeOutput } from '../../src/client/output.js';
import { refreshLoop } from '../../src/client/refresh.js';
import { runScreen } from '../../src/client/top-screen.js';

/** A stream that takes `ok` writes, then fails every write with `code`. */
function failing(code: string, ok = 0): Writable & { text: string } {
  const out = new Writable({
    write(chunk, _enc, done) {
      if (ok-- > 0) {
        out.text += String(chunk);
        done();
      } else done(Object.assign(new Error(`write ${code}`), { code }));
    },
  }) as Writable & { text: string };
  out.text = '';
  return out;
}

t.test('writeOutput: written, reader gone (EPIPE), or E_STDOUT', async (t) => {
  const sink = failing('EPIPE', 1);
  const io = { stdout: sink, stderr: failing('EPIPE') };
  t.equal(await writeOutput(io, 'a'), true);
  t.equal(await writeOutput(io, 'b'), false, 'EPIPE: the reader went away');
  t.equal(await writeOutput(io, 'c'), false, 'and the stream it closed');
  t.equal(sink.text, 'a');
  await t.rejects(writeOutput({ stdout: failing('ENOSPC'), stderr: sink }, 'x'), { code: 'E_STDOUT', message: 'cannot write to stdout: write ENOSPC' });
});

t.test('stats --watch: the loop ends, exit 0, when the reader goes away', async (t) => {
  const stdout = failing('EPIPE', 2);
  let frames = 0;
  const code = await refreshLoop({ stdout, stderr: stdout }, async () => `frame ${++frames}\n`, 1, { maxFrames: 10 });
  t.equal(code, 0);
  t.equal(frames, 3, 'the third frame could not be written: no fourth');
});

t.test('top: a failed write ends the session with exit 0; a failed terminal gets no restore codes', async (t) => {
  const pipe = failing('EPIPE', 1);
  let frames = 0;
  t.equal(await runScreen({ out: pipe, intervalMs: 1, render: async () => `frame ${++frames}\n`, onKey: () => {} }), 0);
  t.same([pipe.text, frames], ['frame 1\n', 2], 'a plain frame, no control codes; stops at the failed second one');

  const tty = Object.assign(failing('EIO', 2), { isTTY: true, columns: 80, rows: 24 });
  t.equal(await runScreen({ out: tty, intervalMs: 1, render: async () => 'frame\n', onKey: () => {} }), 0);
  t.equal(tty.text, '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2Jframe\n', 'alternate screen, one frame; nothing written after the failure');
});

t.test('noteOnceEach: each note once per run, with the command prefix', async (t) => {
  const written: string[] = [];
  const note = noteOnceEach({ write: (text: string) => written.push(text) }, 'stats');
  note('the collector stopped with 1 second not yet in the metric log');
  note('the collector stopped with 1 second not yet in the metric log');
  note('another');
  t.same(written, ['sentinel-wasi stats: the collector stopped with 1 second not yet in the metric log\n', 'sentinel-wasi stats: another\n']);
});

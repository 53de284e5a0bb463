// The refresh loop behind `stats --watch`: frames with a screen clear on a terminal (one after
// another, no control codes, elsewhere), errors shown in place.
import t from 'tap';
import { Writable } from 'node:stream';
import { refreshLoop } from '../../src/client/refresh.js';
import { QueryError } from '../../src/client/errors.js';

t.test('renders frames, shows a failing frame as its error, stops after maxFrames', async (t) => {
  let out = '';
  const stdout = Object.assign(new Writable({ write: (c, _e, done) => ((out += c.toString()), done()) }), { isTTY: true });
  let n = 0;
  const listenersBefore = process.listenerCount('SIGINT');
  const code = await refreshLoop(
    { stdout, stderr: stdout },
    async () => {
      n++;
      if (n === 2) throw new QueryError('E_UNREACHABLE', 'no collector answers');
      return `frame ${n}\n`;
    },
    1,
    { maxFrames: 3 },
  );
  t.equal(code, 0);
  t.equal(n, 3);
  t.equal(out, '\x1b[H\x1b[2Jframe 1\n\x1b[H\x1b[2Jno collector answers (E_UNREACHABLE)\n\x1b[H\x1b[2Jframe 3\n');
  t.equal(process.listenerCount('SIGINT'), listenersBefore, 'the SIGINT handler is removed');
});

t.test('on a stdout that is not a terminal: no screen clear, a blank line between frames', async (t) => {
  let out = '';
  const stdout = new Writable({ write: (c, _e, done) => ((out += c.toString()), done()) });
  let n = 0;
  const code = await refreshLoop({ stdout, stderr: stdout }, async () => `frame ${++n}\n`, 1, { maxFrames: 3 });
  t.equal(code, 0);
  t.equal(out, 'frame 1\n\nframe 2\n\nframe 3\n');
});

t.test('the stop signal ends the loop, also in the middle of a wait', async (t) => {
  let frames = 0;
  const stdout = new Writable({ write: (_c, _e, done) => done() });
  const stop = new AbortController();
  const during = refreshLoop({ stdout, stderr: stdout }, async () => {
    frames++;
    if (frames === 2) stop.abort();
    return 'x\n';
  }, 1, { stop: stop.signal });
  t.equal(await during, 0);
  t.equal(frames, 2, 'aborted while rendering frame 2: no frame 3');

  const waiting = new AbortController();
  let rendered = 0;
  const loop = refreshLoop({ stdout, stderr: stdout }, async () => {
    rendered++;
    setImmediate(() => waiting.abort());
    return 'x\n';
  }, 3_600_000, { stop: waiting.signal });
  t.equal(await loop, 0, 'an hour-long wait ends at once on abort');
  t.equal(rendered, 1);
});

// The frame stamp: the next frame's number, and the clearing of the stamps when the numbers wrap,
// so that an index stamped before the wrap never reads as current after it.

import t from 'tap';
import { nextFrameStamp } from '../src/frame-stamps.js';

t.test('the next stamp is one more, and the stamps are left as they are', async (t) => {
  const stamps = new Int32Array([0, 5, 41, 7]);
  t.equal(nextFrameStamp(0, stamps), 1);
  t.equal(nextFrameStamp(41, stamps), 42);
  t.equal(nextFrameStamp(0x7ffffffe, stamps), 0x7fffffff);
  t.same([...stamps], [0, 5, 41, 7]);
});

t.test('after 2^31 - 1 the stamp is 1 again and every stamp is cleared', async (t) => {
  const stamps = new Int32Array([1, 0x7fffffff, 3, 0]);
  const next = nextFrameStamp(0x7fffffff, stamps);
  t.equal(next, 1);
  t.same([...stamps], [0, 0, 0, 0]);
  // Index 0 was stamped 1 in a frame long before the wrap: it is not current in the new frame 1.
  t.not(stamps[0], next);
});

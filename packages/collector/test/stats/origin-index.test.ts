// The origin index (origin-index.ts): (resource entry id, origin number) → the origin node's stage
// index, through an open-addressing table that grows; only origins with a node are numbered.

import t from 'tap';
import { OriginIndex } from '../../src/stats/origin-index.js';

t.test('an origin has a number only once a node of it is added; numbers count up from 0', async (t) => {
  const index = new OriginIndex();
  t.equal(index.numberOf('app-a'), -1);
  index.add(7, 'app-a', 100);
  index.add(8, 'app-b', 101);
  index.add(9, 'app-a', 102);
  t.equal(index.numberOf('app-a'), 0);
  t.equal(index.numberOf('app-b'), 1);
  t.equal(index.numberOf('app-c'), -1);
  t.equal(index.find(7, 0), 100);
  t.equal(index.find(8, 1), 101);
  t.equal(index.find(9, 0), 102);
  t.equal(index.find(7, 1), -1, 'entry 7 has no node of app-b');
  t.equal(index.find(8, 0), -1, 'entry 8 has no node of app-a');
  t.equal(index.find(0, 0), -1, 'entry 0 is not entry 7 (ids are stored + 1)');
});

t.test('every pair is found after the table grew many times; pairs never added are not', async (t) => {
  const index = new OriginIndex();
  const origins = Array.from({ length: 40 }, (_, i) => `origin-${i}`);
  // 300 entries × 40 origins = 12 000 nodes: the table (1 024 places at first, at most half full) doubles 5 times.
  let stageIndex = 0;
  for (let entry = 0; entry < 300; entry++) for (const o of origins) if ((entry + o.length) % 3 !== 0) index.add(entry, o, stageIndex++);
  let wrong = 0;
  let expected = 0;
  for (let entry = 0; entry < 300; entry++) {
    for (const o of origins) {
      const got = index.find(entry, index.numberOf(o));
      if ((entry + o.length) % 3 !== 0) {
        if (got !== expected++) wrong++;
      } else if (got !== -1) wrong++;
    }
  }
  t.equal(expected, stageIndex, 'every added pair visited');
  t.equal(wrong, 0, 'each added pair gives its own stage index, each other pair -1');
  t.equal(index.find(300, 0), -1);
});

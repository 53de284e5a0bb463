// A frame's name indexes resolved to resource entries (kept as the entry's id and its node's stage
// index): resolved once per frame, forgotten at the next frame without clearing, and still
// forgotten when the frame stamps wrap.

import t from 'tap';
import { FrameEntries } from '../../src/stats/frame-entries.js';
import { ResourceRegistry } from '../../src/stats/registry.js';

t.test('an index is resolved for the rest of its frame only', async (t) => {
  const registry = new ResourceRegistry();
  const a = registry.entryFor('GET /a');
  const b = registry.entryFor('GET /b');
  const entries = new FrameEntries();
  entries.nextFrame();
  t.equal(entries.has(0), false);
  t.equal(entries.set(0, a), a);
  t.equal(entries.set(7, null), null, 'beyond the cap: null is kept as the answer too');
  t.equal(entries.has(0), true);
  t.equal(registry.entryAt(entries.idOf(0)), a, 'the entry, by the id kept');
  t.equal(entries.stageIndexOf(0), a!.node.stageIndex);
  t.equal(entries.has(7), true);
  t.equal(registry.entryAt(entries.idOf(7)), null);
  t.equal(entries.stageIndexOf(7), -1);
  t.equal(entries.has(1), false);
  entries.nextFrame();
  t.equal(entries.has(0), false, 'a new frame resolves its names again');
  t.equal(entries.has(7), false);
  entries.set(0, b);
  t.equal(registry.entryAt(entries.idOf(0)), b);
});

t.test('an index resolved before the stamps wrap is not current after', async (t) => {
  const registry = new ResourceRegistry();
  const entries = new FrameEntries();
  entries.nextFrame(); // frame 1
  entries.set(5, registry.entryFor('GET /first'));
  entries.nextFrame(); // frame 2
  entries.set(6, registry.entryFor('GET /second'));
  // Skip to the last stamp (it is private: 2^31 frames are too many to run).
  (entries as unknown as { stamp: number }).stamp = 0x7fffffff - 1;
  entries.nextFrame(); // 2^31 - 1
  t.equal(entries.has(5), false);
  entries.nextFrame(); // wraps to 1: index 5 was stamped 1 in the first frame, long ago
  t.equal(entries.has(5), false);
  entries.nextFrame(); // 2
  t.equal(entries.has(6), false);
});

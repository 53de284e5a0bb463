// NodeVo: integer truncation as Java's (long) casts, and jsonTree's pre-order list with parent links.
import t from 'tap';
import { jsonTree, toNodeVo } from '../../src/http/node-vo.js';
import { node } from './fixed-query.js';

t.test('NodeVo truncates rates and RT to integers as (long) casts do', async (t) => {
  const vo = toNodeVo(node('x', '', { passQps: 2.99, blockQps: 0.5, avgRtMs: 7.9, exceptionQps: 0.1 }, { pass: 5, block: 2, exception: 1 }, 3), 42);
  t.same([vo.passQps, vo.blockQps, vo.totalQps, vo.averageRt, vo.exceptionQps, vo.oneMinutePass, vo.oneMinuteTotal, vo.threadNum, vo.timestamp], [2, 0, 3, 7, 0, 5, 7, 3, 42]);
});

t.test('jsonTree: machine-root, the entrance, the resources; sums taken before truncation', async (t) => {
  const tree = jsonTree([node('a', '', { passQps: 1.5, avgRtMs: 9 }, { pass: 4 }), node('b', '', { passQps: 1.5, avgRtMs: 3 }, { pass: 2 }, 1)], 7);
  t.same(tree.map((n) => n.resource), ['machine-root', 'sentinel_default_context', 'a', 'b']);
  const [root, entrance, a, b] = tree;
  t.notOk('parentId' in root!, 'the root has no parent (fastjson leaves out a null)');
  t.same([entrance!.parentId, a!.parentId, b!.parentId], [root!.id, entrance!.id, entrance!.id]);
  t.equal(new Set(tree.map((n) => n.id)).size, 4, 'every node its own id');
  t.same([entrance!.passQps, entrance!.totalQps, entrance!.averageRt, entrance!.oneMinuteTotal, entrance!.threadNum, entrance!.timestamp], [3, 3, 6, 6, 1, 7], '1.5 + 1.5 = 3 (1 + 1 truncated first); RT (1.5·9 + 1.5·3) / 3');
  t.same(jsonTree([], 7).map((n) => n.resource), ['machine-root'], 'no resource: the root alone');
});

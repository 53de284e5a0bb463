import t from 'tap';
import { bucketSecOf, parseSegmentName, segmentName, isValidWriterId, ProtocolError } from '../src/index.js';

t.test('segment names round-trip and reject bad input', async (t) => {
  t.equal(bucketSecOf(1764120009999), 1764120000);
  t.equal(bucketSecOf(1764120010000), 1764120010);
  t.equal(segmentName(1764120000, 'shared'), '1764120000-shared.seg');
  t.same(parseSegmentName('1764120000-shared.seg'), { bucketSec: 1764120000, writer: 'shared' });
  t.equal(parseSegmentName('1764120001-shared.seg'), null, 'bucket not a multiple of 10');
  t.equal(parseSegmentName('1764120000-Shared.seg'), null, 'upper case writer');
  t.equal(parseSegmentName('1764120000-shared.seg.tmp'), null);
  t.equal(isValidWriterId('a'.repeat(32)), true);
  t.equal(isValidWriterId('a'.repeat(33)), false);
  t.throws(() => segmentName(1764120000, 'bad/writer'), { code: 'E_BAD_NAME' });
  t.throws(() => segmentName(1764120005, 'w'), ProtocolError);
});

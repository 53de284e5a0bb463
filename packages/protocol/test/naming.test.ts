import t from 'tap';
import { appNameProblem, bucketSecOf, makePinHeader, parsePinHeader, parseSegmentName, segmentName, isValidWriterId, ProtocolError } from '../src/index.js';

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

t.test('app names: they name the metric log files, so no "/", "\\", control characters or more than 200 bytes', async (t) => {
  t.equal(appNameProblem('shop.app-1_订单'), undefined);
  t.equal(appNameProblem('x'.repeat(200)), undefined);
  t.equal(appNameProblem('../../evil'), 'app must not hold "/", "\\" or control characters (it names the metric log\'s files), got "../../evil"');
  t.equal(appNameProblem('a\\b'), 'app must not hold "/", "\\" or control characters (it names the metric log\'s files), got "a\\\\b"');
  t.equal(appNameProblem('a\nb'), 'app must not hold "/", "\\" or control characters (it names the metric log\'s files), got "a\\nb"');
  t.equal(appNameProblem('a\u007fb') !== undefined, true, 'DEL');
  t.equal(appNameProblem('x'.repeat(201)), "app must be at most 200 bytes of UTF-8 (it names the metric log's files), got 201");
  t.equal(appNameProblem('订'.repeat(67)), "app must be at most 200 bytes of UTF-8 (it names the metric log's files), got 201", '3 bytes a character');
  t.throws(() => makePinHeader('a/b'), { code: 'E_BAD_PIN' });
  t.same(makePinHeader('shop.app'), { format: 'sentinel-wasi-pin', version: 1, app: 'shop.app' });
  t.throws(() => parsePinHeader({ format: 'sentinel-wasi-pin', version: 1, app: '../x' }), { code: 'E_BAD_PIN', message: /^E_BAD_PIN: PIN app must not hold "\/"/ });
});

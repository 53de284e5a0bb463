// Parsing a transport command request as Sentinel's HttpEventTask does (command-request.ts).

import t from 'tap';
import { isFormContentType, parseCommandTarget, parseParams } from '../../src/http/command-request.js';

t.test('the command is the path after the first /, without query or anchor', async (t) => {
  t.equal(parseCommandTarget('/metric?startTime=1').command, 'metric');
  t.equal(parseCommandTarget('/cluster/server/flowRules').command, 'cluster/server/flowRules');
  t.equal(parseCommandTarget('/version#top').command, 'version');
  t.same([...parseCommandTarget('/version').params], []);
});

t.test('pairs: decoded, trimmed, short or empty ones ignored, later ones win', async (t) => {
  const p = parseParams('a=1&bb=x+y%20z&c=&=v&d&e=%E4%B8%AD& f = 2 &a=3#g=4');
  t.same([...p], [
    ['a', '3'],
    ['bb', 'x y z'],
    ['e', '中'],
    ['f', '2'],
  ]);
  t.same([...p.undecodable], []);
});

t.test('a value that is not valid URL encoding is skipped and its key noted', async (t) => {
  const p = parseParams('type=flow&data=%5B%zz');
  t.same([...p], [['type', 'flow']]);
  t.same([...p.undecodable], ['data']);
  // A later pair for the key that decodes takes its place; one that does not decode leaves the earlier value.
  parseParams('data=%5B%5D', p);
  t.same([...p], [['type', 'flow'], ['data', '[]']]);
  t.same([...p.undecodable], []);
  parseParams('type=%E0%A4%A', p);
  t.equal(p.get('type'), 'flow');
  t.same([...p.undecodable], ['type']);
  // An undecodable key is skipped with its pair, and not noted (there is no key to name).
  t.same([...parseParams('%zz=1').undecodable], []);
});

t.test('form content types', async (t) => {
  t.equal(isFormContentType('application/x-www-form-urlencoded'), true);
  t.equal(isFormContentType('Application/X-WWW-Form-Urlencoded; charset=UTF-8'), true);
  t.equal(isFormContentType('application/json'), false);
  t.equal(isFormContentType(undefined), false);
});

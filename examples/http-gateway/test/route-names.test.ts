// The gateway names each route with resourceName, so no request path can make a name the recorder
// refuses or the collector cannot read: a cut that splits a surrogate pair, control characters.
import t from 'tap';
import { Sentinel } from '@sentinel-wasi/filter/core';
import { handleRequest, MAX_PATH_CHARS } from '../src/gateway.js';
import { MemoryHost, decodeSegment } from '../../../packages/filter/test/fake-host.js';

t.test('paths that would break a name become valid names, recorded as given', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host);
  const emoji = handleRequest(s, 'GET', `/${'😀'.repeat(MAX_PATH_CHARS)}`);
  t.equal(emoji.status, 200);
  t.equal(emoji.resource, `GET /${'😀'.repeat((MAX_PATH_CHARS - 2) / 2)}\ufffd`, 'the half pair the cut left becomes U+FFFD');
  const ctl = handleRequest(s, 'GET', '/a\x1b[2J\x7fb?origin=x%00\x07y');
  t.equal(ctl.resource, 'GET /a_[2J_b');
  const events = [...host.segments.keys()].flatMap((seg) => decodeSegment(host.bytesOf(seg)).events);
  t.same(
    events.map((e) => [e.name, 'origin' in e ? e.origin : undefined]),
    [
      [emoji.resource, undefined],
      [emoji.resource, undefined],
      ['GET /a_[2J_b', 'x%00_y'],
      ['GET /a_[2J_b', 'x%00_y'],
    ],
    'entry and exit of each, under the names returned',
  );
});

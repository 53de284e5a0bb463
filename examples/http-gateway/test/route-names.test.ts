// The gateway names each route with resourceName, so no request path can make a name the recorder
// refuses or the collector cannot read: lone surrogates, control characters, any length.
import t from 'tap';
import { Sentinel } from '@sentinel-wasi/filter/core';
import { handleRequest } from '../src/gateway.js';
import { MemoryHost, decodeSegment } from '../../../packages/filter/test/fake-host.js';

t.test('paths that would break a name become valid names, recorded as given', async (t) => {
  const host = new MemoryHost();
  const s = new Sentinel(host);
  const emoji = handleRequest(s, 'GET', `/${'😀'.repeat(256)}\ud800`);
  t.equal(emoji.status, 200);
  t.match(emoji.resource, new RegExp(`^GET /${'😀'.repeat(60)}~[0-9a-f]{8}$`, 'u'), 'cut between whole characters, with the hash of the whole path');
  const lone = handleRequest(s, 'GET', '/a\ud800b\udc00');
  t.equal(lone.resource, 'GET /a\ufffdb\ufffd', 'lone surrogates become U+FFFD');
  const ctl = handleRequest(s, 'GET', '/a\x1b[2J\x7fb?origin=x%00\x07y');
  t.equal(ctl.resource, 'GET /a_[2J_b');
  const events = [...host.segments.keys()].flatMap((seg) => decodeSegment(host.bytesOf(seg)).events);
  t.same(
    events.map((e) => [e.name, 'origin' in e ? e.origin : undefined]),
    [
      [emoji.resource, undefined],
      [emoji.resource, undefined],
      [lone.resource, undefined],
      [lone.resource, undefined],
      ['GET /a_[2J_b', 'x%00_y'],
      ['GET /a_[2J_b', 'x%00_y'],
    ],
    'entry and exit of each, under the names returned',
  );
});

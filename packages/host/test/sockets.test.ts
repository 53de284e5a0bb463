// "Sockets are disabled" (README): what a component that tries the network gets under the Node
// host. The filter SDK's worlds import no wasi:sockets, so the fixture (fixtures/socket-probe) is a
// command filter built, as a user would build one, against a world of its own that includes the
// SDK's command world and imports wasi:sockets; it tries every way in and prints each outcome.
// Under `sentinel-wasi run`: socket resources can be created (create-tcp-socket and
// create-udp-socket succeed, nothing is opened), but a TCP connect, a TCP bind and a UDP bind each
// fail with the error code access-denied and a name lookup with permanent-resolver-failure; a
// listener on 127.0.0.1 the component tries to reach sees no connection, and the run ends normally
// (exit 0). `serve` builds every instance's imports with the same function (imports.ts).

import { createServer } from 'node:net';
import t from 'tap';
import { runUnderNode } from '../../../test/helpers/node-host.js';
import { builtSocketProbe } from './host-fixtures.js';

t.test('run: a component cannot connect, bind or look a name up; socket resources alone are made', async (t) => {
  const component = builtSocketProbe();
  let connections = 0;
  const listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => listener.close(() => resolve())));
  const port = (listener.address() as { port: number }).port;

  const r = await runUnderNode({ component, pin: undefined, args: [String(port)] });
  t.same(r, {
    code: 0,
    stdout: [
      'instance-network: ok',
      'resolve-addresses localhost: error permanent-resolver-failure',
      'create-tcp-socket: ok',
      `tcp start-connect 127.0.0.1:${port}: error access-denied`,
      'create-tcp-socket: ok',
      'tcp start-bind 127.0.0.1:0: error access-denied',
      'create-udp-socket: ok',
      'udp start-bind 127.0.0.1:0: error access-denied',
      '',
    ].join('\n'),
    stderr: '',
  });
  // A connection the host let through would have been accepted by now: the run has ended.
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(connections, 0, 'the listener saw no connection');
});

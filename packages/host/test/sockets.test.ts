// "Sockets are disabled" (README): what a component that tries the network gets under the Node
// host. The filter SDK's worlds import no wasi:sockets, so the fixture (fixtures/socket-probe) is a
// command filter built, as a user would build one, against a world of its own that includes the
// SDK's command world and imports wasi:sockets; it tries every way in and prints each outcome.
// Under `sentinel-wasi run`: socket resources can be created (create-tcp-socket and
// create-udp-socket succeed, nothing is opened), but a TCP connect, a TCP bind and a UDP bind each
// fail with the error code access-denied and a name lookup with permanent-resolver-failure; a
// listener on 127.0.0.1 the component tries to reach sees no connection, and the run ends normally
// (exit 0). `serve` builds every instance's imports with the same function (imports.ts).

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import t from 'tap';
import { buildOnce, listFiles } from '../../../test/helpers/build-once.js';
import { runUnderNode } from '../../../test/helpers/node-host.js';
import { CACHE_DIR, CLI_BIN, REPO_ROOT } from '../../../test/helpers/repo.js';

const FIXTURE = 'packages/host/test/fixtures/socket-probe';

/** What the built component depends on: the fixture, the SDK's WIT and globals, the build, the engine. */
const BUILD_INPUTS = [
  FIXTURE,
  'packages/filter/wit',
  'packages/filter/dist',
  'packages/filter/package.json',
  'packages/filter-build/dist',
  'node_modules/@bytecodealliance/jco/package.json',
  'node_modules/componentize-qjs/package.json',
];

/** The fixture built with `sentinel-wasi build --wit` (QuickJS, about 10 s), cached under .cache/host-fixtures/ by its inputs' hash. */
function builtProbe(): string {
  const hash = createHash('sha256');
  for (const file of BUILD_INPUTS.flatMap((p) => listFiles(join(REPO_ROOT, p)))) {
    if (file.endsWith('.map') || file.endsWith('.tsbuildinfo')) continue;
    hash.update(relative(REPO_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  const dir = join(CACHE_DIR, 'host-fixtures');
  const out = join(dir, `socket-probe-${hash.digest('hex').slice(0, 16)}.wasm`);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `socket-probe-${process.pid}.tmp.wasm`);
  try {
    buildOnce(out, tmp, () => {
      const built = spawnSync(
        process.execPath,
        [CLI_BIN, 'build', join(REPO_ROOT, FIXTURE, 'probe.js'), '-o', tmp, '--wit', join(REPO_ROOT, FIXTURE, 'wit'), '--world-name', 'socket-probe'],
        { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 },
      );
      if (built.status !== 0) throw new Error(`building ${FIXTURE} failed (exit ${built.status}):\n${built.stderr}`);
    });
  } finally {
    rmSync(`${tmp}.map`, { force: true });
  }
  // Builds of inputs since changed (the SDK is rebuilt often): keep only this one.
  for (const old of readdirSync(dir)) {
    if (/^socket-probe-[0-9a-f]{16}\.wasm$/.test(old) && join(dir, old) !== out) rmSync(join(dir, old), { force: true });
  }
  return out;
}

t.test('run: a component cannot connect, bind or look a name up; socket resources alone are made', async (t) => {
  const component = builtProbe();
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

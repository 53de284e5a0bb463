// `run` and `serve` refuse a pin this user may not enter, or whose log directory it may not write
// (or, with no log directory yet, the pin itself, where the filter makes it) (E_PIN_ACCESS, exit
// 1, before anything runs), instead of running a filter whose every append fails; a pin preopened
// read-only needs no write access, and a pin shared with the user's group (its PIN kept to the
// collector's user) is used, its records written. Run as the unprivileged
// user (`nobody`, when the tests run as root) on pins the test makes.

import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fixtureComponent } from '../../../test/helpers/fixtures.js';
import { ensurePin } from '../../collector/src/pin/pin.js';
import { runCliUnprivileged, tempDir, UNPRIVILEGED } from '../../../test/helpers/repo.js';

const BUCKET = 1764000000;
const component = fixtureComponent('append-cli');

t.test('a pin this user may not enter or write is refused with E_PIN_ACCESS; read-only needs no write; a group-shared pin is used', async (t) => {
  if (UNPRIVILEGED.uid === undefined) {
    t.pass('not run', { skip: 'needs root, to make pins another user may or may not use' });
    return;
  }
  const probe = await runCliUnprivileged(['--version']);
  if (probe.code !== 0) {
    t.pass('not run', { skip: `the unprivileged user cannot run the command line here (exit ${probe.code}: ${probe.stderr.trim()})` });
    return;
  }
  const dir = await tempDir(t, 'pin-access');
  chmodSync(dir, 0o755);
  readFileSync(component); // the fixture is built
  const cache = join(dir, 'cache');
  mkdirSync(cache, { mode: 0o777 });
  chmodSync(cache, 0o777);
  const run = (pin: string, extra: string[] = []) =>
    runCliUnprivileged(['run', component, '--pin', pin, ...extra, '--cache-dir', cache, '--', 'append', 'w1', '3', 'res', String(BUCKET)]);
  const serve = (pin: string, extra: string[] = []) => runCliUnprivileged(['serve', fixtureComponent('append-http'), '--pin', pin, ...extra, '--port', '0', '--cache-dir', cache]);

  // Root's pin, 0700: nobody may not enter it.
  const closed = join(dir, 'closed');
  ensurePin(closed);
  chmodSync(closed, 0o700);
  const who = `this user (uid ${UNPRIVILEGED.uid}, groups ${UNPRIVILEGED.gid})`;
  const advice = `so every record the filter writes would be lost: run as the pin's user, or share the pin with a group (packages/host/README.md, "A pin, or nothing") (E_PIN_ACCESS)\n`;
  const enter = (command: string) => `sentinel-wasi ${command}: ${who} may not enter ${closed} (mode 0700, owner uid 0, group gid 0), ${advice}`;
  t.same(await run(closed), { code: 1, stdout: '', stderr: enter('run') });
  t.same(await run(closed, ['--pin-read-only']), { code: 1, stdout: '', stderr: enter('run') }, 'read-only: it must still enter it');
  t.same(await serve(closed), { code: 1, stdout: '', stderr: enter('serve') });
  t.same(await serve(closed, ['--pin-read-only']), { code: 1, stdout: '', stderr: enter('serve') });

  // Shared with nobody's group for reading only: it may enter the pin, not write its log directory.
  const readers = join(dir, 'readers');
  ensurePin(readers);
  for (const d of [readers, join(readers, 'log')]) chownSync(d, 0, UNPRIVILEGED.gid!);
  chmodSync(readers, 0o750);
  chmodSync(join(readers, 'log'), 0o750);
  chmodSync(join(readers, 'PIN'), 0o600);
  const log = join(readers, 'log');
  t.same(await run(readers), { code: 1, stdout: '', stderr: `sentinel-wasi run: ${who} may not write in ${log} (mode 0750, owner uid 0, group gid ${UNPRIVILEGED.gid}), ${advice}` });
  const readOnly = await run(readers, ['--pin-read-only']);
  t.equal(readOnly.code, 0, readOnly.stderr);
  t.equal(readOnly.stdout, 'appended 0 dropped 3\n', 'read-only: it runs (and its appends are refused, as with --pin-read-only anywhere)');

  // No log/ yet: the filter would make it, so it must be able to write in the pin.
  const bare = join(dir, 'bare');
  ensurePin(bare);
  rmSync(join(bare, 'log'), { recursive: true });
  chownSync(bare, 0, UNPRIVILEGED.gid!);
  chmodSync(bare, 0o750);
  t.same(await run(bare), { code: 1, stdout: '', stderr: `sentinel-wasi run: ${who} may not make log/ in ${bare} (mode 0750, owner uid 0, group gid ${UNPRIVILEGED.gid}), ${advice}` });
  chmodSync(bare, 0o770);
  const made = await run(bare);
  t.same([made.code, made.stdout], [0, 'appended 3 dropped 0\n'], made.stderr);
  t.equal(readdirSync(join(bare, 'log')).length, 1, 'the filter made log/ and wrote its segment');

  // Shared with its group for writing (log/ 0770): used, the records written, though the PIN is unreadable.
  chmodSync(log, 0o770);
  const shared = await run(readers);
  t.same([shared.code, shared.stdout], [0, 'appended 3 dropped 0\n'], shared.stderr);
  t.equal(readdirSync(log).length, 1, 'one segment written');
});

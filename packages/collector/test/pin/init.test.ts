// `sentinel-wasi init` on paths that are not (yet) pins: a file, a path through a file
// (E_PIN_NOT_DIRECTORY), an existing directory (made a pin, mode 0700, and said so), a pin this user
// may not read (E_PIN_ACCESS; run as uid 65534 when the tests run as root, who may read anything).

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePin } from '../../src/pin/pin.js';
import { runCli } from '../cli/run-cli.js';

const CLI = fileURLToPath(new URL('../cli/fixtures/cli.ts', import.meta.url));

t.test('a file is not a pin: E_PIN_NOT_DIRECTORY, and nothing is changed', async (t) => {
  const file = join(t.testdir({ 'pin.txt': 'mine' }), 'pin.txt');
  const r = await runCli('init', '--pin', file);
  t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi init: ${file} exists and is not a directory: a pin is a directory (give --pin a directory, or a path that does not exist yet) (E_PIN_NOT_DIRECTORY)\n` });
  t.equal(readFileSync(file, 'utf8'), 'mine');
  const below = join(file, 'pin');
  const through = await runCli('init', '--pin', below);
  t.same(through, { code: 1, stdout: '', stderr: `sentinel-wasi init: cannot create ${below}: a part of its path is a file, not a directory (E_PIN_NOT_DIRECTORY)\n` });
});

t.test('a sub-directory name taken by a file: E_PIN_NOT_DIRECTORY naming it', async (t) => {
  const pin = join(t.testdir({ pin: { log: 'a file' } }), 'pin');
  const r = await runCli('init', '--pin', pin);
  t.same(r, { code: 1, stdout: '', stderr: `sentinel-wasi init: ${join(pin, 'log')} exists and is not a directory: the pin needs a directory there (E_PIN_NOT_DIRECTORY)\n` });
});

t.test('an existing directory is made a pin: mode 0700 as before, and the output says what was done', async (t) => {
  const pin = join(t.testdir({ pin: { 'notes.txt': 'kept' } }), 'pin');
  chmodSync(pin, 0o755);
  const r = await runCli('init', '--pin', pin, '--app', 'shop');
  t.same(r, { code: 0, stdout: `made ${pin} a pin (app shop; mode 0700, was 0755)\n`, stderr: '' });
  t.equal(statSync(pin).mode & 0o777, 0o700);
  t.equal(readFileSync(join(pin, 'notes.txt'), 'utf8'), 'kept');
  t.same(await runCli('init', '--pin', pin), { code: 0, stdout: `exists ${pin} (app shop)\n`, stderr: '' }, 'then it is a pin');
  const private0700 = join(t.testdir({ p: {} }), 'p');
  chmodSync(private0700, 0o700);
  t.equal((await runCli('init', '--pin', private0700)).stdout, `made ${private0700} a pin (app p; mode 0700)\n`);
  const fresh = join(t.testdir(), 'new');
  t.equal((await runCli('init', '--pin', fresh)).stdout, `created ${fresh} (app new)\n`);
  t.same([ensurePin(join(t.testdir(), 'x')).formerDirMode, ensurePin(fresh).formerDirMode], [null, null], 'a new directory, an existing pin: no former mode');
});

t.test('a pin this user may not read: E_PIN_ACCESS naming the file, the user and what refused it', async (t) => {
  const root = t.testdir();
  const pin = join(root, 'pin');
  ensurePin(pin, 'app'); // 0700, owned by the user running the tests
  chmodSync(root, 0o755);
  const asRoot = process.geteuid!() === 0;
  const uid = asRoot ? 65534 : process.geteuid!();
  if (!asRoot) chmodSync(join(pin, 'PIN'), 0o000);
  t.teardown(() => {
    if (existsSync(join(pin, 'PIN'))) chmodSync(join(pin, 'PIN'), 0o600);
  });
  // Through `env -i`: the test runner's hooks in the child's environment would have it write where uid 65534 may not.
  const r = spawnSync('env', ['-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, process.execPath, '--import', 'tsx', '--conditions=sentinel-wasi-source', CLI, 'init', '--pin', pin], {
    encoding: 'utf8',
    ...(asRoot ? { uid, gid: 65534 } : {}),
  });
  // Who asked, and what refused: as root the child cannot enter the pin (so the pin is described), else the PIN (mode 0000) refuses.
  const gid = asRoot ? 65534 : process.getegid!();
  const who = `this user is uid ${uid}, groups ${asRoot ? '65534' : process.getgroups!().join(',')}`;
  const refused = asRoot ? `${pin} has mode 0700, owner uid 0, group gid 0` : `${join(pin, 'PIN')} has mode 0000, owner uid ${uid}, group gid ${gid}`;
  const owner = `; ${refused}`;
  t.same([r.status, r.stdout, r.stderr], [1, '', `sentinel-wasi init: cannot read ${join(pin, 'PIN')}: EACCES: permission denied (${who}${owner}) (E_PIN_ACCESS)\n`]);
  // stats reads the PIN the same way and says the same.
  const s = spawnSync('env', ['-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, process.execPath, '--import', 'tsx', '--conditions=sentinel-wasi-source', CLI, 'stats', '--pin', pin], {
    encoding: 'utf8',
    ...(asRoot ? { uid, gid: 65534 } : {}),
  });
  t.same([s.status, s.stdout, s.stderr], [1, '', `sentinel-wasi stats: cannot read ${join(pin, 'PIN')}: EACCES: permission denied (${who}${owner}) (E_PIN_ACCESS)\n`]);
  if (!asRoot) chmodSync(join(pin, 'PIN'), 0o600);
  t.equal(JSON.parse(readFileSync(join(pin, 'PIN'), 'utf8')).app, 'app', 'the pin is left as it was');
});

t.test('an app name that cannot name the metric log files is bad usage (exit 2), for init and collector alike', async (t) => {
  const pin = join(t.testdir(), 'p');
  const r = await runCli('init', '--pin', pin, '--app', '../../evil');
  t.equal(r.code, 2);
  t.equal(r.stderr.split('\n')[0], 'sentinel-wasi init: --app: app must not hold "/", "\\" or control characters (it names the metric log\'s files), got "../../evil" (E_USAGE)');
  t.equal(existsSync(pin), false, 'nothing created');
  const c = await runCli('collector', '--pin', pin, '--app', 'a\nb', '--no-http');
  t.equal(c.code, 2);
  t.match(c.stderr, /^sentinel-wasi collector: --app: app must not hold .* got "a\\nb" \(E_USAGE\)\n/);
  t.equal(existsSync(pin), false, 'nothing created');
  const empty = await runCli('collector', '--pin', pin, '--app', '', '--no-http');
  t.equal(empty.code, 2);
  t.match(empty.stderr, /--app: must not be empty \(E_USAGE\)/);
});

t.test('an existing pin the collector would refuse: init says why (E_PIN_UNSAFE) and exits 0; a safe one says nothing', async (t) => {
  const pin = join(t.testdir({}), 'pin');
  ensurePin(pin);
  t.same(await runCli('init', '--pin', pin), { code: 0, stdout: `exists ${pin} (app pin)\n`, stderr: '' }, 'a new pin is safe');
  chmodSync(join(pin, 'log'), 0o777);
  const r = await runCli('init', '--pin', pin);
  t.same(r, {
    code: 0,
    stdout: `exists ${pin} (app pin)\n`,
    stderr: `sentinel-wasi init: the collector will refuse this pin: ${join(pin, 'log')} is writable by group and others (mode 0777). Run \`chmod 700 ${join(pin, 'log')}\` (or \`chmod 750 ${join(pin, 'log')}\` for a group of readers), or start with --allow-shared-pin to accept it. (E_PIN_UNSAFE)\n`,
  });
  t.equal(statSync(join(pin, 'log')).mode & 0o777, 0o777, 'left as it is');
});

/** `sentinel-wasi init --pin <pin>` in a child process, killed after 20 s (a hang fails the test instead of holding it). */
function initChild(pin: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=sentinel-wasi-source', CLI, 'init', '--pin', pin], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

t.test('a file system that refuses the directory: E_PIN_ACCESS with the system\'s reason, at once (a read-only one named as such, not ENOENT; no endless retry under /proc)', async (t) => {
  if (existsSync('/proc/self')) {
    const r = initChild('/proc/sentinel-wasi-pin/x');
    t.same(r, { code: 1, signal: null, stdout: '', stderr: 'sentinel-wasi init: cannot create /proc/sentinel-wasi-pin: ENOENT: no such file or directory (E_PIN_ACCESS)\n' }, '/proc refuses a directory');
  }
  // (Not t.testdir: its removal would come before the unmount.)
  const ro = mkdtempSync(join(tmpdir(), 'sw-init-ro-'));
  t.teardown(() => rmSync(ro, { recursive: true, force: true }));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro], { encoding: 'utf8' });
  if (m.error !== undefined || m.status !== 0) {
    t.pass('not run', { skip: `mount -t tmpfs -o ro needs root: ${m.error?.message ?? m.stderr.trim()}` });
    return;
  }
  t.teardown(() => void spawnSync('umount', ['-l', ro])); // (teardowns run last first: unmounted, then removed)
  const r = initChild(join(ro, 'pin'));
  t.same(r, { code: 1, signal: null, stdout: '', stderr: `sentinel-wasi init: cannot create ${join(ro, 'pin')}: EROFS: read-only file system (E_PIN_ACCESS)\n` }, 'a read-only file system says so');
});

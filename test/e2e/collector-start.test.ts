// Starting the collector the way the README does: `npm start` runs the collector as npm's own
// child (the script execs node), so a SIGTERM or SIGINT to npm reaches the collector, which writes
// its final checkpoint and exits; nothing is left behind. A taken HTTP port stops the collector at
// once with E_ADDRINUSE, unless it runs without HTTP (--no-http), or E_LOCKED when another
// collector holds the pin.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { CLI_BIN, REPO_ROOT, runProcess, tempDir } from '../helpers/repo.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<V>(what: string, probe: () => V | undefined, tries = 600): Promise<V> {
  for (let i = 0; i < tries; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`npm start, then ${signal} to npm: the collector checkpoints and exits, nothing left running`, async (t) => {
    const pin = join(await tempDir(t, 'npm-start'), 'pin');
    const npm = spawn('npm', ['start', '--silent', '--', '--pin', pin, '--port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    npm.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const npmExited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    const addressFile = join(pin, 'collector', 'address.json');
    const address = await until('address.json', () => (existsSync(addressFile) ? (JSON.parse(readFileSync(addressFile, 'utf8')) as { pid: number; url: string }) : undefined));
    t.teardown(() => {
      if (alive(address.pid)) process.kill(address.pid, 'SIGKILL');
    });
    t.not(address.pid, npm.pid, 'the collector is a process of its own');
    t.equal((await fetch(`${address.url}/api/v1/health`)).status, 200);
    npm.kill(signal);
    await until('the collector to exit', () => (alive(address.pid) ? undefined : true));
    t.equal(await npmExited, 0, 'npm exits 0 once its child has');
    t.match(out, new RegExp(`"signal":"${signal}","msg":"stopping"`));
    t.match(out, /"msg":"final checkpoint written"/);
    t.notOk(existsSync(addressFile), 'address.json removed on a clean stop');
  });
}

t.test('a taken HTTP port: exit 1 with E_ADDRINUSE, the port and how to choose another; the pin is left unlocked', async (t) => {
  const pin = join(await tempDir(t, 'port-taken'), 'pin');
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const r = await runProcess(process.execPath, [CLI_BIN, 'collector', '--pin', pin, '--port', String(port)]);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    `sentinel-wasi collector: cannot listen on 127.0.0.1:${port}: the port is in use (another collector?); choose another with --port N (0 picks a free one), or run without HTTP with --no-http (E_ADDRINUSE)\n`,
  );
  t.equal(r.stdout, '', 'nothing started');

  // --no-http: the same pin, the port still taken: it runs, and stops cleanly on SIGTERM.
  const child = spawn(process.execPath, [CLI_BIN, 'collector', '--pin', pin, '--no-http'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await until('the collector to start', () => (out.includes('"msg":"http off"') ? true : undefined));
  t.notOk(existsSync(join(pin, 'collector', 'address.json')), 'no address: no HTTP');
  // Another start on the same pin with the port still taken: the collector holding the pin is named, not the port.
  const again = await runProcess(process.execPath, [CLI_BIN, 'collector', '--pin', pin, '--port', String(port)]);
  t.equal(again.code, 1);
  t.equal(again.stderr, `sentinel-wasi collector: another collector (pid ${child.pid}) holds ${join(pin, 'collector', 'lock')}; stop it first or use another --pin (E_LOCKED)\n`);
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit 0 after the final checkpoint');
  t.match(out, /"msg":"final checkpoint written"/);
  t.notMatch(out, /"level":50/, 'no error logged');
});

t.test('--no-http with --port is a usage error', async (t) => {
  const pin = join(await tempDir(t, 'no-http'), 'pin');
  const r = await runProcess(process.execPath, [CLI_BIN, 'collector', '--pin', pin, '--no-http', '--port', '0']);
  t.equal(r.code, 2);
  t.match(r.stderr, /--no-http cannot be given with --port or --host \(E_USAGE\)/);
});

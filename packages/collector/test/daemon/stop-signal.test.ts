// SIGTERM (and SIGHUP: a closed terminal) is a clean stop at any moment of the collector's life, start-up included: the real
// `sentinel-wasi collector` process, signalled as soon as it logs that it started (before its
// HTTP listens), exits with code 0 after its final checkpoint, and leaves no address file or lock.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI_BIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../cli/bin/sentinel-wasi.js');

for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  t.test(`${signal} while the collector starts: exit code 0, final checkpoint, nothing left behind`, async (t) => {
    const pin = mkdtempSync(join(tmpdir(), 'sw-stop-'));
    t.teardown(() => rmSync(pin, { recursive: true, force: true }));
    const child = spawn(process.execPath, [CLI_BIN, 'collector', '--pin', pin, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    let signalled = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (!signalled && out.includes('"msg":"collector started"')) {
        signalled = true;
        child.kill(signal);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const [code, bySignal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    t.equal(signalled, true, 'the signal was sent after "collector started"');
    if (!t.same({ code, bySignal }, { code: 0, bySignal: null }, 'exit code 0, not ended by the signal')) t.comment(out);
    t.match(out, /"msg":"final checkpoint written"/);
    t.match(out, /"msg":"collector stopped"/);
    t.equal(existsSync(join(pin, 'collector', 'address.json')), false, 'address.json removed');
    t.equal(existsSync(join(pin, 'collector', 'lock')), false, 'lock released');
  });
}

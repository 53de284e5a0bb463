// The PIN header removed, changed or replaced while the collector runs: serve, run, stats and top
// refuse a directory without a valid one, so the collector puts its header back within a second
// and reports it once (E_PIN_LOST); when it cannot, it says so once (E_PIN_WRITE) and tries every
// second. A FIFO or a link put in its place is replaced, never opened.

import t from 'tap';
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ensurePin } from '../../src/pin/pin.js';
import { PinGuard } from '../../src/pin/pin-guard.js';
import { HealthLog } from '../../src/stats/health.js';

const T0 = 1_764_120_000_000;

function pinFor(t: { teardown(fn: () => void): void }): { guard: PinGuard; health: HealthLog; header: string; text: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'sw-pinguard-'));
  t.teardown(() => {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });
  const { paths, header } = ensurePin(dir, 'guarded');
  const health = new HealthLog();
  const guard = new PinGuard({ paths, header, problems: health });
  return { guard, health, header: paths.header, text: () => readFileSync(paths.header, 'utf8') };
}

const written = '{"format":"sentinel-wasi-pin","version":1,"app":"guarded"}\n';

t.test('a PIN left alone is never reported', async (t) => {
  const { guard, health, text } = pinFor(t);
  t.equal(text(), written);
  for (let i = 0; i < 5; i++) guard.checkAt(T0 + i * 1000);
  t.same(health.problems, []);
});

const ways: Array<[string, (path: string) => void, string]> = [
  ['removed', (p) => rmSync(p), 'was removed'],
  ['given another app', (p) => writeFileSync(p, '{"format":"sentinel-wasi-pin","version":1,"app":"other"}\n'), 'was changed'],
  ['cut short', (p) => writeFileSync(p, '{"format":"sentin'), 'was changed'],
  ['replaced by a link', (p) => (rmSync(p), symlinkSync('/dev/zero', p)), 'was replaced by a symbolic link'],
  ['replaced by a FIFO', (p) => (rmSync(p), execFileSync('mkfifo', [p])), 'was replaced by something other than a file'],
  // A regular file to lstat, refused when opened: the read is the rules files' (one link, O_NOFOLLOW|O_NONBLOCK).
  ['hard-linked to a file elsewhere', (p) => (rmSync(p), writeFileSync(`${p}.elsewhere`, written), linkSync(`${p}.elsewhere`, p)), 'was replaced by something other than a file of its own'],
];
for (const [how, change, why] of ways) {
  t.test(`a PIN ${how} is written again within a second and reported once`, async (t) => {
    const { guard, health, header, text } = pinFor(t);
    guard.checkAt(T0);
    change(header);
    guard.checkAt(T0 + 500);
    t.same(health.problems, [], 'looked at once a second: not yet');
    guard.checkAt(T0 + 1000);
    t.ok(lstatSync(header).isFile());
    t.equal(text(), written, 'the header the collector opened the pin with');
    t.same(health.problems.map((p) => [p.atMs, p.code, p.message]), [
      [T0 + 1000, 'E_PIN_LOST', `the pin header ${header} ${why} while the collector ran (serve, run, stats and top refuse a pin without it): written again`],
    ]);
    guard.checkAt(T0 + 2000);
    t.equal(health.problems.length, 1, 'nothing more to say');
  });
}

t.test('a PIN that cannot be written again: E_PIN_WRITE once, and E_PIN_LOST once it can', async (t) => {
  const { guard, health, header, text } = pinFor(t);
  rmSync(header);
  mkdirSync(header); // a directory in its place: the rename over it fails
  guard.checkAt(T0);
  guard.checkAt(T0 + 1000);
  t.same(health.problems.map((p) => p.code), ['E_PIN_WRITE']);
  t.match(health.problems[0]!.message, `the pin header ${header} was replaced by a directory while the collector ran, and cannot be written again: `);
  rmSync(header, { recursive: true });
  guard.checkAt(T0 + 2000);
  t.same(health.problems.map((p) => p.code), ['E_PIN_WRITE', 'E_PIN_LOST']);
  t.equal(text(), written);
});

// Each error line of the collector's commands carries exactly one code, at its end: a --dashboard
// the collector cannot use is E_USAGE (exit 2), its message without E_BAD_DASHBOARD; a PIN that
// stats, top or metric cannot read names the file and the reason once, then its code (E_BAD_PIN,
// or the OS's), not the reason's own leading code again. A refreshing top says it once at start
// and ends (exit 1), as --once does, and so it does for a pin that is not there or not a pin.
import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

/** The codes a line carries: `(E_…)`, or an OS code such as `(EISDIR)`. */
const codesOf = (line: string): string[] => line.match(/\bE[A-Z_]+\b/g) ?? [];

t.test('collector --dashboard: a bad address is one E_USAGE line, exit 2', async (t) => {
  // A regular file as --pin: should an address pass, the collector stops at once (E_PIN_NOT_DIRECTORY), it never runs.
  const pin = join(t.testdir(), 'file');
  writeFileSync(pin, '');
  const cases: [string, string][] = [
    ['a/b', 'dashboard address "a/b" must be host[:port], without a path'],
    ['http://u:p@dash:8080', 'dashboard address "http://u:p@dash:8080" must be host[:port], without a path'],
    ['dash:', 'dashboard address "dash:" has a ":" without a port'],
    ['dash:notaport', 'dashboard address "dash:notaport" is not host[:port]'],
    [' , ', 'no dashboard address given'],
  ];
  for (const [value, message] of cases) {
    const r = await runCli('collector', '--pin', pin, '--no-http', '--dashboard', value);
    const expected = `sentinel-wasi collector: --dashboard: ${message} (E_USAGE)\nRun 'sentinel-wasi collector --help' for usage.\n`;
    t.same([r.code, r.stdout, r.stderr], [2, '', expected], JSON.stringify(value));
    t.same(codesOf(r.stderr.split('\n')[0]!), ['E_USAGE'], 'one code');
  }
  // A good address with no HTTP server to be read through: refused too, as is trusting its address.
  for (const [flags, message] of [
    [['--dashboard', '127.0.0.1:8080'], '--dashboard cannot be given with --no-http: the dashboard reads the collector over its HTTP server'],
    [['--trust-dashboard-address', '127.0.0.1'], '--trust-dashboard-address cannot be given with --no-http: it lets requests to the HTTP server through'],
  ] as const) {
    const r = await runCli('collector', '--pin', pin, '--no-http', ...flags);
    t.same([r.code, r.stdout, r.stderr], [2, '', `sentinel-wasi collector: ${message} (E_USAGE)\nRun 'sentinel-wasi collector --help' for usage.\n`], flags.join(' '));
  }
});

t.test('stats, top and metric: a PIN they cannot read is one line, the code once at its end', async (t) => {
  const dir = t.testdir();
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'PIN'), JSON.stringify({ format: 'other', version: 1, app: 'a' }));
  const notJson = join(dir, 'not-json');
  mkdirSync(notJson);
  writeFileSync(join(notJson, 'PIN'), 'PIN?');
  const dirPin = join(dir, 'dir-pin');
  mkdirSync(join(dirPin, 'PIN'), { recursive: true });
  const cases: [string, string][] = [
    [bad, `cannot read ${join(bad, 'PIN')}: PIN format is "other", expected "sentinel-wasi-pin" (E_BAD_PIN)`],
    [notJson, `cannot read ${join(notJson, 'PIN')}: PIN is not a JSON object (E_BAD_PIN)`],
    [dirPin, `cannot read ${join(dirPin, 'PIN')}: illegal operation on a directory (EISDIR)`],
  ];
  for (const [pin, message] of cases) {
    for (const argv of [['stats', '--pin', pin], ['top', '--pin', pin, '--once'], ['top', '--pin', pin], ['metric', '--pin', pin, '--from', 'now-1m']]) {
      const r = await runCli(...argv);
      t.same([r.code, r.stdout, r.stderr], [1, '', `sentinel-wasi ${argv[0]}: ${message}\n`], argv.join(' '));
      t.equal(codesOf(r.stderr).length, 1, 'one code');
    }
  }
});

t.test('top, refreshing or --once: a pin that is not there, or a directory that is no pin, is one line at start, exit 1', async (t) => {
  const dir = t.testdir();
  const missing = join(dir, 'missing');
  const notPin = join(dir, 'not-a-pin');
  mkdirSync(notPin);
  const cases: [string, string][] = [
    [missing, `pin ${missing} does not exist (create it with: sentinel-wasi init --pin ${missing}) (E_NO_PIN)`],
    [notPin, `${notPin} is not a pin directory (no PIN file); run 'sentinel-wasi init --pin ${notPin}' first (E_NO_PIN)`],
  ];
  for (const [pin, message] of cases) {
    for (const argv of [['top', '--pin', pin], ['top', '--pin', pin, '--once']]) {
      const r = await runCli(...argv);
      t.same([r.code, r.stdout, r.stderr], [1, '', `sentinel-wasi top: ${message}\n`], argv.join(' '));
    }
  }
});

// The integer options of `collector`, `stats` and `top` take plain decimal digits only (one parser,
// client/args.ts): no empty value, sign, spaces, 0x/0b/0o, exponent or fraction, each refused with
// the option's own message, E_USAGE, exit 2. A negative number given as a separate argument
// (`--port -1`, `metric --from -5`) gets the same message as `--port=-1`, not parseArgs' "argument
// is ambiguous".
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TIME_FORMS } from '../../src/client/time-arg.js';
import { runCli } from './run-cli.js';

/** A regular file given as --pin: a collector whose options passed stops at once (E_PIN_NOT_DIRECTORY), it never runs. */
function notAPin(t: { testdir(): string }): string {
  const file = join(t.testdir(), 'file');
  writeFileSync(file, '');
  return file;
}

const usage = (command: string, message: string): string => `sentinel-wasi ${command}: ${message} (E_USAGE)\nRun 'sentinel-wasi ${command} --help' for usage.\n`;

/** Values Number() reads as a number that are not plain decimal digits. */
const NOT_DIGITS = ['', '0x10', '1e3', '0b11', '0o7', ' 8', '8 ', '+8', '1.5', '1_000', '99999999999999999999'];

/** Every integer option of `collector`, with its least value. */
const COLLECTOR_INTS: [string, number][] = [
  ['port', 0],
  ['grace-ms', 0],
  ['tick-ms', 10],
  ['checkpoint-ms', 10],
  ['metric-file-bytes', 4096],
  ['metric-file-count', 1],
  ['max-resources', 1],
  ['max-entry-age-ms', 0],
  ['heartbeat-ms', 100],
  ['control-tick-ms', 10],
  ['map-slots', 1],
];

t.test('collector: an integer option that is not plain digits is refused with its message, exit 2', async (t) => {
  const pin = notAPin(t);
  for (const [name, min] of COLLECTOR_INTS) {
    const http = name === 'port' ? [] : ['--no-http'];
    for (const value of NOT_DIGITS) {
      const r = await runCli('collector', '--pin', pin, ...http, `--${name}=${value}`);
      t.same([r.code, r.stdout, r.stderr], [2, '', usage('collector', `--${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`)], `--${name}=${JSON.stringify(value)}`);
    }
  }
  // Plain digits still pass these checks (leading zeros are digits too): the pin is what stops it.
  for (const value of ['8', '08']) {
    const r = await runCli('collector', '--pin', pin, '--no-http', '--grace-ms', value);
    t.same([r.code, r.stderr.includes('E_PIN_NOT_DIRECTORY')], [1, true], `--grace-ms ${value}`);
  }
});

t.test('collector: one below an integer option\'s least value is refused with its message, exit 2', async (t) => {
  const pin = notAPin(t);
  for (const [name, min] of COLLECTOR_INTS) {
    if (min === 0) continue; // below 0 is a negative number: the next test's
    const http = name === 'port' ? [] : ['--no-http'];
    const r = await runCli('collector', '--pin', pin, ...http, `--${name}`, String(min - 1));
    t.same([r.code, r.stdout, r.stderr], [2, '', usage('collector', `--${name} must be an integer ≥ ${min}, got "${min - 1}"`)], `--${name} ${min - 1}`);
  }
});

t.test('collector: a negative number as a separate argument gets the option\'s own message', async (t) => {
  const pin = notAPin(t);
  for (const [name, min] of COLLECTOR_INTS) {
    const http = name === 'port' ? [] : ['--no-http'];
    for (const value of ['-1', '-5', '-0x10']) {
      const separate = await runCli('collector', '--pin', pin, ...http, `--${name}`, value);
      t.same([separate.code, separate.stdout, separate.stderr], [2, '', usage('collector', `--${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`)], `--${name} ${value}`);
      const joined = await runCli('collector', '--pin', pin, ...http, `--${name}=${value}`);
      t.same(separate, joined, `--${name} ${value} is --${name}=${value}`);
    }
  }
  // A value after the last option is still read as an option value; one that is not a number is parseArgs' to judge.
  const dashName = await runCli('collector', '--pin', '-x');
  t.equal(dashName.code, 2);
  t.match(dashName.stderr, /^sentinel-wasi collector: Option '--pin' argument is ambiguous\./);
});

t.test('stats and top: their integer options take plain digits only, a negative one its own message', async (t) => {
  const pin = join(t.testdir(), 'nothing');
  const cases: [string[], string][] = [];
  for (const value of [...NOT_DIGITS, '-1']) {
    cases.push([['stats', '--pin', pin, '--watch', `--interval=${value}`], `--interval must be a whole number from 100 to 3600000, got ${JSON.stringify(value)}`]);
    cases.push([['top', '--pin', pin, '--once', `--interval=${value}`], `--interval must be a whole number from 100 to 3600000, got ${JSON.stringify(value)}`]);
    cases.push([['top', '--pin', pin, '--once', `--limit=${value}`], `--limit must be a whole number from 1 to 100000, got ${JSON.stringify(value)}`]);
  }
  // Without --watch, a bad --interval is still named first.
  cases.push([['stats', '--pin', pin, '--interval', ' 500'], '--interval must be a whole number from 100 to 3600000, got " 500"']);
  cases.push([['stats', '--pin', pin, '--watch', '--interval', '-1'], '--interval must be a whole number from 100 to 3600000, got "-1"']);
  cases.push([['top', '--pin', pin, '--once', '--limit', '-3'], '--limit must be a whole number from 1 to 100000, got "-3"']);
  cases.push([['top', '--pin', pin, '--once', '--interval', '-500'], '--interval must be a whole number from 100 to 3600000, got "-500"']);
  for (const [argv, message] of cases) {
    const r = await runCli(...argv);
    t.same([r.code, r.stdout, r.stderr], [2, '', usage(argv[0]!, message)], argv.join(' '));
  }
});

t.test('metric: a negative --from or --to is not a time; the message says how a time before now is written', async (t) => {
  const pin = join(t.testdir(), 'nothing');
  const cases: [string[], string][] = [
    [['--from', '-5'], `--from: cannot read "-5" as a time (${TIME_FORMS}); a time before now is now-<n>s|m|h|d, e.g. now-5m`],
    [['--from=-5'], `--from: cannot read "-5" as a time (${TIME_FORMS}); a time before now is now-<n>s|m|h|d, e.g. now-5m`],
    [['--from', '-5m'], `--from: cannot read "-5m" as a time (${TIME_FORMS}); did you mean now-5m?`],
    [['--from', 'now-1m', '--to', '-30s'], `--to: cannot read "-30s" as a time (${TIME_FORMS}); did you mean now-30s?`],
    [['--from', '-1764120000000'], `--from: cannot read "-1764120000000" as a time (${TIME_FORMS}); a time before now is now-<n>s|m|h|d, e.g. now-5m`],
  ];
  for (const [args, message] of cases) {
    const r = await runCli('metric', '--pin', pin, ...args);
    t.same([r.code, r.stdout, r.stderr], [2, '', usage('metric', message)], args.join(' '));
  }
});

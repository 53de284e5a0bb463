// Owns `sentinel-wasi run`: runs a command filter component under the Node host (jco transpile +
// preview2-shim, atomic appends), the pin preopened at /pin, stdio and the exit code passed through.

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CommandError, joinNegativeValues, UsageError, type Command } from '@sentinel-wasi/protocol/node';
import { checkPinDir } from './pin-check.js';
import { componentReadMessage } from '../component-file.js';
import { defaultCacheDir } from '../defaults.js';

const help = `Usage: sentinel-wasi run <component.wasm> --pin DIR|--no-pin [options] [-- args...]

Runs a command component (one that exports wasi:cli/run) under the Node host: the component is
transpiled with jco once (cached by its content hash), DIR is preopened at /pin (and nothing else),
stdin/stdout/stderr are the component's, and the exit code is the component's (ok 0, error 1).
Appends to files in the pin are atomic (one O_APPEND write per append), so several processes can
append to one segment. The pin is the component's only capability: sockets are disabled and
outgoing HTTP requests are denied. Operations on the pin that fail (an open, a create, an append)
are counted and reported at exit; a lost frame can cost several (the open, the create of log/, the
second open), so the component's own count of dropped records is the one to read.

Options:
  --pin DIR          the pin directory, seen by the component as /pin (required, unless --no-pin;
                     it must be a pin, with its PIN file: sentinel-wasi init --pin DIR makes one,
                     and so does the collector)
  --no-pin           preopen nothing (a filter finds no /pin, drops and counts every record)
  --pin-read-only    preopen the pin read-only (creates and writes fail; the component counts drops)
  --env K=V          set an environment variable for the component (repeatable)
  --cache-dir DIR    where transpiled components are kept (default: $SENTINEL_WASI_CACHE,
                     else $XDG_CACHE_HOME/sentinel-wasi, else ~/.cache/sentinel-wasi)
  -h, --help         show this help

Arguments after -- are passed to the component (its argv[0] is the component's file name).
`;

export interface HostFlags {
  componentPath: string;
  /** Absolute; undefined with --no-pin. */
  pinDir: string | undefined;
  pinReadOnly: boolean;
  env: Record<string, string>;
  cacheDir: string;
  guestArgs: string[];
}

/**
 * node:util parseArgs's message, but for an unknown option: Node's own ends in an unclosed quote
 * (`as in '-- "--x"`), and here what follows -- goes to the component.
 */
function parseArgsMessage(err: Error & { code?: string }): string {
  const unknown = err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /^Unknown option '(.*?)'/.exec(err.message) : null;
  if (unknown === null) return err.message;
  return `Unknown option '${unknown[1]}' (arguments for the component go after --, as in '-- ${unknown[1]}')`;
}

/** Parses the flags `run` and `serve` share; `extra` adds a command's own options. */
export function parseHostFlags(
  argv: string[],
  extra: Record<string, { type: 'string' | 'boolean' }> = {},
): HostFlags & { values: Record<string, string | boolean | string[] | undefined> } {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const guestArgs = dash < 0 ? [] : argv.slice(dash + 1);
  const options = {
    pin: { type: 'string' },
    'no-pin': { type: 'boolean' },
    'pin-read-only': { type: 'boolean' },
    env: { type: 'string', multiple: true },
    'cache-dir': { type: 'string' },
    ...extra,
  } as const;
  let parsed;
  try {
    // (`--max-request-ms -1` as `--max-request-ms=-1`: the option's own check says what is wrong.)
    parsed = parseArgs({ args: joinNegativeValues(own, options), allowPositionals: true, strict: true, options });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err as Error));
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new UsageError(`expected exactly one component file, got ${positionals.length} (arguments for the component go after --, as in '-- ${positionals.slice(1).join(' ')}')`);
  }
  if (positionals.length !== 1) throw new UsageError(`expected exactly one component file, got ${positionals.length}`);
  const componentPath = positionals[0]!;
  let isFile: boolean;
  try {
    isFile = statSync(componentPath).isFile();
  } catch (err) {
    // A directory on the way this user may not search: the file may well be there (E_COMPONENT_READ).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new CommandError('E_COMPONENT_READ', componentReadMessage(componentPath, err));
    isFile = false;
  }
  if (!isFile) throw new UsageError(`component file not found: ${componentPath}`);
  const noPin = values['no-pin'] === true;
  if (noPin && values.pin !== undefined) throw new UsageError('--pin and --no-pin cannot be given together');
  if (!noPin && (typeof values.pin !== 'string' || values.pin === '')) throw new UsageError('--pin DIR is required (or --no-pin)');
  const pinDir = noPin ? undefined : resolve(values.pin as string); // absolute: the component's view must not move with the cwd
  const env: Record<string, string> = {};
  for (const pair of (values.env as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env expects K=V, got ${JSON.stringify(pair)}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const cacheDir = typeof values['cache-dir'] === 'string' ? values['cache-dir'] : defaultCacheDir();
  const pinReadOnly = values['pin-read-only'] === true;
  return { componentPath, pinDir, pinReadOnly, env, cacheDir, guestArgs, values };
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run a command filter component under the Node host with the pin preopened at /pin',
  help,
  async run(argv, io) {
    const flags = parseHostFlags(argv);
    if (flags.pinDir !== undefined && checkPinDir(flags.pinDir, !flags.pinReadOnly) === 'missing') {
      throw new CommandError('E_NO_PIN', `pin ${flags.pinDir} does not exist (create it with: sentinel-wasi init --pin ${flags.pinDir})`);
    }
    const { runComponent } = await import('../run.js'); // jco and the shim load only here
    const { exitCode } = await runComponent({
      componentPath: flags.componentPath,
      pinDir: flags.pinDir,
      pinReadOnly: flags.pinReadOnly,
      args: flags.guestArgs,
      env: flags.env,
      cacheDir: flags.cacheDir,
      stderr: io.stderr,
    });
    return exitCode;
  },
};

// Owns `sentinel-wasi init`: creates a pin directory (mode 0700, PIN header, log/, rules/,
// collector/), makes an existing directory one (saying so, and the mode it had), or checks an
// existing pin (saying when the collector would refuse it: pin-safety.ts); running it twice changes nothing. A path that is not a directory, or that this
// user may not read or change, is refused with a stable code (pin/pin.ts: E_PIN_NOT_DIRECTORY,
// E_PIN_ACCESS; E_BAD_PIN for a PIN that is not a pin header).

import { parseArgs } from 'node:util';
import { appNameProblem } from '@sentinel-wasi/protocol';
import { UsageError, type Command } from '@sentinel-wasi/protocol/node';
import { ensurePin, PIN_DIR_MODE, type EnsurePinResult } from '../../pin/pin.js';
import { checkPinSafety, PinUnsafeError } from '../../pin/pin-safety.js';

const HELP = `Usage: sentinel-wasi init --pin DIR [--app NAME]

Creates the pin directory shared by filters and the collector:
  DIR/PIN          {"format":"sentinel-wasi-pin","version":1,"app":NAME}
  DIR/log/         event segments appended by filters
  DIR/rules/       flow / degrade rules (Sentinel JSON)
  DIR/collector/   collector-private state (lock, checkpoint, metric log)
The directory is created with mode 0700; an existing directory without a PIN file is made a pin
(its mode set to 0700: the output says which mode it had). An existing pin is checked and left as
it is; if the collector would refuse it at start (a directory owned by another user, writable by
group or others, or a link: E_PIN_UNSAFE), init says so and why, and still exits 0 (the collector
accepts such a pin with --allow-shared-pin).

Options:
  --pin DIR     the pin directory (required)
  --app NAME    application name for a new pin (default: the directory's name); it names the
                metric log's files, so no "/", "\\" or control characters, at most 200 bytes

Exit codes: 0 created, made or checked; 1 not usable as a pin (E_PIN_NOT_DIRECTORY: the path is
not a directory; E_PIN_ACCESS: this user may not read or change it, or its file system refuses
the change (read-only); E_BAD_PIN: its PIN file is not a pin header); 2 bad usage.
`;

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}

/** The line init prints: what it did to the pin. */
function outcomeLine(r: EnsurePinResult): string {
  const app = `app ${r.header.app}`;
  if (!r.created) return `exists ${r.paths.pinDir} (${app})`;
  if (r.formerDirMode === null) return `created ${r.paths.pinDir} (${app})`;
  const mode = r.formerDirMode === PIN_DIR_MODE ? `mode ${octal(PIN_DIR_MODE)}` : `mode ${octal(PIN_DIR_MODE)}, was ${octal(r.formerDirMode)}`;
  return `made ${r.paths.pinDir} a pin (${app}; ${mode})`;
}

export const initCommand: Command = {
  name: 'init',
  summary: 'create a pin directory (mode 0700, PIN header, log/, rules/, collector/)',
  help: HELP,
  async run(argv, io) {
    let values: { pin?: string; app?: string };
    try {
      ({ values } = parseArgs({ args: argv, options: { pin: { type: 'string' }, app: { type: 'string' } }, strict: true, allowPositionals: false }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (values.pin === undefined || values.pin === '') throw new UsageError('--pin DIR is required');
    if (values.app !== undefined && values.app === '') throw new UsageError('--app must not be empty');
    const appProblem = values.app === undefined ? undefined : appNameProblem(values.app);
    if (appProblem !== undefined) throw new UsageError(`--app: ${appProblem}`);
    const result = ensurePin(values.pin, values.app);
    const { paths, header, created } = result;
    if (!created && values.app !== undefined && values.app !== header.app) {
      io.stderr.write(`sentinel-wasi init: ${paths.pinDir} already belongs to app ${JSON.stringify(header.app)}; --app ${JSON.stringify(values.app)} ignored (E_APP_IGNORED)\n`);
    }
    io.stdout.write(`${outcomeLine(result)}\n`);
    try {
      checkPinSafety(paths);
    } catch (err) {
      if (!(err instanceof PinUnsafeError)) throw err;
      io.stderr.write(`sentinel-wasi init: the collector will refuse this pin: ${err.message} (E_PIN_UNSAFE)\n`);
    }
    return 0;
  },
};

// Owns `sentinel-wasi init`: creates a pin directory (mode 0700, PIN header, log/, rules/,
// collector/), or checks an existing one; running it twice changes nothing.

import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';
import { ensurePin } from '../../pin/pin.js';

const HELP = `Usage: sentinel-wasi init --pin DIR [--app NAME]

Creates the pin directory shared by filters and the collector:
  DIR/PIN          {"format":"sentinel-wasi-pin","version":1,"app":NAME}
  DIR/log/         event segments appended by filters
  DIR/rules/       flow / degrade rules (Sentinel JSON)
  DIR/collector/   collector-private state (lock, checkpoint, metric log)
The directory is created with mode 0700. An existing pin is checked and left as it is.

Options:
  --pin DIR     the pin directory (required)
  --app NAME    application name for a new pin (default: the directory's name)
`;

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
    const { paths, header, created } = ensurePin(values.pin, values.app);
    if (!created && values.app !== undefined && values.app !== header.app) {
      io.stderr.write(`sentinel-wasi init: ${paths.pinDir} already belongs to app ${JSON.stringify(header.app)}; --app ${JSON.stringify(values.app)} ignored\n`);
    }
    io.stdout.write(`${created ? 'created' : 'exists'} ${paths.pinDir} (app ${header.app})\n`);
    return 0;
  },
};

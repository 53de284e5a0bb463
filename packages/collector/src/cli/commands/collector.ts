// Owns `sentinel-wasi collector`: placeholder until the collector daemon lands.

import type { Command } from '../command.js';

export const collectorCommand: Command = {
  name: 'collector',
  summary: 'run the collector daemon on a pin directory (not implemented yet)',
  help: 'Usage: sentinel-wasi collector --pin DIR\n\nThe collector daemon is not implemented yet.\n',
  async run(_argv, io) {
    io.stdout.write('sentinel-wasi collector: the collector daemon is not implemented yet; nothing to run.\n');
    return 0;
  },
};

// Owns `sentinel-wasi collector`: placeholder until it is implemented.

import type { Command } from '../command.js';

export const collectorCommand: Command = {
  name: 'collector',
  summary: 'run the collector daemon on a pin directory (not implemented yet)',
  help: 'Usage: sentinel-wasi collector [options]\n\nNot implemented yet.\n',
  async run(_argv, io) {
    io.stdout.write('sentinel-wasi collector: the collector daemon is not implemented yet; nothing to run.\n');
    return 0;
  },
};

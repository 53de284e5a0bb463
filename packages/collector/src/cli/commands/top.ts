// Owns `sentinel-wasi top`: placeholder until it is implemented.

import type { Command } from '../command.js';

export const topCommand: Command = {
  name: 'top',
  summary: 'show a live, refreshing table of the busiest resources (not implemented yet)',
  help: 'Usage: sentinel-wasi top [options]\n\nNot implemented yet.\n',
  async run(_argv, io) {
    io.stderr.write('sentinel-wasi top: not implemented yet\n');
    return 1;
  },
};

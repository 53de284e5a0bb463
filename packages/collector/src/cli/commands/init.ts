// Owns `sentinel-wasi init`: placeholder until it is implemented.

import type { Command } from '../command.js';

export const initCommand: Command = {
  name: 'init',
  summary: 'create a pin directory (mode 0700, PIN header, log/, rules/, collector/) (not implemented yet)',
  help: 'Usage: sentinel-wasi init [options]\n\nNot implemented yet.\n',
  async run(_argv, io) {
    io.stderr.write('sentinel-wasi init: not implemented yet\n');
    return 1;
  },
};

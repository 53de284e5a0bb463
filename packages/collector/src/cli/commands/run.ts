// Owns `sentinel-wasi run`: placeholder until it is implemented.

import type { Command } from '../command.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'run a command filter component under the Node host with the pin preopened (not implemented yet)',
  help: 'Usage: sentinel-wasi run [options]\n\nNot implemented yet.\n',
  async run(_argv, io) {
    io.stderr.write('sentinel-wasi run: not implemented yet\n');
    return 1;
  },
};

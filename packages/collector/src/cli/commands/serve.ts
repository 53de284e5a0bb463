// Owns `sentinel-wasi serve`: placeholder until it is implemented.

import type { Command } from '../command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve an HTTP filter component under the Node host with the pin preopened (not implemented yet)',
  help: 'Usage: sentinel-wasi serve [options]\n\nNot implemented yet.\n',
  async run(_argv, io) {
    io.stderr.write('sentinel-wasi serve: not implemented yet\n');
    return 1;
  },
};

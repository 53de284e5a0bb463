// Owns `sentinel-wasi build`: placeholder until it is implemented.

import type { Command } from '../command.js';

export const buildCommand: Command = {
  name: 'build',
  summary: 'build a TypeScript filter into a WASI component (not implemented yet)',
  help: 'Usage: sentinel-wasi build [options]\n\nNot implemented yet.\n',
  async run(_argv, io) {
    io.stderr.write('sentinel-wasi build: not implemented yet\n');
    return 1;
  },
};

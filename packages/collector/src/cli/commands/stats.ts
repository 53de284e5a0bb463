// Owns `sentinel-wasi stats`: placeholder until it is implemented.

import type { Command } from '../command.js';

export const statsCommand: Command = {
  name: 'stats',
  summary: 'print live per-resource statistics from the running collector (not implemented yet)',
  help: 'Usage: sentinel-wasi stats [options]\n\nNot implemented yet.\n',
  async run(_argv, io) {
    io.stderr.write('sentinel-wasi stats: not implemented yet\n');
    return 1;
  },
};

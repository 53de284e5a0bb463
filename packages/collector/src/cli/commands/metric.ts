// Owns `sentinel-wasi metric`: placeholder until it is implemented.

import type { Command } from '../command.js';

export const metricCommand: Command = {
  name: 'metric',
  summary: 'print historical per-second metric lines from the metric log (not implemented yet)',
  help: 'Usage: sentinel-wasi metric [options]\n\nNot implemented yet.\n',
  async run(_argv, io) {
    io.stderr.write('sentinel-wasi metric: not implemented yet\n');
    return 1;
  },
};

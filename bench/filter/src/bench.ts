// The benchmark command component (no wasi:http): loops N events inside the component in one
// of the shared modes. Built with `sentinel-wasi build` (QuickJS, the command default).

import { runSharedMode } from './record.js';

export const loop = {
  runEvents(mode: string, n: number, _arg: string): number {
    return runSharedMode(mode, n);
  },
};

export const run = {
  run(): void {},
};

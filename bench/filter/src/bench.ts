// The benchmark command component (no wasi:http): loops N events inside the component in one
// of the shared modes. Built with `sentinel-wasi build` (QuickJS, the command default).

import { encodeOnly, noop, recordBuffered, recordUnbuffered, utf8LengthOnly } from './record.js';

export const loop = {
  runEvents(mode: string, n: number, _arg: string): number {
    if (mode === 'noop') return noop(n);
    if (mode === 'encode') return encodeOnly(n);
    if (mode === 'utf8len') return utf8LengthOnly(n);
    if (mode === 'encode1') return encodeOnly(n, true);
    if (mode === 'buffered') return recordBuffered(n);
    if (mode === 'unbuffered') return recordUnbuffered(n);
    throw new Error(`unknown mode ${mode}`);
  },
};

export const run = {
  run(): void {},
};

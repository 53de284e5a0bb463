// Owns the list of sub-commands the Node host gives `sentinel-wasi`, in the order `--help` shows
// them. Loading this list loads neither jco nor preview2-shim: each command imports the host when it runs.

import type { Command } from '@sentinel-wasi/protocol/node';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';

export type { Command, CommandIo } from '@sentinel-wasi/protocol/node';
export { CommandError, UsageError } from '@sentinel-wasi/protocol/node';
// The checks `run` makes before anything loads, for other runners (scripts/wasmtime-run.js).
export { checkPinDir } from './pin-check.js';
export { headerProblem, WASM_HEADER_BYTES, type HeaderProblem } from '../component-file.js';

export const commands: Command[] = [runCommand, serveCommand];

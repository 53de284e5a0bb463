// Owns the list of sub-commands the filter toolchain gives `sentinel-wasi` (just `build`).
// Loading this list does not load jco: `build` runs it as a child process.

import type { Command } from '@sentinel-wasi/protocol/node';
import { buildCommand } from './build.js';

export type { Command, CommandIo } from '@sentinel-wasi/protocol/node';
export { UsageError } from '@sentinel-wasi/protocol/node';

export const commands: Command[] = [buildCommand];

// Owns the list of sub-commands the filter toolchain gives `sentinel-wasi` (just `build`).
// Loading this list does not load jco: `build` runs it as a child process.

import type { Command } from './command.js';
import { buildCommand } from './build.js';

export type { Command, CommandIo } from './command.js';
export { UsageError } from './command.js';

export const commands: Command[] = [buildCommand];

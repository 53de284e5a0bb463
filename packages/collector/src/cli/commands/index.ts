// Owns the list of sub-commands, in the order `--help` shows them.

import type { Command } from '../command.js';
import { collectorCommand } from './collector.js';

export const commands: Command[] = [collectorCommand];

// Owns the list of sub-commands the collector gives `sentinel-wasi`, in the order `--help` shows them.

import type { Command } from '../command.js';
import { collectorCommand } from './collector.js';
import { initCommand } from './init.js';
import { metricCommand } from './metric.js';
import { statsCommand } from './stats.js';
import { topCommand } from './top.js';

export type { Command, CommandIo } from '../command.js';
export { UsageError } from '../command.js';

export const commands: Command[] = [initCommand, collectorCommand, statsCommand, topCommand, metricCommand];

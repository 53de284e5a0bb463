// Owns the list of sub-commands the collector gives `sentinel-wasi`, in the order `--help` shows them.

import type { Command } from '@sentinel-wasi/protocol/node';
import { collectorCommand } from './collector.js';
import { initCommand } from './init.js';
import { metricCommand } from './metric.js';
import { statsCommand } from './stats.js';
import { topCommand } from './top.js';

export type { Command, CommandIo } from '@sentinel-wasi/protocol/node';
export { UsageError } from '@sentinel-wasi/protocol/node';

export const commands: Command[] = [initCommand, collectorCommand, statsCommand, topCommand, metricCommand];

// Owns the list of sub-commands, in the order `--help` shows them.

import type { Command } from '../command.js';
import { buildCommand } from './build.js';
import { collectorCommand } from './collector.js';
import { initCommand } from './init.js';
import { metricCommand } from './metric.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { statsCommand } from './stats.js';
import { topCommand } from './top.js';

export const commands: Command[] = [
  initCommand,
  collectorCommand,
  statsCommand,
  topCommand,
  metricCommand,
  buildCommand,
  runCommand,
  serveCommand,
];

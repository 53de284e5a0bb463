// Owns which package provides which sub-command, in the order `--help` shows them, and loading a
// package's commands only when one of them is asked for: `sentinel-wasi stats` loads the collector
// alone, `sentinel-wasi run` the Node host alone (and the host loads jco and preview2-shim only
// when it runs a component).

import type { Command, CommandIo } from '@sentinel-wasi/protocol/node';

export type { Command, CommandIo };

export interface CommandSource {
  /** The package, for messages. */
  packageName: string;
  /** The commands it provides, as `--help` lists them. */
  names: readonly string[];
  load(): Promise<Command[]>;
}

export const COMMAND_SOURCES: readonly CommandSource[] = [
  {
    packageName: '@sentinel-wasi/collector',
    names: ['init', 'collector', 'stats', 'top', 'metric'],
    load: async () => (await import('@sentinel-wasi/collector/commands')).commands,
  },
  {
    packageName: '@sentinel-wasi/filter-build',
    names: ['build'],
    load: async () => (await import('@sentinel-wasi/filter-build/commands')).commands,
  },
  {
    packageName: '@sentinel-wasi/host',
    names: ['run', 'serve'],
    load: async () => (await import('@sentinel-wasi/host/commands')).commands,
  },
];

/** The package that provides `name`, if any. */
export function sourceOf(name: string): CommandSource | undefined {
  return COMMAND_SOURCES.find((s) => s.names.includes(name));
}

/** Every command, in `--help` order (loads every package). */
export async function loadAllCommands(): Promise<Command[]> {
  const loaded = await Promise.all(COMMAND_SOURCES.map((s) => s.load()));
  return loaded.flat();
}

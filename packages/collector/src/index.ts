// Owns the collector package's public entry point: the sub-commands it gives `sentinel-wasi`
// (init, collector, stats, top, metric).

export { commands, UsageError, type Command, type CommandIo } from './cli/commands/index.js';

// Owns the `sentinel-wasi` package's public entry point: the dispatcher behind the one binary.

export { main } from './main.js';
export { COMMAND_SOURCES, type Command, type CommandIo, type CommandSource } from './commands.js';

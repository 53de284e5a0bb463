// Owns the `sentinel-wasi` dispatcher: picks the sub-command, loads only the package that provides
// it, prints help and version, and turns usage errors (code E_USAGE) into exit code 2 with a clear
// message.

import { readFileSync } from 'node:fs';
import { loadAllCommands, sourceOf, type Command, type CommandIo } from './commands.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function topHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'sentinel-wasi: Sentinel-style flow statistics and flow control for WebAssembly (WASI) filters',
    '',
    'Usage: sentinel-wasi <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options:',
    '  -h, --help     show help (also: sentinel-wasi <command> --help)',
    '  -v, --version  print the version',
    '',
  ].join('\n');
}

/** A usage error of the dispatcher itself: its message, then the top-level help, on stderr; exit 2. */
async function usageError(io: CommandIo, message: string, commands?: Command[]): Promise<number> {
  io.stderr.write(`sentinel-wasi: ${message} (E_USAGE)\n\n${topHelp(commands ?? (await loadAllCommands()))}`);
  return 2;
}

export async function main(argv: string[], io: CommandIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) return usageError(io, 'no command given');
  if (first === '-h' || first === '--help' || first === 'help') {
    const commands = await loadAllCommands();
    const named = first === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    if (first === 'help' && rest[0] !== undefined && named === undefined) return usageError(io, `unknown command ${JSON.stringify(rest[0])}`, commands);
    io.stdout.write(named ? named.help : topHelp(commands));
    return 0;
  }
  if (first === '-v' || first === '--version') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  const source = sourceOf(first);
  const command: Command | undefined = source === undefined ? undefined : (await source.load()).find((c) => c.name === first);
  if (command === undefined) return usageError(io, `unknown command ${JSON.stringify(first)}`);
  if (rest.includes('-h') || rest.includes('--help')) {
    io.stdout.write(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code === 'E_USAGE') {
      const message = (err as Error).message;
      io.stderr.write(`sentinel-wasi ${command.name}: ${message} (E_USAGE)\nRun 'sentinel-wasi ${command.name} --help' for usage.\n`);
      return 2;
    }
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? ` (${e.code})` : '';
    let message = String(e.message ?? err);
    // Some errors (the protocol's) begin with their code: it is said once, at the end.
    if (typeof e.code === 'string' && message.startsWith(`${e.code}: `)) message = message.slice(e.code.length + 2);
    io.stderr.write(`sentinel-wasi ${command.name}: ${message}${code}\n`);
    return 1;
  }
}

// Owns the contract between the `sentinel-wasi` dispatcher (package `sentinel-wasi`) and the
// packages that give it sub-commands (the collector, the Node host, the build toolchain): a
// command's shape, its usage error (code E_USAGE: printed with the command's help hint, exit
// code 2) and its other errors (a stable code, one line, exit code 1). The dispatcher recognises
// both by their codes.

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface Command {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Full `--help` text. */
  help: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[], io: CommandIo): Promise<number>;
}

/** Bad command-line input: printed with the command's help hint, exit code 2. */
export class UsageError extends Error {
  readonly code = 'E_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command that cannot go on (a missing pin, say): printed as one line with its code, exit code 1. */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

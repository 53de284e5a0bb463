// Owns the client commands' runtime error: a message plus a stable code (the CLI prints both, exit 1).

export class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

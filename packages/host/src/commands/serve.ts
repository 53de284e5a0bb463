// Owns `sentinel-wasi serve`: serves an HTTP filter component under the Node host, a fresh instance
// per request, the pin preopened at /pin, bound to 127.0.0.1 unless told otherwise.

import { existsSync } from 'node:fs';
import { UsageError, type Command } from './command.js';
import { DEFAULT_SERVE_HOST } from '../defaults.js';
import { parseHostFlags } from './run.js';

const help = `Usage: sentinel-wasi serve <component.wasm> --pin DIR --port N [options] [-- args...]

Serves an HTTP component (one that exports wasi:http/incoming-handler) under the Node host. Every
request gets a fresh component instance (per-request isolation, like wasmtime serve), with DIR
preopened at /pin. The component is transpiled with jco once and cached by its content hash.
Appends to files in the pin are atomic. The pin is the component's only capability: sockets are
disabled and outgoing HTTP requests are denied. Stops on SIGINT or SIGTERM, printing how many
requests were served, failed (answered 500) and could not write to the pin.

Options:
  --pin DIR          the pin directory, seen by the component as /pin (required; a missing
                     directory is allowed: the component's opens fail and it counts its drops)
  --pin-read-only    preopen the pin read-only
  --port N           port to listen on (required; 0 picks a free port, printed at start)
  --host ADDR        interface to bind (default ${DEFAULT_SERVE_HOST})
  --max-instance-reuse-count N
                     requests one instance serves, one after another, before a fresh one
                     takes over (default 1: every request gets a fresh instance)
  --env K=V          set an environment variable for the component (repeatable)
  --cache-dir DIR    where transpiled components are kept (see sentinel-wasi run --help)
  -h, --help         show this help

On start it prints "listening on http://HOST:PORT/" to stderr.
`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve an HTTP filter component under the Node host (instance per request, pin at /pin)',
  help,
  async run(argv, io) {
    const flags = parseHostFlags(argv, { port: { type: 'string' }, host: { type: 'string' }, 'max-instance-reuse-count': { type: 'string' } });
    const portText = flags.values.port;
    if (typeof portText !== 'string') throw new UsageError('--port N is required');
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port must be an integer in [0, 65535], got ${JSON.stringify(portText)}`);
    const reuseText = flags.values['max-instance-reuse-count'];
    const maxInstanceReuseCount = typeof reuseText === 'string' ? Number(reuseText) : 1;
    if (typeof reuseText === 'string' && (!/^\d+$/.test(reuseText) || maxInstanceReuseCount < 1)) {
      throw new UsageError(`--max-instance-reuse-count must be a positive integer, got ${JSON.stringify(reuseText)}`);
    }
    const host = typeof flags.values.host === 'string' ? flags.values.host : DEFAULT_SERVE_HOST;
    if (!existsSync(flags.pinDir)) {
      io.stderr.write(`sentinel-wasi serve: pin ${flags.pinDir} does not exist; appends will fail and be counted as drops until it does\n`);
    }
    const { serveComponent } = await import('../serve.js'); // jco and the shim load only here
    const server = await serveComponent({
      componentPath: flags.componentPath,
      pinDir: flags.pinDir,
      pinReadOnly: flags.pinReadOnly,
      host,
      port,
      maxInstanceReuseCount,
      args: flags.guestArgs,
      env: flags.env,
      cacheDir: flags.cacheDir,
      stderr: io.stderr,
    });
    io.stderr.write(`sentinel-wasi serve: listening on http://${server.host}:${server.port}/\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    server.close();
    const { requests, failedRequests, instances, requestsWithPinWriteFailures, pinWriteFailures } = server.counters;
    const pinNote = pinWriteFailures.total === 0 ? '' : `; ${requestsWithPinWriteFailures} requests could not write to the pin (${pinWriteFailures.describe()})`;
    io.stderr.write(`sentinel-wasi serve: stopped after ${requests} requests (${failedRequests} failed), ${instances} instances${pinNote}\n`);
    return 0;
  },
};

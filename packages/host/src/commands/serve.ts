// Owns `sentinel-wasi serve`: serves an HTTP filter component under the Node host from a pool of
// reused instances (or a fresh instance per request), the pin preopened at /pin, bound to
// 127.0.0.1 unless told otherwise.

import { UsageError, type Command } from '@sentinel-wasi/protocol/node';
import { checkPinDir } from './pin-check.js';
import { DEFAULT_SERVE_HOST, DEFAULT_SERVE_INSTANCES } from '../defaults.js';
import { DEFAULT_MAX_REQUEST_MS } from '../request-watchdog.js';
import { parseHostFlags } from './run.js';

const help = `Usage: sentinel-wasi serve <component.wasm> --pin DIR --port N [options] [-- args...]

Serves an HTTP component (one that exports wasi:http/incoming-handler) under the Node host, with DIR
preopened at /pin. A pool of instances is made at start and each instance serves request after
request (one at a time: an instance is never re-entered); the filter SDK flushes what a request
recorded when the request ends. An instance that traps is dropped and replaced. For per-request
isolation, as wasmtime serve gives by default, use --fresh-instance-per-request (it costs an
instantiation, tens of ms, per request). The component is transpiled with jco once and cached by
its content hash.
Appends to files in the pin are atomic. The pin is the component's only capability: sockets are
disabled and outgoing HTTP requests are denied. Stops on SIGINT or SIGTERM: new connections are
refused, the requests in flight are answered (for up to 10 s; then their connections are cut),
and it prints how many requests were served, failed (the component trapped or set no usable
response, and the host answered 500; a 500 the component answers itself is served, not failed)
and could not write to the pin.
A request is read whole before the component sees it (a body over 16 MiB is answered 413) and the
response is held whole until the handler returns (a body past 64 MiB: the write fails, answered
500, E_RESPONSE_TOO_LARGE; a body the handler never finished with OutgoingBody.finish is an
incomplete response: answered 500, E_BODY_UNFINISHED); while bodies clients have not read hold
256 MiB, new requests are answered 503 (E_BUSY).

Options:
  --pin DIR          the pin directory, seen by the component as /pin (required, unless --no-pin;
                     an existing directory must be a pin, with its PIN file: sentinel-wasi init
                     --pin DIR makes one; a missing directory is allowed: the component's opens
                     fail and it counts its drops until the pin is made)
  --no-pin           preopen nothing
  --pin-read-only    preopen the pin read-only
  --port N           port to listen on (required; 0 picks a free port, printed at start)
  --host ADDR        interface to bind (default ${DEFAULT_SERVE_HOST})
  --instances N      instances kept ready (default ${DEFAULT_SERVE_INSTANCES})
  --max-instance-reuse-count N
                     requests one instance serves before a fresh one takes its place
                     (default: unlimited)
  --fresh-instance-per-request
                     a fresh instance for every request (the same as
                     --max-instance-reuse-count 1)
  --max-request-ms N a request that runs longer ends the process (default ${DEFAULT_MAX_REQUEST_MS}; 0: no
                     limit): a component that never returns holds the process's one thread, where
                     nothing, SIGTERM included, can interrupt it; the process writes E_REQUEST_TIMEOUT
                     and is killed, for a supervisor to restart
  --env K=V          set an environment variable for the component (repeatable)
  --cache-dir DIR    where transpiled components are kept (see sentinel-wasi run --help)
  -h, --help         show this help

On start it prints "listening on http://HOST:PORT/" to stderr; on stop, the requests served and
failed and the instances made, retired and dropped after a trap.
`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve an HTTP filter component under the Node host (a pool of reused instances, pin at /pin)',
  help,
  async run(argv, io) {
    const flags = parseHostFlags(argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      instances: { type: 'string' },
      'max-instance-reuse-count': { type: 'string' },
      'fresh-instance-per-request': { type: 'boolean' },
      'max-request-ms': { type: 'string' },
    });
    const portText = flags.values.port;
    if (typeof portText !== 'string') throw new UsageError('--port N is required');
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port must be an integer in [0, 65535], got ${JSON.stringify(portText)}`);
    const instances = positiveInteger(flags.values.instances, '--instances') ?? DEFAULT_SERVE_INSTANCES;
    const reuse = positiveInteger(flags.values['max-instance-reuse-count'], '--max-instance-reuse-count');
    const fresh = flags.values['fresh-instance-per-request'] === true;
    if (fresh && reuse !== undefined) throw new UsageError('--fresh-instance-per-request and --max-instance-reuse-count cannot be given together');
    const maxInstanceReuseCount = fresh ? 1 : (reuse ?? Infinity);
    const maxRequestText = flags.values['max-request-ms'];
    if (maxRequestText !== undefined && (typeof maxRequestText !== 'string' || !/^\d+$/.test(maxRequestText) || !Number.isSafeInteger(Number(maxRequestText)))) {
      throw new UsageError(`--max-request-ms must be a whole number of ms (0: no limit), got ${JSON.stringify(maxRequestText)}`);
    }
    const maxRequestMs = maxRequestText === undefined ? DEFAULT_MAX_REQUEST_MS : Number(maxRequestText);
    const host = typeof flags.values.host === 'string' ? flags.values.host : DEFAULT_SERVE_HOST;
    if (flags.pinDir !== undefined && checkPinDir(flags.pinDir, !flags.pinReadOnly) === 'missing') {
      io.stderr.write(`sentinel-wasi serve: pin ${flags.pinDir} does not exist; appends will fail and be counted as drops until it does\n`);
    }
    const { serveComponent } = await import('../serve.js'); // jco and the shim load only here
    const server = await serveComponent({
      componentPath: flags.componentPath,
      pinDir: flags.pinDir,
      pinReadOnly: flags.pinReadOnly,
      host,
      port,
      instances,
      maxInstanceReuseCount,
      args: flags.guestArgs,
      env: flags.env,
      cacheDir: flags.cacheDir,
      stderr: io.stderr,
      maxRequestMs,
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
    await server.close();
    const c = server.counters;
    const pinNote = c.pinWriteFailures.total === 0 ? '' : `; ${count(c.requestsWithPinWriteFailures, 'request')} could not write to the pin (${count(c.pinWriteFailures.total, 'failed operation')}: ${c.pinWriteFailures.describe()})`;
    io.stderr.write(
      `sentinel-wasi serve: stopped after ${count(c.requests, 'request')} (${c.failedRequests} failed), ` +
        `${count(c.instances, 'instance')} (pool of ${c.poolSize}; ${c.instancesRetired} retired, ${c.instancesDiscarded} dropped after a trap)${pinNote}\n`,
    );
    return 0;
  },
};

/** `1 request`, `2 requests`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A flag's positive integer value (undefined when the flag is absent). */
function positiveInteger(text: string | boolean | string[] | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text !== 'string' || !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

// Owns serving an HTTP component (wasi:http/incoming-handler) under the Node host: preview2-shim's
// HTTP server, and a fresh component instance for every request (per-request isolation, as
// `wasmtime serve` does by default for p2 components), each with its own pin preopen. Instantiating
// costs tens of ms (mostly jco's generated set-up code), so the next instance is made while the
// server is idle, and `maxInstanceReuseCount` (like wasmtime's flag) lets an instance serve several
// requests one after another. A request whose instance traps gets a 500 and is counted; that
// instance is never used again, and the server goes on.

import { basename } from 'node:path';
import { instanceImports, PinWriteFailures } from './imports.js';
import { HostError, defaultCacheDir, loadComponent, type LoadedComponent } from './transpile-cache.js';
import { DEFAULT_SERVE_HOST } from './defaults.js';
import { ShimHttpServer, shimHttpTypes } from './shim.js';

export { DEFAULT_SERVE_HOST };

export interface ServeOptions {
  componentPath: string;
  pinDir: string | undefined;
  pinReadOnly?: boolean;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind; 0 picks a free one (see `port` on the result). */
  port: number;
  /** Requests one instance serves, one after another, before it is dropped (default 1: isolation). */
  maxInstanceReuseCount?: number;
  /** Arguments after argv[0] for every instance. */
  args?: string[];
  env?: Record<string, string>;
  cacheDir?: string;
  stderr?: NodeJS.WritableStream;
}

export interface ServeCounters {
  /** Requests handed to an instance. */
  requests: number;
  /** Requests whose instance failed to instantiate or trapped (answered 500). */
  failedRequests: number;
  /** Component instances created (the up-front check included). */
  instances: number;
  /** Requests during which the instance failed to write to the pin (answered all the same). */
  requestsWithPinWriteFailures: number;
  /** Every failed write to the pin, by error code. */
  pinWriteFailures: PinWriteFailures;
}

export interface RunningServer {
  host: string;
  port: number;
  component: LoadedComponent;
  counters: ServeCounters;
  close(): void;
}

const { Fields, OutgoingResponse, OutgoingBody, ResponseOutparam } = shimHttpTypes;

/** Answers 500 if the instance had not answered yet (a second answer is refused by the shim and ignored). */
function answerInternalError(responseOut: unknown): void {
  try {
    const response = new OutgoingResponse(new Fields());
    response.setStatusCode(500);
    const body = response.body();
    ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
    OutgoingBody.finish(body, undefined);
  } catch {
    // the instance had already answered
  }
}

export async function serveComponent(options: ServeOptions): Promise<RunningServer> {
  const stderr = options.stderr ?? process.stderr;
  const maxUses = options.maxInstanceReuseCount ?? 1;
  if (!Number.isSafeInteger(maxUses) || maxUses < 1) {
    throw new HostError('E_BAD_ARGUMENT', `maxInstanceReuseCount must be a positive integer, got ${maxUses}`);
  }
  const component = await loadComponent(options.componentPath, options.cacheDir ?? defaultCacheDir());
  const importOptions = {
    pinDir: options.pinDir,
    pinReadOnly: options.pinReadOnly ?? false,
    args: [basename(options.componentPath), ...(options.args ?? [])],
    env: options.env ?? {},
  };
  // Instantiate once up front: a component that cannot serve fails here, not on the first request.
  const pinWriteFailures = new PinWriteFailures(); // shared by every instance
  let probe;
  try {
    probe = component.instantiate(component.getCoreModule, instanceImports(importOptions, pinWriteFailures).imports);
  } catch (err) {
    throw new HostError('E_INSTANTIATE', `cannot instantiate ${options.componentPath}: ${(err as Error).message}`);
  }
  if (typeof probe.incomingHandler?.handle !== 'function') {
    throw new HostError('E_NOT_HTTP', `${options.componentPath} does not export wasi:http/incoming-handler (is it a command component? use run)`);
  }

  const counters: ServeCounters = { requests: 0, failedRequests: 0, instances: 1, requestsWithPinWriteFailures: 0, pinWriteFailures };
  type Instance = ReturnType<LoadedComponent['instantiate']>;
  const instantiate = (): Instance => {
    counters.instances++;
    return component.instantiate(component.getCoreModule, instanceImports(importOptions, pinWriteFailures).imports);
  };
  // The instance serving requests now (and how many it has served), and one made ahead of need.
  let current: Instance | null = null;
  let currentUses = 0;
  let spare: Instance | null = probe; // fresh: it has served nothing
  let spareTimer: NodeJS.Immediate | null = null;
  const makeSpareLater = (): void => {
    if (spare !== null || spareTimer !== null) return;
    spareTimer = setImmediate(() => {
      spareTimer = null;
      try {
        spare ??= instantiate();
      } catch {
        // reported when a request needs it
      }
    });
  };
  const instanceForRequest = (): Instance => {
    if (current === null || currentUses >= maxUses) {
      current = spare ?? instantiate();
      spare = null;
      currentUses = 0;
    }
    currentUses++;
    return current;
  };

  const server = new ShimHttpServer({
    handle(request: unknown, responseOut: unknown): void {
      counters.requests++;
      const failuresBefore = pinWriteFailures.total;
      try {
        instanceForRequest().incomingHandler!.handle(request, responseOut);
      } catch (err) {
        counters.failedRequests++;
        current = null; // a trapped instance is never entered again
        stderr.write(`sentinel-wasi serve: request failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
        answerInternalError(responseOut);
      }
      if (pinWriteFailures.total > failuresBefore) counters.requestsWithPinWriteFailures++;
      makeSpareLater();
    },
  });
  const host = options.host ?? DEFAULT_SERVE_HOST;
  try {
    server.listen(options.port, host);
  } catch (err) {
    try {
      server.stop(); // clears the shim's keep-alive timer; its stop of the never-started server fails
    } catch {
      // nothing was listening
    }
    const code = (err as { code?: string }).code;
    throw new HostError(code === 'EADDRINUSE' ? 'E_ADDRESS_IN_USE' : 'E_LISTEN', `cannot listen on ${host}:${options.port}: ${(err as Error).message}`);
  }
  const address = server.address() as { port: number };
  makeSpareLater();
  return {
    host,
    port: address.port,
    component,
    counters,
    close: () => {
      if (spareTimer !== null) clearImmediate(spareTimer);
      server.stop();
    },
  };
}

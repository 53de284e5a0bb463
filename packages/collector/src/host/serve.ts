// Owns serving an HTTP component (wasi:http/incoming-handler) under the Node host: preview2-shim's
// HTTP server, and a fresh component instance for every request (per-request isolation, as
// `wasmtime serve` does by default), each with its own pin preopen. A request whose instance traps
// gets a 500 and is counted; the server goes on.

import { basename } from 'node:path';
import * as shimHttp from '@bytecodealliance/preview2-shim/http';
import { instanceImports } from './imports.js';
import { HostError, defaultCacheDir, loadComponent, type LoadedComponent } from './transpile-cache.js';

export const DEFAULT_SERVE_HOST = '127.0.0.1';

export interface ServeOptions {
  componentPath: string;
  pinDir: string | undefined;
  pinReadOnly?: boolean;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind; 0 picks a free one (see `port` on the result). */
  port: number;
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
}

export interface RunningServer {
  host: string;
  port: number;
  component: LoadedComponent;
  counters: ServeCounters;
  close(): void;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the shim's HTTP resources are untyped JS classes */
const { HTTPServer, types: httpTypes } = shimHttp as any;
const { Fields, OutgoingResponse, OutgoingBody, ResponseOutparam } = httpTypes;

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
  const component = await loadComponent(options.componentPath, options.cacheDir ?? defaultCacheDir());
  const importOptions = {
    pinDir: options.pinDir,
    pinReadOnly: options.pinReadOnly ?? false,
    args: [basename(options.componentPath), ...(options.args ?? [])],
    env: options.env ?? {},
  };
  // Instantiate once up front: a component that cannot serve fails here, not on the first request.
  let probe;
  try {
    probe = component.instantiate(component.getCoreModule, instanceImports(importOptions));
  } catch (err) {
    throw new HostError('E_INSTANTIATE', `cannot instantiate ${options.componentPath}: ${(err as Error).message}`);
  }
  if (typeof probe.incomingHandler?.handle !== 'function') {
    throw new HostError('E_NOT_HTTP', `${options.componentPath} does not export wasi:http/incoming-handler (is it a command component? use run)`);
  }

  const counters: ServeCounters = { requests: 0, failedRequests: 0 };
  const server = new HTTPServer({
    handle(request: unknown, responseOut: unknown): void {
      counters.requests++;
      try {
        const instance = component.instantiate(component.getCoreModule, instanceImports(importOptions));
        instance.incomingHandler!.handle(request, responseOut);
      } catch (err) {
        counters.failedRequests++;
        stderr.write(`sentinel-wasi serve: request failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
        answerInternalError(responseOut);
      }
    },
  });
  const host = options.host ?? DEFAULT_SERVE_HOST;
  try {
    server.listen(options.port, host);
  } catch (err) {
    server.stop();
    const code = (err as { code?: string }).code;
    throw new HostError(code === 'EADDRINUSE' ? 'E_ADDRESS_IN_USE' : 'E_LISTEN', `cannot listen on ${host}:${options.port}: ${(err as Error).message}`);
  }
  const address = server.address() as { port: number };
  return { host, port: address.port, component, counters, close: () => server.stop() };
}

// Owns serving an HTTP component (wasi:http/incoming-handler) under the Node host: the host's own
// HTTP server (http-server.ts: requests and responses never leave this thread) and a pool of
// component instances (instance-pool.ts), each with its own import object and pin preopen. By default an instance is reused for request after request (instantiating costs
// tens of ms, mostly jco's generated set-up code; the filter SDK flushes at the end of every
// request, so frames stay per request); `maxInstanceReuseCount: 1` gives every request a fresh
// instance, as `wasmtime serve` does. jco's sync instantiation runs a request to completion in one
// call, so requests are handled one at a time; the pool keeps instances ready so that a retired or
// trapped one is replaced without a request waiting. A request whose instance traps gets a 500 and
// is counted, with one line and its code on stderr (E_TRAP); that instance is dropped, and the
// server goes on.

import { basename } from 'node:path';
import { describeGuestFailure } from './guest-failure.js';
import { instanceImports, PinWriteFailures } from './imports.js';
import { mappedStderr } from './mapped-stderr.js';
import { SourceLines } from './source-lines.js';
import { HostError, defaultCacheDir, instantiateComponent, loadComponent, type LoadedComponent } from './transpile-cache.js';
import { DEFAULT_SERVE_HOST, DEFAULT_SERVE_INSTANCES } from './defaults.js';
import { HostHttpServer, hostHttpTypes, MAX_RESPONSE_BODY_BYTES, type HostIncomingRequest, type HostResponseOutparam } from './http-server.js';
import { InstancePool } from './instance-pool.js';
import { DEFAULT_MAX_REQUEST_MS, RequestWatchdog } from './request-watchdog.js';

export { DEFAULT_SERVE_HOST, DEFAULT_SERVE_INSTANCES };

export interface ServeOptions {
  componentPath: string;
  pinDir: string | undefined;
  pinReadOnly?: boolean;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind; 0 picks a free one (see `port` on the result). */
  port: number;
  /** Instances kept ready (default DEFAULT_SERVE_INSTANCES). */
  instances?: number;
  /** Requests one instance serves, one after another, before it is retired (default Infinity; 1: a fresh instance per request). */
  maxInstanceReuseCount?: number;
  /** Arguments after argv[0] for every instance. */
  args?: string[];
  env?: Record<string, string>;
  cacheDir?: string;
  stderr?: NodeJS.WritableStream;
  /** A request running longer than this ends the process (request-watchdog.ts; default DEFAULT_MAX_REQUEST_MS, 0: no limit). */
  maxRequestMs?: number;
}

export interface ServeCounters {
  /** Requests handed to an instance. */
  requests: number;
  /**
   * Requests the host answered 500: the instance failed to instantiate or trapped, or the handler
   * returned without a response (none set, or an error set), a status below 200, or response
   * bodies past MAX_RESPONSE_BODY_BYTES. A 500 the component answers itself is no failure.
   */
  failedRequests: number;
  /** Component instances created (the up-front check included). */
  instances: number;
  /** Instances retired after serving maxInstanceReuseCount requests. */
  instancesRetired: number;
  /** Instances dropped because a request trapped in them. */
  instancesDiscarded: number;
  /** Instances kept ready. */
  poolSize: number;
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
  /** Stops serving: refuses new connections, answers the requests in flight (HostHttpServer.close), then lets the instances go. */
  close(): Promise<void>;
}

export async function serveComponent(options: ServeOptions): Promise<RunningServer> {
  const stderr = options.stderr ?? process.stderr;
  const maxUses = options.maxInstanceReuseCount ?? Infinity;
  if (maxUses !== Infinity && (!Number.isSafeInteger(maxUses) || maxUses < 1)) {
    throw new HostError('E_BAD_ARGUMENT', `maxInstanceReuseCount must be a positive integer, got ${maxUses}`);
  }
  const poolSize = options.instances ?? DEFAULT_SERVE_INSTANCES;
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) {
    throw new HostError('E_BAD_ARGUMENT', `instances must be a positive integer, got ${poolSize}`);
  }
  const component = await loadComponent(options.componentPath, options.cacheDir ?? defaultCacheDir());
  // With the build's source map, what instances print on stderr names the filter's own lines
  // (whole lines: a trap's text ends with one).
  const lines = SourceLines.forComponent(options.componentPath);
  const importOptions = {
    stderr: lines === undefined ? undefined : mappedStderr(lines, stderr).cli,
    pinDir: options.pinDir,
    pinReadOnly: options.pinReadOnly ?? false,
    args: [basename(options.componentPath), ...(options.args ?? [])],
    env: options.env ?? {},
  };
  // Every instance gets its own import object (its own preopen of the pin); failures are counted together.
  const pinWriteFailures = new PinWriteFailures();
  type Instance = ReturnType<LoadedComponent['instantiate']>;
  const instantiate = (): Instance => {
    const { imports } = instanceImports(importOptions, pinWriteFailures);
    imports['wasi:http/types'] = hostHttpTypes; // requests and responses stay on this thread (http-server.ts)
    return instantiateComponent(component, imports);
  };
  // Instantiate once up front: a component that cannot serve fails here, not on the first request.
  let probe: Instance;
  try {
    probe = instantiate();
  } catch (err) {
    throw new HostError('E_INSTANTIATE', `cannot instantiate ${options.componentPath}: ${(err as Error).message}`);
  }
  if (typeof probe.incomingHandler?.handle !== 'function') {
    throw new HostError('E_NOT_HTTP', `${options.componentPath} does not export wasi:http/incoming-handler (is it a command component? use run)`);
  }
  const pool = new InstancePool<Instance>({ size: poolSize, maxUsesPerInstance: maxUses, create: instantiate });
  pool.adopt(probe);
  try {
    pool.fill();
  } catch (err) {
    throw new HostError('E_INSTANTIATE', `cannot instantiate ${options.componentPath}: ${(err as Error).message}`);
  }

  const counters: ServeCounters = {
    requests: 0,
    failedRequests: 0,
    get instances() {
      return pool.counters.created;
    },
    get instancesRetired() {
      return pool.counters.retired;
    },
    get instancesDiscarded() {
      return pool.counters.discarded;
    },
    poolSize,
    requestsWithPinWriteFailures: 0,
    pinWriteFailures,
  };

  const maxRequestMs = options.maxRequestMs ?? DEFAULT_MAX_REQUEST_MS;
  const watchdog =
    maxRequestMs > 0
      ? new RequestWatchdog(
          maxRequestMs,
          `sentinel-wasi serve: a request has run {ms} ms without returning (over --max-request-ms ${maxRequestMs}): a component that does not return cannot be interrupted on the process's one thread, so the process ends now (killed); restart it (E_REQUEST_TIMEOUT)\n`,
        )
      : undefined;
  const server = new HostHttpServer({
    handle(request: HostIncomingRequest, responseOut: HostResponseOutparam) {
      counters.requests++;
      const failuresBefore = pinWriteFailures.total;
      let lease;
      try {
        lease = pool.acquire();
      } catch (err) {
        counters.failedRequests++;
        stderr.write(`sentinel-wasi serve: request failed: cannot instantiate: ${err instanceof Error ? err.message : String(err)} (E_INSTANTIATE)\n`);
        return { ok: false };
      }
      let trapped = false;
      watchdog?.begin(Date.now());
      try {
        lease.instance.incomingHandler!.handle(request, responseOut);
      } catch (err) {
        trapped = true; // a trapped instance is never entered again
        counters.failedRequests++;
        const failure = describeGuestFailure(err);
        stderr.write(`sentinel-wasi serve: request failed: ${failure.text} (${failure.code})\n`);
      }
      watchdog?.end();
      pool.release(lease, { trapped });
      if (pinWriteFailures.total > failuresBefore) counters.requestsWithPinWriteFailures++;
      return { ok: !trapped };
    },
    onBadStatus(status: number) {
      counters.failedRequests++;
      stderr.write(`sentinel-wasi serve: request failed: the filter answered status ${status}, which is not a final response (a final status is 200 to 999): answered 500 (E_BAD_STATUS)\n`);
    },
    onNoResponse(error: string | undefined) {
      counters.failedRequests++;
      stderr.write(
        error === undefined
          ? 'sentinel-wasi serve: request failed: the filter returned without setting a response: answered 500 (E_NO_RESPONSE)\n'
          : `sentinel-wasi serve: request failed: the filter set an error (${error}) instead of a response: answered 500 (E_NO_RESPONSE)\n`,
      );
    },
    onUnfinishedBody() {
      counters.failedRequests++;
      stderr.write('sentinel-wasi serve: request failed: the filter set a response and returned without finishing its body (OutgoingBody.finish), so the response is incomplete: answered 500 (E_BODY_UNFINISHED)\n');
    },
    onResponseTooLarge(handled: boolean) {
      // A handler that failed (at the refused write, most likely) was counted and reported already.
      if (handled) counters.failedRequests++;
      stderr.write(`sentinel-wasi serve: request failed: the filter's response bodies went past ${MAX_RESPONSE_BODY_BYTES} bytes, the most a request may hold (they are kept in memory until the request ends); the write past it failed as a closed stream: answered 500 (E_RESPONSE_TOO_LARGE)\n`);
    },
  });
  const host = options.host ?? DEFAULT_SERVE_HOST;
  let port: number;
  try {
    port = await server.listen(options.port, host);
  } catch (err) {
    pool.close();
    // A taken port has the collector's code (Node's errno name): both commands report it alike.
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new HostError('E_ADDRINUSE', `cannot listen on ${host}:${options.port}: the port is in use; choose another with --port N (0 picks a free one)`);
    }
    throw new HostError('E_LISTEN', `cannot listen on ${host}:${options.port}: ${(err as Error).message}`);
  }
  return {
    host,
    port,
    component,
    counters,
    close: async () => {
      await server.close();
      pool.close();
      watchdog?.close();
    },
  };
}

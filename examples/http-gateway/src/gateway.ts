// Owns the gateway's decision for one request, independent of how the request arrived (wasi:http
// or a command line): name the resource "<METHOD> <path>", enter it (the SDK decides with the
// collector's verdict and records PASS or BLOCK), answer 429 when the entry is blocked, else 200
// (500 when the query has fail=1), recording the exit with its RT.

import { resourceName, type Sentinel } from '@sentinel-wasi/filter/core';

export interface GatewayResponse {
  status: number;
  body: string;
  resource: string;
}

/**
 * Longest resource (and origin) name, in UTF-8 bytes: a longer one is cut by resourceName and ends
 * with `~` and a hash of the whole path, so long paths that share their first bytes stay apart.
 */
export const MAX_NAME_BYTES = 256;

/** Splits `/a/b?x=1&fail=1` into its path and query parameters. */
export function splitTarget(pathWithQuery: string): { path: string; params: Map<string, string> } {
  const q = pathWithQuery.indexOf('?');
  let path = q < 0 ? pathWithQuery : pathWithQuery.slice(0, q);
  if (path === '') path = '/';
  const params = new Map<string, string>();
  if (q >= 0) {
    for (const pair of pathWithQuery.slice(q + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      params.set(eq < 0 ? pair : pair.slice(0, eq), eq < 0 ? '' : pair.slice(eq + 1));
    }
  }
  return { path, params };
}

/**
 * Handles one request. `origin` (Sentinel's caller origin) comes from `originHeader` (the HTTP
 * face's `x-sentinel-origin` header) when given, else from the `origin` query parameter.
 */
export function handleRequest(sentinel: Sentinel, method: string, pathWithQuery: string, originHeader?: string): GatewayResponse {
  const { path, params } = splitTarget(pathWithQuery);
  // resourceName: a valid name whatever the request holds (lone surrogates, control characters, any length).
  const resource = resourceName(`${method} ${path}`, { maxBytes: MAX_NAME_BYTES });
  const originParam = originHeader !== undefined && originHeader !== '' ? originHeader : params.get('origin');
  const origin = originParam === undefined || originParam === '' ? undefined : resourceName(originParam, { maxBytes: MAX_NAME_BYTES });
  const entry = sentinel.entry(resource, origin === undefined ? undefined : { origin });
  if (entry.blocked) return { status: 429, body: 'blocked by flow control\n', resource }; // BLOCK recorded and flushed
  const fail = params.get('fail') === '1';
  entry.exit({ error: fail }); // the last open entry: this flushes the request's records
  return fail ? { status: 500, body: 'failed (fail=1)\n', resource } : { status: 200, body: 'ok\n', resource };
}

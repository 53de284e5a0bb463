// Owns the bearer-token check of state-changing transport commands, made from the request's
// headers alone: a request without the right token is answered 401/403 before any of its body is
// read. A request let through by the trusted dashboard address alone (no token) is refused 403
// when a web browser sent it (BROWSER_MARKERS), or when it is not a POST (the dashboard pushes by
// POST to a client that announces version ≥ 1.6.0, as this one does; a GET is what an <img> or a
// link in any browser sends), so that a web page cannot change state (CSRF).

import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { headerCase } from './limits.js';

/** Transport commands that change state (the dashboard POSTs them with a form body). */
export const STATE_CHANGING_COMMANDS: ReadonlySet<string> = new Set(['setRules', 'setSwitch']);

export interface AuthFailure {
  status: 401 | 403;
  body: string;
  headers: Record<string, string>;
}

/** The token of an `Authorization: Bearer <token>` header, or null for a header of another form. */
function bearerToken(authorization: string): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return m === null ? null : m[1]!;
}

function tokenMatches(expected: string, given: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An address as the socket reports it, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) as plain IPv4. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * Headers only a web browser sends (scripts cannot set or remove them): the Sentinel Dashboard, a
 * Java HTTP client, sends none. Sec-Fetch-Mode is not one of them: Node's fetch (undici) sends
 * `sec-fetch-mode: cors` on every request, and a browser never sends it without Sec-Fetch-Site.
 */
export const BROWSER_MARKERS: readonly string[] = ['origin', 'referer', 'sec-fetch-site', 'sec-fetch-dest', 'sec-fetch-user'];

/** The first browser marker among the headers (as it is spelled in BROWSER_MARKERS), or undefined. */
export function browserMarker(headers: IncomingHttpHeaders): string | undefined {
  return BROWSER_MARKERS.find((name) => headers[name] !== undefined);
}

/**
 * null when the request may go on; the answer to send otherwise. A request from `trustedAddress`
 * (the operator's explicit --trust-dashboard-address, for a Sentinel Dashboard, which sends no
 * token) goes on without a token, unless a web browser sent it (any of BROWSER_MARKERS: a page
 * open in a browser on that machine must not change state, 403 E_FORBIDDEN_BROWSER); one that
 * sends an Authorization header anyway is checked like any other (a wrong token is refused
 * wherever it comes from). No address is trusted by default.
 */
export function checkRequest(token: string | undefined, headers: IncomingHttpHeaders, remoteAddress: string | undefined, trustedAddress: string | undefined, method: string | undefined): AuthFailure | null {
  const authorization = headers.authorization;
  const trusted = trustedAddress !== undefined && trustedAddress !== '' && plainAddress(remoteAddress) === plainAddress(trustedAddress);
  if (trusted && authorization === undefined) {
    const marker = browserMarker(headers);
    if (marker !== undefined) {
      return { status: 403, body: `Forbidden: a request from a web browser (it sent ${headerCase(marker)}) needs the collector token, even from the trusted dashboard address (E_FORBIDDEN_BROWSER)`, headers: {} };
    }
    if (method !== 'POST') {
      return { status: 403, body: `Forbidden: without the token, the trusted dashboard address may push by POST only, as the dashboard does; a ${method} needs the collector token (E_FORBIDDEN_METHOD)`, headers: {} };
    }
    return null;
  }
  return checkToken(token, authorization);
}

/** null when the request may go on; the answer to send otherwise. */
export function checkToken(token: string | undefined, authorization: string | undefined): AuthFailure | null {
  if (token === undefined) return { status: 403, body: 'Forbidden: changing state over HTTP is disabled (the collector runs without a token) (E_FORBIDDEN)', headers: {} };
  const unauthorized = (what: string): AuthFailure => ({
    status: 401,
    body: `Unauthorized: ${what} (the token is in <pin>/collector/token, unless the collector was given --token or SENTINEL_WASI_TOKEN) (E_UNAUTHORIZED)`,
    headers: { 'www-authenticate': 'Bearer' },
  });
  if (authorization === undefined) return unauthorized('send "Authorization: Bearer <token>"');
  const given = bearerToken(authorization);
  if (given === null) {
    return unauthorized(/^Bearer\s*$/i.test(authorization.trim()) ? 'the Authorization header says Bearer but gives no token' : 'the Authorization header must be "Bearer <token>" (this one has no Bearer scheme)');
  }
  if (!tokenMatches(token, given)) return { status: 403, body: 'Forbidden: wrong token (E_FORBIDDEN)', headers: {} };
  return null;
}

// Owns the bearer-token check of state-changing transport commands, made from the request's
// headers alone: a request without the right token is answered 401/403 before any of its body is
// read.

import { timingSafeEqual } from 'node:crypto';

/** Transport commands that change state (the dashboard POSTs them with a form body). */
export const STATE_CHANGING_COMMANDS: ReadonlySet<string> = new Set(['setRules']);

export interface AuthFailure {
  status: 401 | 403;
  body: string;
  headers: Record<string, string>;
}

function tokenMatches(expected: string, authorization: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  if (m === null) return false;
  const a = Buffer.from(m[1]!, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An address as the socket reports it, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) as plain IPv4. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * null when the request may go on; the answer to send otherwise. A request from `trustedAddress`
 * (the operator's explicit --trust-dashboard-address, for a Sentinel Dashboard, which sends no
 * token) goes on without a token; one that sends an Authorization header anyway is checked like
 * any other (a wrong token is refused wherever it comes from). No address is trusted by default.
 */
export function checkRequest(token: string | undefined, authorization: string | undefined, remoteAddress: string | undefined, trustedAddress: string | undefined): AuthFailure | null {
  const trusted = trustedAddress !== undefined && trustedAddress !== '' && plainAddress(remoteAddress) === plainAddress(trustedAddress);
  if (trusted && authorization === undefined) return null;
  return checkToken(token, authorization);
}

/** null when the request may go on; the answer to send otherwise. */
export function checkToken(token: string | undefined, authorization: string | undefined): AuthFailure | null {
  if (token === undefined) return { status: 403, body: 'Forbidden: changing state over HTTP is disabled (the collector runs without a token) (E_FORBIDDEN)', headers: {} };
  if (authorization === undefined) return { status: 401, body: 'Unauthorized: send "Authorization: Bearer <token>" (E_UNAUTHORIZED)', headers: { 'www-authenticate': 'Bearer' } };
  if (!tokenMatches(token, authorization)) return { status: 403, body: 'Forbidden: wrong token (E_FORBIDDEN)', headers: {} };
  return null;
}

// Owns the loopback Host check: a server bound to a loopback address answers only requests
// addressed to a loopback name, so a web page cannot reach it through DNS rebinding.

const LOOPBACK_NAME = /^(?:localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;

/** The host part of a Host header (`name`, `name:port`, `[v6]:port`). */
function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d*$/, '');
}

/**
 * A server bound to loopback answers only requests addressed to a loopback name: a web page cannot
 * reach it through DNS rebinding (a hostile name resolving to 127.0.0.1). A request without Host
 * (HTTP/1.0) is let through.
 */
export function hostAllowed(boundHost: string, hostHeader: string | undefined): boolean {
  if (!LOOPBACK_NAME.test(boundHost) || hostHeader === undefined) return true;
  return LOOPBACK_NAME.test(hostnameOf(hostHeader));
}

// Owns parsing a request into a Sentinel transport command the way sentinel-transport-simple-http's
// HttpEventTask does: the command is the path after the first '/' up to '?'; query parameters are
// `k=v` pairs split on '&', '#anchor' stripped, URL-decoded (UTF-8, '+' is a space), trimmed, and a
// pair shorter than 3 characters or with an empty key or value is ignored; a POST body must be
// `application/x-www-form-urlencoded` and its pairs are merged over the query's. A pair whose value
// cannot be decoded is skipped too, and its key noted (CommandParams.undecodable), so that a command
// can say the value was malformed rather than missing.

/** A command's parameters, and the keys whose last value could not be URL-decoded (skipped). */
export class CommandParams extends Map<string, string> {
  readonly undecodable = new Set<string>();
}

export interface CommandRequest {
  command: string;
  params: CommandParams;
}

function decodeFormComponent(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

/** Adds the pairs of a `k=v&k2=v2` string (query or form body) to params; later pairs win. */
export function parseParams(text: string, params: CommandParams = new CommandParams()): CommandParams {
  const hash = text.indexOf('#');
  const query = hash === -1 ? text : text.slice(0, hash);
  for (const single of query.split('&')) {
    if (single.length < 3) continue;
    const eq = single.indexOf('=');
    if (eq <= 0 || eq >= single.length - 1) continue;
    const key = decodeFormComponent(single.slice(0, eq).trim());
    if (key === undefined) continue;
    const value = decodeFormComponent(single.slice(eq + 1).trim());
    if (value === undefined) {
      params.undecodable.add(key);
      continue;
    }
    params.undecodable.delete(key);
    params.set(key, value);
  }
  return params;
}

/** Command and query parameters of a request target such as `/metric?startTime=1&endTime=2`. */
export function parseCommandTarget(target: string): CommandRequest {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const hash = path.indexOf('#');
  const command = (hash === -1 ? path : path.slice(0, hash)).replace(/^\//, '');
  return { command, params: q === -1 ? new CommandParams() : parseParams(target.slice(q + 1)) };
}

/** True for a Content-Type Sentinel accepts on a POST (`application/x-www-form-urlencoded`, charset suffix allowed). */
export function isFormContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return contentType.split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

// Owns finding and asking a running collector: `<pin>/collector/address.json` (written by the daemon)
// says where it listens; a recorded pid that no longer exists means no collector runs.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PinLayout } from '@sentinel-wasi/protocol';
import { DAEMON_ADDRESS_FILE, type DaemonAddress } from '../stats/types.js';
import { QueryError } from './errors.js';
import { processAlive } from '../pin/lock.js';

export const FETCH_TIMEOUT_MS = 3000;

export function daemonAddressPath(pinDir: string): string {
  return join(pinDir, PinLayout.collectorDir, DAEMON_ADDRESS_FILE);
}

/** The running collector's address, or undefined when the file is missing, unreadable, or its process is gone. */
export async function findDaemon(pinDir: string): Promise<DaemonAddress | undefined> {
  let text: string;
  try {
    text = await readFile(daemonAddressPath(pinDir), 'utf8');
  } catch {
    return undefined;
  }
  let v: Partial<DaemonAddress>;
  try {
    v = JSON.parse(text) as Partial<DaemonAddress>;
  } catch {
    return undefined;
  }
  if (typeof v.url !== 'string' || !/^https?:\/\//.test(v.url)) return undefined;
  if (typeof v.pid === 'number' && v.pid > 0 && !processAlive(v.pid)) return undefined;
  return { url: v.url, pid: v.pid ?? 0, startedAtMs: v.startedAtMs ?? 0, app: v.app ?? '' };
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** GET `<base><path>` and parse JSON; E_UNREACHABLE when nothing answers, E_BAD_ANSWER when it is not JSON. */
export async function getJson(baseUrl: string, path: string): Promise<JsonAnswer> {
  const url = baseUrl.replace(/\/+$/, '') + path;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (err) {
    // fetch's own error is a bare "fetch failed": its cause says why (ECONNREFUSED, "bad port", …).
    const c = (err as { cause?: { code?: string; message?: string } }).cause;
    const cause = c?.code ?? c?.message ?? ((err as Error).name === 'TimeoutError' ? `no answer within ${FETCH_TIMEOUT_MS} ms` : (err as Error).message);
    throw new QueryError('E_UNREACHABLE', `no collector answers at ${baseUrl} (${cause})`);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    throw new QueryError('E_BAD_ANSWER', `${url} answered ${res.status} with something that is not JSON`);
  }
}

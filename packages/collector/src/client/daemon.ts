// Owns finding and asking a running collector: `<pin>/collector/address.json` (written by the daemon)
// says where it listens; a recorded pid that no longer exists (or is a zombie) means no collector
// runs there. The pin's lock (`<pin>/collector/lock`, pin/lock.ts) says whether a collector runs
// at all, also one without HTTP (`--no-http`, or an HTTP server that did not start): findCollector.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PinLayout } from '@sentinel-wasi/protocol';
import { DAEMON_ADDRESS_FILE, type DaemonAddress } from '../stats/types.js';
import { sendRequest } from '../http/outgoing.js';
import { QueryError } from './errors.js';
import { liveLockOwner, processAlive } from '../pin/lock.js';
import { pinPaths } from '../pin/pin.js';

/** How long a client command waits for a collector's answer (node:http, http/outgoing.ts). */
export const QUERY_TIMEOUT_MS = 3000;

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

/** Whether and how a collector runs on a pin. */
export interface CollectorPresence {
  /** Where it listens (address.json, its pid alive); undefined when it has no HTTP server. */
  address: DaemonAddress | undefined;
  /** The live process holding the pin's lock; undefined when none does or the lock cannot be read. */
  lockPid: number | undefined;
}

/**
 * The collector of a pin: its address and the pid holding its lock. An address whose pid is not the
 * lock's live holder was left by an earlier collector (killed, its pid now someone else's): dropped.
 */
export async function findCollector(pinDir: string): Promise<CollectorPresence> {
  const lockPid = liveLockOwner(pinPaths(pinDir).lock)?.pid;
  let address = await findDaemon(pinDir);
  if (address !== undefined && lockPid !== undefined && address.pid !== 0 && address.pid !== lockPid) address = undefined;
  return { address, lockPid };
}

/** True when a collector runs (with or without HTTP): it writes its open seconds as they close. */
export function collectorRuns(presence: CollectorPresence): boolean {
  return presence.address !== undefined || presence.lockPid !== undefined;
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** GET `<base><path>` and parse JSON; E_UNREACHABLE when nothing answers, E_BAD_ANSWER when it is not JSON. */
export async function getJson(baseUrl: string, path: string): Promise<JsonAnswer> {
  const url = baseUrl.replace(/\/+$/, '') + path;
  let res: { status: number; text: string };
  try {
    res = await sendRequest(new URL(url), { method: 'GET', headers: { accept: 'application/json' }, timeoutMs: QUERY_TIMEOUT_MS });
  } catch (err) {
    // The OS's code says why (ECONNREFUSED, ENOTFOUND, …); a timeout says so in words.
    const e = err as NodeJS.ErrnoException;
    const cause = e.code === 'E_TIMEOUT' ? e.message : e.code === 'ERR_INVALID_URL' ? 'not a URL' : (e.code ?? e.message);
    throw new QueryError('E_UNREACHABLE', `no collector answers at ${baseUrl} (${cause})`);
  }
  try {
    return { status: res.status, body: JSON.parse(res.text) };
  } catch {
    throw new QueryError('E_BAD_ANSWER', `${url} answered ${res.status} with something that is not JSON`);
  }
}

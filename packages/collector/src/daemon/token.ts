// Owns the collector's HTTP token file `<pin>/collector/token`: read at start, or created (0600, 32
// random bytes as hex, written with the no-follow safe write) when absent. State-changing requests
// (/setRules) must carry it as `Authorization: Bearer <token>`. An existing token file must be a
// regular file of this user's, readable by no one else (E_TOKEN_UNSAFE otherwise: the collector
// does not start).

import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { effectiveUid, writeFileSafely } from '../pin/safe-write.js';

export const TOKEN_FILE = 'token';
/** The shortest token taken, from the file or the command line: a short one is guessed. */
export const MIN_TOKEN_CHARS = 16;

/**
 * The token in `<collectorDir>/token`, created when missing. Throws E_TOKEN_EMPTY for an empty
 * file, E_TOKEN_SHORT for one under MIN_TOKEN_CHARS, E_TOKEN_UNSAFE for one others can read.
 */
export function loadOrCreateToken(collectorDir: string): string {
  const path = join(collectorDir, TOKEN_FILE);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw tokenUnsafe(`${path} is a symbolic link: the token is read only from a regular file of its own; delete it (a new token is made at start)`);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const token = randomBytes(32).toString('hex');
    writeFileSafely(path, `${token}\n`, 0o600);
    return token;
  }
  try {
    // The token guards every state change: only a regular file of this user's that no one else
    // can read (a FIFO is opened without blocking and refused here).
    const st = fstatSync(fd);
    const uid = effectiveUid();
    if (!st.isFile()) throw tokenUnsafe(`${path} is not a regular file: delete it (a new token is made at start)`);
    if (st.uid !== uid) throw tokenUnsafe(`${path} is owned by uid ${st.uid}, not by this user (uid ${uid}), and whoever holds the token can change the rules: \`chown ${uid} ${path}\``);
    if ((st.mode & 0o077) !== 0) throw tokenUnsafe(`${path} can be read or written by others (mode 0${(st.mode & 0o777).toString(8)}), and whoever holds the token can change the rules: \`chmod 600 ${path}\``);
    const token = readFileSync(fd, 'utf8').trim();
    if (token === '') throw Object.assign(new Error(`E_TOKEN_EMPTY: ${path} is empty; put a token in it or delete it`), { code: 'E_TOKEN_EMPTY' });
    if (token.length < MIN_TOKEN_CHARS) {
      throw Object.assign(new Error(`E_TOKEN_SHORT: ${path} holds a token of ${token.length} characters, and a short token is guessed: put one of at least ${MIN_TOKEN_CHARS} in it, or delete it (a new one of 64 random hex digits is made at start)`), { code: 'E_TOKEN_SHORT' });
    }
    return token;
  } finally {
    closeSync(fd);
  }
}

function tokenUnsafe(message: string): Error {
  return Object.assign(new Error(`E_TOKEN_UNSAFE: ${message}`), { code: 'E_TOKEN_UNSAFE' });
}

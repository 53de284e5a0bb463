// Owns the collector's HTTP token file `<pin>/collector/token`: read at start, or created (0600, 32
// random bytes as hex, written with the no-follow safe write) when absent. State-changing requests
// (/setRules) must carry it as `Authorization: Bearer <token>`.

import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSafely } from '../pin/safe-write.js';

export const TOKEN_FILE = 'token';

/** The token in `<collectorDir>/token`, created when missing. Throws E_TOKEN_EMPTY for an empty file. */
export function loadOrCreateToken(collectorDir: string): string {
  const path = join(collectorDir, TOKEN_FILE);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const token = randomBytes(32).toString('hex');
    writeFileSafely(path, `${token}\n`, 0o600);
    return token;
  }
  try {
    const token = readFileSync(fd, 'utf8').trim();
    if (token === '') throw Object.assign(new Error(`E_TOKEN_EMPTY: ${path} is empty; put a token in it or delete it`), { code: 'E_TOKEN_EMPTY' });
    return token;
  } finally {
    closeSync(fd);
  }
}

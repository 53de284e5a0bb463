// Owns deciding whether the --pin directory given to `run` or `serve` is a pin they may use: a
// directory holding a PIN header, read with the reader `sentinel-wasi stats` uses (readPinHeader),
// so that records never go where no collector reads them, and one this user may enter (and, unless
// the pin is preopened read-only, whose log directory it may write), so that a filter's appends do
// not all fail unseen. Whether a missing directory is allowed is each command's call (run refuses
// it; serve waits for it).

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolError } from '@sentinel-wasi/protocol';
import { CommandError, permissionsOf, readPinHeader, thisUser } from '@sentinel-wasi/protocol/node';

/**
 * 'missing' when nothing is at `pinDir`; 'pin' when it is a directory with a PIN header. Throws
 * E_PIN_NOT_DIRECTORY, E_NO_PIN (a directory with no PIN file) or E_BAD_PIN (a PIN no collector
 * accepts). A PIN this user may not read is a pin all the same: a pin shared with a group of
 * filter hosts keeps its PIN (mode 0600) to the collector's user. Then E_PIN_ACCESS when this
 * user may not enter the pin, or (`writable`) write its log directory when there is one.
 */
export function checkPinDir(pinDir: string, writable = true): 'pin' | 'missing' {
  if (!existsSync(pinDir)) return 'missing';
  if (!statSync(pinDir).isDirectory()) throw new CommandError('E_PIN_NOT_DIRECTORY', `pin ${pinDir} is not a directory`);
  try {
    readPinHeader(pinDir);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') {
      throw new CommandError(
        'E_NO_PIN',
        `pin ${pinDir} is not a pin directory (no PIN file), so no collector would read what is written there ` +
          `(make it one with: sentinel-wasi init --pin ${pinDir}, or start the collector on it: sentinel-wasi collector --pin ${pinDir})`,
      );
    }
    // A PIN this user may not read is a pin all the same (above); anything else is no usable one.
    if (code !== 'EACCES' && code !== 'EPERM') {
      const reason = err instanceof ProtocolError ? err.reason : (err as Error).message; // the code is printed once, at the end
      throw new CommandError('E_BAD_PIN', `pin ${pinDir} is not a usable pin: ${reason}`);
    }
  }
  checkAccess(pinDir, writable);
  return 'pin';
}

/**
 * E_PIN_ACCESS when this user may not enter `pinDir`, or (`writable`) write in its `log/`, or, when
 * it has no `log/` yet, in the pin itself (the filter makes `log/` at its first append).
 */
function checkAccess(pinDir: string, writable: boolean): void {
  const refuse = (dir: string, may: string, err: unknown): never => {
    const lost = 'so every record the filter writes would be lost';
    if ((err as { code?: unknown }).code === 'EROFS') {
      throw new CommandError('E_PIN_ACCESS', `${dir} is on a read-only file system, ${lost}: give --pin-read-only to use the pin for verdicts alone`);
    }
    throw new CommandError(
      'E_PIN_ACCESS',
      `this user (${thisUser()}) may not ${may} ${dir} (${permissionsOf(dir) ?? 'which it cannot look at'}), ${lost}: ` +
        `run as the pin's user, or share the pin with a group (packages/host/README.md, "A pin, or nothing")`,
    );
  };
  try {
    accessSync(pinDir, constants.X_OK);
  } catch (err) {
    refuse(pinDir, 'enter', err);
  }
  if (!writable) return;
  const log = join(pinDir, 'log');
  const target = existsSync(log) ? log : pinDir;
  try {
    accessSync(target, constants.W_OK | constants.X_OK);
  } catch (err) {
    refuse(target, target === log ? 'write in' : 'make log/ in', err);
  }
}

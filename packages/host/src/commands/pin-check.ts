// Owns deciding whether the --pin directory given to `run` or `serve` is a pin they may use: a
// directory holding a PIN header, read with the reader `sentinel-wasi stats` uses (readPinHeader),
// so that records never go where no collector reads them. Whether a missing directory is allowed is
// each command's call (run refuses it; serve waits for it).

import { existsSync, statSync } from 'node:fs';
import { ProtocolError } from '@sentinel-wasi/protocol';
import { readPinHeader } from '@sentinel-wasi/protocol/node';
import { CommandError } from './command.js';

/**
 * 'missing' when nothing is at `pinDir`; 'pin' when it is a directory with a PIN header. Throws
 * E_PIN_NOT_DIRECTORY, E_NO_PIN (a directory with no PIN file) or E_BAD_PIN (a PIN no collector
 * accepts). A PIN this user may not read is a pin all the same: a pin shared with a group of
 * filter hosts keeps its PIN (mode 0600) to the collector's user.
 */
export function checkPinDir(pinDir: string): 'pin' | 'missing' {
  if (!existsSync(pinDir)) return 'missing';
  if (!statSync(pinDir).isDirectory()) throw new CommandError('E_PIN_NOT_DIRECTORY', `pin ${pinDir} is not a directory`);
  try {
    readPinHeader(pinDir);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'EACCES' || code === 'EPERM') return 'pin';
    if (code === 'ENOENT') {
      throw new CommandError(
        'E_NO_PIN',
        `pin ${pinDir} is not a pin directory (no PIN file), so no collector would read what is written there ` +
          `(make it one with: sentinel-wasi init --pin ${pinDir}, or start the collector on it: sentinel-wasi collector --pin ${pinDir})`,
      );
    }
    const reason = err instanceof ProtocolError ? err.reason : (err as Error).message; // the code is printed once, at the end
    throw new CommandError('E_BAD_PIN', `pin ${pinDir} is not a usable pin: ${reason}`);
  }
  return 'pin';
}

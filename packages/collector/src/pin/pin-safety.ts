// Owns the collector's start-up check of a pin's ownership and modes: the pin directory and its
// `log/`, `rules/`, `collector/` and `collector/metrics/` must be owned by the collector's user (so root runs only on
// a pin owned by root) and must not be writable by group or others; the sub-directories must be
// real directories, not links. A group-readable pin (0750) is fine. `--allow-shared-pin` turns
// the mode and owner rules off, except that the pin directory itself, `collector/` and its `metrics/`, where the
// collector writes (the resource map; its own files), must still be its user's (its writes refuse
// a foreign directory), and links are still refused. Failures are E_PIN_UNSAFE with the command
// that fixes them.

import { lstatSync, statSync, type Stats } from 'node:fs';
import type { PinPaths } from './pin.js';
import { effectiveUid } from './safe-write.js';

export const ALLOW_SHARED_PIN_FLAG = '--allow-shared-pin';

export class PinUnsafeError extends Error {
  readonly code = 'E_PIN_UNSAFE';
  constructor(message: string) {
    super(message);
    this.name = 'PinUnsafeError';
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

function checkOne(dir: string, st: Stats, allowShared: boolean, writtenHere?: string): void {
  const uid = effectiveUid();
  if (allowShared) {
    if (writtenHere !== undefined && st.uid !== uid) {
      throw new PinUnsafeError(
        `${dir} is owned by uid ${st.uid}, not by this user (uid ${uid}): the collector writes ${writtenHere} there and writes only into its own directories, also with ${ALLOW_SHARED_PIN_FLAG}. ` +
          `Run the collector as its owner (or \`chown ${uid} ${dir}\`).`,
      );
    }
    return;
  }
  if (st.uid !== uid) {
    throw new PinUnsafeError(
      `${dir} is owned by uid ${st.uid}, not by this user (uid ${uid}): others could plant files the collector reads and writes. ` +
        `Run the collector as its owner (or \`chown -R ${uid} ${dir}\`), or start with ${ALLOW_SHARED_PIN_FLAG} to accept it.`,
    );
  }
  if ((st.mode & 0o022) !== 0) {
    throw new PinUnsafeError(
      `${dir} is writable by ${st.mode & 0o020 ? 'group' : ''}${(st.mode & 0o022) === 0o022 ? ' and ' : ''}${st.mode & 0o002 ? 'others' : ''} (mode ${octal(st.mode)}). ` +
        `Run \`chmod 700 ${dir}\` (or \`chmod 750 ${dir}\` for a group of readers), or start with ${ALLOW_SHARED_PIN_FLAG} to accept it.`,
    );
  }
}

/** Throws PinUnsafeError when the pin or one of its directories is unsafe (see the header). */
export function checkPinSafety(paths: PinPaths, options: { allowShared?: boolean } = {}): void {
  const allowShared = options.allowShared === true;
  checkOne(paths.pinDir, statSync(paths.pinDir), allowShared, 'the resource map');
  for (const dir of [paths.logDir, paths.rulesDir, paths.collectorDir, paths.metricDir]) {
    const st = lstatSync(dir);
    if (st.isSymbolicLink() || !st.isDirectory()) {
      throw new PinUnsafeError(`${dir} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}; the collector uses only real directories inside the pin. Replace it with a directory (\`mkdir -m 700 ${dir}\`).`);
    }
    checkOne(dir, st, allowShared, dir === paths.collectorDir ? 'its checkpoint, lock and metric log' : dir === paths.metricDir ? 'its metric log' : undefined);
  }
}

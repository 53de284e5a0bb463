// Owns creating and opening a pin directory: mode 0700, the `PIN` header, and the `log/`,
// `rules/` and `collector/` sub-directories. Creating is idempotent; an existing PIN is validated,
// never rewritten.

import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { makePinHeader, parsePinHeader, PinLayout, type PinHeader } from '@sentinel-wasi/protocol/encode';
import { METRIC_DIR_NAME } from '../metriclog/layout.js';

export const PIN_DIR_MODE = 0o700;

export interface PinPaths {
  pinDir: string;
  header: string;
  logDir: string;
  rulesDir: string;
  collectorDir: string;
  /** `<pin>/collector/metrics`: Sentinel metric log files. */
  metricDir: string;
  checkpoint: string;
  lock: string;
  address: string;
}

export function pinPaths(pinDir: string): PinPaths {
  const dir = resolve(pinDir);
  const collectorDir = join(dir, PinLayout.collectorDir);
  return {
    pinDir: dir,
    header: join(dir, PinLayout.header),
    logDir: join(dir, PinLayout.logDir),
    rulesDir: join(dir, PinLayout.rulesDir),
    collectorDir,
    metricDir: join(collectorDir, METRIC_DIR_NAME),
    checkpoint: join(collectorDir, 'checkpoint.json'),
    lock: join(collectorDir, 'lock'),
    address: join(collectorDir, 'address.json'),
  };
}

export interface EnsurePinResult {
  paths: PinPaths;
  header: PinHeader;
  /** True when this call wrote the PIN header (the pin did not exist before). */
  created: boolean;
}

/** The app name used when none is given: the pin directory's own name, or `sentinel-wasi`. */
export function defaultAppName(pinDir: string): string {
  const name = basename(resolve(pinDir)).replace(/^\.+/, '');
  return name.length > 0 ? name : 'sentinel-wasi';
}

function mkdirPrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PIN_DIR_MODE });
}

/**
 * Creates the pin if missing (0700, PIN header, sub-directories) and returns its header. An
 * existing PIN is validated (E_BAD_PIN when it is not a v1 pin) and kept as it is; `app` only
 * names a new pin.
 */
export function ensurePin(pinDir: string, app?: string): EnsurePinResult {
  const paths = pinPaths(pinDir);
  mkdirPrivate(paths.pinDir);
  let header: PinHeader;
  let created = false;
  let text: string | undefined;
  try {
    text = readFileSync(paths.header, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    // Making a pin (also in a directory that already existed): it gets the private mode. An
    // existing pin keeps the mode its owner chose (e.g. 0750 for a group of filter hosts).
    chmodSync(paths.pinDir, PIN_DIR_MODE);
    header = makePinHeader(app ?? defaultAppName(paths.pinDir));
    const tmp = `${paths.header}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(header)}\n`, { mode: 0o600 });
    renameSync(tmp, paths.header);
    created = true;
  } else {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    header = parsePinHeader(value);
  }
  for (const dir of [paths.logDir, paths.rulesDir, paths.collectorDir, paths.metricDir]) mkdirPrivate(dir);
  return { paths, header, created };
}

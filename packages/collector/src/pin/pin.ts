// Owns creating and opening a pin directory: mode 0700, the `PIN` header, and the `log/`,
// `rules/` and `collector/` sub-directories. Creating is idempotent; an existing PIN is validated,
// never rewritten; an existing directory without one is made a pin (mode 0700: the result says
// which mode it had). What stops it is a PinError with a stable code: a path that is not a
// directory (E_PIN_NOT_DIRECTORY), or one this user may not read or change (E_PIN_ACCESS).

import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { makePinHeader, parsePinHeader, PinLayout, ProtocolError, type PinHeader } from '@sentinel-wasi/protocol/encode';
import { permissionsOf, thisUser } from '@sentinel-wasi/protocol/node';
import { METRIC_DIR_NAME } from '../metriclog/layout.js';
import { osReason } from './os-error.js';

export const PIN_DIR_MODE = 0o700;

export type PinErrorCode = 'E_PIN_NOT_DIRECTORY' | 'E_PIN_ACCESS' | 'E_BAD_PIN';

/** A pin that cannot be made or opened: not a directory, or not this user's to read or change. */
export class PinError extends Error {
  readonly code: PinErrorCode;
  constructor(code: PinErrorCode, message: string) {
    super(message);
    this.name = 'PinError';
    this.code = code;
  }
}

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
  /** When this call made a directory that existed before a pin: its mode then (now PIN_DIR_MODE); else null. */
  formerDirMode: number | null;
}

/** The app name used when none is given: the pin directory's own name, or `sentinel-wasi`. */
export function defaultAppName(pinDir: string): string {
  const name = basename(resolve(pinDir)).replace(/^\.+/, '');
  return name.length > 0 ? name : 'sentinel-wasi';
}

/**
 * EACCES or EPERM as E_PIN_ACCESS: "cannot <what>: EACCES: permission denied (this user is uid N,
 * groups G; <path> has mode 0700, owner uid M, group gid M)", <path> the file that refused, or the
 * pin when that cannot be looked at; EROFS (and with `anyReason`, any error) as E_PIN_ACCESS with
 * the system's reason; any other error as it is.
 */
export function accessError(err: unknown, what: string, pinDir: string, anyReason = false): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  // A file system that refuses the change itself (read-only, /proc, …): the system's reason alone.
  if (code !== 'EACCES' && code !== 'EPERM') return anyReason || code === 'EROFS' ? new PinError('E_PIN_ACCESS', `cannot ${what}: ${osReason(err)}`) : err;
  // The file refused, or (when it cannot even be looked at) the pin: what it allows, beside who asked.
  const path = (err as NodeJS.ErrnoException).path;
  const pathAllows = path === undefined ? null : permissionsOf(path);
  const refused = pathAllows !== null ? path! : pinDir;
  const allows = pathAllows ?? permissionsOf(pinDir);
  return new PinError('E_PIN_ACCESS', `cannot ${what}: ${osReason(err)} (this user is ${thisUser()}${allows === null ? '' : `; ${refused} has ${allows}`})`);
}

/**
 * Creates dir (and missing parents) with the private mode; true when dir itself was created. `role`: what dir is, for the message.
 * One mkdir per missing directory, from the top down (not Node's recursive mkdir, which reports a
 * read-only file system as ENOENT and loops for ever on a path /proc refuses).
 */
function mkdirPrivate(dir: string, role: 'the pin' | 'a part of the pin', pinDir: string): boolean {
  const missing: string[] = [];
  for (let cur = resolve(dir); ; ) {
    let isDir: boolean;
    try {
      isDir = statSync(cur).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new PinError('E_PIN_NOT_DIRECTORY', `cannot create ${dir}: a part of its path is a file, not a directory`);
      if (code !== 'ENOENT') throw accessError(err, `create ${dir}`, pinDir);
      missing.push(cur);
      const parent = dirname(cur);
      if (parent === cur) break;
      cur = parent;
      continue;
    }
    if (isDir) break;
    if (cur === resolve(dir)) throw new PinError('E_PIN_NOT_DIRECTORY', `${dir} exists and is not a directory: ${role === 'the pin' ? 'a pin is a directory (give --pin a directory, or a path that does not exist yet)' : 'the pin needs a directory there'}`);
    throw new PinError('E_PIN_NOT_DIRECTORY', `cannot create ${dir}: a part of its path is a file, not a directory`);
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]!, { mode: PIN_DIR_MODE });
    } catch (err) {
      // Made meanwhile by another process: fine when it is a directory.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && isDirectory(missing[i]!)) continue;
      throw accessError(err, `create ${missing[i]}`, pinDir, true);
    }
  }
  return missing.length > 0;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The PIN file's text; undefined when there is none. */
function readHeaderText(paths: PinPaths): string | undefined {
  try {
    return readFileSync(paths.header, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw accessError(err, `read ${paths.header}`, paths.pinDir);
  }
}

/** Writes a new PIN header (temp file, then rename); throws an access error (E_PIN_ACCESS) when it cannot. */
export function writeHeader(paths: PinPaths, header: PinHeader): void {
  const tmp = `${paths.header}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(header)}\n`, { mode: 0o600 });
    renameSync(tmp, paths.header);
  } catch (err) {
    throw accessError(err, `write ${paths.header}`, paths.pinDir);
  }
}

/**
 * Creates the pin if missing (0700, PIN header, sub-directories) and returns its header. An
 * existing PIN is validated (E_BAD_PIN when it is not a v1 pin) and kept as it is; `app` only
 * names a new pin.
 */
export function ensurePin(pinDir: string, app?: string): EnsurePinResult {
  const paths = pinPaths(pinDir);
  const madeDir = mkdirPrivate(paths.pinDir, 'the pin', paths.pinDir);
  let header: PinHeader;
  let created = false;
  let formerDirMode: number | null = null;
  const text = readHeaderText(paths);
  if (text === undefined) {
    // Making a pin (also in a directory that already existed): it gets the private mode. An
    // existing pin keeps the mode its owner chose (e.g. 0750 for a group of filter hosts).
    if (!madeDir) formerDirMode = statSync(paths.pinDir).mode & 0o777;
    try {
      chmodSync(paths.pinDir, PIN_DIR_MODE);
    } catch (err) {
      throw accessError(err, `make ${paths.pinDir} private (mode 0${PIN_DIR_MODE.toString(8)})`, paths.pinDir);
    }
    header = makePinHeader(app ?? defaultAppName(paths.pinDir));
    writeHeader(paths, header);
    created = true;
  } else {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    try {
      header = parsePinHeader(value);
    } catch (err) {
      // The reason, and which file: E_BAD_PIN once (the protocol's message begins with its code).
      if (!(err instanceof ProtocolError) || err.code !== 'E_BAD_PIN') throw err;
      throw new PinError('E_BAD_PIN', `${join(paths.pinDir, PinLayout.header)}: ${err.reason}`);
    }
  }
  for (const dir of [paths.logDir, paths.rulesDir, paths.collectorDir, paths.metricDir]) mkdirPrivate(dir, 'a part of the pin', paths.pinDir);
  return { paths, header, created, formerDirMode };
}

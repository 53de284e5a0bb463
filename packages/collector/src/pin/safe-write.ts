// Owns how the collector writes its own files (checkpoint, address.json, the lock's temp file,
// rules and map files): never through a symbolic link. A file is written under a fresh temp
// name created with O_EXCL|O_NOFOLLOW (random suffix), fsynced, renamed over the target, and
// the directory is fsynced. The directory must be a real directory (not a link) owned by this
// user; otherwise the write is refused with E_UNSAFE_PATH and nothing is written.

import { closeSync, constants, fsyncSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export class UnsafePathError extends Error {
  readonly code = 'E_UNSAFE_PATH';
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePathError';
  }
}

/** This process's effective uid (0 on systems without uids). */
export function effectiveUid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

/** Throws UnsafePathError unless dir is a real directory (not a link) owned by this user. */
export function assertOwnDirectory(dir: string): void {
  let st;
  try {
    st = lstatSync(dir);
  } catch (err) {
    throw new UnsafePathError(`cannot inspect ${dir}: ${(err as Error).message}`);
  }
  if (st.isSymbolicLink()) throw new UnsafePathError(`${dir} is a symbolic link; the collector does not write through links`);
  if (!st.isDirectory()) throw new UnsafePathError(`${dir} is not a directory`);
  const uid = effectiveUid();
  if (st.uid !== uid) throw new UnsafePathError(`${dir} is owned by uid ${st.uid}, not by this user (uid ${uid})`);
}

/** Flags of a new temp file: created, never an existing one, never through a link. */
const EXCL_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** A new temp name next to path: `<name>.tmp-<16 hex>`. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `${basename(path)}.tmp-${randomBytes(8).toString('hex')}`);
}

function writeAll(fd: number, bytes: Buffer): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Creates a new file at a fresh temp name next to path (O_EXCL|O_NOFOLLOW), writes data and
 * fsyncs it; returns the temp path. The caller renames or links it into place.
 */
export function writeExclusiveTemp(path: string, data: string | Uint8Array, mode = 0o600): string {
  assertOwnDirectory(dirname(path));
  const tmp = tempNameFor(path);
  const fd = openSync(tmp, EXCL_FLAGS, mode);
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    removeQuietly(tmp);
    throw err;
  }
  closeSync(fd);
  return tmp;
}

/** How a directory is opened to be fsynced: never through a link. */
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** fsyncs a directory (opened without following a link). */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, DIR_FLAGS);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** Writes path atomically and durably without following links (see the header). */
export function writeFileSafely(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = writeExclusiveTemp(path, data, mode);
  try {
    renameSync(tmp, path);
  } catch (err) {
    removeQuietly(tmp);
    throw err;
  }
  fsyncDirectory(dirname(path));
}

/**
 * writeFileSafely without holding the event loop during the writes and fsyncs (they run on
 * libuv's thread pool), with a last look before the rename: `commit()` is asked in the same turn
 * of the event loop as the rename, and when it says no the temp file is removed and nothing
 * replaced. Resolves true once the new file is durable, false when `commit()` said no.
 */
export async function writeFileSafelyAsync(path: string, data: string, commit: () => boolean, mode = 0o600): Promise<boolean> {
  const dir = dirname(path);
  assertOwnDirectory(dir);
  const tmp = tempNameFor(path);
  const file = await open(tmp, EXCL_FLAGS, mode);
  try {
    await file.writeFile(data, 'utf8');
    await file.sync();
  } catch (err) {
    await file.close().catch(() => undefined);
    removeQuietly(tmp);
    throw err;
  }
  await file.close();
  if (!commit()) {
    removeQuietly(tmp);
    return false;
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    removeQuietly(tmp);
    throw err;
  }
  const d = await open(dir, DIR_FLAGS);
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  return true;
}

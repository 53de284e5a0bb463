// Owns the Node host's `wasi:filesystem` for filter components: preview2-shim's filesystem with an
// atomic `append-via-stream`. The shim appends by `stat` then positional writes, so two processes
// appending to one segment overwrite each other. Here a descriptor's append stream is a file
// descriptor opened with O_APPEND, and each write is one write(2): the kernel places it at the end
// of the file, as wasmtime does with pwritev2(RWF_APPEND). A file opened for reading also gets a
// file descriptor of the host's own, so a positioned `read` is one pread(2) on this thread (the
// shim makes it a round trip to its I/O worker and an asynchronous read there: the filter reads
// the resource map on every decision). Around the shim's other calls it adds three things: a
// read-only pin (every write, create or change refused, like wasmtime's read-only preopen), a
// report of every failed write so the host can count them, the filter's view of a pin (below), and
// errors the guest can catch: every
// failure a descriptor reports is a wasi:filesystem error code, never a Node Error (jco's bindings
// rethrow an Error as a trap, which no guest can catch). An open that could block the host's thread
// is refused before anything opens it: a FIFO (and, for a read-only open, a socket or a device) is
// `unsupported`. A read of a directory is `bad-descriptor`, as wasmtime answers it.
//
// The filter's view of a pin (`filterView`): a filter needs the pin's `PIN` and `map` (read) and
// its `log/` (made, and segments created and appended to); it has no business with `collector/`
// (the HTTP token, the checkpoint, the metric log) or `rules/`. Under that view any other path is
// `access` to read and `not-permitted` to change, and nothing anywhere is truncated, written at a
// position, linked, renamed, removed or re-timed (`not-permitted`): a filter's code, trusted or
// not, cannot read the token, rewrite the rules, damage other writers' segments or plant links.

import { closeSync, constants, existsSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import { createShimPreopen, ShimIoError, shimFilesystemTypes, type ShimDescriptor } from './shim.js';
import { SyncOutputStream } from './sync-output-stream.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the shim's resources are untyped JS classes */
const symbolDispose: symbol = (Symbol as any).dispose ?? Symbol.for('dispose');

export { MAX_BLOCKING_WRITE_BYTES } from './sync-output-stream.js';
/** What check-write reports: one write() of up to this many bytes is one write(2) (wasmtime: 1 MiB). */
export const APPEND_WRITE_CAPACITY_BYTES = 1024 * 1024;

/** A failed write, as wasi:io/streams reports it (`last-operation-failed` carrying an io error). */
function streamError(err: unknown): { tag: 'last-operation-failed'; val: unknown } {
  return { tag: 'last-operation-failed', val: new ShimIoError(err) };
}

/** Closes an append stream's (or a read descriptor's) fd if the guest never dropped it. */
const unclosed = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

/**
 * An output stream whose every write is one write(2) on an O_APPEND file descriptor.
 */
export class AppendOutputStream extends SyncOutputStream {
  #fd: number;
  readonly #onFailure: (err: unknown) => void;

  constructor(fd: number, onFailure: (err: unknown) => void = () => {}) {
    super(APPEND_WRITE_CAPACITY_BYTES);
    this.#fd = fd;
    this.#onFailure = onFailure;
    unclosed.register(this, fd, this);
  }

  [symbolDispose](): void {
    if (this.#fd < 0) return;
    unclosed.unregister(this);
    try {
      closeSync(this.#fd);
    } catch {
      // nothing the guest can do about a failed close of an append-only fd
    }
    this.#fd = -1;
  }

  protected ensureOpen(): void {
    if (this.#fd < 0) throw { tag: 'closed' };
  }

  /** One write(2) for the whole buffer; a short write (disk full, file size limit) fails the operation. */
  protected accept(buf: Uint8Array): void {
    this.ensureOpen();
    if (buf.byteLength === 0) return;
    let written: number;
    try {
      written = writeSync(this.#fd, buf, 0, buf.byteLength);
    } catch (err) {
      this.#onFailure(err);
      throw streamError(err);
    }
    if (written !== buf.byteLength) {
      const err = Object.assign(new Error(`short append: ${written} of ${buf.byteLength} bytes`), { code: 'ENOSPC' });
      this.#onFailure(err);
      throw streamError(err);
    }
  }
}

/** wasi:filesystem error codes by Node's errno name (preview2-shim's mapping, plus the names it lacks). */
const ERROR_CODES: Readonly<Record<string, string>> = {
  EACCES: 'access',
  EAGAIN: 'would-block',
  EWOULDBLOCK: 'would-block',
  EALREADY: 'already',
  EBADF: 'bad-descriptor',
  EBUSY: 'busy',
  EDEADLK: 'deadlock',
  EDQUOT: 'quota',
  EEXIST: 'exist',
  EFBIG: 'file-too-large',
  EILSEQ: 'illegal-byte-sequence',
  EINPROGRESS: 'in-progress',
  EINTR: 'interrupted',
  EINVAL: 'invalid',
  ERR_INVALID_ARG_VALUE: 'invalid',
  EIO: 'io',
  EISDIR: 'is-directory',
  ELOOP: 'loop',
  EMLINK: 'too-many-links',
  EMSGSIZE: 'message-size',
  ENAMETOOLONG: 'name-too-long',
  ENODEV: 'no-device',
  ENOENT: 'no-entry',
  ENOLCK: 'no-lock',
  ENOMEM: 'insufficient-memory',
  EMFILE: 'insufficient-memory',
  ENFILE: 'insufficient-memory',
  ENOSPC: 'insufficient-space',
  ENOTDIR: 'not-directory',
  ENOTEMPTY: 'not-empty',
  ENOTRECOVERABLE: 'not-recoverable',
  ENOTSUP: 'unsupported',
  EOPNOTSUPP: 'unsupported',
  ENOSYS: 'unsupported',
  ENOTTY: 'no-tty',
  ENXIO: 'no-such-device',
  EOVERFLOW: 'overflow',
  EPERM: 'not-permitted',
  EPIPE: 'pipe',
  EROFS: 'read-only',
  ESPIPE: 'invalid-seek',
  ETXTBSY: 'text-file-busy',
  EXDEV: 'cross-device',
};

/**
 * The wasi:filesystem error code for anything a filesystem call threw: a code (a string, as the
 * shim and this file throw them) as it is; a Node error by its errno name; anything else `io`.
 */
export function wasiErrorCode(err: unknown): string {
  if (typeof err === 'string') return err;
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code] : undefined) ?? 'io';
}

/** Runs a call into the shim (or Node): whatever it throws reaches the guest as an error code. */
function withErrorCode<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw wasiErrorCode(err);
  }
}

/** Types an open can reach without blocking whatever the descriptor flags (a FIFO blocks until its other end opens). */
const OPENABLE_TYPES: ReadonlySet<string> = new Set(['regular-file', 'directory', 'symbolic-link', 'character-device', 'block-device', 'socket']);
/** Types a read-only open may open: what the SDK reads (the map, a file) and directories; a final symlink not followed fails the open itself ('loop'). */
const READABLE_TYPES: ReadonlySet<string> = new Set(['regular-file', 'directory', 'symbolic-link']);

/**
 * Refuses, before anything opens it, what the open of `path` under `dir` would block on or has no
 * business reading: `unsupported` for a FIFO (an open of one waits for its other end, on this
 * thread), and for a read-only open also a socket or a device. `statAt` is the shim's, with the
 * open's own symlink rule (stat or lstat) and path checks; when it fails (nothing there yet, a path
 * leaving the preopen), the open goes ahead and reports its own error. An open with the
 * `directory` flag cannot block (O_DIRECTORY fails first) and is not checked. (The shim opens by
 * path, with flags of its own: a FIFO put in place between this check and its open still blocks.)
 */
function refuseBlockingOpen(dir: ShimDescriptor, pathFlags: unknown, path: string, openFlags: any, descriptorFlags: any): void {
  if (openFlags?.directory) return;
  let type: unknown;
  try {
    type = dir.statAt(pathFlags ?? {}, path).type;
  } catch {
    return;
  }
  const allowed = descriptorFlags?.write ? OPENABLE_TYPES : READABLE_TYPES;
  if (!allowed.has(type as string)) throw 'unsupported';
}

/** Rules shared by every descriptor of one filesystem (one component instance). */
export interface PinPolicy {
  /** No create, write or change anywhere under the preopens (as wasmtime's read-only --dir). */
  readOnly: boolean;
  /** Only what a filter needs of a pin: PIN and map read, log/ made and appended to (see the header). */
  filterView: boolean;
  /** Told the error code of every failed write, create or change ('exist' is not a failure). */
  onWriteFailure(code: string): void;
}

/** What a filter may read under a pin (the view's top-level names; '.' is the pin itself). */
const FILTER_READABLE: ReadonlySet<string> = new Set(['.', 'PIN', 'map', 'log']);
/** The pin's directory where a filter writes. */
const FILTER_LOG_DIR = 'log';

/** `path` under the descriptor at `hostPath` as a path under the preopen `root` ('.' for the root; '..' first: outside). */
function pinRelative(root: string, hostPath: string, path: string): string {
  return posix.normalize(posix.join(posix.relative(root, hostPath) || '.', path));
}

/** The top-level name a path under the pin starts with. */
function topName(rel: string): string {
  return rel.split('/')[0]!;
}

/**
 * Reports a failed write, create or change. Not reported: 'exist', and 'no-entry' while the
 * preopened directory itself exists (a subdirectory the guest has not created yet is its own
 * business; a missing pin is a failure).
 */
function reportFailure(policy: PinPolicy, root: string, code: string): void {
  if (code === 'exist') return;
  if (code === 'no-entry' && existsSync(root)) return;
  policy.onWriteFailure(code);
}

/**
 * A `wasi:filesystem/types` descriptor: the shim's descriptor plus the host path it stands for,
 * which append-via-stream needs to open an O_APPEND file descriptor. Reads are delegated as they
 * are; writes and changes are checked against the policy and their failures reported. Whatever
 * a call throws reaches the guest as a wasi:filesystem error code (wasiErrorCode).
 */
export class Descriptor {
  readonly #inner: ShimDescriptor;
  readonly #hostPath: string;
  /** Whether the open that made this descriptor followed a final symlink (the reopen does the same). */
  readonly #followed: boolean;
  /** Host path of the preopen this descriptor is under. */
  readonly #root: string;
  readonly #policy: PinPolicy;
  /** The host's own read-only fd of a file opened for reading (positioned reads); -1: none, the shim reads. */
  #readFd = -1;

  constructor(inner: ShimDescriptor, hostPath: string, followed: boolean, root: string, policy: PinPolicy) {
    this.#inner = inner;
    this.#hostPath = hostPath;
    this.#followed = followed;
    this.#root = root;
    this.#policy = policy;
  }

  /**
   * Opens the host's read fd for a descriptor just opened for reading (right after the shim's open
   * of the same path succeeded). A regular file only: anything else keeps the shim's reads. The
   * open is non-blocking, so a FIFO put in the file's place since the shim's open cannot stall it.
   */
  #openReadFd(): void {
    let fd: number;
    try {
      fd = openSync(this.#hostPath, constants.O_RDONLY | constants.O_NONBLOCK | (this.#followed ? 0 : constants.O_NOFOLLOW));
    } catch {
      return;
    }
    try {
      if (fstatSync(fd).isFile()) {
        this.#readFd = fd;
        unclosed.register(this, fd, this);
        return;
      }
    } catch {
      // fall through: not ours to read
    }
    closeSync(fd);
  }

  /** Runs a write, create or change: refused under a read-only pin (and `allowed` false under the filter's view); a failure is reported, then thrown (as its error code). */
  #mutate<T>(change: () => T, allowedInFilterView = false): T {
    try {
      if (this.#policy.readOnly) throw 'not-permitted';
      if (this.#policy.filterView && !allowedInFilterView) throw 'not-permitted';
      return change();
    } catch (err) {
      const code = wasiErrorCode(err);
      reportFailure(this.#policy, this.#root, code);
      throw code;
    }
  }

  /** Under the filter's view: whether `path` (under this descriptor) is one a filter may read. */
  #readable(path: string): boolean {
    return !this.#policy.filterView || FILTER_READABLE.has(topName(pinRelative(this.#root, this.#hostPath, path)));
  }

  /** A read of `path` (open, stat, readlink): `access` outside the filter's view, else as the shim answers. */
  #read<T>(path: string, read: () => T): T {
    return withErrorCode(() => {
      if (!this.#readable(path)) throw 'access';
      return read();
    });
  }

  /** Under the filter's view: whether a file may be created or opened for writing at `path` (under log/, no truncation). */
  #writableFile(path: string, openFlags: any, descriptorFlags: any): boolean {
    const rel = pinRelative(this.#root, this.#hostPath, path);
    return topName(rel) === FILTER_LOG_DIR && rel !== FILTER_LOG_DIR && !openFlags?.truncate && !openFlags?.directory && !descriptorFlags?.mutateDirectory;
  }

  /** The shim descriptor inside a wrapped one (for calls that take a second descriptor). */
  static #unwrap(other: Descriptor): ShimDescriptor {
    return other.#inner;
  }

  appendViaStream(): AppendOutputStream {
    return this.#mutate(() => {
      if (this.#inner.getType() === 'directory') throw 'is-directory';
      if (!this.#inner.getFlags().write) throw 'bad-descriptor';
      let fd: number;
      try {
        fd = openSync(this.#hostPath, constants.O_WRONLY | constants.O_APPEND | (this.#followed ? 0 : constants.O_NOFOLLOW));
      } catch (err) {
        throw wasiErrorCode(err);
      }
      return new AppendOutputStream(fd, (err) => this.#policy.onWriteFailure(wasiErrorCode(err)));
    }, true);
  }

  openAt(pathFlags: any, path: string, openFlags: any, descriptorFlags: any): Descriptor {
    // The shim validates the path (no absolute paths, no escaping the preopen) before opening.
    const open = (): Descriptor => {
      refuseBlockingOpen(this.#inner, pathFlags, path, openFlags, descriptorFlags);
      const d = new Descriptor(
        this.#inner.openAt(pathFlags, path, openFlags, descriptorFlags),
        posix.join(this.#hostPath, path),
        Boolean(pathFlags?.symlinkFollow),
        this.#root,
        this.#policy,
      );
      if (descriptorFlags?.read) d.#openReadFd();
      return d;
    };
    const writes = openFlags?.create || openFlags?.truncate || descriptorFlags?.write || descriptorFlags?.mutateDirectory;
    return writes ? this.#mutate(open, this.#writableFile(path, openFlags, descriptorFlags)) : this.#read(path, open);
  }

  readViaStream(offset: bigint): unknown {
    return withErrorCode(() => this.#inner.readViaStream(offset));
  }
  writeViaStream(offset: bigint): unknown {
    return this.#mutate(() => this.#inner.writeViaStream(offset));
  }
  advise(offset: bigint, length: bigint, advice: unknown): void {
    withErrorCode(() => this.#inner.advise(offset, length, advice));
  }
  syncData(): void {
    withErrorCode(() => this.#inner.syncData());
  }
  getFlags(): unknown {
    return withErrorCode(() => this.#inner.getFlags());
  }
  getType(): unknown {
    return withErrorCode(() => this.#inner.getType());
  }
  setSize(size: bigint): void {
    this.#mutate(() => this.#inner.setSize(size));
  }
  setTimes(atime: unknown, mtime: unknown): void {
    this.#mutate(() => this.#inner.setTimes(atime, mtime));
  }
  /** Up to `length` bytes at `offset` and whether the end was reached (nothing read), as the shim answers. */
  read(length: bigint, offset: bigint): unknown {
    if (this.#readFd < 0) return this.#shimRead(length, offset);
    const buf = new Uint8Array(Number(length));
    let n: number;
    try {
      n = readSync(this.#readFd, buf, 0, buf.length, Number(offset));
    } catch (err) {
      throw wasiErrorCode(err);
    }
    return [n === buf.length ? buf : buf.subarray(0, n), n === 0];
  }
  /**
   * A read of a descriptor without the host's read fd (a directory, or a file the shim opened
   * without read): a directory is `bad-descriptor`, as wasmtime answers (the shim would throw
   * Node's EISDIR); anything else is the shim's read.
   */
  #shimRead(length: bigint, offset: bigint): unknown {
    return withErrorCode(() => {
      if (this.#inner.getType() === 'directory') throw 'bad-descriptor';
      return this.#inner.read(length, offset);
    });
  }
  write(buffer: Uint8Array, offset: bigint): unknown {
    return this.#mutate(() => this.#inner.write(buffer, offset));
  }
  readDirectory(): unknown {
    return withErrorCode(() => this.#inner.readDirectory());
  }
  sync(): void {
    withErrorCode(() => this.#inner.sync());
  }
  createDirectoryAt(path: string): void {
    this.#mutate(() => this.#inner.createDirectoryAt(path), pinRelative(this.#root, this.#hostPath, path) === FILTER_LOG_DIR);
  }
  stat(): unknown {
    return withErrorCode(() => this.#inner.stat());
  }
  statAt(pathFlags: unknown, path: string): unknown {
    return this.#read(path, () => this.#inner.statAt(pathFlags, path));
  }
  setTimesAt(pathFlags: unknown, path: string, atime: unknown, mtime: unknown): void {
    this.#mutate(() => this.#inner.setTimesAt(pathFlags, path, atime, mtime));
  }
  linkAt(oldPathFlags: unknown, oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    this.#mutate(() => this.#inner.linkAt(oldPathFlags, oldPath, Descriptor.#unwrap(newDescriptor), newPath));
  }
  readlinkAt(path: string): unknown {
    return this.#read(path, () => this.#inner.readlinkAt(path));
  }
  removeDirectoryAt(path: string): void {
    this.#mutate(() => this.#inner.removeDirectoryAt(path));
  }
  renameAt(oldPath: string, newDescriptor: Descriptor, newPath: string): void {
    this.#mutate(() => this.#inner.renameAt(oldPath, Descriptor.#unwrap(newDescriptor), newPath));
  }
  symlinkAt(target: string, path: string): void {
    this.#mutate(() => this.#inner.symlinkAt(target, path));
  }
  unlinkFileAt(path: string): void {
    this.#mutate(() => this.#inner.unlinkFileAt(path));
  }
  isSameObject(other: Descriptor): boolean {
    return other === this;
  }
  metadataHash(): unknown {
    return withErrorCode(() => this.#inner.metadataHash());
  }
  metadataHashAt(pathFlags: unknown, path: string): unknown {
    return this.#read(path, () => this.#inner.metadataHashAt(pathFlags, path));
  }
  [symbolDispose](): void {
    if (this.#readFd >= 0) {
      unclosed.unregister(this);
      try {
        closeSync(this.#readFd);
      } catch {
        // already closed
      }
      this.#readFd = -1;
    }
    try {
      this.#inner[symbolDispose]?.();
    } catch {
      // a drop cannot fail: nothing the guest can do about a failed close
    }
  }
}

/**
 * `filesystem-error-code`: the code of a stream error's cause (the shim's io error carries it as
 * `payload`), by the same mapping as every other error here; none for an error without a cause.
 * (The shim's own throws its cause, a Node Error, when it has no code for it.)
 */
function filesystemErrorCode(err: unknown): string | undefined {
  const payload = (err as { payload?: unknown } | null)?.payload;
  return payload === undefined || payload === null ? undefined : wasiErrorCode(payload);
}

/** The `wasi:filesystem` namespace a WASIShim accepts (`filesystem` + `sandbox.preopens`). */
export interface AppendFilesystem {
  types: { Descriptor: typeof Descriptor; DirectoryEntryStream: unknown; filesystemErrorCode(err: unknown): unknown };
  createPreopens(preopens: Record<string, string>): { getDirectories(): Array<[Descriptor, string]> };
}

/**
 * The filesystem for one component instance: `createPreopens({'/pin': hostDir})` gives the guest
 * exactly those directories. A preopen whose host directory is missing still appears; every open
 * under it fails with `no-entry` until the directory exists (the filter drops and counts). With
 * `readOnly`, every create, write or change under the preopens fails with `not-permitted`. With
 * `filterView`, a preopen is a pin as a filter sees it (see the header).
 * `onWriteFailure` hears the code of every failed write, so the host can count them too.
 */
export function createAppendFilesystem(options: Partial<PinPolicy> = {}): AppendFilesystem {
  const policy: PinPolicy = { readOnly: options.readOnly ?? false, filterView: options.filterView ?? false, onWriteFailure: options.onWriteFailure ?? (() => {}) };
  return {
    types: {
      Descriptor,
      DirectoryEntryStream: shimFilesystemTypes.DirectoryEntryStream,
      filesystemErrorCode,
    },
    createPreopens(preopens) {
      const entries: Array<[Descriptor, string]> = Object.entries(preopens).map(([guestPath, hostPath]) => {
        const root = posix.resolve(hostPath);
        return [new Descriptor(createShimPreopen(hostPath), root, true, root, policy), guestPath];
      });
      return { getDirectories: () => [...entries] };
    },
  };
}

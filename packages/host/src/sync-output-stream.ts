// Owns the wasi:io output-stream methods shared by the host's own streams whose writes complete
// at once (an O_APPEND file descriptor, a response body kept in memory): every write form ends in
// one `accept(buf)`, check-write reports a fixed capacity, flushes only check that the stream is
// open, and the pollable is ready at once. It is a subclass of the shim's OutputStream so that
// transpiled components accept its subclasses as one.

import { ShimOutputStream, subscribeDuration, type ShimPollable } from './shim.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the shim's resources are untyped JS classes */

/** wasi-io's limit for one blocking-write-and-flush (wasmtime traps above it, and so does this host). */
export const MAX_BLOCKING_WRITE_BYTES = 4096;

/** Throws as wasmtime traps when one blocking-write-and-flush is over MAX_BLOCKING_WRITE_BYTES. */
function checkBlockingWrite(bytes: number | bigint): void {
  if (bytes > MAX_BLOCKING_WRITE_BYTES) {
    throw new Error(`Buffer too large for blocking-write-and-flush (expected at most ${MAX_BLOCKING_WRITE_BYTES})`);
  }
}

/**
 * `len` zero bytes for a write-zeroes, made only once `len` is within `permitBytes` (what the
 * stream's check-write reports): a guest's length is not memory to allocate.
 */
export function zeroesWithin(len: bigint, permitBytes: number): Uint8Array {
  checkPermit('write-zeroes', len, permitBytes);
  return new Uint8Array(Number(len));
}

/** Throws (a trap for the guest) when a write of `bytes` is over check-write's permit: wasi-io's precondition. */
function checkPermit(what: string, bytes: number | bigint, permitBytes: number): void {
  if (bytes > permitBytes) throw new Error(`${what} of ${bytes} bytes is more than check-write permits (${permitBytes})`);
}

export abstract class SyncOutputStream extends ShimOutputStream {
  readonly #capacityBytes: number;

  /** capacityBytes: what check-write reports (the most one write() takes). */
  constructor(capacityBytes: number) {
    super();
    this.#capacityBytes = capacityBytes;
  }

  /** Throws `{ tag: 'closed' }` when the stream can no longer be written. */
  protected abstract ensureOpen(): void;

  /** Takes the whole buffer (valid only during the call), or throws the stream error. */
  protected abstract accept(buf: Uint8Array): void;

  checkWrite(): bigint {
    this.ensureOpen();
    return BigInt(this.#capacityBytes);
  }

  /** wasi-io: a write longer than check-write's permit traps (as wasmtime's does); nothing of it is written. */
  write(buf: Uint8Array): void {
    checkPermit('write', buf.byteLength, this.#capacityBytes);
    this.accept(buf);
  }

  blockingWriteAndFlush(buf: Uint8Array): void {
    checkBlockingWrite(buf.byteLength);
    this.accept(buf);
  }

  flush(): void {
    this.ensureOpen();
  }

  blockingFlush(): void {
    this.ensureOpen();
  }

  writeZeroes(len: bigint): void {
    this.ensureOpen();
    this.accept(zeroesWithin(len, this.#capacityBytes));
  }

  blockingWriteZeroesAndFlush(len: bigint): void {
    checkBlockingWrite(len);
    this.accept(new Uint8Array(Number(len)));
  }

  splice(src: any, len: bigint): bigint {
    const bytes: Uint8Array = src.read(len);
    this.accept(bytes);
    return BigInt(bytes.byteLength);
  }

  blockingSplice(src: any, len: bigint): bigint {
    const bytes: Uint8Array = src.blockingRead(len);
    this.accept(bytes);
    return BigInt(bytes.byteLength);
  }

  /** Writes never wait: the pollable is ready at once. */
  subscribe(): ShimPollable {
    return subscribeDuration(0n);
  }
}

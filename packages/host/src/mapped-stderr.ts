// Owns the guest's wasi:cli/stderr when its component has a source map: an output stream that
// passes what the guest writes to the host's stderr with bundle positions rewritten to the filter's
// own lines (source-lines.ts). Without a map the shim's own stderr is used, unchanged.

import { LineRewriter, type SourceLines } from './source-lines.js';
import { ShimOutputStream, subscribeDuration, type ShimPollable } from './shim.js';
import { zeroesWithin } from './sync-output-stream.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the shim's resources are untyped JS classes */

/** What check-write reports: stderr takes any write at once (the host writes it synchronously). */
const STDERR_WRITE_CAPACITY_BYTES = 1024 * 1024;

/** A subclass of the shim's OutputStream so that transpiled components accept it as one. */
export class MappedStderrStream extends ShimOutputStream {
  readonly #rewriter: LineRewriter;

  constructor(rewriter: LineRewriter) {
    super();
    this.#rewriter = rewriter;
  }

  checkWrite(): bigint {
    return BigInt(STDERR_WRITE_CAPACITY_BYTES);
  }

  write(buf: Uint8Array): void {
    this.#rewriter.push(buf);
  }

  blockingWriteAndFlush(buf: Uint8Array): void {
    this.#rewriter.push(buf);
  }

  flush(): void {}

  blockingFlush(): void {}

  writeZeroes(len: bigint): void {
    this.#rewriter.push(zeroesWithin(len, STDERR_WRITE_CAPACITY_BYTES));
  }

  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }

  splice(src: any, len: bigint): bigint {
    const bytes: Uint8Array = src.read(len);
    this.#rewriter.push(bytes);
    return BigInt(bytes.byteLength);
  }

  blockingSplice(src: any, len: bigint): bigint {
    const bytes: Uint8Array = src.blockingRead(len);
    this.#rewriter.push(bytes);
    return BigInt(bytes.byteLength);
  }

  subscribe(): ShimPollable {
    return subscribeDuration(0n);
  }
}

/** The wasi:cli/stderr interface whose stream rewrites through lines, written to sink. */
export function mappedStderr(lines: SourceLines, sink: NodeJS.WritableStream): { cli: { getStderr(): unknown }; rewriter: LineRewriter } {
  const rewriter = new LineRewriter(lines, (text) => sink.write(text));
  const stream = new MappedStderrStream(rewriter);
  return { cli: { getStderr: () => stream }, rewriter };
}

// Owns every reach into preview2-shim, the JS implementation of WASI 0.2 the Node host builds on.
// The shim ships no types and some of what the host needs is not public API (the preopen
// constructor, the stream classes to subclass, locking fields), so every such access is
// made here, once, by name; a shim upgrade that moves one of them breaks this file and no other.
// The shim's version is pinned by the workspace's `overrides`.

import { cli, clocks, filesystem, io } from '@bytecodealliance/preview2-shim';
import * as http from '@bytecodealliance/preview2-shim/http';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';

/* eslint-disable @typescript-eslint/no-explicit-any -- the shim's resources are untyped JS classes */

/** A shim `wasi:filesystem/types` descriptor. */
export type ShimDescriptor = any;
/** A shim `wasi:io/poll` pollable. */
export type ShimPollable = any;

/** `wasi:io/streams` output-stream: subclassed so transpiled components accept the host's own streams. */
export const ShimOutputStream: any = (io as any).streams.OutputStream;
/** `wasi:io/streams` input-stream: subclassed for request bodies the host holds in memory. */
export const ShimInputStream: any = (io as any).streams.InputStream;
/** `wasi:io/error` error: what a failed stream operation carries. */
export const ShimIoError: any = (io as any).error.Error;
/** Private: a shim descriptor for a host directory, as the shim's own preopens are made. */
export const createShimPreopen: (hostPath: string) => ShimDescriptor = (filesystem as any)._createPreopenDescriptor;
/** `wasi:clocks/monotonic-clock` subscribe-duration: a pollable ready after `ns` nanoseconds. */
export const subscribeDuration: (ns: bigint) => ShimPollable = (clocks as any).monotonicClock.subscribeDuration;
/** The shim's `wasi:filesystem/types` (its DirectoryEntryStream and filesystem-error-code). */
export const shimFilesystemTypes: { DirectoryEntryStream: unknown; filesystemErrorCode(err: unknown): unknown } = (filesystem as any).types;
/** The shim's `wasi:cli` interfaces (stdio, environment, exit, terminal). */
export const shimCli = cli as Record<string, unknown>;
/** Builds a component's whole import object from the shim, with some interfaces replaced. */
export { WASIShim };
/** The shim's `wasi:http/types` (every resource and function of the interface). */
export const shimHttpTypes: Record<string, any> = (http as any).types;
/** `wasi:http/types` fields: the shim's class, kept (its outgoing-request side uses it too). */
export const ShimFields: any = shimHttpTypes.Fields;

/**
 * Makes shim fields immutable, in place. The shim's only way to lock fields is private; its
 * outgoing-response constructor locks the fields it is given (and does nothing else), so that is
 * what locks them here.
 */
export function lockShimFields<F>(fields: F): F {
  new shimHttpTypes.OutgoingResponse(fields);
  return fields;
}

/**
 * Immutable shim fields of a request's header lines as received: names as `append` checks them,
 * values as the bytes that came (wasi:http's field-value is bytes; wasmtime passes any a request
 * brings). The shim's `append` decodes a value as UTF-8 and refuses one with a character above
 * U+00FF (a UTF-8 '€', a byte that is not UTF-8), which would make a client's header a trap; such
 * a value is appended as a placeholder of its length and its bytes are put in place after (the
 * fields keep the array they were given). Node's parser has already refused CR, LF and NUL.
 */
export function lockedRequestFields(entries: Array<[string, Uint8Array]>): any {
  const fields = new ShimFields();
  for (const [name, value] of entries) {
    try {
      fields.append(name, value);
    } catch (err) {
      if ((err as { tag?: string } | null)?.tag !== 'invalid-syntax') throw err;
      const held = new Uint8Array(value.length).fill(0x61);
      fields.append(name, held); // a name the shim refuses throws here, as before
      held.set(value);
    }
  }
  return lockShimFields(fields);
}

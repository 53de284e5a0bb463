// Owns the SDK's public entry point: a recorder wired to the WASI host, plus module-level helpers
// (entry, record…, verdict, flush) on a default recorder for filters that need only one.

import { DEFAULT_GUEST_PIN } from '@sentinel-wasi/protocol/encode';
import { Sentinel, type Entry, type EntryOptions, type RecordOptions, type SentinelOptions } from './sentinel.js';
import { WasiHost } from './wasi-host.js';
import { register } from './lifecycle.js';
import type { Verdict } from './verdict.js';

export * from './core.js';
export { WasiHost } from './wasi-host.js';

export interface CreateSentinelOptions extends SentinelOptions {
  /** Guest path of the pin preopen (default `/pin`, as in `--dir <host-pin>::/pin`). */
  pin?: string;
}

/** A recorder that appends to `<pin>/log/` through wasi:filesystem; flushAll() includes it. */
export function createSentinel(options: CreateSentinelOptions = {}): Sentinel {
  return register(new Sentinel(new WasiHost(options.pin ?? DEFAULT_GUEST_PIN), options));
}

let defaultSentinel: Sentinel | null = null;

/** Sets up the default recorder used by the module-level helpers (call before the first of them). */
export function configure(options: CreateSentinelOptions = {}): Sentinel {
  if (defaultSentinel !== null) defaultSentinel.flush();
  defaultSentinel = createSentinel(options);
  return defaultSentinel;
}

function current(): Sentinel {
  if (defaultSentinel === null) defaultSentinel = createSentinel();
  return defaultSentinel;
}

export function entry(resource: string, options?: EntryOptions): Entry {
  return current().entry(resource, options);
}
export function recordPass(resource: string, options?: RecordOptions): void {
  current().recordPass(resource, options);
}
export function recordBlock(resource: string, options?: RecordOptions): void;
export function recordBlock(resource: string, origin?: string): void;
export function recordBlock(resource: string, options?: RecordOptions | string): void {
  if (typeof options === 'string') current().recordBlock(resource, options);
  else current().recordBlock(resource, options);
}
export function recordExit(resource: string, rtMs: number, options?: RecordOptions): void {
  current().recordExit(resource, rtMs, options);
}
export function recordCall(resource: string, rtMs: number, options?: RecordOptions): void;
export function recordCall(resource: string, rtMs: number, error: boolean, origin?: string): void;
export function recordCall(resource: string, rtMs: number, options?: RecordOptions | boolean, origin?: string): void {
  if (typeof options === 'boolean') current().recordCall(resource, rtMs, options, origin);
  else current().recordCall(resource, rtMs, options);
}
export function verdict(resource: string, origin?: string): Verdict {
  return current().verdict(resource, origin);
}
export function flush(): void {
  current().flush();
}

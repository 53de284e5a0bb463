// Owns every WASI call the SDK makes: finding the pin preopen, opening `<pin>/log/<segment>` for
// append (creating `log/` if it is missing), one blocking-write-and-flush per frame, opening a pin
// file read-only with positioned reads (the resource map; a regular file only), the wall clock, and random numbers
// seeded from the clocks when first drawn, and the SDK's one warning line (to stderr). Any failure
// is reported as `false` / null (with its reason kept for the warning) and the open stream is
// dropped so the next frame tries afresh; nothing here throws.
//
// Why not Math.random: componentize runs a filter's module once at build time and snapshots the
// engine; QuickJS then starts every run from the snapshot's random state (the same numbers in
// every run), so a fresh instance per request would admit by a fixed threshold, not a draw.

import { now as monotonicNow } from 'wasi:clocks/monotonic-clock@0.2.12';
import { now as wallNow } from 'wasi:clocks/wall-clock@0.2.12';
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';
import type { Descriptor } from 'wasi:filesystem/types@0.2.12';
import type { OutputStream } from 'wasi:io/streams@0.2.12';
import { DEFAULT_GUEST_PIN, PinLayout } from '@sentinel-wasi/protocol/encode';
import type { FilterHost } from './host.js';
import type { MapReaderHost, PinFile } from './map-reader.js';
import { writeStderr } from './stderr-line.js';

/**
 * The WASI error code a failed filesystem call threw ('access', 'read-only', 'no-space', …), as
 * either engine hands it over (the code itself, or an error carrying it), or a stream error's
 * case ('last-operation-failed', whose error resource is not read here, or 'closed'); '' when
 * none is there.
 */
function errorCodeOf(err: unknown): string {
  const code = (v: unknown): string => (typeof v === 'string' && /^[a-z][a-z-]*$/.test(v) ? v : '');
  if (typeof err !== 'object' || err === null) return code(err);
  const e = err as { payload?: unknown; val?: unknown; tag?: unknown };
  const payload = typeof e.payload === 'object' && e.payload !== null ? (e.payload as { tag?: unknown }).tag : e.payload;
  return code(payload) || code(e.val) || code(e.tag);
}

/** Removes trailing slashes so `/pin/` and `/pin` name the same preopen. */
export function normalizeGuestPath(path: string): string {
  let p = path;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

function dispose(resource: unknown): void {
  if (typeof Symbol.dispose !== 'symbol' || resource === null || resource === undefined) return;
  const fn = (resource as Record<symbol, unknown>)[Symbol.dispose];
  if (typeof fn === 'function') {
    try {
      (fn as () => void).call(resource);
    } catch {
      // already gone
    }
  }
}

/** A pin file opened read-only: one `read(length, offset)` call per positioned read. */
class WasiPinFile implements PinFile {
  private file: Descriptor | null;

  constructor(file: Descriptor) {
    this.file = file;
  }

  readAt(offsetBytes: number, lengthBytes: number): Uint8Array | null {
    if (this.file === null) return null;
    try {
      // 64-bit WASI values are plain numbers: QuickJS traps on a BigInt, StarlingMonkey takes either.
      const [bytes] = this.file.read(lengthBytes, offsetBytes);
      return bytes;
    } catch {
      return null;
    }
  }

  close(): void {
    dispose(this.file);
    this.file = null;
  }
}

export class WasiHost implements FilterHost, MapReaderHost {
  readonly pinPath: string;
  private pin: Descriptor | null = null;
  private segmentFile = '';
  private file: Descriptor | null = null;
  private stream: OutputStream | null = null;
  /** Why the last append failed (lastAppendFailure). */
  private failure = '';

  constructor(pinPath: string = DEFAULT_GUEST_PIN) {
    this.pinPath = normalizeGuestPath(pinPath);
  }

  /**
   * Wall-clock ms: Date.now itself (it ignores `this`), so a call is one native call. Both engines'
   * Date reads wasi:clocks/wall-clock, 4–10× cheaper than calling the bound import.
   */
  readonly nowMs: () => number = Date.now;

  /** Uniform numbers in [0, 1): a generator seeded, when first drawn, from the clocks of this run. */
  readonly random = (): number => {
    if (this.draw === null) this.draw = seededRandom(runSeed());
    return this.draw();
  };

  private draw: (() => number) | null = null;

  appendFrame(segmentFile: string, frame: Uint8Array): boolean {
    try {
      const stream = this.streamFor(segmentFile);
      if (stream === null) {
        this.failure = `no pin preopened at ${this.pinPath}`;
        return false;
      }
      stream.blockingWriteAndFlush(frame);
      return true;
    } catch (err) {
      this.closeSegment();
      const code = errorCodeOf(err);
      this.failure = code === '' ? 'the pin refused it' : `the pin refused it: ${code}`;
      return false;
    }
  }

  lastAppendFailure(): string {
    return this.failure;
  }

  warn(line: string): void {
    writeStderr(`${line}\n`);
  }

  openPinFile(path: string): PinFile | null {
    try {
      const pin = this.findPin();
      if (pin === null) return null;
      // Only a regular file is opened: opening a FIFO left at the path would block the filter
      // until something writes to it (a directory or device cannot be read as a map either).
      if (pin.statAt({}, path).type !== 'regular-file') return null;
      return new WasiPinFile(pin.openAt({}, path, {}, { read: true }));
    } catch {
      return null;
    }
  }

  private streamFor(segmentFile: string): OutputStream | null {
    if (this.stream !== null && this.segmentFile === segmentFile) return this.stream;
    this.closeSegment();
    const pin = this.findPin();
    if (pin === null) return null;
    const path = `${PinLayout.logDir}/${segmentFile}`;
    let file: Descriptor;
    try {
      file = pin.openAt({}, path, { create: true }, { write: true });
    } catch {
      // The log directory may not exist yet: create it once and retry.
      try {
        pin.createDirectoryAt(PinLayout.logDir);
      } catch {
        // exists, or cannot be created: the retry below decides
      }
      file = pin.openAt({}, path, { create: true }, { write: true });
    }
    this.file = file;
    this.stream = file.appendViaStream();
    this.segmentFile = segmentFile;
    return this.stream;
  }

  private findPin(): Descriptor | null {
    if (this.pin !== null) return this.pin;
    for (const [descriptor, guestPath] of getDirectories()) {
      if (normalizeGuestPath(guestPath) === this.pinPath) {
        this.pin = descriptor;
        return descriptor;
      }
    }
    return null;
  }

  private closeSegment(): void {
    dispose(this.stream);
    dispose(this.file);
    this.stream = null;
    this.file = null;
    this.segmentFile = '';
  }
}

/**
 * 32 bits that differ between runs and between instances: the monotonic clock's nanoseconds and
 * the wall clock's, mixed. Either clock may fail (a host without it): what is left still differs.
 */
export function runSeed(): number {
  let mono = 0;
  let wallNs = 0;
  let wallSec = 0;
  try {
    // u64: a BigInt in StarlingMonkey, a number in QuickJS; its low 32 bits as a number either way.
    const m = Number(monotonicNow());
    mono = m - Math.floor(m / 4294967296) * 4294967296;
  } catch {
    // no monotonic clock
  }
  try {
    const w = wallNow();
    wallNs = Number(w.nanoseconds);
    wallSec = Number(w.seconds) % 65536;
  } catch {
    // no wall clock
  }
  return mix32(mix32(mono ^ 0x9e3779b9) ^ wallNs ^ (wallSec << 16));
}

/** A 32-bit finaliser (MurmurHash3's): every input bit moves every output bit. */
function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mulberry32: uniform numbers in [0, 1) from a 32-bit seed (small, fast and good enough for draws). */
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Owns every WASI call the SDK makes: finding the pin preopen, opening `<pin>/log/<segment>` for
// append (creating `log/` if it is missing), one blocking-write-and-flush per frame, opening a pin
// file read-only with positioned reads (the resource map), and the wall clock. Any failure is
// reported as `false` / null and the open stream is dropped so the next frame tries afresh;
// nothing here throws.

import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';
import type { Descriptor } from 'wasi:filesystem/types@0.2.12';
import type { OutputStream } from 'wasi:io/streams@0.2.12';
import { DEFAULT_GUEST_PIN, PinLayout } from '@sentinel-wasi/protocol/encode';
import type { FilterHost } from './host.js';
import type { MapReaderHost, PinFile } from './map-reader.js';

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

  constructor(pinPath: string = DEFAULT_GUEST_PIN) {
    this.pinPath = normalizeGuestPath(pinPath);
  }

  /**
   * Wall-clock ms: Date.now itself (it ignores `this`), so a call is one native call. Both engines'
   * Date reads wasi:clocks/wall-clock, 4–10× cheaper than calling the bound import.
   */
  readonly nowMs: () => number = Date.now;

  appendFrame(segmentFile: string, frame: Uint8Array): boolean {
    try {
      const stream = this.streamFor(segmentFile);
      if (stream === null) return false;
      stream.blockingWriteAndFlush(frame);
      return true;
    } catch {
      this.closeSegment();
      return false;
    }
  }

  openPinFile(path: string): PinFile | null {
    try {
      const pin = this.findPin();
      if (pin === null) return null;
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

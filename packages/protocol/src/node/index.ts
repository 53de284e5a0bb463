// Owns the Node-only helpers: native CRC-32 from node:zlib, reading/writing the PIN header, and the
// wording of a Node fs error in the packages' messages (fsReason).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import type { Crc32Fn } from '../crc32.js';
import { parsePinHeader, PinLayout, type PinHeader } from '../naming.js';

const zlibCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 using node:zlib's native implementation (Node ≥ 20.15), with the same results as the neutral one. */
export const nodeCrc32: Crc32Fn | undefined =
  zlibCrc32 === undefined ? undefined : (bytes, start, end) => zlibCrc32(bytes.subarray(start, end)) >>> 0;

/** Reads and validates `<pin>/PIN`; throws ENOENT from fs, or E_BAD_PIN. */
export function readPinHeader(pinDir: string): PinHeader {
  const text = readFileSync(join(pinDir, PinLayout.header), 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  return parsePinHeader(value);
}

/**
 * The system's reason in a Node fs error (`permission denied`), without its errno name, call and
 * path (`EACCES: …, open '<path>'`, `EISDIR: …, read`): a message of ours names the file once.
 * Any other error: its message.
 */
export function fsReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /^[A-Z][A-Z0-9_]*: (.+?), [a-z]+(?: '|$)/.exec(message)?.[1] ?? message;
}

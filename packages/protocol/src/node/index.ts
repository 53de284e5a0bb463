// Owns the Node-only helpers: native CRC-32 from node:zlib, and reading/writing the PIN header.

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

// Owns the Node-only helpers: native CRC-32 from node:zlib, reading/writing the PIN header, and what
// the packages' command lines share: the command contract with the dispatcher (command.ts), the
// wording of a Node fs error (fsReason) and of a permission refusal (access.ts), and negative
// option values for node:util's parseArgs (joinNegativeValues).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import type { Crc32Fn } from '../crc32.js';
import { parsePinHeader, PinLayout, type PinHeader } from '../naming.js';

export { permissionsOf, thisUser } from './access.js';
export { CommandError, UsageError, type Command, type CommandIo } from './command.js';

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

/** The options of a node:util parseArgs call, as much of them as joinNegativeValues reads. */
export type OptionShapes = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** The string option `arg` names (`--name` or `-n`, without `=`), if any. */
function stringOptionOf(arg: string, options: OptionShapes): string | undefined {
  if (arg.startsWith('--') && !arg.includes('=')) {
    const name = arg.slice(2);
    return Object.hasOwn(options, name) && options[name]!.type === 'string' ? name : undefined;
  }
  if (/^-[^-]$/.test(arg)) return Object.entries(options).find(([, o]) => o.type === 'string' && o.short === arg[1])?.[0];
  return undefined;
}

/**
 * `--name -5` as `--name=-5` for a string option: parseArgs refuses a separate value that begins
 * with a dash as "ambiguous", and a negative number is no option but a value the option's own
 * check is to judge (`--port -1` says what `--port=-1` says). Anything else, and everything from
 * `--` on, is left as it is.
 */
export function joinNegativeValues(argv: string[], options: OptionShapes): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (next !== undefined && /^-\.?\d/.test(next) && stringOptionOf(arg, options) !== undefined) {
      out.push(`${arg.startsWith('--') ? `${arg}=` : arg}${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

// Owns turning any string (a request path, a header, user input) into a valid resource name: one
// the recorder accepts and every reader counts, bounded in length, and stable (the same input
// always gives the same name, in every engine). Characters that could break a name or a terminal
// are replaced; a name too long is cut at a character boundary and given a short hash of the whole
// input, so long inputs that share a prefix stay apart.

import { MAX_NAME_BYTES, utf8Length } from '@sentinel-wasi/protocol/encode';
import { FilterError, FilterErrorCode } from './errors.js';

/** The default bound of resourceName (UTF-8 bytes): room for a path, well under the format's 1024. */
export const DEFAULT_RESOURCE_NAME_BYTES = 256;

/** What an empty input becomes. */
export const EMPTY_RESOURCE_NAME = '_';

/** Length of the suffix a cut name ends with: `~` and 8 hex digits. */
const HASH_SUFFIX_BYTES = 9;

// C0 controls, DEL, C1 controls, the byte-order mark and the bidirectional embeddings, overrides
// and isolates: each becomes `_`.
const REPLACED = /[\u0000-\u001f\u007f-\u009f\ufeff\u202a-\u202e\u2066-\u2069]/g;
// A surrogate that is not half of a pair is not UTF-8: it becomes U+FFFD, as an encoder would write it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export interface ResourceNameOptions {
  /** Largest name in UTF-8 bytes, 16 … 1024 (default 256). */
  maxBytes?: number;
}

/** FNV-1a (32 bits) over the UTF-16 code units, as 8 hex digits. */
export function fnv1aHex(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The longest prefix of `s` (whole code points) that takes at most `maxBytes` UTF-8 bytes. */
function cutToBytes(s: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const n = utf8Length(ch);
    if (bytes + n > maxBytes) break;
    bytes += n;
    end += ch.length;
  }
  return s.slice(0, end);
}

/**
 * A valid resource name for any string: control characters, the BOM and bidi controls become `_`,
 * lone surrogates U+FFFD, the empty string `_`; a name longer than `maxBytes` UTF-8 bytes is cut
 * and ends with `~` and 8 hex digits of a hash of the whole input. The same input gives the same
 * name; a name this returns is returned unchanged.
 */
export function resourceName(raw: string, options: ResourceNameOptions = {}): string {
  const maxBytes = options.maxBytes ?? DEFAULT_RESOURCE_NAME_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 16 || maxBytes > MAX_NAME_BYTES) {
    throw new FilterError(FilterErrorCode.BAD_OPTION, `resourceName: maxBytes must be an integer from 16 to ${MAX_NAME_BYTES}, got ${String(maxBytes)}`);
  }
  const text = String(raw);
  if (text.length === 0) return EMPTY_RESOURCE_NAME;
  const clean = text.replace(REPLACED, '_').replace(LONE_SURROGATE, '\ufffd');
  // A UTF-16 unit is at most 3 UTF-8 bytes: only long names need counting.
  if (clean.length * 3 <= maxBytes || utf8Length(clean) <= maxBytes) return clean;
  return `${cutToBytes(clean, maxBytes - HASH_SUFFIX_BYTES)}~${fnv1aHex(text)}`;
}

// Owns the engine-independent parts of the globals the build gives filters: how a console call's
// arguments become one line, and a UTF-8 TextEncoder (the protocol's UTF-8 writer) and
// TextDecoder (the WHATWG decoding algorithm, so replacements match other engines).
// Plain JavaScript with no WASI import, so it is tested under Node as it is.

import { utf8Encode, utf8Length, utf8Write } from '@sentinel-wasi/protocol/encode';

/** One console argument as text: strings as they are, errors with their name and message, the rest as JSON where it can be. */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const items = Array.from(v as unknown as ArrayLike<number | bigint>, String);
    return `${v.constructor.name}(${items.length}) [${items.length > 0 ? ` ${items.join(', ')} ` : ''}]`;
  }
  if (v instanceof Error) return v.stack !== undefined && v.stack !== '' ? `${v.name}: ${v.message}\n${v.stack}` : `${v.name}: ${v.message}`;
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') return String(v);
  try {
    const json = JSON.stringify(v);
    return json === undefined ? String(v) : json;
  } catch {
    return String(v); // a cycle
  }
}

/** The console line for a call's arguments (space-separated, as browsers and Node print them). */
export function formatLine(args: unknown[]): string {
  return args.map(formatValue).join(' ') + '\n';
}

function toBytes(input: ArrayBuffer | ArrayBufferView | undefined): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  return new Uint8Array(input);
}

function checkLabel(label: string): void {
  const l = label.trim().toLowerCase();
  if (l !== 'utf-8' && l !== 'utf8' && l !== 'unicode-1-1-utf-8') {
    throw new RangeError(`TextDecoder: only UTF-8 is supported in this engine, got ${JSON.stringify(label)}`);
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The string with each lone surrogate replaced by U+FFFD (what the Web's encoder writes for one). */
export function wellFormed(input: unknown): string {
  return String(input).replace(LONE_SURROGATE, '\ufffd');
}

/** UTF-8 only; lone surrogates become U+FFFD's bytes (EF BF BD), as the Web's encoder does. */
export class Utf8TextEncoder {
  readonly encoding = 'utf-8';
  encode(input = ''): Uint8Array {
    return utf8Encode(wellFormed(input));
  }
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number } {
    // Whole code points only: stop before the first one that does not fit.
    let read = 0;
    let written = 0;
    for (const ch of wellFormed(input)) {
      const n = utf8Length(ch);
      if (written + n > dest.length) break;
      utf8Write(ch, dest, written);
      written += n;
      read += ch.length;
    }
    return { read, written };
  }
}

/**
 * UTF-8 bytes[start..] to text by the WHATWG decoder: each maximal invalid subpart becomes one
 * U+FFFD (so the count of replacements matches browsers and Node). `onError` is told of the first.
 */
export function decodeUtf8(bytes: Uint8Array, start = 0, onError?: () => void): string {
  const units: number[] = [];
  let out = '';
  let needed = 0;
  let seen = 0;
  let cp = 0;
  let lower = 0x80;
  let upper = 0xbf;
  const emit = (c: number): void => {
    if (c > 0xffff) {
      c -= 0x10000;
      units.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
    } else units.push(c);
    if (units.length > 8192) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  };
  const bad = (): void => {
    onError?.();
    emit(0xfffd);
  };
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (needed === 0) {
      if (b < 0x80) emit(b);
      else if (b >= 0xc2 && b <= 0xdf) {
        needed = 1;
        cp = b & 0x1f;
      } else if (b >= 0xe0 && b <= 0xef) {
        if (b === 0xe0) lower = 0xa0;
        if (b === 0xed) upper = 0x9f;
        needed = 2;
        cp = b & 0x0f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b === 0xf0) lower = 0x90;
        if (b === 0xf4) upper = 0x8f;
        needed = 3;
        cp = b & 0x07;
      } else bad();
      continue;
    }
    if (b < lower || b > upper) {
      cp = needed = seen = 0;
      lower = 0x80;
      upper = 0xbf;
      bad();
      i--; // the byte starts again
      continue;
    }
    lower = 0x80;
    upper = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
    if (++seen === needed) {
      emit(cp);
      cp = needed = seen = 0;
    }
  }
  if (needed !== 0) bad();
  return out + String.fromCharCode(...units);
}

/** UTF-8 only, not streaming; invalid sequences become U+FFFD, or throw a TypeError with `fatal`. */
export class Utf8TextDecoder {
  readonly encoding = 'utf-8';
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    checkLabel(label);
    this.fatal = options.fatal === true;
    this.ignoreBOM = options.ignoreBOM === true;
  }
  decode(input?: ArrayBuffer | ArrayBufferView, options: { stream?: boolean } = {}): string {
    if (options.stream === true) throw new TypeError('TextDecoder: {stream: true} is not supported in this engine');
    const bytes = toBytes(input);
    const start = !this.ignoreBOM && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    let invalid = false;
    const text = decodeUtf8(bytes, start, () => (invalid = true));
    if (this.fatal && invalid) throw new TypeError('TextDecoder: the input is not valid UTF-8');
    return text;
  }
}


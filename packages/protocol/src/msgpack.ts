// Owns the few msgpack primitives the fixed-schema frame encoder needs: unsigned integers, booleans,
// array and string headers. Everything here writes into a caller's buffer and allocates nothing.
// Forms are chosen as msgpackr's `pack` chooses them, so encoder output equals msgpackr's byte for
// byte; in particular integers of 2^32 and above are written as float64 (exact below 2^53), which
// every msgpack reader decodes as a plain number (no BigInt).

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes needed for a non-negative safe integer. */
export function uintLength(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x100) return 2;
  if (v < 0x10000) return 3;
  if (v < 0x100000000) return 5;
  return 9;
}

/** Writes a non-negative safe integer in its shortest msgpack form; returns the next offset. */
export function writeUint(out: Uint8Array, p: number, v: number): number {
  if (v < 0x80) {
    out[p] = v;
    return p + 1;
  }
  if (v < 0x100) {
    out[p] = 0xcc;
    out[p + 1] = v;
    return p + 2;
  }
  if (v < 0x10000) {
    out[p] = 0xcd;
    out[p + 1] = v >>> 8;
    out[p + 2] = v & 0xff;
    return p + 3;
  }
  if (v < 0x100000000) {
    out[p] = 0xce;
    writeU32BE(out, p + 1, v);
    return p + 5;
  }
  out[p] = 0xcb;
  f64[0] = v;
  for (let i = 0; i < 8; i++) out[p + 1 + i] = f64Bytes[littleEndian ? 7 - i : i]!;
  return p + 9;
}

function writeU32BE(out: Uint8Array, p: number, v: number): void {
  out[p] = (v >>> 24) & 0xff;
  out[p + 1] = (v >>> 16) & 0xff;
  out[p + 2] = (v >>> 8) & 0xff;
  out[p + 3] = v & 0xff;
}

export function writeBool(out: Uint8Array, p: number, v: boolean): number {
  out[p] = v ? 0xc3 : 0xc2;
  return p + 1;
}

export function arrayHeaderLength(n: number): number {
  return n < 16 ? 1 : n < 0x10000 ? 3 : 5;
}

export function writeArrayHeader(out: Uint8Array, p: number, n: number): number {
  if (n < 16) {
    out[p] = 0x90 | n;
    return p + 1;
  }
  if (n < 0x10000) {
    out[p] = 0xdc;
    out[p + 1] = n >>> 8;
    out[p + 2] = n & 0xff;
    return p + 3;
  }
  out[p] = 0xdd;
  writeU32BE(out, p + 1, n);
  return p + 5;
}

export function strHeaderLength(byteLength: number): number {
  return byteLength < 32 ? 1 : byteLength < 0x100 ? 2 : byteLength < 0x10000 ? 3 : 5;
}

export function writeStrHeader(out: Uint8Array, p: number, byteLength: number): number {
  if (byteLength < 32) {
    out[p] = 0xa0 | byteLength;
    return p + 1;
  }
  if (byteLength < 0x100) {
    out[p] = 0xd9;
    out[p + 1] = byteLength;
    return p + 2;
  }
  if (byteLength < 0x10000) {
    out[p] = 0xda;
    out[p + 1] = byteLength >>> 8;
    out[p + 2] = byteLength & 0xff;
    return p + 3;
  }
  out[p] = 0xdb;
  writeU32BE(out, p + 1, byteLength);
  return p + 5;
}

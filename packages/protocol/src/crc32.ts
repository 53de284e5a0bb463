// Owns a platform-neutral CRC-32 (IEEE 802.3, reflected, as zlib.crc32). The collector swaps in
// node:zlib's native crc32 through the `/node` subpath; the filter uses this one inside components,
// where it runs interpreted once per frame over up to 4 KB: it reads 8 bytes at a time (slicing by
// 8: eight table lookups per two 32-bit words) wherever the bytes are 4-byte aligned in their
// buffer. Tables and words are Int32Array, so every value stays a small integer for an interpreter
// (a Uint32Array element of 2^31 or more is a float in QuickJS: slower to read and to XOR).

let tables: Int32Array | undefined;

/** Eight 256-entry tables: T0 is the classic bytewise table, Tk advances k more zero bytes. */
function makeTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export type Crc32Fn = (bytes: Uint8Array, start: number, end: number) => number;

/** CRC-32 of bytes[start, end). */
export const crc32: Crc32Fn = (bytes, start, end) => {
  const t = (tables ??= makeTables());
  let c = -1;
  let i = start;
  if (littleEndian && end - start >= 16) {
    // Bytewise up to a 4-byte boundary of the buffer, then pairs of words, then the tail.
    while (((bytes.byteOffset + i) & 3) !== 0) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
    const words = ((end - i) >>> 3) << 1;
    const w = new Int32Array(bytes.buffer, bytes.byteOffset + i, words);
    for (let k = 0; k < words; k += 2) {
      c ^= w[k]!;
      const d = w[k + 1]!;
      c =
        t[1792 + (c & 0xff)]! ^
        t[1536 + ((c >>> 8) & 0xff)]! ^
        t[1280 + ((c >>> 16) & 0xff)]! ^
        t[1024 + (c >>> 24)]! ^
        t[768 + (d & 0xff)]! ^
        t[512 + ((d >>> 8) & 0xff)]! ^
        t[256 + ((d >>> 16) & 0xff)]! ^
        t[d >>> 24]!;
    }
    i += words << 2;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
};

// Owns a platform-neutral CRC-32 (IEEE 802.3, reflected, as zlib.crc32). The collector swaps in
// node:zlib's native crc32 through the `/node` subpath; the filter uses this one inside components.

let table: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

export type Crc32Fn = (bytes: Uint8Array, start: number, end: number) => number;

/** CRC-32 of bytes[start, end). */
export const crc32: Crc32Fn = (bytes, start, end) => {
  const t = (table ??= makeTable());
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

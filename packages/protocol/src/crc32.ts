// Owns a platform-neutral CRC-32 (IEEE 802.3, reflected, as zlib.crc32). The collector swaps in
// node:zlib's native crc32 through the `/node` subpath; the filter uses this one inside components,
// where it runs interpreted once per frame over up to 4 KB, so its cost is the interpreter's count of
// operations per byte. It reads 32-bit words wherever the bytes are 4-byte aligned in their buffer:
// at first by slicing by 8 (eight lookups in 256-entry tables per two words: 8 KB of tables), and,
// once it has checksummed WIDE_AFTER_BYTES (a busy, long-lived instance: ~64 full frames), by two
// lookups per word in two 65 536-entry tables (512 KB, built once then: about 150 million
// instructions inside QuickJS), six typed-array reads per 8 bytes instead of ten, four words a
// loop step: the benchmark component's `crc` mode (a 4 KiB frame per 512 events) 2 197
// instructions per event under cachegrind (one word a step: 2 610). A short-lived instance never
// pays for the large tables.
// Tables and words are Int32Array, so every value stays a small integer for an interpreter
// (a Uint32Array element of 2^31 or more is a float in QuickJS: slower to read and to XOR).

/** After this many bytes checksummed, a CRC function builds and uses the 16-bit tables. */
export const WIDE_AFTER_BYTES = 256 * 1024;

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

/** The 16-bit tables: LOW[x] for the low half of the 32-bit state after a word, HIGH[x] for its high half. */
let wideTables: WideTables | undefined;

interface WideTables {
  low: Int32Array;
  high: Int32Array;
}

/** LOW[x] = T3[x & 0xff] ^ T2[x >>> 8] and HIGH[x] = T1[x & 0xff] ^ T0[x >>> 8]: slicing by 4 in two lookups. */
function makeWideTables(t: Int32Array): WideTables {
  const low = new Int32Array(65536);
  const high = new Int32Array(65536);
  // x = b1 << 8 | b0, row by row (fewer operations per entry inside an interpreter).
  for (let b1 = 0; b1 < 256; b1++) {
    const lowOfB1 = t[512 + b1]!;
    const highOfB1 = t[b1]!;
    const row = b1 << 8;
    for (let b0 = 0; b0 < 256; b0++) {
      low[row + b0] = t[768 + b0]! ^ lowOfB1;
      high[row + b0] = t[256 + b0]! ^ highOfB1;
    }
  }
  return { low, high };
}

export type Crc32Fn = (bytes: Uint8Array, start: number, end: number) => number;

/**
 * A CRC-32 function (bytes[start, end)) that takes the 16-bit tables once it has checksummed
 * `wideAfterBytes` bytes (0: at once; the tables are shared by every such function).
 */
export function createCrc32(wideAfterBytes = WIDE_AFTER_BYTES): Crc32Fn {
  let narrowBytes = 0;
  return (bytes, start, end) => {
    const t = (tables ??= makeTables());
    let c = -1;
    let i = start;
    if (littleEndian && end - start >= 16) {
      // Bytewise up to a 4-byte boundary of the buffer, then words, then the tail.
      while (((bytes.byteOffset + i) & 3) !== 0) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
      if (narrowBytes >= wideAfterBytes) {
        const { low, high } = (wideTables ??= makeWideTables(t));
        const words = (end - i) >>> 2;
        const w = new Int32Array(bytes.buffer, bytes.byteOffset + i, words);
        // Four words a step (the loop's own test and step are a sixth of the operations per word), then the rest.
        let k = 0;
        for (; k + 4 <= words; k += 4) {
          c = low[(c ^= w[k]!) & 0xffff]! ^ high[c >>> 16]!;
          c = low[(c ^= w[k + 1]!) & 0xffff]! ^ high[c >>> 16]!;
          c = low[(c ^= w[k + 2]!) & 0xffff]! ^ high[c >>> 16]!;
          c = low[(c ^= w[k + 3]!) & 0xffff]! ^ high[c >>> 16]!;
        }
        for (; k < words; k++) c = low[(c ^= w[k]!) & 0xffff]! ^ high[c >>> 16]!;
        i += words << 2;
      } else {
        narrowBytes += end - start;
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
    }
    for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  };
}

/** CRC-32 of bytes[start, end). */
export const crc32: Crc32Fn = createCrc32();

// Owns the numeric constants of protocol v1: frame header layout, size limits, record kinds.

/** First byte of every frame: the one byte value msgpack never uses, so a reader can resynchronise on it. */
export const FRAME_MARKER = 0xc1;
/** The frame format version of frames that name every resource inline (a name table of strings). */
export const FRAME_VERSION = 1;
/**
 * The frame format version of frames whose name table may also hold resource ids of one resource
 * map epoch (`[baseTsMs, mapEpoch, [name | id, ...], record, ...]`). Readers read both versions.
 */
export const FRAME_VERSION_IDS = 2;
/** Largest resource id (the map's slot field is a u32; ids start at 1). */
export const MAX_RESOURCE_ID = 0xffffffff;
/** marker (1) + version (1) + payload length u16 LE (2) + CRC-32 u32 LE (4). */
export const FRAME_HEADER_BYTES = 8;
/** A frame is written with one call of at most this many bytes (WASI blocking-write-and-flush limit). */
export const MAX_FRAME_BYTES = 4096;
export const MAX_PAYLOAD_BYTES = MAX_FRAME_BYTES - FRAME_HEADER_BYTES;
/** Longest resource, origin or writer name (UTF-8 bytes) the encoder accepts. */
export const MAX_NAME_BYTES = 1024;

export const RecordKind = {
  PASS: 0,
  BLOCK: 1,
  EXIT: 2,
  CALL: 3,
  WRITER: 8,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export const RECORD_KIND_NAMES: Readonly<Record<RecordKind, string>> = {
  [RecordKind.PASS]: 'PASS',
  [RecordKind.BLOCK]: 'BLOCK',
  [RecordKind.EXIT]: 'EXIT',
  [RecordKind.CALL]: 'CALL',
  [RecordKind.WRITER]: 'WRITER',
};

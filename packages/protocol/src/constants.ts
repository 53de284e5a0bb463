// Owns the numeric constants of protocol v1: frame header layout and versions, size limits, record kinds.

/** First byte of every frame: the one byte value msgpack never uses, so a reader can resynchronise on it. */
export const FRAME_MARKER = 0xc1;
/** The frame format version of frames that name every resource inline (a name table of strings). */
export const FRAME_VERSION = 1;
/**
 * The frame format version of frames whose name table may also hold resource ids of one resource
 * map epoch (`[baseTsMs, mapEpoch, [name | id, ...], record, ...]`). Readers read both versions.
 */
export const FRAME_VERSION_IDS = 2;
/**
 * The frame format version whose records may also name their resource by resource id directly:
 * version 2's layout, where a record whose kind carries RECORD_ID_FLAG holds a resource id of the
 * frame's map epoch in its name field instead of a name-table index. What FrameBuilder writes for a
 * frame that names a resource by id (version 2 is read, no longer written).
 */
export const FRAME_VERSION_RECORD_IDS = 3;
/** In a version 3 frame, a PASS, BLOCK, EXIT or CALL record whose kind has this bit set (16 … 19) names its resource by id. */
export const RECORD_ID_FLAG = 0x10;
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

// Owns the collector's checkpoint file `<pin>/collector/checkpoint.json`: segment offsets, the
// not-yet-written per-second aggregates, the sealed front, the metric log's position and the
// health counters, all in one versioned JSON document written atomically (temp file, fsync,
// rename, fsync of the directory). Whatever a crash leaves behind, the file on disk is one
// complete checkpoint; a leftover temp file is ignored (it was never committed). The daemon writes
// it with writeCheckpointAsync: the same steps with the fsyncs on libuv's thread pool, and a last
// look (`commit()`) right before the rename, so a checkpoint overtaken while it was being made
// durable is dropped instead of replacing a newer one.

import { readFileSync, unlinkSync } from 'node:fs';
import { writeFileSafely, writeFileSafelyAsync } from '../pin/safe-write.js';
import type { MetricLogPosition } from '../metriclog/writer.js';
import type { StoreState } from '../stats/store-state.js';

export const CHECKPOINT_VERSION = 1;

export interface SegmentCheckpoint {
  name: string;
  /** Inode when read; a different inode under the same name is a new segment (read from 0). */
  ino: number;
  offsetBytes: number;
  /** Sealed and read to its end with `final`: nothing more will be read; safe to delete. */
  done: boolean;
  /** Hex of the segment's first 8 bytes (its first frame header, CRC included): tells a new file under an old name and inode apart. */
  head?: string;
}

export interface Checkpoint {
  version: typeof CHECKPOINT_VERSION;
  atMs: number;
  segments: SegmentCheckpoint[];
  metricLog: MetricLogPosition | null;
  store: StoreState;
}

export class CheckpointError extends Error {
  readonly code = 'E_CHECKPOINT_INVALID';
}

/** Writes the checkpoint atomically and durably. */
export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  writeFileSafely(path, JSON.stringify(checkpoint));
}

/**
 * Writes the checkpoint atomically and durably without holding the event loop during the fsyncs:
 * temp file written and fsynced, then, if `commit()` still says yes, renamed over the checkpoint
 * in the same turn of the event loop as that look, then the directory fsynced. Resolves true once
 * the new checkpoint is durable, false when `commit()` said no (the temp file is removed).
 */
export function writeCheckpointAsync(path: string, text: string, commit: () => boolean): Promise<boolean> {
  return writeFileSafelyAsync(path, text, commit);
}

/** Reads the checkpoint; null when there is none. Throws CheckpointError when it is unreadable. */
export function readCheckpoint(path: string): Checkpoint | null {
  try {
    unlinkSync(`${path}.tmp`);
  } catch {
    /* no leftover */
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CheckpointError(`E_CHECKPOINT_INVALID: ${path} is not JSON`);
  }
  return validate(value, path);
}

function validate(value: unknown, path: string): Checkpoint {
  const fail = (why: string): never => {
    throw new CheckpointError(`E_CHECKPOINT_INVALID: ${path}: ${why}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const v = value as Partial<Checkpoint>;
  if (v.version !== CHECKPOINT_VERSION) return fail(`version ${JSON.stringify(v.version)} is not ${CHECKPOINT_VERSION}`);
  if (typeof v.atMs !== 'number') return fail('atMs missing');
  if (!Array.isArray(v.segments)) return fail('segments missing');
  for (const s of v.segments) {
    if (typeof s?.name !== 'string' || typeof s.ino !== 'number' || !Number.isSafeInteger(s.offsetBytes) || s.offsetBytes < 0 || typeof s.done !== 'boolean' || (s.head !== undefined && typeof s.head !== 'string')) {
      return fail('bad segment entry');
    }
  }
  const m = v.metricLog;
  if (m !== null && (typeof m !== 'object' || typeof m.file !== 'string' || !Number.isSafeInteger(m.sizeBytes) || !Number.isSafeInteger(m.idxBytes))) {
    return fail('bad metricLog');
  }
  const st = v.store;
  if (typeof st !== 'object' || st === null || typeof st.lastSealedSec !== 'number' || typeof st.counters !== 'object' || !Array.isArray(st.pending) || !Array.isArray(st.late) || !Array.isArray(st.concurrency)) {
    return fail('bad store state');
  }
  return v as Checkpoint;
}

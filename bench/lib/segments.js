// Owns turning a generated workload into files on disk: segments written the way the filter
// SDK writes them (FrameBuilder frames of ≤ 4096 bytes, a new frame when the current one is full,
// one file per writer per 10-second bucket; names inline, or with `ids` every resource named by a
// resource id as a filter does once the collector has given it a slot), single-event frames, and
// the NDJSON baseline
// (the same events, one JSON object per line). Also owns the chunked positioned reader every
// ingest benchmark uses, so all of them read bytes the same way, and the live appender the daemon
// benchmarks write through (one frame per write to the segment of the current bucket, as a filter).

import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deliverRecords, scanFrames } from '@sentinel-wasi/protocol';
import { FrameBuilder, bucketSecOf, segmentName } from '@sentinel-wasi/protocol/encode';
import { OUTCOME_BLOCK, OUTCOME_ERROR } from './workload.js';

/**
 * Appends frames to `<pin>/log` segments of one writer, each to the segment of its 10-second bucket
 * (opened O_APPEND when the bucket changes), one write per frame as a filter appends: append(frame,
 * nowMs) returns that segment's file name.
 */
export function makeAppender(pin, writer) {
  let bucket = -1;
  let fd = -1;
  let name = '';
  return {
    append(frame, nowMs) {
      const b = bucketSecOf(nowMs);
      if (b !== bucket) {
        if (fd >= 0) closeSync(fd);
        name = segmentName(b, writer);
        fd = openSync(join(pin, 'log', name), 'a');
        bucket = b;
      }
      writeSync(fd, frame);
      return name;
    },
    close() {
      if (fd >= 0) closeSync(fd);
    },
  };
}

/** Bytes read per positioned read; one buffer of this size (plus a frame) is reused. */
export const READ_CHUNK_BYTES = 256 * 1024;

/** The map epoch the benchmark's resource ids belong to (any fixed value: the reader only matches it). */
export const BENCH_MAP_EPOCH = 1_806_458_880_000_512;

/**
 * Resource ids for the workload's names as a collector gives them: 1, 2, … in the order the names
 * are first counted. Returns { idOf: Int32Array by name index, names: string[] by id }.
 */
export function workloadIds(w) {
  const idOf = new Int32Array(w.names.length);
  const names = [''];
  for (let i = 0; i < w.count; i++) {
    const k = w.nameIdx[i];
    if (idOf[k] === 0) {
      idOf[k] = names.length;
      names.push(w.names[k]);
    }
  }
  return { idOf, names };
}

/** The collector-side resolver for segments written with `ids` (what the map writer's table answers). */
export function idResolver(ids) {
  return (epoch, id) => (epoch === BENCH_MAP_EPOCH && id > 0 && id < ids.names.length ? ids.names[id] : null);
}

function addEvent(builder, w, i, idOf) {
  const name = idOf === null ? w.names[w.nameIdx[i]] : idOf[w.nameIdx[i]];
  const o = w.originIdx[i];
  const origin = o < 0 ? undefined : w.origins[o];
  const ts = w.tsMs[i];
  if (w.outcome[i] === OUTCOME_BLOCK) return builder.addBlock(ts, name, 1, origin);
  return builder.addCall(ts, name, w.rtMs[i], w.outcome[i] === OUTCOME_ERROR, origin);
}

/**
 * Encodes the workload's events into segment files under `dir/log`. Event i goes to writer
 * i % writers. `single`: one frame per event (the SDK with flush after every event). `ids`: every
 * resource named by its id (workloadIds) in map epoch BENCH_MAP_EPOCH (version 3 frames).
 * Returns { files: string[][] (per writer, in bucket order), bytes, frames, events, ids }.
 */
export function writeSegments(w, dir, { writers = 1, single = false, ids = false } = {}) {
  const idTable = ids ? workloadIds(w) : null;
  const idOf = idTable === null ? null : idTable.idOf;
  const logDir = join(dir, 'log');
  mkdirSync(logDir, { recursive: true });
  const perWriter = [];
  let bytes = 0;
  let frames = 0;
  for (let k = 0; k < writers; k++) {
    const writer = `w${k}`;
    const builder = new FrameBuilder();
    if (idOf !== null) builder.setMapEpoch(BENCH_MAP_EPOCH);
    const files = [];
    let bucket = -1;
    let chunks = [];
    let chunkBytes = 0;
    const flushFile = () => {
      if (chunks.length === 0) return;
      const path = join(logDir, segmentName(bucket, writer));
      writeFileSync(path, Buffer.concat(chunks, chunkBytes));
      files.push(path);
      chunks = [];
      chunkBytes = 0;
    };
    const emit = (lastTs) => {
      const b = bucketSecOf(lastTs);
      if (b !== bucket) {
        flushFile();
        bucket = b;
      }
      const frame = builder.finish().slice();
      chunks.push(frame);
      chunkBytes += frame.length;
      bytes += frame.length;
      frames++;
    };
    let lastTs = 0;
    for (let i = k; i < w.count; i += writers) {
      if (!addEvent(builder, w, i, idOf)) {
        emit(lastTs);
        addEvent(builder, w, i, idOf);
      }
      lastTs = w.tsMs[i];
      if (single) emit(lastTs);
    }
    if (!builder.isEmpty) emit(lastTs);
    flushFile();
    perWriter.push(files);
  }
  return { files: perWriter, bytes, frames, events: w.count, ids: idTable };
}

/** The NDJSON line a user would otherwise log for event i. */
export function ndjsonLine(w, i) {
  const o = w.originIdx[i];
  const outcome = w.outcome[i] === OUTCOME_BLOCK ? 'block' : w.outcome[i] === OUTCOME_ERROR ? 'error' : 'ok';
  const obj = { ts: w.tsMs[i], resource: w.names[w.nameIdx[i]], outcome, rt: w.rtMs[i] };
  if (o >= 0) obj.origin = w.origins[o];
  return JSON.stringify(obj);
}

/** Writes the same events as NDJSON files (one per 10-second bucket), returns { files, bytes }. */
export function writeNdjson(w, dir) {
  mkdirSync(dir, { recursive: true });
  const files = [];
  let bytes = 0;
  let bucket = -1;
  let lines = [];
  const flush = () => {
    if (lines.length === 0) return;
    const path = join(dir, `${bucket}.ndjson`);
    const text = `${lines.join('\n')}\n`;
    writeFileSync(path, text);
    bytes += Buffer.byteLength(text);
    files.push(path);
    lines = [];
  };
  for (let i = 0; i < w.count; i++) {
    const b = bucketSecOf(w.tsMs[i]);
    if (b !== bucket) {
      flush();
      bucket = b;
    }
    lines.push(ndjsonLine(w, i));
  }
  flush();
  return { files, bytes };
}

/**
 * Reads `files` (an array per writer, each in order) with positioned reads into one reused
 * buffer, round-robin over writers one chunk at a time (as a collector tailing several writers
 * does). `consume(buf, end, fileOffsetOfBuf0)` returns how many bytes it used; the rest is kept
 * for the next read of that file (an incomplete frame or line).
 */
export function readRoundRobin(files, consume, chunkBytes = READ_CHUNK_BYTES) {
  const buf = Buffer.allocUnsafe(chunkBytes + 64 * 1024);
  const states = files.map((list) => ({ list, index: 0, fd: -1, offset: 0, carry: Buffer.alloc(0) }));
  let active = states.length;
  let bytesRead = 0;
  while (active > 0) {
    active = 0;
    for (const s of states) {
      if (s.index >= s.list.length) continue;
      if (s.fd < 0) {
        s.fd = openSync(s.list[s.index], 'r');
        s.offset = 0;
      }
      const carryLength = s.carry.length;
      if (carryLength > 0) s.carry.copy(buf, 0);
      const n = readSync(s.fd, buf, carryLength, chunkBytes, s.offset);
      bytesRead += n;
      if (n === 0) {
        closeSync(s.fd);
        s.fd = -1;
        s.index++;
        s.carry = Buffer.alloc(0);
      } else {
        const end = carryLength + n;
        const used = consume(buf, end, s.offset - carryLength);
        s.carry = used < end ? Buffer.from(buf.subarray(used, end)) : Buffer.alloc(0);
        s.offset += n;
      }
      if (s.index < s.list.length) active++;
    }
  }
  return bytesRead;
}

/**
 * Where segment bytes go: frame headers, the per-frame name tables (string headers + UTF-8, or
 * resource ids, plus a version 2 or 3 frame's map epoch), and the rest (array headers, base time,
 * records; in version 3 the records' resource ids, also reported alone), per event, from the files themselves.
 */
export function bytesBreakdown(files, events) {
  let header = 0;
  let names = 0;
  let distinctNames = 0;
  let idEntries = 0;
  let recordIds = 0;
  let frames = 0;
  let total = 0;
  let withIds = 0;
  let dictionary = 0; // each segment's distinct names once, as a per-segment dictionary would hold them
  for (const path of files.flat()) {
    const bytes = readFileSync(path);
    total += bytes.length;
    const segmentIndex = new Map(); // name → its index in a per-segment dictionary (first use first)
    scanFrames(bytes, 0, bytes.length, {
      frame(f) {
        frames++;
        header += 8;
        const table = f.payload[f.recordsStart - 1];
        distinctNames += table.length;
        if (f.version !== 1) {
          withIds++;
          names += uintBytes(f.mapEpoch);
          if (f.version === 3) {
            // Records by id (kinds 16 … 19) carry the id; a frame's distinct ids count as its ids.
            const distinct = new Set();
            for (const raw of f.payload.slice(f.recordsStart)) {
              if (raw[0] >= 16 && raw[0] <= 19) {
                recordIds += uintBytes(raw[2]);
                distinct.add(raw[2]);
              }
            }
            idEntries += distinct.size;
          }
          for (const e of table) {
            if (typeof e === 'number') {
              idEntries++;
              names += uintBytes(e);
            } else {
              const b = Buffer.byteLength(e);
              names += b + (b < 32 ? 1 : b < 256 ? 2 : 3);
            }
          }
          return;
        }
        const frameIndex = new Map();
        table.forEach((n, i) => {
          frameIndex.set(n, i);
          const b = Buffer.byteLength(n);
          names += b + (b < 32 ? 1 : b < 256 ? 2 : 3);
          if (!segmentIndex.has(n)) {
            segmentIndex.set(n, segmentIndex.size);
            dictionary += b + (b < 32 ? 1 : b < 256 ? 2 : 3) + 3; // + a small record to define it
          }
        });
        // Records would carry segment-wide indexes: wider integers once past 127.
        deliverRecords(f, (rec, nameIdx) => {
          dictionary += uintBytes(segmentIndex.get(rec.name)) - uintBytes(nameIdx);
          if (rec.origin !== '') dictionary += uintBytes(segmentIndex.get(rec.origin)) - uintBytes(frameIndex.get(rec.origin));
        });
      },
    }, { final: true });
  }
  const rest = total - header - names;
  return {
    totalPerEvent: total / events,
    frameHeaderPerEvent: header / events,
    nameTablePerEvent: names / events,
    recordsAndArraysPerEvent: rest / events,
    /** Version 3: the resource ids in the records (part of recordsAndArraysPerEvent). */
    recordIdsPerEvent: recordIds / events,
    /** The same files if names were defined once per segment (records keep their name index); null for frames with ids. */
    withSegmentDictionaryPerEvent: withIds > 0 ? null : (total - names + dictionary) / events,
    namesPerFrame: distinctNames / frames,
    /** Resource ids per frame (name table entries in version 2, distinct ids of records in version 3). */
    idsPerFrame: idEntries / frames,
    eventsPerFrame: events / frames,
  };
}

/** Bytes of a msgpack unsigned integer. */
function uintBytes(v) {
  return v < 128 ? 1 : v < 256 ? 2 : v < 65536 ? 3 : v < 2 ** 32 ? 5 : 9;
}

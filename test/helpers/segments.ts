// Owns reading everything filters wrote into a pin, twice and independently: with the protocol's
// scanner and record validation, and by unpacking every frame's payload with msgpackr alone. Both
// are folded into per-second, per-resource aggregates (Sentinel's pass/block/success/exception/RT)
// so a test can compare them with what its input says. Resource ids in version 2 and 3 frames are
// resolved with the collector's id file (<pin>/collector/map-ids.json), as the collector does.

import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { unpack } from 'msgpackr';
import { decodeRecords, parseSegmentName, RecordKind, scanFrames, type FlowRecord, type ResourceIdResolver } from '@sentinel-wasi/protocol';

/** Sentinel counters for one resource in one second. */
export interface SecondCounts {
  pass: number;
  block: number;
  success: number;
  exception: number;
  rtSum: number;
}

/** key = `${second}\t${resource}` */
export type Aggregates = Map<string, SecondCounts>;

export interface PinScan {
  segments: string[];
  bytes: number;
  framesRead: number;
  framesSkipped: number;
  bytesSkipped: number;
  /** A frame cut short at the end of a file (nothing should be, once writers have exited). */
  incompleteTails: number;
  recordsAccepted: number;
  recordsRejected: number;
  unknownKinds: number;
  /** Records by kind, WRITER included. */
  byKind: Record<number, number>;
  /** WRITER records: drops the writers reported. */
  writerDroppedRecords: number;
  /** Aggregates from the scanner + decodeRecords. */
  aggregates: Aggregates;
  /** Aggregates from msgpackr.unpack of each frame's payload bytes. */
  msgpackrAggregates: Aggregates;
  /** Every record the scanner accepted, in file order per segment (copies). */
  records: FlowRecord[];
}

function counts(map: Aggregates, tsMs: number, resource: string): SecondCounts {
  const key = `${Math.floor(tsMs / 1000)}\t${resource}`;
  let c = map.get(key);
  if (c === undefined) {
    c = { pass: 0, block: 0, success: 0, exception: 0, rtSum: 0 };
    map.set(key, c);
  }
  return c;
}

/** Folds one record into aggregates (PASS/BLOCK/EXIT/CALL; WRITER is not traffic). */
export function addRecord(map: Aggregates, kind: number, tsMs: number, resource: string, count: number, rtMs: number, error: boolean): void {
  if (kind === RecordKind.WRITER) return;
  const c = counts(map, tsMs, resource);
  if (kind === RecordKind.PASS) c.pass += count;
  else if (kind === RecordKind.BLOCK) c.block += count;
  else if (kind === RecordKind.EXIT || kind === RecordKind.CALL) {
    if (kind === RecordKind.CALL) c.pass += count;
    c.success += count;
    c.rtSum += rtMs * count;
    if (error) c.exception += count;
  }
}

/** The resource ids the collector gave in a pin (its id file: current epoch, retired ids, previous epoch). */
export function pinIdResolver(pinDir: string): ResourceIdResolver {
  const tables = new Map<number, Map<number, string>>();
  try {
    type Entry = { name: string; resourceId: number };
    const file = JSON.parse(readFileSync(join(pinDir, 'collector', 'map-ids.json'), 'utf8')) as { epoch: number; entries: Entry[]; retired?: Entry[]; previous?: { epoch: number; entries: Entry[] } };
    tables.set(file.epoch, new Map([...file.entries, ...(file.retired ?? [])].map((e) => [e.resourceId, e.name])));
    if (file.previous !== undefined) tables.set(file.previous.epoch, new Map(file.previous.entries.map((e) => [e.resourceId, e.name])));
  } catch {
    // no collector ran on this pin: no ids
  }
  return (epoch, id) => tables.get(epoch)?.get(id) ?? null;
}

/** Independent reading of one payload: msgpackr only, field positions from the frame format (version 1, 2 or 3). */
function foldPayloadWithMsgpackr(map: Aggregates, payloadBytes: Uint8Array, version: number, resolveId: ResourceIdResolver): void {
  const payload = unpack(payloadBytes) as unknown[];
  const baseTsMs = payload[0] as number;
  const head = version === 1 ? 2 : 3;
  const table = payload[head - 1] as Array<string | number>;
  const names = table.map((n) => (typeof n === 'string' ? n : resolveId(payload[1] as number, n)));
  for (const raw of payload.slice(head) as number[][]) {
    // Version 3: kinds 16 … 19 are PASS … CALL naming the resource by the id in raw[2].
    const byId = version === 3 && raw[0]! >= 16 && raw[0]! <= 19;
    const kind = byId ? raw[0]! - 16 : raw[0]!;
    const tsMs = baseTsMs + raw[1]!;
    const name = byId ? resolveId(payload[1] as number, raw[2]!) : names[raw[2]!];
    if (name === null || name === undefined) continue; // an id the collector cannot resolve: not counted
    if (kind === RecordKind.PASS || kind === RecordKind.BLOCK) addRecord(map, kind, tsMs, name, raw[3] ?? 1, 0, false);
    else if (kind === RecordKind.EXIT) addRecord(map, kind, tsMs, name, raw[5] ?? 1, raw[3]!, Boolean(raw[4]));
    else if (kind === RecordKind.CALL) addRecord(map, kind, tsMs, name, 1, raw[3]!, Boolean(raw[4]));
  }
}

export function scanPin(pinDir: string): PinScan {
  const logDir = join(pinDir, 'log');
  const segments = existsSync(logDir) ? readdirSync(logDir).filter((f) => parseSegmentName(f) !== null).sort() : [];
  const scan: PinScan = {
    segments,
    bytes: 0,
    framesRead: 0,
    framesSkipped: 0,
    bytesSkipped: 0,
    incompleteTails: 0,
    recordsAccepted: 0,
    recordsRejected: 0,
    unknownKinds: 0,
    byKind: {},
    writerDroppedRecords: 0,
    aggregates: new Map(),
    msgpackrAggregates: new Map(),
    records: [],
  };
  const resolveId = pinIdResolver(pinDir);
  for (const file of segments) {
    const bytes = readFileSync(join(logDir, file));
    scan.bytes += bytes.length;
    const result = scanFrames(bytes, 0, bytes.length, {
      frame(frame) {
        foldPayloadWithMsgpackr(scan.msgpackrAggregates, bytes.subarray(frame.offsetBytes + 8, frame.offsetBytes + frame.frameBytes), frame.version, resolveId);
        const tally = decodeRecords(frame, (r) => {
          scan.byKind[r.kind] = (scan.byKind[r.kind] ?? 0) + 1;
          if (r.kind === RecordKind.WRITER) scan.writerDroppedRecords += r.droppedRecords;
          addRecord(scan.aggregates, r.kind, r.tsMs, r.name, r.count, r.rtMs, r.error);
          scan.records.push({ ...r });
        });
        scan.recordsAccepted += tally.accepted;
        scan.recordsRejected += tally.rejected;
        scan.unknownKinds += tally.unknownKind;
      },
    }, { final: false, resolveId });
    scan.framesRead += result.framesRead;
    scan.framesSkipped += result.framesSkipped;
    scan.bytesSkipped += result.bytesSkipped;
    if (result.incomplete) scan.incompleteTails++;
  }
  return scan;
}

/** Aggregates as a plain sorted object, for t.same comparisons with readable diffs. */
export function toObject(map: Aggregates): Record<string, SecondCounts> {
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

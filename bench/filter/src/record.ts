// Owns the modes every benchmark component shares: noop (take the event, drop it), encode (the
// protocol's FrameBuilder alone, no SDK, no write; encodeids: every resource named by a resource
// id), buffered (the SDK batching across events, one append per full frame; the pin's map gives
// every workload name a slot, so the SDK names them by id; the helpers' positional forms, no options
// object per call; bufferedopts: the same with an options object per call), bufferednames (the same without the
// map: names inline), unbuffered (the SDK with one append per event), lookup (the SDK's verdict
// read from the resource map, one positioned read each; lookupcached: with the SDK's default
// verdict cache; lookuphit: one name, every answer from the cache; lookupreads / lookupsnapshots:
// how many of lookupcached's lookups read the map, how many snapshots they read) and its parts:
// mapread (the positioned read of a window alone), mapsnapshot (one read of the whole slot array)
// and mapdecode (finding the name's slot in a window already read); clockcall is one
// host call that touches no file (a reference for mapread). Two parts of the per-record budget
// alone: clock (Date.now, the SDK's clock read per record) and crc (the frame CRC-32: one 4 KiB
// frame per 512 events). The engine's prices per kind of operation: primitives.ts (op* modes).

import { createSentinel, Sentinel, WasiHost } from '@sentinel-wasi/filter';
import {
  decodeMapHeader,
  epochTagOf,
  FrameBuilder,
  lookupInWindow,
  MAP_HEADER_BYTES,
  MAP_WINDOW_BYTES,
  mapFileBytes,
  MapLookup,
  nameHash,
  PinLayout,
  utf8Length,
  windowOffset,
  crc32,
  type NameHash,
} from '@sentinel-wasi/protocol/encode';
import { now as monotonicNow } from 'wasi:clocks/monotonic-clock@0.2.12';
import { eventAt } from './events.js';
import { runPrimitive } from './primitives.js';

/** Any map epoch: encodeids only needs one. */
const BENCH_EPOCH = 1_806_458_880_000_512;

let buffered: Sentinel | null = null;
let bufferedNames: Sentinel | null = null;
let unbuffered: Sentinel | null = null;
let looker: Sentinel | null = null;

export function noop(n: number): number {
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const e = eventAt(i);
    sink += e.rtMs + e.name.length + e.outcome + (e.origin === undefined ? 0 : 1);
  }
  return sink > 0 ? n : 0;
}

/** One event through the record helpers' positional forms (no options object per call). */
function record(s: Sentinel, i: number): void {
  const e = eventAt(i);
  if (e.outcome === 2) s.recordBlock(e.name, e.origin);
  else s.recordCall(e.name, e.rtMs, e.outcome === 1, e.origin);
}

/** The same event through the options-object forms: a new `{ error, origin }` per call. */
function recordWithOptions(s: Sentinel, i: number): void {
  const e = eventAt(i);
  if (e.outcome === 2) s.recordBlock(e.name, { origin: e.origin });
  else s.recordCall(e.name, e.rtMs, { error: e.outcome === 1, origin: e.origin });
}

export function recordBuffered(n: number): number {
  const s = (buffered ??= createSentinel({ writer: 'bench-buffered', flushOnIdle: false }));
  const before = s.stats().recordsWritten;
  for (let i = 0; i < n; i++) record(s, i);
  s.flush();
  return s.stats().recordsWritten - before;
}

/** `bufferedopts`: `buffered` with an options object per call (the helpers' other form). */
export function recordBufferedOptions(n: number): number {
  const s = (bufferedOptions ??= createSentinel({ writer: 'bench-opts', flushOnIdle: false }));
  const before = s.stats().recordsWritten;
  for (let i = 0; i < n; i++) recordWithOptions(s, i);
  s.flush();
  return s.stats().recordsWritten - before;
}
let bufferedOptions: Sentinel | null = null;

/** The SDK as `buffered`, on a host that offers no pin file reads: no map, so every name goes inline. */
export function recordBufferedNames(n: number): number {
  const wasi = new WasiHost();
  const s = (bufferedNames ??= new Sentinel({ nowMs: () => Date.now(), appendFrame: (segment, frame) => wasi.appendFrame(segment, frame) }, { writer: 'bench-names', flushOnIdle: false }));
  const before = s.stats().recordsWritten;
  for (let i = 0; i < n; i++) record(s, i);
  s.flush();
  return s.stats().recordsWritten - before;
}

export function recordUnbuffered(n: number): number {
  const s = (unbuffered ??= createSentinel({ writer: 'bench-unbuffered', flushOnIdle: false }));
  const before = s.stats().recordsWritten;
  for (let i = 0; i < n; i++) {
    record(s, i);
    s.flush();
  }
  return s.stats().recordsWritten - before;
}

/**
 * The protocol encoder alone (no SDK, no write): a full frame is finished and dropped. With
 * `oneName`, every record uses the first event's name and no origin, so names are always in the
 * frame's table already: the difference to the real mix is the cost of the per-frame name tables.
 */
export function encodeOnly(n: number, oneName = false, ids = false): number {
  const b = new FrameBuilder();
  b.setMapEpoch(BENCH_EPOCH);
  let frames = 0;
  const first = eventAt(0).name;
  const add = (i: number): boolean => {
    const e = eventAt(i);
    const ts = Date.now();
    const name = ids ? e.id : oneName ? first : e.name;
    const origin = oneName ? undefined : e.origin;
    return e.outcome === 2 ? b.addBlock(ts, name, 1, origin) : b.addCall(ts, name, e.rtMs, e.outcome === 1, origin);
  };
  for (let i = 0; i < n; i++) {
    if (!add(i)) {
      b.finish();
      frames++;
      add(i);
    }
  }
  b.finish();
  return frames >= 0 ? n : 0;
}

/** One piece of the encoder's per-record work alone: the UTF-8 length of the name. */
export function utf8LengthOnly(n: number): number {
  let sink = 0;
  for (let i = 0; i < n; i++) sink += utf8Length(eventAt(i).name);
  return sink > 0 ? n : 0;
}

/**
 * The verdict lookup alone: `verdict(name)` for n events against the map bench/filter.js wrote into
 * the pin, uncached (`verdictCacheMs: 0`: one positioned read of a 192-byte window each, through
 * the WASI host). Returns the lookups that found their name's slot, so the harness can check every
 * one found the map's verdict.
 */
export function lookup(n: number): number {
  // The map is written once before the run: trust its slots for the whole run.
  return lookupWith((looker ??= createSentinel({ writer: 'bench-lookup', mapStaleAfterMs: 1e12, verdictCacheMs: 0 })), n);
}

/**
 * `lookupcached`: the same lookups with the SDK's default verdict cache (a name's verdict answered
 * from memory for 20 ms after its read): the workload's names in a loop, as a hot filter makes them.
 */
export function lookupCached(n: number): number {
  return lookupWith((cachedLooker ??= createSentinel({ writer: 'bench-lookup', mapStaleAfterMs: 1e12 })), n);
}
let cachedLooker: Sentinel | null = null;

/** `lookuphit`: one name's verdict n times with the default verdict cache: the cost of an answer from the cache. */
export function lookupHit(n: number): number {
  const s = (hitLooker ??= createSentinel({ writer: 'bench-lookup', mapStaleAfterMs: 1e12 }));
  const name = eventAt(0).name;
  const before = s.stats().map?.hits ?? 0;
  for (let i = 0; i < n; i++) s.verdict(name);
  return (s.stats().map?.hits ?? 0) - before;
}
let hitLooker: Sentinel | null = null;

/**
 * What `lookupcached`'s loop reads, on a Sentinel of its own: `lookupreads` returns how many of n
 * lookups were not answered from the verdict cache (answered from a window read or from a snapshot
 * of the slot array), `lookupsnapshots` how many snapshots n lookups read.
 */
export function lookupReads(n: number, what: 'reads' | 'snapshots'): number {
  const s = (shareLooker ??= createSentinel({ writer: 'bench-lookup', mapStaleAfterMs: 1e12 }));
  const before = s.stats().map!;
  const [lookups, cached, snapshots] = [before.lookups, before.cached, before.snapshots];
  for (let i = 0; i < n; i++) s.verdict(eventAt(i).name);
  const after = s.stats().map!;
  return what === 'reads' ? after.lookups - lookups - (after.cached - cached) : after.snapshots - snapshots;
}
let shareLooker: Sentinel | null = null;

/**
 * `mapsnapshot`: the map's whole slot array read once per event, as the SDK reads a snapshot: reads
 * of at most 64 KiB (wasmtime returns no more a read) copied into one buffer.
 */
export function mapSnapshot(n: number): number {
  const file = new WasiHost().openPinFile(PinLayout.map);
  if (file === null) throw new Error('bench: no map in the pin');
  const header = decodeMapHeader(file.readAt(0, MAP_HEADER_BYTES) ?? new Uint8Array(0));
  if (header === null) throw new Error('bench: bad map header');
  const out = new Uint8Array(mapFileBytes(header.slotCount) - MAP_HEADER_BYTES);
  let read = 0;
  for (let i = 0; i < n; i++) {
    let got = 0;
    while (got < out.length) {
      const b = file.readAt(MAP_HEADER_BYTES + got, Math.min(65_536, out.length - got));
      if (b === null || b.length === 0) break;
      out.set(b, got);
      got += b.length;
    }
    if (got === out.length) read++;
  }
  file.close();
  return read;
}

function lookupWith(s: Sentinel, n: number): number {
  const before = s.stats().map?.hits ?? 0;
  for (let i = 0; i < n; i++) s.verdict(eventAt(i).name);
  return (s.stats().map?.hits ?? 0) - before;
}

/** What the lookup's two parts (`mapread`, `mapdecode`) share: the map opened once, the names' hashes, window offsets and windows. */
interface MapProbe {
  read(offsetBytes: number): Uint8Array | null;
  hashes: NameHash[];
  offsets: number[];
  windows: Uint8Array[];
  epochTag: number;
}
let probe: MapProbe | null = null;

function mapProbe(): MapProbe {
  if (probe !== null) return probe;
  const file = new WasiHost().openPinFile(PinLayout.map);
  if (file === null) throw new Error('bench: no map in the pin');
  const header = decodeMapHeader(file.readAt(0, MAP_HEADER_BYTES) ?? new Uint8Array(0));
  if (header === null) throw new Error('bench: bad map header');
  const hashes: NameHash[] = [];
  const offsets: number[] = [];
  const windows: Uint8Array[] = [];
  for (let i = 0; i < 4096; i++) {
    const h = nameHash(eventAt(i).name);
    hashes.push(h);
    offsets.push(windowOffset(h, header.slotCount));
    windows.push(file.readAt(windowOffset(h, header.slotCount), MAP_WINDOW_BYTES)!);
  }
  probe = { read: (o) => file.readAt(o, MAP_WINDOW_BYTES), hashes, offsets, windows, epochTag: epochTagOf(header.epoch) };
  return probe;
}

/** The lookup's host call alone: one positioned read of a name's window (the map opened once). */
export function mapRead(n: number): number {
  const p = mapProbe();
  let read = 0;
  for (let i = 0; i < n; i++) {
    const w = p.read(p.offsets[i & 4095]!);
    if (w !== null && w.length === MAP_WINDOW_BYTES) read++;
  }
  return read;
}

/** The lookup's decoding alone: finding the name's slot in its window, the windows read before the loop. */
export function mapDecode(n: number): number {
  const p = mapProbe();
  const windows = p.windows;
  const nowMs = Date.now();
  const options = { epochTag: p.epochTag, staleAfterMs: 1e12 };
  let hits = 0;
  for (let i = 0; i < n; i++) {
    if (lookupInWindow(windows[i & 4095]!, p.hashes[i & 4095]!, nowMs, options).outcome === MapLookup.HIT) hits++;
  }
  return hits;
}

/** The SDK's clock read alone: one Date.now() per event (wasi:clocks/wall-clock through the engine). */
export function clockNow(n: number): number {
  let ticks = 0;
  for (let i = 0; i < n; i++) if (Date.now() > 0) ticks++;
  return ticks;
}

/** Bytes of a full frame, and the events whose share of the frame CRC one CRC of it stands for (8 bytes each). */
const CRC_FRAME_BYTES = 4096;
const CRC_EVENTS_PER_FRAME = 512;
let crcFrame: Uint8Array | null = null;

/** The frame checksum alone: CRC-32 of a 4 KiB frame's payload once per 512 events (returns n when every CRC matched). */
export function crcOnly(n: number): number {
  const frame = (crcFrame ??= Uint8Array.from({ length: CRC_FRAME_BYTES }, (_, i) => (i * 131 + 7) & 0xff));
  const expected = crc32(frame, 8, CRC_FRAME_BYTES);
  let ok = true;
  for (let done = 0; done < n; done += CRC_EVENTS_PER_FRAME) if (crc32(frame, 8, CRC_FRAME_BYTES) !== expected) ok = false;
  return ok ? n : 0;
}

/** One host call per event that touches no file: wasi:clocks/monotonic-clock `now` (a reference for `mapread`). */
export function clockCall(n: number): number {
  let ticks = 0;
  for (let i = 0; i < n; i++) if (Number(monotonicNow()) > 0) ticks++;
  return ticks;
}

/** Runs one of the shared modes for n events (what both benchmark components answer). */
export function runSharedMode(mode: string, n: number): number {
  if (mode === 'noop') return noop(n);
  if (mode === 'encode') return encodeOnly(n);
  if (mode === 'utf8len') return utf8LengthOnly(n);
  if (mode === 'encode1') return encodeOnly(n, true);
  if (mode === 'encodeids') return encodeOnly(n, false, true);
  if (mode === 'bufferednames') return recordBufferedNames(n);
  if (mode === 'buffered') return recordBuffered(n);
  if (mode === 'bufferedopts') return recordBufferedOptions(n);
  if (mode === 'unbuffered') return recordUnbuffered(n);
  if (mode === 'lookup') return lookup(n);
  if (mode === 'lookupcached') return lookupCached(n);
  if (mode === 'lookuphit') return lookupHit(n);
  if (mode === 'lookupreads') return lookupReads(n, 'reads');
  if (mode === 'lookupsnapshots') return lookupReads(n, 'snapshots');
  if (mode === 'mapsnapshot') return mapSnapshot(n);
  if (mode === 'mapread') return mapRead(n);
  if (mode === 'mapdecode') return mapDecode(n);
  if (mode === 'clockcall') return clockCall(n);
  if (mode === 'clock') return clockNow(n);
  if (mode === 'crc') return crcOnly(n);
  const primitive = runPrimitive(mode, n);
  if (primitive !== null) return primitive;
  throw new Error(`unknown mode ${mode}`);
}



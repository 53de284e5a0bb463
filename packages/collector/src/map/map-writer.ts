// Owns the collector's side of the resource map `<pin>/map` (layout: the protocol's
// resource-map.ts): creating it (a new epoch) or reopening the one the last run left, giving each
// verdict key a slot and a resource id, and writing whole slots with positioned writes. Ids are
// durable before they are published: the placement table (epoch, slot count, next id, name → slot
// and id) is written to `<pin>/collector/map-ids.json` (atomically) before any slot with a new id
// is written, so a restart reuses the map, its epoch and its ids, and never gives an id twice
// within the epoch. A map whose header does not match that file is recreated with a new epoch.
// Keys that lose their verdict get their slot zeroed (their id is not reused).

import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeMapHeader,
  encodeMapHeader,
  encodeSlot,
  homeSlot,
  epochTagOf,
  MAP_HEADER_BYTES,
  MAP_SLOT_BYTES,
  mapEpochOf,
  mapFileBytes,
  MapSlotTable,
  PinLayout,
  slotOffset,
  VerdictKind,
} from '@sentinel-wasi/protocol/encode';
import { writeFileSafely } from '../pin/safe-write.js';
import type { Verdict } from '../rules/verdict.js';

/** Home slots of a new map: 4096 (a 197 KB file). */
export const DEFAULT_MAP_SLOTS = 4096;
export const MAP_IDS_FILE = 'map-ids.json';

export interface MapWriterOptions {
  pinDir: string;
  collectorDir: string;
  slotCount?: number;
  random?: () => number;
}

export interface MapWriterCounters {
  /** Slot writes (verdicts published and slots cleared). */
  mapSlotWrites: number;
  /** Keys placed away from their home slot (another name was there). */
  mapCollisions: number;
  /** Keys that found no free slot in their window: filters read them as PASS. */
  mapWindowFull: number;
  /** Failed slot writes or id-file writes (the slot keeps its last verdict and goes stale). */
  mapWriteErrors: number;
}

interface IdsFile {
  version: 1;
  epoch: number;
  slotCount: number;
  nextId: number;
  entries: Array<{ name: string; slot: number; resourceId: number }>;
}

export class MapWriter {
  readonly path: string;
  readonly idsPath: string;
  readonly counters: MapWriterCounters = { mapSlotWrites: 0, mapCollisions: 0, mapWindowFull: 0, mapWriteErrors: 0 };
  epoch = 0;
  /** True when open() found and reused the previous run's map. */
  reused = false;
  private table: MapSlotTable;
  private fd: number | null = null;
  private readonly sequence = new Map<string, number>();
  /** Keys given a verdict by the last publish. */
  private live = new Set<string>();
  /** Keys that found no slot (counted once each). */
  private readonly homeless = new Set<string>();
  private readonly options: MapWriterOptions;

  constructor(options: MapWriterOptions) {
    this.options = options;
    this.path = join(options.pinDir, PinLayout.map);
    this.idsPath = join(options.collectorDir, MAP_IDS_FILE);
    this.table = new MapSlotTable(options.slotCount ?? DEFAULT_MAP_SLOTS);
  }

  /** Reopens the previous map when it matches the id file, else creates a new one (new epoch). */
  open(nowMs: number): void {
    const restored = this.tryReuse();
    if (restored !== null) {
      this.table = restored.table;
      this.epoch = restored.epoch;
      this.fd = restored.fd;
      this.reused = true;
      // Keys placed by the last run keep their slots; they are cleared if no verdict comes.
      this.live = new Set(this.table.entries().map((e) => e.name));
      return;
    }
    const slotCount = this.options.slotCount ?? DEFAULT_MAP_SLOTS;
    this.epoch = mapEpochOf(nowMs, this.options.random ?? Math.random);
    this.table = new MapSlotTable(slotCount);
    this.saveIds(); // the epoch is durable before a map of that epoch exists
    const bytes = new Uint8Array(mapFileBytes(slotCount));
    bytes.set(encodeMapHeader({ slotCount, epoch: this.epoch }));
    writeFileSafely(this.path, bytes, 0o640);
    this.fd = openSync(this.path, constants.O_RDWR | constants.O_NOFOLLOW);
    this.live = new Set();
  }

  /** Writes the verdict of every key given (refreshing its slot) and clears keys no longer given. */
  publish(nowMs: number, verdicts: ReadonlyArray<{ key: string; verdict: Verdict }>): void {
    if (this.fd === null) return;
    const placed: Array<{ key: string; verdict: Verdict; slot: number; resourceId: number; hash: { lo: number; hi: number } }> = [];
    let newIds = false;
    for (const { key, verdict } of verdicts) {
      let p = this.table.get(key);
      if (p === undefined) {
        if (this.homeless.has(key)) continue;
        const fullBefore = this.table.windowFull;
        const np = this.table.place(key);
        if (np === null) {
          if (this.table.windowFull > fullBefore) this.counters.mapWindowFull++;
          this.homeless.add(key);
          continue;
        }
        p = np;
        newIds = true;
        if (p.slot !== homeSlot(p.hash, this.table.slotCount)) this.counters.mapCollisions++;
      }
      placed.push({ key, verdict, ...p });
    }
    if (newIds) {
      try {
        this.saveIds();
      } catch {
        this.counters.mapWriteErrors++;
        return; // ids not durable: publish nothing new this tick
      }
    }
    const next = new Set<string>();
    for (const p of placed) {
      next.add(p.key);
      const seq = ((this.sequence.get(p.key) ?? 0) + 1) >>> 0;
      this.sequence.set(p.key, seq);
      const { kind, param } = encodeVerdict(p.verdict, nowMs);
      this.writeAt(encodeSlot({ hash: p.hash, resourceId: p.resourceId, kind, param, refreshMs: Math.floor(nowMs), sequence: seq, epochTag: epochTagOf(this.epoch) }), slotOffset(p.slot));
    }
    for (const key of this.live) {
      if (next.has(key)) continue;
      const slot = this.table.remove(key);
      this.sequence.delete(key);
      if (slot !== null) this.writeAt(new Uint8Array(MAP_SLOT_BYTES), slotOffset(slot));
    }
    if (this.live.size > 0 && [...this.live].some((k) => !next.has(k))) {
      try {
        this.saveIds();
      } catch {
        this.counters.mapWriteErrors++;
      }
    }
    this.live = next;
  }

  /** Slots in use. */
  get size(): number {
    return this.table.size;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private writeAt(bytes: Uint8Array, offset: number): void {
    try {
      writeSync(this.fd!, bytes, 0, bytes.length, offset);
      this.counters.mapSlotWrites++;
    } catch {
      this.counters.mapWriteErrors++;
    }
  }

  private saveIds(): void {
    const file: IdsFile = { version: 1, epoch: this.epoch, slotCount: this.table.slotCount, nextId: this.table.nextResourceId, entries: this.table.entries() };
    writeFileSafely(this.idsPath, `${JSON.stringify(file)}\n`);
  }

  private tryReuse(): { table: MapSlotTable; epoch: number; fd: number } | null {
    let ids: IdsFile;
    try {
      ids = JSON.parse(readFileSync(this.idsPath, 'utf8')) as IdsFile;
    } catch {
      return null;
    }
    let fd: number | null = null;
    try {
      const table = MapSlotTable.restore(ids.slotCount, ids.nextId, ids.entries);
      fd = openSync(this.path, constants.O_RDWR | constants.O_NOFOLLOW);
      const head = new Uint8Array(MAP_HEADER_BYTES);
      readSync(fd, head, 0, MAP_HEADER_BYTES, 0);
      const header = decodeMapHeader(head);
      if (header === null || header.epoch !== ids.epoch || header.slotCount !== ids.slotCount || fstatSync(fd).size !== mapFileBytes(ids.slotCount)) throw new Error('map does not match its id file');
      return { table, epoch: ids.epoch, fd };
    } catch {
      if (fd !== null) closeSync(fd);
      return null;
    }
  }
}

/** A rules verdict as slot fields. A block without a time holds until rewritten: its time is now. */
export function encodeVerdict(v: Verdict, nowMs: number): { kind: VerdictKind; param: number } {
  if (v.kind === 'admit') return { kind: VerdictKind.ADMIT, param: Math.min(1, Math.max(0, v.ratio)) };
  if (v.kind === 'block') return { kind: VerdictKind.BLOCK, param: Math.max(0, Math.floor(v.untilMs ?? nowMs)) };
  return { kind: VerdictKind.PASS, param: 0 };
}

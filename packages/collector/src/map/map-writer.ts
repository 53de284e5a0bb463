// Owns the collector's side of the resource map `<pin>/map` (layout: the protocol's
// resource-map.ts): creating it (a new epoch) or reopening the one the last run left, giving each
// verdict key and each counted resource a slot and a resource id, writing whole slots with
// positioned writes, and resolving the ids filters write in frames (`resolveId`). Ids are durable
// before they are published: the placement table (epoch, slot count, next id, name → slot and id,
// and the previous epoch's ids) is written to `<pin>/collector/map-ids.json` (atomically) before
// any slot with a new id is written, so a restart reuses the map, its epoch and its ids, and never
// gives an id twice within the epoch. A map whose header does not match that file is recreated with
// a new epoch; the ids of the epoch it replaces stay resolvable. A counted resource without a
// verdict gets a PASS slot, written once (past the staleness bound filters read it as idle: PASS,
// still with its id); a counted resource whose verdict ends goes back to PASS and keeps its id;
// any other key whose verdict ends gets its slot zeroed, and its id is retired: never given again,
// still resolvable in its epoch while a record with it can still count (pruneRetired: records
// older than the sealed frontier by more than the late limit are dropped anyway). A key under a
// rule whose probe window is full takes the slot of a key there without a verdict (placeRuled);
// after a restart only the counted resources the collector tracks again keep their slots
// (keepCountedOnly); an id file that cannot be loaded is set aside (E_MAP_IDS_INVALID). A failed
// write (creating the map, the id file, a slot) is counted (mapWriteErrors) and reported to the
// problem sink (E_MAP_WRITE, with the file and the OS error), so the daemon logs it and
// /api/v1/health lists it: without the map, filters fail open. A map removed, replaced or with its
// header overwritten while the collector runs (checked at most once a second: the open file is no
// longer the one at `<pin>/map`, or its header is not the one written) is made again with a new
// epoch, reported as E_MAP_LOST: the verdicts and the counted resources' slots are written into it
// at once, and the lost epoch's ids stay resolvable as the previous epoch's.

import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
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
import type { ResourceIdResolver } from '@sentinel-wasi/protocol';
import { UnsafePathError, writeFileSafely } from '../pin/safe-write.js';
import { osReason } from '../pin/os-error.js';
import { setFileAside } from '../checkpoint/set-aside.js';
import type { Verdict } from '../rules/verdict.js';
import type { HealthSink } from '../stats/health.js';

/**
 * Home slots of a new map: 16384 (a 786 KB file), so that the collector's 6000 resources (its
 * default cap) and the (resource, origin) keys under rules fill under 40 % of them: few windows are
 * full, and a resource without a slot is only named inline in frames.
 */
export const DEFAULT_MAP_SLOTS = 16384;
export const MAP_IDS_FILE = 'map-ids.json';

/**
 * The resources the id file of `collectorDir` records as counted (their names as filters wrote
 * them); empty when there is no readable id file. Read without opening the map (a collector
 * starting reads it before its map writer opens).
 */
export function countedNamesIn(collectorDir: string): string[] {
  try {
    const ids = JSON.parse(readFileSync(join(collectorDir, MAP_IDS_FILE), 'utf8')) as Partial<IdsFile>;
    return Array.isArray(ids.entries) ? ids.entries.filter((e) => e.counted === true && typeof e.name === 'string' && isResourceKey(e.name)).map((e) => e.name) : [];
  } catch {
    return [];
  }
}
/** After a failure to create the map (a full disk), how long until the next try. */
export const CREATE_RETRY_MS = 5000;

/** Where failed writes are reported (the collector's HealthLog: it suppresses repeats). */
export type MapProblemSink = Pick<HealthSink, 'problem'>;

export const MAP_WRITE_ERROR = 'E_MAP_WRITE';
export const MAP_LOST = 'E_MAP_LOST';
export const MAP_NO_SLOT = 'E_MAP_NO_SLOT';
export const MAP_IDS_INVALID = 'E_MAP_IDS_INVALID';
/** A retired id is forgotten once it was retired this long before the newest sealed second ends (pruneRetired). */
export const RETIRED_KEPT_BEHIND_SEALED_MS = 120_000;
/** How often publish() checks that the map it writes is still `<pin>/map`. */
export const LOST_CHECK_MS = 1000;

export interface MapWriterOptions {
  pinDir: string;
  collectorDir: string;
  slotCount?: number;
  random?: () => number;
  /** Where failed writes are reported (E_MAP_WRITE); none: they are only counted. */
  problems?: MapProblemSink;
}

export interface MapWriterCounters {
  /** Slot writes (verdicts published and slots cleared). */
  mapSlotWrites: number;
  /** Keys placed away from their home slot (another name was there). */
  mapCollisions: number;
  /** Keys that found no free slot in their window: filters read them as PASS (and name them inline). */
  mapWindowFull: number;
  /**
   * Slots given to a key under a rule whose window was full: taken from a resource there that was
   * only counted (no verdict), which then has no slot (read as PASS, named inline; its id stays resolvable).
   */
  mapSlotsTakenForRules: number;
  /** Counted resources given a PASS slot (and so an id) without a verdict. */
  mapResourcesPlaced: number;
  /** Failed slot writes or id-file writes (the slot keeps its last verdict and goes stale). */
  mapWriteErrors: number;
}

interface IdsFile {
  version: 1;
  epoch: number;
  slotCount: number;
  nextId: number;
  /** `counted`: a resource the collector counts (it keeps its slot, as PASS, without a verdict). */
  entries: Array<{ name: string; slot: number; resourceId: number; counted?: boolean }>;
  /** Ids of this epoch whose slot was cleared: never given again, still resolvable. */
  retired?: Array<{ name: string; resourceId: number; atMs?: number }>;
  /** The epoch this one replaced, with its resources' ids (frames written before may still carry them). */
  previous?: { epoch: number; entries: Array<{ name: string; resourceId: number }> };
}

/** A map key that names a resource (a (resource, origin) key holds a NUL: see mapKeyOf). */
function isResourceKey(key: string): boolean {
  return !key.includes('\u0000');
}

export class MapWriter {
  readonly path: string;
  readonly idsPath: string;
  readonly counters: MapWriterCounters = { mapSlotWrites: 0, mapCollisions: 0, mapWindowFull: 0, mapSlotsTakenForRules: 0, mapResourcesPlaced: 0, mapWriteErrors: 0 };
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
  /** Keys under a rule that found no slot even by taking one (reported once each while so). */
  private readonly ruledHomeless = new Set<string>();
  private readonly options: MapWriterOptions;
  /** Counted resources to give a slot at the next publish. */
  private pending: string[] = [];
  /** The previous epoch's resource ids (resolvable after the map was recreated). */
  private previous: { epoch: number; names: Map<number, string> } | null = null;
  private previousEntries: Array<{ name: string; resourceId: number }> = [];
  /** Resource keys the collector counts (they keep a PASS slot without a verdict). */
  private counted = new Set<string>();
  /** Ids of this epoch whose key lost its slot, with their names. */
  private retired = new Map<number, { name: string; atMs: number }>();
  /** Retired ids were forgotten since the id file was last written (written at the next publish). */
  private retiredPruned = false;
  /** Set by keepCountedOnly: the counted resources that keep their slots at the next publish. */
  private keepCounted: Set<string> | null = null;

  constructor(options: MapWriterOptions) {
    this.options = options;
    this.path = join(options.pinDir, PinLayout.map);
    this.idsPath = join(options.collectorDir, MAP_IDS_FILE);
    this.table = new MapSlotTable(options.slotCount ?? DEFAULT_MAP_SLOTS);
  }

  /**
   * Reopens the previous map when it matches the id file, else creates a new one (new epoch). An
   * id file that cannot be read or loaded is set aside (`map-ids.json.invalid-<ms>`) and reported
   * (E_MAP_IDS_INVALID): its ids are lost, so records a filter writes with them are rejected.
   */
  open(nowMs: number): void {
    const loaded = this.loadIds(nowMs);
    const restored = loaded === null ? null : this.tryReuse(loaded, nowMs);
    if (restored !== null) {
      this.table = restored.table;
      this.epoch = restored.epoch;
      this.fd = restored.fd;
      this.reused = true;
      this.setPrevious(restored.previous);
      this.counted = restored.counted;
      this.retired = restored.retired;
      this.firstUnsaved = this.table.nextResourceId;
      // Keys placed by the last run keep their slots; they are cleared if no verdict comes.
      this.live = new Set(this.table.entries().map((e) => e.name));
      return;
    }
    this.createNew(nowMs, loaded?.ids ?? null);
  }

  /** A new map with a new epoch; the epoch of the id file `old` (the one replaced) stays resolvable. */
  private createNew(nowMs: number, old: IdsFile | null): void {
    const slotCount = this.options.slotCount ?? DEFAULT_MAP_SLOTS;
    // The new epoch first: the one being replaced (if its id file is readable) keeps its ids resolvable as the previous.
    this.epoch = mapEpochOf(nowMs, this.options.random ?? Math.random);
    if (old !== null && Number.isSafeInteger(old.epoch) && Array.isArray(old.entries)) {
      const all = [...old.entries, ...(Array.isArray(old.retired) ? old.retired : [])];
      this.setPrevious({ epoch: old.epoch, entries: all.filter((e) => isResourceKey(e.name)).map((e) => ({ name: e.name, resourceId: e.resourceId })) });
    }
    this.counted = new Set();
    this.retired = new Map();
    this.table = new MapSlotTable(slotCount);
    this.live = new Set();
    this.create(nowMs);
  }

  /**
   * Writes the id file and a new map of this.epoch. A failure (a full disk, say) leaves no map:
   * filters fail open and name resources inline, the collector counts on, and publish() tries
   * again every CREATE_RETRY_MS. Only an unsafe path (E_UNSAFE_PATH) is thrown.
   */
  private create(nowMs: number): void {
    const slotCount = this.table.slotCount;
    let writing = this.idsPath;
    try {
      this.saveIds(); // the epoch is durable before a map of that epoch exists
      this.firstUnsaved = this.table.nextResourceId;
      writing = this.path;
      const bytes = new Uint8Array(mapFileBytes(slotCount));
      bytes.set(encodeMapHeader({ slotCount, epoch: this.epoch }));
      writeFileSafely(this.path, bytes, 0o640);
      this.fd = openSync(this.path, constants.O_RDWR | constants.O_NOFOLLOW);
      this.createRetryAtMs = null;
    } catch (err) {
      if (err instanceof UnsafePathError) throw err;
      this.createRetryAtMs = nowMs + CREATE_RETRY_MS;
      this.writeFailed(nowMs, `cannot create the resource map: ${writing}: ${osReason(err)}; filters fail open (no flow control) until it exists; next try in ${CREATE_RETRY_MS / 1000} s`);
    }
  }

  /**
   * After a restart: of the resources the last run counted (each keeps a PASS slot and an id), only
   * `names` (what the collector tracks now) and those under a rule at the next publish keep theirs;
   * the others' slots are cleared and their ids retired (still resolved) at that publish. So the
   * map's slots follow the resources tracked rather than every name counted since the map was made.
   */
  keepCountedOnly(names: Iterable<string>): void {
    this.keepCounted = new Set(names);
  }

  /**
   * Forgets the retired ids no record can still be counted with: retired more than
   * RETIRED_KEPT_BEHIND_SEALED_MS before `sealedThroughMs` (the end of the newest sealed second). A
   * filter stops writing an id within a second of its slot being cleared (it reads the map for its
   * names once a second), and a record more than the late limit (60 s) behind the sealed seconds is
   * dropped whatever it names; the rest of the margin is for the filters' clocks. Written to the id
   * file with its next write. Returns how many were forgotten.
   */
  pruneRetired(sealedThroughMs: number): number {
    let pruned = 0;
    for (const [id, r] of this.retired) {
      if (r.atMs + RETIRED_KEPT_BEHIND_SEALED_MS < sealedThroughMs) {
        this.retired.delete(id);
        pruned++;
      }
    }
    if (pruned > 0) this.retiredPruned = true;
    return pruned;
  }

  /** Counted resources to give a slot (PASS, so an id) at the next publish; placed ones are skipped then. */
  addResources(names: readonly string[]): void {
    for (const name of names) this.pending.push(name);
  }

  /**
   * Writes the verdict of every key given (refreshing its slot), gives new counted resources a PASS
   * slot, puts resources whose verdict ended back to PASS and clears (resource, origin) keys no
   * longer given.
   */
  publish(nowMs: number, verdicts: ReadonlyArray<{ key: string; verdict: Verdict }>): void {
    if (this.fd !== null && !(nowMs - this.lostCheckedAtMs < LOST_CHECK_MS)) {
      this.lostCheckedAtMs = nowMs;
      const why = this.mapLost();
      if (why !== null) this.recreateLost(nowMs, why);
    }
    if (this.fd === null && this.createRetryAtMs !== null && nowMs >= this.createRetryAtMs) this.create(nowMs);
    if (this.fd === null) return;
    const placed: Array<{ key: string; verdict: Verdict; slot: number; resourceId: number; hash: { lo: number; hi: number } }> = [];
    const fresh: Array<{ key: string; slot: number; resourceId: number; hash: { lo: number; hi: number } }> = [];
    let newIds = false;
    const ruled = new Set<string>();
    for (const { key } of verdicts) ruled.add(key);
    for (const { key, verdict } of verdicts) {
      let p = this.table.get(key);
      if (p === undefined) {
        // (A key under a rule is tried again each publish, though its window was full: a slot may have been freed.)
        const np = this.placeNew(key, true) ?? this.placeRuled(key, ruled, nowMs);
        if (np === null) continue;
        this.ruledHomeless.delete(key);
        p = np;
        newIds = true;
      }
      placed.push({ key, verdict, ...p });
    }
    for (const key of this.ruledHomeless) if (!ruled.has(key)) this.ruledHomeless.delete(key);
    if (this.keepCounted !== null) {
      // No longer counted: a slot of the last run's (in live) is cleared below, its id retired.
      for (const name of this.counted) {
        if (this.keepCounted.has(name) || ruled.has(name)) continue;
        this.counted.delete(name);
        newIds = true;
      }
      this.keepCounted = null;
    }
    const pending = this.pending;
    this.pending = [];
    for (const key of pending) {
      if (!isResourceKey(key)) continue;
      if (!this.counted.has(key)) {
        this.counted.add(key);
        newIds = true; // the id file records it as counted
      }
      if (this.table.get(key) !== undefined) continue;
      const p = this.placeNew(key);
      if (p === null) continue;
      newIds = true;
      fresh.push({ key, ...p });
    }
    if (newIds) {
      try {
        this.saveIds();
      } catch (err) {
        this.writeFailed(nowMs, `cannot write the resource ids ${this.idsPath}: ${osReason(err)}; resources new to the map get no slot until it is written (filters fail open for them)`);
        // Ids not durable: publish none of them (they are given again at a later publish).
        for (const p of [...placed, ...fresh]) if (p.resourceId >= this.firstUnsaved) this.table.remove(p.key);
        this.pending.push(...fresh.map((p) => p.key));
        return;
      }
    }
    this.firstUnsaved = this.table.nextResourceId;
    const next = new Set<string>();
    for (const p of placed) {
      next.add(p.key);
      const { kind, param } = encodeVerdict(p.verdict, nowMs);
      this.writeSlot(p.key, p, kind, param, nowMs);
    }
    for (const p of fresh) {
      if (next.has(p.key)) continue;
      this.counters.mapResourcesPlaced++;
      this.writeSlot(p.key, p, VerdictKind.PASS, 0, nowMs);
    }
    let removed = false;
    for (const key of this.live) {
      if (next.has(key)) continue;
      const p = this.table.get(key);
      if (p !== undefined && this.counted.has(key)) {
        // The verdict ended: a counted resource keeps its slot and id, as PASS.
        this.writeSlot(key, p, VerdictKind.PASS, 0, nowMs);
        continue;
      }
      if (p !== undefined && isResourceKey(key)) this.retired.set(p.resourceId, { name: key, atMs: nowMs });
      const slot = this.table.remove(key);
      this.sequence.delete(key);
      removed = true;
      if (slot !== null) this.writeAt(new Uint8Array(MAP_SLOT_BYTES), slotOffset(slot), nowMs);
    }
    if (removed || this.retiredPruned) {
      this.retiredPruned = false;
      try {
        this.saveIds();
      } catch (err) {
        this.writeFailed(nowMs, `cannot write the resource ids ${this.idsPath}: ${osReason(err)}; the slots cleared are recorded at its next write`);
      }
    }
    this.live = next;
  }

  /**
   * Between ticks: writes the verdicts of keys that already have a verdict slot (the last
   * publish gave them), now, and nothing else; a key without one waits for the next publish.
   * Returns how many slots it wrote.
   */
  rewrite(nowMs: number, verdicts: ReadonlyArray<{ key: string; verdict: Verdict }>): number {
    if (this.fd === null) return 0;
    let written = 0;
    for (const { key, verdict } of verdicts) {
      const p = this.live.has(key) ? this.table.get(key) : undefined;
      if (p === undefined) continue;
      const { kind, param } = encodeVerdict(verdict, nowMs);
      this.writeSlot(key, p, kind, param, nowMs);
      written++;
    }
    return written;
  }

  /**
   * The name of a resource id of map epoch `epoch`: the current epoch's table, or the previous
   * epoch's (kept when the map was recreated); null for any other epoch, an unknown id, or a
   * (resource, origin) key. Frames are resolved with it (the ids are durable before any filter can read them).
   */
  readonly resolveId: ResourceIdResolver = (epoch, id) => {
    if (epoch === this.epoch) {
      const name = this.table.nameOf(id) ?? this.retired.get(id)?.name;
      return name !== undefined && isResourceKey(name) ? name : null;
    }
    if (this.previous !== null && epoch === this.previous.epoch) return this.previous.names.get(id) ?? null;
    return null;
  };

  /** Keys with a verdict slot refreshed every tick. */
  get verdictSlots(): number {
    return this.live.size;
  }

  /** Slots of the map (the last run's when it was reused). */
  get slotCount(): number {
    return this.table.slotCount;
  }

  /** Slots in use. */
  get size(): number {
    return this.table.size;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Ids below this were saved in the id file. */
  private firstUnsaved = 1;
  /** When publish() last checked that the map is still there. */
  private lostCheckedAtMs = -Infinity;

  /**
   * Why the open map is lost: no longer `<pin>/map` (removed, or another file put there), or its
   * header overwritten in place (filters then read no map and fail open, and the slots written
   * after it would never be read); null when it is intact or the check cannot tell.
   */
  private mapLost(): string | null {
    let open;
    try {
      open = fstatSync(this.fd!);
    } catch {
      return null;
    }
    try {
      const there = lstatSync(this.path);
      if (there.ino !== open.ino || there.dev !== open.dev) return 'was replaced';
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' || open.nlink === 0 ? 'was removed' : null;
    }
    const header = Buffer.alloc(MAP_HEADER_BYTES);
    try {
      if (readSync(this.fd!, header, 0, MAP_HEADER_BYTES, 0) !== MAP_HEADER_BYTES) return 'was cut short';
    } catch {
      return null;
    }
    return header.equals(encodeMapHeader({ slotCount: this.table.slotCount, epoch: this.epoch })) ? null : 'had its header overwritten';
  }

  /** Makes the map again (new epoch) after it was lost; the keys with a verdict and the counted resources are placed at this publish. */
  private recreateLost(nowMs: number, why: string): void {
    const lostEpoch = this.epoch;
    const counted = [...this.counted];
    closeSync(this.fd!);
    this.fd = null;
    this.sequence.clear();
    this.homeless.clear();
    this.createNew(nowMs, this.readIds());
    this.pending.push(...counted);
    const made = this.fd === null ? 'it is made again once it can be written (E_MAP_WRITE)' : `a new map is made (epoch ${this.epoch}; the ids of epoch ${lostEpoch} stay resolvable)`;
    this.options.problems?.problem({ atMs: nowMs, code: MAP_LOST, message: `the resource map ${this.path} ${why} while the collector ran (filters failed open meanwhile): ${made}` });
  }
  /** When creating the map failed: when to try again (null: no failure pending). */
  private createRetryAtMs: number | null = null;

  /**
   * A key under a rule whose window is full: the slot of a resource there that is only counted (no
   * verdict this publish) is taken for it. That resource then has no slot: filters read it as PASS
   * (as they would with no rule, its verdict) and name it inline; its id is retired (still resolved).
   * With every slot of the window under a rule, the key has none: reported once (E_MAP_NO_SLOT),
   * its filters admit it.
   */
  private placeRuled(key: string, ruled: ReadonlySet<string>, nowMs: number): { slot: number; resourceId: number; hash: { lo: number; hi: number } } | null {
    const victim = this.table.windowNames(key).find((name) => !ruled.has(name));
    if (victim === undefined) {
      if (!this.ruledHomeless.has(key)) {
        this.ruledHomeless.add(key);
        const [resource, origin] = key.split('\u0000');
        const what = origin === undefined ? `resource ${JSON.stringify(resource)}` : `resource ${JSON.stringify(resource)} from origin ${JSON.stringify(origin)}`;
        this.options.problems?.problem({ atMs: nowMs, code: MAP_NO_SLOT, message: `${what} is under a rule, but every slot of its map window holds another key under a rule: filters cannot read its verdict and admit it (a pin made with more --map-slots has room)` });
      }
      return null;
    }
    const taken = this.table.get(victim)!;
    this.table.remove(victim);
    if (isResourceKey(victim)) this.retired.set(taken.resourceId, { name: victim, atMs: nowMs });
    this.sequence.delete(victim);
    this.live.delete(victim);
    this.homeless.add(victim);
    this.counters.mapSlotsTakenForRules++;
    this.homeless.delete(key);
    return this.table.place(key);
  }

  /**
   * A slot for a key without one; null when its window is full (counted once per key in
   * mapWindowFull). A key whose window was full is not tried again unless `again`.
   */
  private placeNew(key: string, again = false): { slot: number; resourceId: number; hash: { lo: number; hi: number } } | null {
    const homeless = this.homeless.has(key);
    if (homeless && !again) return null;
    const fullBefore = this.table.windowFull;
    const p = this.table.place(key);
    if (p === null) {
      if (this.table.windowFull > fullBefore && !homeless) this.counters.mapWindowFull++;
      this.homeless.add(key);
      return null;
    }
    if (homeless) this.homeless.delete(key);
    if (p.slot !== homeSlot(p.hash, this.table.slotCount)) this.counters.mapCollisions++;
    return p;
  }

  private writeSlot(key: string, p: { slot: number; resourceId: number; hash: { lo: number; hi: number } }, kind: VerdictKind, param: number, nowMs: number): void {
    const seq = ((this.sequence.get(key) ?? 0) + 1) >>> 0;
    this.sequence.set(key, seq);
    let bytes: Uint8Array;
    try {
      bytes = encodeSlot({ hash: p.hash, resourceId: p.resourceId, kind, param, refreshMs: Math.floor(nowMs), sequence: seq, epochTag: epochTagOf(this.epoch) });
    } catch (err) {
      // (encodeVerdict gives valid fields; should one ever not be, only this slot keeps its last verdict.)
      this.writeFailed(nowMs, `cannot encode the slot of ${JSON.stringify(key)}: ${osReason(err)}; it keeps its last verdict`);
      return;
    }
    this.writeAt(bytes, slotOffset(p.slot), nowMs);
  }

  private setPrevious(previous: { epoch: number; entries: Array<{ name: string; resourceId: number }> } | undefined): void {
    if (previous === undefined || previous.epoch === this.epoch) return;
    this.previousEntries = previous.entries;
    this.previous = { epoch: previous.epoch, names: new Map(previous.entries.map((e) => [e.resourceId, e.name])) };
  }

  /** The id file cannot be read or loaded: set aside (kept for a look) and reported; a new map follows. */
  private idsInvalid(nowMs: number, err: unknown): void {
    let where: string;
    try {
      where = `set aside as ${basename(setFileAside(this.idsPath, nowMs).aside)}`;
    } catch (e) {
      where = `not set aside (${osReason(e)})`;
    }
    const why = err instanceof SyntaxError ? 'it is not JSON' : osReason(err);
    this.options.problems?.problem({ atMs: nowMs, code: MAP_IDS_INVALID, message: `the map's id file ${this.idsPath} cannot be loaded (${why}): ${where}; a new map is made with a new epoch, and records written with the old ids are rejected (recordsRejected)` });
  }

  private readIds(): IdsFile | null {
    try {
      return JSON.parse(readFileSync(this.idsPath, 'utf8')) as IdsFile;
    } catch {
      return null;
    }
  }

  private writeAt(bytes: Uint8Array, offset: number, nowMs: number): void {
    try {
      writeSync(this.fd!, bytes, 0, bytes.length, offset);
      this.counters.mapSlotWrites++;
    } catch (err) {
      this.writeFailed(nowMs, `cannot write to the resource map ${this.path}: ${osReason(err)}; the slots not written keep their last verdict and go stale (filters then fail open)`);
    }
  }

  /** Counts a failed write and reports it (E_MAP_WRITE; the sink suppresses repeats). */
  private writeFailed(nowMs: number, message: string): void {
    this.counters.mapWriteErrors++;
    this.options.problems?.problem({ atMs: nowMs, code: MAP_WRITE_ERROR, message });
  }

  private saveIds(): void {
    const file: IdsFile = {
      version: 1,
      epoch: this.epoch,
      slotCount: this.table.slotCount,
      nextId: this.table.nextResourceId,
      entries: this.table.entries().map((e) => (this.counted.has(e.name) ? { ...e, counted: true } : e)),
      ...(this.retired.size === 0 ? {} : { retired: [...this.retired].map(([resourceId, r]) => ({ name: r.name, resourceId, atMs: r.atMs })) }),
      ...(this.previous === null ? {} : { previous: { epoch: this.previous.epoch, entries: this.previousEntries } }),
    };
    writeFileSafely(this.idsPath, `${JSON.stringify(file)}\n`);
  }

  /**
   * The id file, parsed and its placement table loaded; null when there is none, or when it cannot
   * be read or loaded (then set aside and reported: idsInvalid).
   */
  private loadIds(nowMs: number): { ids: IdsFile; table: MapSlotTable } | null {
    try {
      const ids = JSON.parse(readFileSync(this.idsPath, 'utf8')) as IdsFile;
      if (ids === null || typeof ids !== 'object' || !Number.isSafeInteger(ids.epoch) || !Array.isArray(ids.entries)) throw new Error('not an id file (epoch, entries)');
      return { ids, table: MapSlotTable.restore(ids.slotCount, ids.nextId, ids.entries) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.idsInvalid(nowMs, err);
      return null;
    }
  }

  /** The last run's map, when it matches its (loaded) id file; null otherwise. */
  private tryReuse({ ids, table }: { ids: IdsFile; table: MapSlotTable }, nowMs: number): { table: MapSlotTable; epoch: number; fd: number; previous: IdsFile['previous']; counted: Set<string>; retired: Map<number, { name: string; atMs: number }> } | null {
    let fd: number | null = null;
    try {
      fd = openSync(this.path, constants.O_RDWR | constants.O_NOFOLLOW);
      const head = new Uint8Array(MAP_HEADER_BYTES);
      readSync(fd, head, 0, MAP_HEADER_BYTES, 0);
      const header = decodeMapHeader(head);
      if (header === null || header.epoch !== ids.epoch || header.slotCount !== ids.slotCount || fstatSync(fd).size !== mapFileBytes(ids.slotCount)) throw new Error('map does not match its id file');
      const previous = ids.previous !== undefined && Number.isSafeInteger(ids.previous.epoch) && Array.isArray(ids.previous.entries) ? ids.previous : undefined;
      const counted = new Set(ids.entries.filter((e) => e.counted === true).map((e) => e.name));
      // (An id file from before retirement times: as if retired now.)
      const retired = new Map((Array.isArray(ids.retired) ? ids.retired : []).map((e) => [e.resourceId, { name: e.name, atMs: Number.isSafeInteger(e.atMs) ? e.atMs! : nowMs }] as const));
      return { table, epoch: ids.epoch, fd, previous, counted, retired };
    } catch {
      if (fd !== null) closeSync(fd);
      return null;
    }
  }
}

/**
 * A rules verdict as slot fields, always a valid slot: a ratio is clamped to [0, 1] (a ratio that is
 * not a number admits everything, as a map with no verdict would); a block without a time holds
 * until rewritten (its time is now), and a block time is clamped to [0, 2^53 − 1].
 */
export function encodeVerdict(v: Verdict, nowMs: number): { kind: VerdictKind; param: number } {
  if (v.kind === 'admit') return { kind: VerdictKind.ADMIT, param: Number.isNaN(v.ratio) ? 1 : Math.min(1, Math.max(0, v.ratio)) };
  if (v.kind === 'block') {
    const untilMs = Math.floor(v.untilMs ?? nowMs);
    return { kind: VerdictKind.BLOCK, param: untilMs >= 0 ? Math.min(untilMs, Number.MAX_SAFE_INTEGER) : Number.isNaN(untilMs) ? Math.floor(nowMs) : 0 };
  }
  return { kind: VerdictKind.PASS, param: 0 };
}

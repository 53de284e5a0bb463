// Owns the filter's side of the resource map `<pin>/map`: opening it once (and again after a
// failure, at most once per `reopenAfterMs`), reading its header, and answering a lookup with ONE
// positioned read of the name's probe window. It fails open: a missing map, a failed or short
// read, a bad header, a torn, stale or foreign slot all give PASS (a fresh BLOCK holds past its
// untilMs: the collector rewrites the slot when it reconsiders), and each is counted. Nothing
// here throws into the host. The layout is the protocol's (resource-map.ts).
// A name's verdict read from the map (a hit; no slot, or a stale one: PASS) is kept for
// `verdictCacheMs` and answered from memory in that time: a hit never past its slot's staleness
// bound, all of them dropped whenever the map is opened again (a new file or a new epoch); the
// cache is bounded like the hash cache.

import {
  decodeMapHeader,
  epochTagOf,
  lookupInWindow,
  MAP_HEADER_BYTES,
  MAP_WINDOW_BYTES,
  MapLookup,
  nameHash,
  PinLayout,
  VerdictKind,
  windowOffset,
  type LookupOptions,
  type MapHeader,
  type MapVerdict,
  type NameHash,
} from '@sentinel-wasi/protocol/encode';
import { VERDICT_PASS, type Verdict } from './verdict.js';

/** A file opened for reading. */
export interface PinFile {
  /** Up to `lengthBytes` bytes at `offsetBytes` (fewer at the end of the file); null on any error. Never throws. */
  readAt(offsetBytes: number, lengthBytes: number): Uint8Array | null;
  close(): void;
}

/** What the reader needs from its host: the clock and opening a file of the pin for reading. */
export interface MapReaderHost {
  nowMs(): number;
  /** Opens `<pin>/<path>` read-only; null when it is missing or cannot be opened. Never throws. */
  openPinFile(path: string): PinFile | null;
}

export interface MapReaderOptions {
  /** Slots refreshed longer ago than this are not trusted (default 3000 ms). */
  staleAfterMs?: number;
  /** After a failure to open or read, and while lookups find stale slots, reopen at most this often (default 1000 ms). */
  reopenAfterMs?: number;
  /**
   * Answer a name again from its last read verdict for this long (default 20 ms; 0: read the map
   * on every lookup). Failures to open or read and torn slots are not kept; a hit is never kept
   * past its slot's staleness bound.
   */
  verdictCacheMs?: number;
}

export interface MapReaderCounters {
  lookups: number;
  /** Lookups that found a fresh verdict for the name (PASS, BLOCK or ADMIT). */
  hits: number;
  /** Lookups answered PASS because the map could not be opened or its header was bad. */
  noMap: number;
  /** Positioned reads that failed or returned fewer bytes than a window. */
  readFailures: number;
  /** Lookups whose window had no slot of the name (never written, or its window was full). */
  misses: number;
  stale: number;
  /** Torn (bad checksum) slots of the names looked up (slots of other names in a window are not checked). */
  tornSlots: number;
  /** Times the map file was opened and its header read successfully. */
  opens: number;
  /** Lookups answered from the verdict cache, without a read (also counted in hits, misses or stale). */
  cached: number;
}

const FAIL_OPEN: MapVerdict = { kind: VerdictKind.PASS, param: 0, resourceId: 0, outcome: MapLookup.MISS, tornSlots: 0, refreshMs: 0 };
/** Cached name hashes; the cache starts over when full. */
const HASH_CACHE_LIMIT = 4096;
/** Cached verdicts; the cache starts over when full. */
const VERDICT_CACHE_LIMIT = 4096;

/** A verdict read from the map, answered again until `untilMs` (exclusive) by a lookup made at or after `readAtMs`. */
interface CachedVerdict {
  readonly verdict: MapVerdict;
  readonly readAtMs: number;
  readonly untilMs: number;
}

/** How long a name's verdict is answered from memory by default (the collector refreshes ruled slots every 100 ms). */
export const DEFAULT_VERDICT_CACHE_MS = 20;

export class MapReader {
  readonly counters: MapReaderCounters = { lookups: 0, hits: 0, noMap: 0, readFailures: 0, misses: 0, stale: 0, tornSlots: 0, opens: 0, cached: 0 };
  private readonly host: MapReaderHost;
  private readonly staleAfterMs: number;
  private readonly reopenAfterMs: number;
  private readonly verdictCacheMs: number;
  /** Verdicts by name, all read from the map opened now (cleared when it is opened again). */
  private readonly verdicts = new Map<string, CachedVerdict>();
  private file: PinFile | null = null;
  private header: MapHeader | null = null;
  /** What lookupInWindow is told: this map's epoch tag (set on open) and the staleness bound. */
  private readonly lookupOptions: { epochTag: number; staleAfterMs: number } & LookupOptions;
  /**
   * The epoch of the map the last lookup read (kept after the file is dropped, until another map is
   * opened): the epoch of the resource id that lookup returned. -1 before any map was opened.
   */
  epoch = -1;
  /** Whether the last lookup was answered from the verdict cache (no read). */
  lastFromCache = false;
  /** When the last open was tried; -Infinity: never. */
  private openedAtMs = Number.NEGATIVE_INFINITY;
  private readonly hashes = new Map<string, NameHash>();

  constructor(host: MapReaderHost, options: MapReaderOptions = {}) {
    this.host = host;
    this.staleAfterMs = options.staleAfterMs ?? 3000;
    this.reopenAfterMs = options.reopenAfterMs ?? 1000;
    const cacheMs = options.verdictCacheMs ?? DEFAULT_VERDICT_CACHE_MS;
    this.verdictCacheMs = Number.isFinite(cacheMs) && cacheMs > 0 ? cacheMs : 0;
    this.lookupOptions = { epochTag: 0, staleAfterMs: this.staleAfterMs };
  }

  /** The verdict for `resource`; PASS (with the reason in `outcome`) whenever the map cannot be trusted. */
  lookup(resource: string): MapVerdict {
    this.counters.lookups++;
    this.lastFromCache = false;
    try {
      if (this.verdictCacheMs === 0) return this.lookupHash(this.hashOf(resource), this.host.nowMs());
      const nowMs = this.host.nowMs();
      const c = this.verdicts.get(resource);
      if (c !== undefined && nowMs < c.untilMs && nowMs >= c.readAtMs) {
        this.counters.cached++;
        this.lastFromCache = true;
        if (c.verdict.outcome === MapLookup.HIT) this.counters.hits++;
        else if (c.verdict.outcome === MapLookup.STALE) this.counters.stale++;
        else this.counters.misses++;
        return c.verdict;
      }
      const v = this.lookupHash(this.hashOf(resource), nowMs);
      // Kept: what a window read answered (a hit; a clean miss or a stale slot, both PASS), not a
      // failure to open or read, nor a torn slot of the name (a write the next read may find
      // whole), nor a stale slot that made the reader let the file go (the next lookup reopens it).
      if (v.outcome === MapLookup.HIT || (v.tornSlots === 0 && v.outcome !== MapLookup.SHORT && this.file !== null)) {
        if (this.verdicts.size >= VERDICT_CACHE_LIMIT) this.verdicts.clear();
        // A hit is never answered from memory once its slot would read as stale (after refreshMs + staleAfterMs).
        const untilMs = v.outcome === MapLookup.HIT ? Math.min(nowMs + this.verdictCacheMs, v.refreshMs + this.staleAfterMs) : nowMs + this.verdictCacheMs;
        this.verdicts.set(resource, { verdict: v, readAtMs: nowMs, untilMs });
      }
      return v;
    } catch {
      // A host that broke its no-throw promise: fail open all the same.
      this.drop();
      this.counters.readFailures++;
      return FAIL_OPEN;
    }
  }

  /** Closes the map file (the next lookup opens it again). */
  close(): void {
    this.drop();
    this.verdicts.clear();
    this.openedAtMs = Number.NEGATIVE_INFINITY;
  }

  private lookupHash(hash: NameHash, nowMs: number): MapVerdict {
    if (this.file === null && !this.open(nowMs)) {
      this.counters.noMap++;
      return FAIL_OPEN;
    }
    const header = this.header!;
    const window = this.file!.readAt(windowOffset(hash, header.slotCount), MAP_WINDOW_BYTES);
    if (window === null || window.length < MAP_WINDOW_BYTES) {
      this.counters.readFailures++;
      this.drop();
      return FAIL_OPEN;
    }
    const v = lookupInWindow(window, hash, nowMs, this.lookupOptions);
    if (v.tornSlots !== 0) this.counters.tornSlots += v.tornSlots;
    switch (v.outcome) {
      case MapLookup.HIT:
        this.counters.hits++;
        break;
      case MapLookup.STALE:
        this.counters.stale++;
        // The collector may have recreated the map (a new file): look again at most once per reopenAfterMs.
        if (nowMs - this.openedAtMs >= this.reopenAfterMs) this.drop();
        break;
      default:
        this.counters.misses++;
    }
    return v;
  }

  private open(nowMs: number): boolean {
    if (nowMs - this.openedAtMs < this.reopenAfterMs) return false;
    this.openedAtMs = nowMs;
    const file = this.host.openPinFile(PinLayout.map);
    if (file === null) return false;
    const bytes = file.readAt(0, MAP_HEADER_BYTES);
    const header = bytes === null ? null : decodeMapHeader(bytes);
    if (header === null) {
      file.close();
      return false;
    }
    this.file = file;
    this.header = header;
    this.verdicts.clear();
    this.lookupOptions.epochTag = epochTagOf(header.epoch);
    this.epoch = header.epoch;
    this.counters.opens++;
    return true;
  }

  private drop(): void {
    if (this.file !== null) {
      try {
        this.file.close();
      } catch {
        // already gone
      }
    }
    this.file = null;
    this.header = null;
  }

  private hashOf(resource: string): NameHash {
    let h = this.hashes.get(resource);
    if (h === undefined) {
      if (this.hashes.size >= HASH_CACHE_LIMIT) this.hashes.clear();
      h = nameHash(resource);
      this.hashes.set(resource, h);
    }
    return h;
  }
}

/** The SDK's Verdict for a map lookup's result. */
export function toVerdict(v: MapVerdict): Verdict {
  if (v.kind === VerdictKind.BLOCK) return { kind: 'block', untilMs: v.param };
  if (v.kind === VerdictKind.ADMIT) return { kind: 'admit', ratio: v.param };
  return VERDICT_PASS;
}

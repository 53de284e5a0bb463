// Owns the filter's side of the resource map `<pin>/map`: opening it once (and again after a
// failure, at most once per `reopenAfterMs`), reading its header, and answering a lookup from a
// positioned read. It fails open: a missing map, a failed or short read, a bad header, a torn,
// stale or foreign slot, and an idle PASS slot, all give PASS (a fresh BLOCK holds past its
// untilMs: the collector rewrites the slot when it reconsiders), and each is counted. Nothing here throws into the host. The
// layout is the protocol's (resource-map.ts).
// A name's verdict read from the map (a hit; no slot, or a stale or idle one: PASS) is kept for
// `verdictCacheMs` and answered from memory in that time: a hit never past its slot's staleness
// bound, all of them dropped whenever the map is opened again (a new file or a new epoch). Each
// name has one entry (its hash, its kept verdict and the SDK's Verdict for it), bounded in number.
// How a name's verdict is read adapts to how often the map is read: one positioned read of the
// name's probe window (192 bytes); or, once a filter has read snapshotAfterReads() windows within
// one verdictCacheMs (16, more for a large map), one read of the whole slot array (a snapshot, at most `snapshotMaxBytes`)
// that answers every name looked up in the next verdictCacheMs, refreshed while it keeps answering
// that many. An answer from the snapshot is kept only until verdictCacheMs after the snapshot was
// read: no answer comes from bytes read longer ago than that.

import {
  decodeMapHeader,
  epochTagOf,
  lookupInWindow,
  MAP_HEADER_BYTES,
  MAP_WINDOW_BYTES,
  lookupInSlots,
  MapLookup,
  mapFileBytes,
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
  /** Up to `lengthBytes` bytes at `offsetBytes` (fewer at the end of the file, or when the host caps one read); null on any error. Never throws. */
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
  /**
   * The largest slot array read whole (a snapshot) when lookups are frequent (default 1 MiB: a map
   * of up to 21 842 slots); a larger map is always read one window at a time. 0: never.
   */
  snapshotMaxBytes?: number;
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
  /** Lookups that found the name's BLOCK or ADMIT slot not refreshed within staleAfterMs: the collector stopped refreshing it (fail open). */
  stale: number;
  /**
   * Lookups that found the name's PASS slot older than staleAfterMs: the collector writes a PASS
   * slot once and leaves it alone, so this is the usual answer for a name no rule governs.
   */
  idle: number;
  /** Torn (bad checksum) slots of the names looked up (slots of other names in a window are not checked). */
  tornSlots: number;
  /** Times the map file was opened and its header read successfully. */
  opens: number;
  /** Lookups answered from the verdict cache, without a read (also counted in hits, misses or stale). */
  cached: number;
  /** Reads of the whole slot array (snapshots); lookups answered from one are counted in hits, misses or stale. */
  snapshots: number;
}

const FAIL_OPEN: MapVerdict = { kind: VerdictKind.PASS, param: 0, resourceId: 0, outcome: MapLookup.MISS, tornSlots: 0, refreshMs: 0 };
/** Names with an entry (hash, kept verdict); the entries start over when full. */
const NAME_ENTRY_LIMIT = 4096;
/**
 * Window reads within one verdictCacheMs (or answers from one snapshot) that make the next lookups
 * read a snapshot: at least SNAPSHOT_AFTER_READS, and one more per SNAPSHOT_BYTES_PER_READ of the
 * slot array (a larger map costs more to read whole: 49 reads for a 16 384-slot map).
 */
export const SNAPSHOT_AFTER_READS = 16;
export const SNAPSHOT_BYTES_PER_READ = 16_384;

/** The window reads (or snapshot answers) in one verdictCacheMs after which a slot array of `slotBytes` is read whole. */
export function snapshotAfterReads(slotBytes: number): number {
  return Math.max(SNAPSHOT_AFTER_READS, Math.ceil(slotBytes / SNAPSHOT_BYTES_PER_READ));
}
/** The most bytes asked of one read of a snapshot (wasmtime returns at most this much a read anyway). */
const SNAPSHOT_READ_BYTES = 65_536;
/** Default snapshotMaxBytes. */
export const DEFAULT_SNAPSHOT_MAX_BYTES = 1 << 20;

/** A name's hash and its last read verdict, answered again until `untilMs` (exclusive) by a lookup made at or after `readAtMs`. */
interface NameEntry {
  readonly hash: NameHash;
  verdict: MapVerdict;
  /** The SDK's Verdict for `verdict` (made once per read). */
  sdk: Verdict;
  readAtMs: number;
  /** -Infinity: nothing kept. */
  untilMs: number;
  /** The map opening the kept verdict was read from (kept verdicts of an earlier one are not answered). */
  opening: number;
}

/** How long a name's verdict is answered from memory by default (the collector refreshes ruled slots every 100 ms). */
export const DEFAULT_VERDICT_CACHE_MS = 20;

export class MapReader {
  readonly counters: MapReaderCounters = { lookups: 0, hits: 0, noMap: 0, readFailures: 0, misses: 0, stale: 0, idle: 0, tornSlots: 0, opens: 0, cached: 0, snapshots: 0 };
  private readonly host: MapReaderHost;
  private readonly staleAfterMs: number;
  private readonly reopenAfterMs: number;
  private readonly verdictCacheMs: number;
  private readonly snapshotMaxBytes: number;
  /** Entries by name. */
  private readonly entries = new Map<string, NameEntry>();
  private file: PinFile | null = null;
  private header: MapHeader | null = null;
  /** Counts successful opens: an entry's kept verdict is answered only while it is the current one. */
  private opening = 0;
  /** What lookupInWindow is told: this map's epoch tag (set on open) and the staleness bound. */
  private readonly lookupOptions: { epochTag: number; staleAfterMs: number } & LookupOptions;
  /**
   * The epoch of the map the last lookup read (kept after the file is dropped, until another map is
   * opened): the epoch of the resource id that lookup returned. -1 before any map was opened.
   */
  epoch = -1;
  /** Whether the last lookup was answered from the verdict cache (no read). */
  lastFromCache = false;
  /** The SDK's Verdict for what the last lookup returned. */
  lastVerdict: Verdict = VERDICT_PASS;
  /** When the last open was tried; -Infinity: never. */
  private openedAtMs = Number.NEGATIVE_INFINITY;
  /** When the bytes the last read answered from were read (the lookup's time, or the snapshot's). */
  private answeredReadAtMs = 0;
  /** Window reads since periodStartMs (a period lasts verdictCacheMs). */
  private periodStartMs = Number.NEGATIVE_INFINITY;
  private periodReads = 0;
  /** The whole slot array as read at snapshotAtMs (file offset MAP_HEADER_BYTES), or null. */
  private snapshot: Uint8Array | null = null;
  private snapshotAtMs = 0;
  /** Lookups the snapshot answered. */
  private snapshotAnswers = 0;
  /** Where snapshots are read into (kept while the reader lives; close() lets it go). */
  private snapshotBuffer: Uint8Array | null = null;
  /** Set when a snapshot read of the file opened now failed: windows only until the next open. */
  private snapshotsOff = false;

  constructor(host: MapReaderHost, options: MapReaderOptions = {}) {
    this.host = host;
    this.staleAfterMs = options.staleAfterMs ?? 3000;
    this.reopenAfterMs = options.reopenAfterMs ?? 1000;
    const cacheMs = options.verdictCacheMs ?? DEFAULT_VERDICT_CACHE_MS;
    this.verdictCacheMs = Number.isFinite(cacheMs) && cacheMs > 0 ? cacheMs : 0;
    const maxBytes = options.snapshotMaxBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES;
    this.snapshotMaxBytes = maxBytes >= 0 ? maxBytes : 0;
    this.lookupOptions = { epochTag: 0, staleAfterMs: this.staleAfterMs };
  }

  /**
   * The verdict for `resource`; PASS (with the reason in `outcome`) whenever the map cannot be
   * trusted. `nowMs`: the host's clock read just now by the caller (default: read here).
   */
  lookup(resource: string, nowMs?: number): MapVerdict {
    this.counters.lookups++;
    try {
      if (nowMs === undefined) nowMs = this.host.nowMs();
      let e = this.entries.get(resource);
      if (e === undefined) {
        if (this.entries.size >= NAME_ENTRY_LIMIT) this.entries.clear();
        e = { hash: nameHash(resource), verdict: FAIL_OPEN, sdk: VERDICT_PASS, readAtMs: 0, untilMs: Number.NEGATIVE_INFINITY, opening: 0 };
        this.entries.set(resource, e);
      } else if (nowMs < e.untilMs && nowMs >= e.readAtMs && e.opening === this.opening) {
        const v = e.verdict;
        this.counters.cached++;
        this.countOutcome(v.outcome);
        this.lastFromCache = true;
        this.lastVerdict = e.sdk;
        return v;
      }
      this.lastFromCache = false;
      const v = this.read(e.hash, nowMs);
      const sdk = toVerdict(v);
      this.lastVerdict = sdk;
      // Kept: what a read answered (a hit; a clean miss, a stale or an idle slot, all PASS), not a failure
      // to open or read, nor a torn slot of the name (a write the next read may find whole), nor a
      // stale or idle slot that made the reader let the file go (the next lookup reopens it).
      // Nor an ADMIT of ratio 0: a concurrency rule stopped at its count is opened again by the
      // collector as soon as an exit leaves room, and the next request must see that, not 20 ms of 429s.
      if (this.verdictCacheMs > 0 && !(v.kind === VerdictKind.ADMIT && v.param === 0) && (v.outcome === MapLookup.HIT || (v.tornSlots === 0 && v.outcome !== MapLookup.SHORT && this.file !== null))) {
        const readAtMs = this.answeredReadAtMs;
        // Never past verdictCacheMs after the bytes were read, nor once a hit's slot would read as
        // stale (after refreshMs + staleAfterMs).
        const periodEndMs = readAtMs + this.verdictCacheMs;
        e.verdict = v;
        e.sdk = sdk;
        e.readAtMs = readAtMs;
        e.untilMs = v.outcome === MapLookup.HIT ? Math.min(periodEndMs, v.refreshMs + this.staleAfterMs) : periodEndMs;
        e.opening = this.opening;
      } else {
        e.untilMs = Number.NEGATIVE_INFINITY;
      }
      return v;
    } catch {
      // A host that broke its no-throw promise: fail open all the same.
      this.drop();
      this.counters.readFailures++;
      this.lastFromCache = false;
      this.lastVerdict = VERDICT_PASS;
      return FAIL_OPEN;
    }
  }

  /** Closes the map file (the next lookup opens it again). */
  close(): void {
    this.drop();
    this.snapshotBuffer = null;
    this.opening++;
    this.openedAtMs = Number.NEGATIVE_INFINITY;
  }

  /** Bytes this reader holds as a snapshot of the slot array (0: none). */
  get snapshotBytes(): number {
    return this.snapshot === null ? 0 : this.snapshot.length;
  }

  /** The verdict for `hash` read now: from the snapshot when there is one to use, else from its window. */
  private read(hash: NameHash, nowMs: number): MapVerdict {
    if (this.file === null && !this.open(nowMs)) {
      this.counters.noMap++;
      return FAIL_OPEN;
    }
    const windowAt = windowOffset(hash, this.header!.slotCount);
    const snapshot = this.snapshotFor(nowMs);
    let v: MapVerdict;
    if (snapshot !== null) {
      this.snapshotAnswers++;
      this.answeredReadAtMs = this.snapshotAtMs;
      v = lookupInSlots(snapshot, windowAt - MAP_HEADER_BYTES, hash, nowMs, this.lookupOptions);
    } else {
      const window = this.file!.readAt(windowAt, MAP_WINDOW_BYTES);
      if (window === null || window.length < MAP_WINDOW_BYTES) {
        this.counters.readFailures++;
        this.drop();
        return FAIL_OPEN;
      }
      this.periodReads++;
      this.answeredReadAtMs = nowMs;
      v = lookupInWindow(window, hash, nowMs, this.lookupOptions);
    }
    if (v.tornSlots !== 0) this.counters.tornSlots += v.tornSlots;
    this.countOutcome(v.outcome);
    if ((v.outcome === MapLookup.STALE || v.outcome === MapLookup.IDLE) && nowMs - this.openedAtMs >= this.reopenAfterMs) {
      // The collector may have recreated the map (a new file): look again at most once per reopenAfterMs.
      this.drop();
    }
    return v;
  }

  /** Counts how a lookup that read the map (or its kept answer) ended: hits, stale, idle, or misses. */
  private countOutcome(outcome: MapLookup): void {
    if (outcome === MapLookup.HIT) this.counters.hits++;
    else if (outcome === MapLookup.STALE) this.counters.stale++;
    else if (outcome === MapLookup.IDLE) this.counters.idle++;
    else this.counters.misses++;
  }

  /**
   * The snapshot to answer from now: the current one while it is younger than verdictCacheMs; a
   * new one when the filter reads often (snapshotAfterReads() window reads in this period, or as
   * many answers from the snapshot that just expired) and the slot array fits snapshotMaxBytes;
   * else null (read the window). A snapshot read that fails or finds the file shorter than its
   * header says is counted in readFailures, and this file is read one window at a time from then on.
   */
  private snapshotFor(nowMs: number): Uint8Array | null {
    const cacheMs = this.verdictCacheMs;
    if (cacheMs === 0) return null;
    const old = this.snapshot;
    if (old !== null) {
      if (nowMs >= this.snapshotAtMs && nowMs < this.snapshotAtMs + cacheMs) return old;
      this.snapshot = null;
    }
    if (nowMs - this.periodStartMs >= cacheMs || nowMs < this.periodStartMs) {
      this.periodStartMs = nowMs;
      this.periodReads = 0;
    }
    const slotBytes = mapFileBytes(this.header!.slotCount) - MAP_HEADER_BYTES;
    const afterReads = snapshotAfterReads(slotBytes);
    // Still hot: the snapshot that just expired answered as many lookups, and expired only now.
    const stillHot = old !== null && this.snapshotAnswers >= afterReads && nowMs >= this.snapshotAtMs && nowMs < this.snapshotAtMs + 2 * cacheMs;
    if (!stillHot && this.periodReads < afterReads) return null;
    if (slotBytes > this.snapshotMaxBytes || this.snapshotsOff) return null;
    // One buffer per map size, reused by every snapshot (answers keep decoded verdicts, not bytes).
    let bytes = this.snapshotBuffer;
    if (bytes === null || bytes.length !== slotBytes) bytes = this.snapshotBuffer = new Uint8Array(slotBytes);
    if (!readInto(this.file!, MAP_HEADER_BYTES, bytes)) {
      this.counters.readFailures++;
      this.snapshotsOff = true;
      return null;
    }
    this.counters.snapshots++;
    this.snapshot = bytes;
    this.snapshotAtMs = nowMs;
    this.snapshotAnswers = 0;
    this.periodReads = 0;
    return bytes;
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
    this.opening++;
    this.snapshotsOff = false;
    this.lookupOptions.epochTag = epochTagOf(header.epoch);
    this.epoch = header.epoch;
    this.counters.opens++;
    return true;
  }

  /** Lets the file (and its snapshot) go. */
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
    this.snapshot = null;
  }
}

/**
 * Fills `out` with the file's bytes from `offsetBytes` on, in reads of at most SNAPSHOT_READ_BYTES
 * (a host may return fewer bytes than asked, and one large read costs a large allocation on each
 * side of the host call); false when a read fails or the file ends first.
 */
function readInto(file: PinFile, offsetBytes: number, out: Uint8Array): boolean {
  let got = 0;
  while (got < out.length) {
    const more = file.readAt(offsetBytes + got, Math.min(SNAPSHOT_READ_BYTES, out.length - got));
    if (more === null || more.length === 0) return false;
    const take = Math.min(more.length, out.length - got);
    out.set(take === more.length ? more : more.subarray(0, take), got);
    got += take;
  }
  return true;
}

/** The SDK's Verdict for a map lookup's result (frozen: the reader answers the same object again from its cache). */
export function toVerdict(v: MapVerdict): Verdict {
  if (v.kind === VerdictKind.BLOCK) return Object.freeze({ kind: 'block', untilMs: v.param });
  if (v.kind === VerdictKind.ADMIT) return Object.freeze({ kind: 'admit', ratio: v.param });
  return VERDICT_PASS;
}

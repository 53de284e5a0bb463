// Owns the filter-side recorder: deciding an entry with the collector's verdict (resource map),
// naming a resource by the resource id of its map slot when it has one (ids of one map epoch, kept
// per name while the epoch lasts; names without an id go inline and are looked up again after a
// second), validating calls, buffering
// records into one bounded frame,
// flushing whole frames (one append each) when the frame is full, on flush(), when the last
// open entry exits, and when an entry of a resource under a rule is admitted (so the collector
// counts it in flight); keeping the admitted entries not yet exited (a list in the order they were
// opened), so that the end of a request or run (lifecycle.ts) can exit those left open; dropping
// and counting what cannot be written, and reporting those counts in the next WRITER record.
// Platform access goes through a FilterHost only, so this file runs the same in a component and
// in plain Node.

import { FrameBuilder, MapLookup, type ResourceRef, MAX_FRAME_BYTES, MAX_NAME_BYTES, RecordKind, bucketSecOf, isValidWriterId, mapKeyOf, segmentName, utf8Length, SHARED_WRITER } from '@sentinel-wasi/protocol/encode';
import { FilterError, FilterErrorCode, frameBuilderError } from './errors.js';
import type { FilterHost } from './host.js';
import { MapReader, type MapReaderCounters, type MapReaderHost, type MapReaderOptions } from './map-reader.js';
import { Admission } from './admission.js';
import { VERDICT_PASS, mostRestrictive, type Verdict } from './verdict.js';

export interface SentinelOptions {
  /** Writer id used in segment names and WRITER records: `[a-z0-9_-]{1,32}` (default `shared`). */
  writer?: string;
  /** Largest frame, header included: 64..4096 (default 4096). */
  maxFrameBytes?: number;
  /**
   * Flush when the last open entry exits, i.e. at the end of each request (default true).
   * Turn off to batch across requests in a long-lived instance, then call flush() yourself.
   */
  flushOnIdle?: boolean;
  /**
   * Uniform numbers in [0, 1) for `admit` verdicts: one draw per resource (or resource + origin)
   * starts its admission credit (admission.ts). Default: the host's (the WASI host's is seeded
   * when first used, at run time: an engine's Math.random can repeat the same numbers in every
   * run of a component built from a snapshot), else Math.random.
   */
  random?: () => number;
  /** Map slots refreshed longer ago than this read as PASS (default 3000 ms; a finite number > 0). */
  mapStaleAfterMs?: number;
  /**
   * Answer a resource's verdict from the last read of its map slot for this long (default 20 ms;
   * 0: read the map at every entry). A verdict is acted on at most this long after it was read.
   */
  verdictCacheMs?: number;
  /**
   * Say the first failed append on the host's warn line (the WASI host: stderr), once per
   * recorder, so once per instance (default true). Turn off where drops are expected, e.g. a pin
   * preopened read-only on purpose under a fresh instance per request.
   */
  warnOnDrop?: boolean;
}

export interface EntryOptions {
  /** The caller's origin (Sentinel's limitApp / origin), recorded with the entry and its exit. */
  origin?: string;
  /** Events this entry stands for (default 1). */
  count?: number;
}

export interface ExitOptions {
  /** The call ended in a business error (counts as an exception). */
  error?: boolean;
}

export interface RecordOptions {
  /** Event time, epoch ms (default: now). */
  tsMs?: number;
  origin?: string;
  /** Events the record stands for (PASS, BLOCK, EXIT; default 1). A CALL is one call: any other count throws E_BAD_ARGUMENT. */
  count?: number;
  /** EXIT and CALL: the call ended in a business error. */
  error?: boolean;
}

/** What the recorder has done so far (all counts since it was created). */
export interface SentinelStats {
  /** Flow records (not WRITER records) waiting in the buffer. */
  recordsBuffered: number;
  recordsWritten: number;
  framesWritten: number;
  /** Flow records and frames that could not be written. */
  recordsDropped: number;
  framesDropped: number;
  /** Drops not yet reported in a WRITER record that reached the log. */
  unreportedRecordsDropped: number;
  unreportedFramesDropped: number;
  /** Entries not yet exited. */
  openEntries: number;
  /**
   * Entries left open by the request or run that opened them and exited when it ended
   * (httpHandler()/command(), through exitOpenEntries()): each is a PASS whose EXIT the filter
   * did not record itself. Not 0: a code path of the filter skips exit(), or throws after entry().
   */
  entriesExitedAtEnd: number;
  /** Entries refused by the verdict (each recorded as a BLOCK). */
  entriesBlocked: number;
  /** The resource map reader's counters (lookups, hits, fail-open reasons). */
  map: MapReaderCounters | null;
}

/**
 * What entry() returns. When the verdict rejects the request, `blocked` is true, a BLOCK was
 * recorded, and exit() does nothing (returns 0); the caller answers the rejection (e.g. 429).
 * Otherwise a PASS was recorded and exit() must be called exactly once. An admitted entry still
 * open when the httpHandler() request or command() run that opened it ends is exited then
 * (error: true if the body threw); calling its exit() after that throws E_ALREADY_EXITED.
 */
export interface Entry {
  /** True when the request was rejected: do not do the work. */
  readonly blocked: boolean;
  /** The verdict the decision was made with. */
  readonly verdict: Verdict;
  readonly resource: string;
  readonly origin: string | undefined;
  readonly count: number;
  readonly startMs: number;
  /** Records the exit with its response time; returns that time in ms. */
  exit(options?: ExitOptions): number;
}

/**
 * The checks of a name that need no call: a non-empty string of at most MAX_NAME_BYTES / 3 UTF-16
 * units is valid (each unit is at most 3 UTF-8 bytes); anything else goes to checkName. Written
 * `(name.length - 1) >>> 0 >= SHORT_NAME_UNITS` (0 wraps to 2^32 − 1): one length read, where
 * inside QuickJS each read and comparison costs about 150 instructions.
 */
const SHORT_NAME_UNITS = Math.floor(MAX_NAME_BYTES / 3);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * How long a name without an id is named inline before the map is read again for it; also how
 * often the record helpers read the map once to notice a new map epoch (an id stays valid for its
 * epoch: ids are never reused within one, and a counted resource keeps its id).
 */
const ID_CACHE_MS = 1000;
/** Names whose id is kept; the cache starts over when full. */
const ID_CACHE_LIMIT = 4096;

/**
 * Admitted entries opened so far, by every recorder of this module: each OpenEntry takes the next
 * number, so that the end of a request exits only the entries opened since it started.
 */
let entriesOpened = 0;

/** @internal The number the last admitted entry took (lifecycle.ts marks a request's start with it). */
export function entryMark(): number {
  return entriesOpened;
}

export class Sentinel {
  readonly writer: string;
  private readonly host: FilterHost;
  /**
   * The host's clock: Date.now itself when the host's is (the WASI host's), called without the
   * host's property read on every record; else a call of the host's method.
   */
  private readonly nowMs: () => number;
  private readonly builder: FrameBuilder;
  private readonly flushOnIdle: boolean;
  private openEntries = 0;
  private recordsWritten = 0;
  private framesWritten = 0;
  private recordsDropped = 0;
  private framesDropped = 0;
  private unreportedRecords = 0;
  private unreportedFrames = 0;
  /** The WRITER counts carried by the frame in the builder, if it carries one. */
  private reportedRecords = 0;
  private reportedFrames = 0;
  private carriesWriter = false;
  /**
   * The builder is empty and drops are unreported: the next record starts a frame that leads with
   * a WRITER record. Kept wherever the builder empties or the unreported counts grow, so that a
   * record helper asks one field instead of the builder's state and the counts.
   */
  private writerDue = false;
  /** A failed append was said on the host's warn line (once per recorder), or is not to be (warnOnDrop false). */
  private dropsWarned = false;
  private entriesBlocked = 0;
  private entriesExitedAtEnd = 0;
  /** The admitted entries not yet exited, in the order they were opened: the last one (a linked list). */
  private lastOpen: OpenEntry | null = null;
  private readonly admission: Admission;
  private readonly map: MapReader | null;
  /**
   * Resource ids by name, all of map epoch idEpoch (the builder's); a negative value -1 - t: the
   * name had no slot when looked up at time t.
   */
  private ids: Record<string, number> = newIdCache();
  private idsCount = 0;
  private idEpoch = -1;
  /**
   * The current ID_CACHE_MS period (its first record helper reads the map once), as the exclusive
   * bounds start ∓ ID_CACHE_MS around its start: a time strictly between them is in the period (two
   * comparisons on the record helpers' hot path). It starts at 0.
   */
  private idsFromMs = -ID_CACHE_MS;
  private idsUntilMs = ID_CACHE_MS;
  /** The builder's id window (onIdWindow): the times a record by id goes to its ...InIdWindow calls. */
  private idWindowFromMs = Infinity;
  private idWindowUntilMs = -Infinity;
  /**
   * The times strictly between these two (the id cache's period within the builder's id window; an
   * empty window while the frame has no id of the current epoch, and so while a WRITER record is
   * due, which only an empty frame takes) are the usual record's: a cached id is written by the
   * builder's InIdWindow call, and the record helpers test its time once. Kept by usualWindow.
   */
  private usualAfterMs = Infinity;
  private usualUntilMs = -Infinity;
  /** The resource id the last lookup found for the resource itself (0: none). */
  private lookupId = 0;
  /** The map key whose verdict the last lookup returned (the resource's, or its origin's). */
  private lookupKey = '';
  /**
   * Whether the last lookup found a fresh slot (the resource's or its origin's): the collector
   * refreshes the slots of resources under a rule every tick, so their admitted entries are
   * written at once (it counts them in flight).
   */
  private lookupFresh = false;
  /** Whether the last lookup was answered from the verdict cache alone (no read of the map). */
  private lookupCached = true;

  constructor(host: FilterHost, options: SentinelOptions = {}) {
    const writer = options.writer ?? SHARED_WRITER;
    if (typeof writer !== 'string' || !isValidWriterId(writer)) {
      throw new FilterError(FilterErrorCode.BAD_OPTION, `writer must match [a-z0-9_-]{1,32}, got ${JSON.stringify(writer)}`);
    }
    const max = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 64 || max > MAX_FRAME_BYTES) {
      throw new FilterError(FilterErrorCode.BAD_OPTION, `maxFrameBytes must be an integer in [64, ${MAX_FRAME_BYTES}], got ${shown(max)}`);
    }
    this.writer = writer;
    this.host = host;
    this.nowMs = host.nowMs === Date.now ? Date.now : () => host.nowMs();
    this.builder = new FrameBuilder({
      maxFrameBytes: max,
      errorOf: frameBuilderError,
      onIdWindow: (fromMs, untilMs) => {
        this.idWindowFromMs = fromMs;
        this.idWindowUntilMs = untilMs;
        this.usualWindow();
      },
    });
    this.flushOnIdle = options.flushOnIdle ?? true;
    const warnOnDrop = options.warnOnDrop ?? true;
    if (typeof warnOnDrop !== 'boolean') throw new FilterError(FilterErrorCode.BAD_OPTION, `warnOnDrop must be a boolean, got ${shown(warnOnDrop)}`);
    // (Turned off: as if it had been said already.)
    this.dropsWarned = !warnOnDrop;
    // (The host's source bound to it: Admission calls it on its own.)
    this.admission = new Admission(options.random ?? (typeof host.random === 'function' ? host.random.bind(host) : Math.random));
    // The host itself is the reader's host (its clock and file opens called directly, no wrapper).
    this.map = typeof host.openPinFile === 'function' ? new MapReader(host as MapReaderHost, mapReaderOptions(options)) : null;
  }

  /**
   * Decides with the resource's verdict (and its origin's): admitted, records a PASS now and
   * returns the handle whose exit() records the EXIT with its RT; rejected, records a BLOCK and
   * returns an entry with `blocked: true`. An `admit` ratio decides by error diffusion per resource (or per resource + origin when the origin's verdict is the one applied): admission.ts.
   */
  entry(resource: string, options?: EntryOptions): Entry {
    if (typeof resource !== 'string' || (resource.length - 1) >>> 0 >= SHORT_NAME_UNITS) checkName('resource', resource);
    let origin: string | undefined;
    let count = 1;
    if (options !== undefined) {
      origin = options.origin;
      if (origin !== undefined && (typeof origin !== 'string' || (origin.length - 1) >>> 0 >= SHORT_NAME_UNITS)) checkName('origin', origin);
      if (options.count !== undefined) {
        count = options.count;
        checkCount(count);
      }
    }
    // One clock read for the lookups and the record, and another when a lookup read the map: the
    // entry starts after the filter's own read (the first one opens the map), not before it.
    let startMs = this.nowMs();
    const verdict = this.lookup(resource, origin, startMs);
    if (this.map !== null && !this.lookupCached) startMs = Math.max(startMs, this.nowMs());
    const id = this.lookupId;
    const ref = id > 0 ? id : resource;
    if (verdict.kind === 'block' || (verdict.kind === 'admit' && !this.admission.admit(this.lookupKey, verdict.ratio))) {
      this.entriesBlocked++;
      this.add(RecordKind.BLOCK, startMs, ref, 0, false, count, origin);
      if (this.flushOnIdle && this.openEntries === 0) this.flush();
      return new BlockedEntry(verdict, resource, origin, count, startMs);
    }
    this.add(RecordKind.PASS, startMs, ref, 0, false, count, origin);
    this.openEntries++;
    const open = new OpenEntry(this, verdict, resource, origin, count, startMs, id, this.idEpoch, ++entriesOpened);
    open.prev = this.lastOpen;
    if (this.lastOpen !== null) this.lastOpen.next = open;
    this.lastOpen = open;
    // A resource under a rule: its PASS goes out now, so the collector sees the entry in flight (a
    // concurrency rule counts it) instead of with its EXIT at the end of the request.
    if (this.flushOnIdle && this.lookupFresh) this.flush();
    return open;
  }

  /**
   * Exits the admitted entries still open (those opened after `openedAfter`, an entryMark(); all
   * by default), the last opened first, each with its EXIT at now (RT to now) and `error`; a
   * later exit() of one of them throws E_ALREADY_EXITED. Returns how many it exited (counted in
   * stats().entriesExitedAtEnd). httpHandler() and command() call it for every registered
   * recorder when the request or run ends: error is true when the body threw. Never throws: an
   * EXIT the encoder refuses (a name that only just fits a tiny maxFrameBytes) is counted as dropped.
   */
  exitOpenEntries(error: boolean, openedAfter = 0): number {
    let exited = 0;
    for (let e = this.lastOpen; e !== null && e.seq > openedAfter; e = this.lastOpen) {
      e.exitedAtEnd();
      exited++;
      try {
        this.exitEntry(e, error);
      } catch {
        this.recordsDropped++;
        this.unreportedRecords++;
        if (this.builder.isEmpty) this.writerDue = true;
      }
    }
    this.entriesExitedAtEnd += exited;
    return exited;
  }

  /** @internal Called by OpenEntry.exit(): records the EXIT and flushes when no entry is left open. */
  exitEntry(entry: OpenEntry, error: boolean): number {
    this.openEntries--;
    // Out of the open list (before anything that could throw).
    if (entry.next !== null) entry.next.prev = entry.prev;
    else this.lastOpen = entry.prev;
    if (entry.prev !== null) entry.prev.next = entry.next;
    entry.prev = entry.next = null;
    // An exit never precedes its entry, even when the wall clock steps back.
    const endMs = Math.max(this.nowMs(), entry.startMs);
    const rtMs = endMs - entry.startMs;
    // The entry's id, while the frames are still of its map epoch; else its name.
    const ref = entry.resourceId > 0 && entry.idEpoch === this.idEpoch ? entry.resourceId : entry.resource;
    this.add(RecordKind.EXIT, endMs, ref, rtMs, error, entry.count, entry.origin);
    if (this.flushOnIdle && this.openEntries === 0) this.flush();
    return rtMs;
  }

  /** PASS: `count` admitted entries (their exits are recorded separately). */
  recordPass(resource: string, options?: RecordOptions): void {
    this.record(RecordKind.PASS, resource, 0, options);
  }

  /**
   * BLOCK: `count` rejected entries. The positional form `recordBlock(resource, origin)` records one
   * at now with no options object to make (the cheaper call in a hot loop).
   */
  recordBlock(resource: string, options?: RecordOptions): void;
  recordBlock(resource: string, origin?: string): void;
  recordBlock(resource: string, options?: RecordOptions | string): void {
    if (typeof options === 'object') {
      this.record(RecordKind.BLOCK, resource, 0, options);
      return;
    }
    // One BLOCK at now (the positional form, or no options): no options object to read.
    if (typeof resource !== 'string') checkName('resource', resource);
    // A name with an id in the id cache was checked when it was first given: only others are measured.
    // (undefined when the cache has no entry: typed as a number, since every comparison with undefined is false.)
    const cachedId = this.ids[resource] as number;
    if (!(cachedId > 0) && (resource.length - 1) >>> 0 >= SHORT_NAME_UNITS) checkName('resource', resource);
    const origin = options;
    if (origin !== undefined && (typeof origin !== 'string' || (origin.length - 1) >>> 0 >= SHORT_NAME_UNITS)) checkName('origin', origin);
    const tsMs = this.nowMs();
    // The id cache's answer in the usual window (the usual case), or in this period, else refOf.
    if (cachedId > 0) {
      if (tsMs < this.usualUntilMs && tsMs > this.usualAfterMs) {
        // Named by its id, the arguments checked above: the builder's call that does not check them (nor the time) again.
        if (!this.builder.addBlockInIdWindow(tsMs, cachedId, origin)) this.addToNextFrame(RecordKind.BLOCK, tsMs, cachedId, 0, false, 1, origin);
        return;
      }
      if (this.writerDue) this.addWriter(tsMs);
      if (tsMs < this.idsUntilMs && tsMs > this.idsFromMs) {
        if (!this.builder.addBlockOfId(tsMs, cachedId, origin)) this.addToNextFrame(RecordKind.BLOCK, tsMs, cachedId, 0, false, 1, origin);
        return;
      }
    } else if (this.writerDue) this.addWriter(tsMs);
    const ref = this.refOf(resource, tsMs);
    if (!this.builder.addBlock(tsMs, ref, 1, origin)) this.addToNextFrame(RecordKind.BLOCK, tsMs, ref, 0, false, 1, origin);
  }

  /** EXIT: `count` admitted entries finished at tsMs after rtMs. */
  recordExit(resource: string, rtMs: number, options?: RecordOptions): void {
    checkRt(rtMs);
    this.record(RecordKind.EXIT, resource, rtMs, options);
  }

  /**
   * CALL: one entry and its exit at once; tsMs is the entry time. The hot path of a batching
   * filter, written out in full (no call but the clock, refOf and the encoder's). The positional
   * form `recordCall(resource, rtMs, error, origin?)` records one at now with no options object to
   * make (the cheaper call in a hot loop).
   */
  recordCall(resource: string, rtMs: number, options?: RecordOptions): void;
  recordCall(resource: string, rtMs: number, error: boolean, origin?: string): void;
  recordCall(resource: string, rtMs: number, options?: RecordOptions | boolean, origin?: string): void {
    if (typeof resource !== 'string') checkName('resource', resource);
    // A name with an id in the id cache was checked when it was first given: only others are measured.
    // (undefined when the cache has no entry: typed as a number, since every comparison with undefined is false.)
    const cachedId = this.ids[resource] as number;
    if (!(cachedId > 0) && (resource.length - 1) >>> 0 >= SHORT_NAME_UNITS) checkName('resource', resource);
    if (rtMs >>> 0 !== rtMs) checkRt(rtMs);
    let tsMs: number;
    // The positional form's arguments are used as they are (`options` is the error flag); the
    // options form is read into them (no local copies on the hot path: each costs an operation).
    if (options === false || options === true) {
      if (origin !== undefined && (typeof origin !== 'string' || (origin.length - 1) >>> 0 >= SHORT_NAME_UNITS)) checkName('origin', origin);
      tsMs = this.nowMs();
    } else {
      let atMs: number | undefined;
      let error = false;
      origin = undefined;
      if (options !== undefined) {
        if (options.count !== undefined && options.count !== 1) {
          throw new FilterError(FilterErrorCode.BAD_ARGUMENT, 'a CALL record stands for exactly one call (count must be 1)');
        }
        origin = options.origin;
        if (origin !== undefined && (typeof origin !== 'string' || (origin.length - 1) >>> 0 >= SHORT_NAME_UNITS)) checkName('origin', origin);
        atMs = options.tsMs;
        if (options.error !== undefined && typeof options.error !== 'boolean') checkError(options.error);
        error = options.error === true;
      }
      options = error;
      if (atMs === undefined) tsMs = this.nowMs();
      else {
        checkTs(atMs);
        tsMs = atMs;
      }
    }
    // The id cache's answer in the usual window (the usual case), or in this period, else refOf.
    if (cachedId > 0) {
      if (tsMs < this.usualUntilMs && tsMs > this.usualAfterMs) {
        // Named by its id, the arguments checked above: the builder's call that does not check them (nor the time) again.
        if (!this.builder.addCallInIdWindow(tsMs, cachedId, rtMs, options, origin)) this.addToNextFrame(RecordKind.CALL, tsMs, cachedId, rtMs, options, 1, origin);
        return;
      }
      if (this.writerDue) this.addWriter(tsMs);
      if (tsMs < this.idsUntilMs && tsMs > this.idsFromMs) {
        if (!this.builder.addCallOfId(tsMs, cachedId, rtMs, options, origin)) this.addToNextFrame(RecordKind.CALL, tsMs, cachedId, rtMs, options, 1, origin);
        return;
      }
    } else if (this.writerDue) this.addWriter(tsMs);
    const ref = this.refOf(resource, tsMs);
    if (!this.builder.addCall(tsMs, ref, rtMs, options, origin)) this.addToNextFrame(RecordKind.CALL, tsMs, ref, rtMs, options, 1, origin);
  }

  /**
   * The collector's verdict for a resource (with an origin: the more restrictive of the resource's
   * and that origin's), read from the resource map now; PASS when the map cannot vouch for one.
   * Records nothing.
   */
  verdict(resource: string, origin?: string): Verdict {
    checkName('resource', resource);
    if (origin !== undefined) checkName('origin', origin);
    return this.map === null ? VERDICT_PASS : this.lookup(resource, origin, this.nowMs());
  }

  /** The verdict for the resource (and origin) at nowMs, the host's clock read just now. */
  private lookup(resource: string, origin: string | undefined, nowMs: number): Verdict {
    const map = this.map;
    this.lookupFresh = false;
    this.lookupCached = true;
    if (map === null) return VERDICT_PASS;
    const v = map.lookup(resource, nowMs);
    this.lookupFresh = v.outcome === MapLookup.HIT;
    this.lookupCached = map.lastFromCache;
    // (A miss is dated at the current period's start, so a name without a slot is looked up again
    // by the record helpers from the next period on.)
    // An answer from the verdict cache comes from a read of this map that adopted its id already.
    this.lookupId = map.lastFromCache ? v.resourceId : this.adoptId(resource, v.resourceId, map.epoch, this.idsUntilMs - ID_CACHE_MS);
    // (The reader's Verdict for its answer: made once per read, not per lookup.)
    const own = map.lastVerdict;
    this.lookupKey = resource;
    if (origin === undefined || origin === '') return own;
    const key = mapKeyOf(resource, origin);
    if (map.lookup(key, nowMs).outcome === MapLookup.HIT) this.lookupFresh = true;
    if (!map.lastFromCache) this.lookupCached = false;
    const chosen = mostRestrictive(own, map.lastVerdict);
    if (chosen !== own) this.lookupKey = key;
    return chosen;
  }

  /**
   * Keeps a lookup's resource id for its name: an id of another epoch than the ids kept so far
   * starts over (the builder puts the new epoch's ids into a new frame). Returns the id (0: none).
   */
  private adoptId(resource: string, id: number, epoch: number, nowMs: number): number {
    if (epoch !== this.idEpoch && epoch >= 0) {
      this.clearIds();
      this.idEpoch = epoch;
      this.builder.setMapEpoch(epoch);
    }
    if (this.ids[resource] === undefined) {
      if (this.idsCount >= ID_CACHE_LIMIT) this.clearIds();
      this.idsCount++;
    }
    this.ids[resource] = id === 0 ? -1 - Math.max(0, nowMs) : id;
    return id;
  }

  private clearIds(): void {
    this.ids = newIdCache();
    this.idsCount = 0;
  }

  /**
   * Recomputes the usual window after the id cache's period or the builder's id window changed. (A
   * WRITER record is due only while the builder is empty, whose id window is empty: the usual
   * window needs no test of writerDue.)
   */
  private usualWindow(): void {
    if (!(this.idWindowUntilMs > this.idWindowFromMs)) {
      this.usualAfterMs = Infinity;
      this.usualUntilMs = -Infinity;
      return;
    }
    // (Times are integers: fromMs ≤ tsMs is fromMs − 1 < tsMs.)
    this.usualAfterMs = Math.max(this.idsFromMs, this.idWindowFromMs - 1);
    this.usualUntilMs = Math.min(this.idsUntilMs, this.idWindowUntilMs);
  }

  /**
   * How a record helper names a resource (the cases record()'s fast path leaves): its id when its
   * map slot has one (read from the map once per name and epoch), else its name (read again after
   * ID_CACHE_MS). The first call of each ID_CACHE_MS period reads the map for its name even when
   * known, so that a new map epoch is noticed.
   */
  private refOf(resource: string, nowMs: number): ResourceRef {
    const map = this.map;
    if (map === null) return resource;
    let cached: number | undefined;
    if (nowMs < this.idsUntilMs && nowMs > this.idsFromMs) cached = this.ids[resource];
    else {
      // A new period starts at nowMs.
      this.idsFromMs = nowMs - ID_CACHE_MS;
      this.idsUntilMs = nowMs + ID_CACHE_MS;
      this.usualWindow();
    }
    if (cached !== undefined) {
      if (cached > 0) return cached;
      const missedAtMs = -1 - cached;
      if (nowMs - missedAtMs < ID_CACHE_MS && missedAtMs - nowMs < ID_CACHE_MS) return resource;
    }
    const id = this.adoptId(resource, map.lookup(resource).resourceId, map.epoch, nowMs);
    return id > 0 ? id : resource;
  }

  /** Writes what is buffered (and any unreported drop counts) now, as one whole frame. */
  flush(): void {
    if (this.builder.isEmpty) {
      // Empty: only unreported drops (writerDue) make a frame, the WRITER record alone.
      if (!this.writerDue) return;
      this.addWriter(this.nowMs());
    }
    this.writeFrame(this.nowMs());
  }

  stats(): SentinelStats {
    return {
      recordsBuffered: this.bufferedRecords(),
      recordsWritten: this.recordsWritten,
      framesWritten: this.framesWritten,
      recordsDropped: this.recordsDropped,
      framesDropped: this.framesDropped,
      unreportedRecordsDropped: this.unreportedRecords,
      unreportedFramesDropped: this.unreportedFrames,
      openEntries: this.openEntries,
      entriesExitedAtEnd: this.entriesExitedAtEnd,
      entriesBlocked: this.entriesBlocked,
      map: this.map === null ? null : { ...this.map.counters },
    };
  }

  /**
   * Validates a record helper's arguments, then adds the record (no allocation on this path, and
   * in the common case no call but the clock, the id cache and the encoder's).
   */
  private record(kind: RecordKind, resource: string, rtMs: number, options: RecordOptions | undefined): void {
    if (typeof resource !== 'string' || (resource.length - 1) >>> 0 >= SHORT_NAME_UNITS) checkName('resource', resource);
    let origin: string | undefined;
    let count = 1;
    let tsMs: number | undefined;
    let error = false;
    if (options !== undefined) {
      origin = options.origin;
      if (origin !== undefined && (typeof origin !== 'string' || (origin.length - 1) >>> 0 >= SHORT_NAME_UNITS)) checkName('origin', origin);
      if (options.count !== undefined) {
        count = options.count;
        checkCount(count);
      }
      tsMs = options.tsMs;
      if (options.error !== undefined && typeof options.error !== 'boolean') checkError(options.error);
      error = options.error === true;
    }
    if (tsMs === undefined) tsMs = this.nowMs();
    else checkTs(tsMs);
    const ref = this.refOf(resource, tsMs);
    this.add(kind, tsMs, ref, rtMs, error, count, origin);
  }

  /**
   * Adds one flow record. A frame that starts while drops are unreported leads with a WRITER
   * record; when the record does not fit (the frame is full, or the record is older than the
   * frame's base time) the frame is written and the record goes into the next one.
   */
  private add(kind: RecordKind, tsMs: number, resource: ResourceRef, rtMs: number, error: boolean, count: number, origin: string | undefined): void {
    if (this.writerDue) this.addWriter(tsMs);
    if (!this.tryAdd(kind, tsMs, resource, rtMs, error, count, origin)) this.addToNextFrame(kind, tsMs, resource, rtMs, error, count, origin);
  }

  /** A record the frame in the builder refused: writes that frame and adds the record to the next. */
  private addToNextFrame(kind: RecordKind, tsMs: number, resource: ResourceRef, rtMs: number, error: boolean, count: number, origin: string | undefined): void {
    this.writeFrame(this.nowMs());
    if (this.writerDue) this.addWriter(tsMs);
    if (!this.tryAdd(kind, tsMs, resource, rtMs, error, count, origin)) {
      // Only a WRITER record is in the way (tiny frames): write it alone.
      this.writeFrame(this.nowMs());
      // An empty frame takes any valid record (or throws E_RECORD_TOO_LARGE).
      this.tryAdd(kind, tsMs, resource, rtMs, error, count, origin);
    }
  }

  private tryAdd(kind: RecordKind, tsMs: number, resource: ResourceRef, rtMs: number, error: boolean, count: number, origin: string | undefined): boolean {
    const b = this.builder;
    switch (kind) {
      case RecordKind.PASS:
        return b.addPass(tsMs, resource, count, origin);
      case RecordKind.BLOCK:
        return b.addBlock(tsMs, resource, count, origin);
      case RecordKind.EXIT:
        return b.addExit(tsMs, resource, rtMs, error, count, origin);
      default:
        return b.addCall(tsMs, resource, rtMs, error, origin);
    }
  }

  /** Flow records in the builder (its WRITER record, if it carries one, excluded). */
  private bufferedRecords(): number {
    return this.builder.size - (this.carriesWriter ? 1 : 0);
  }

  /**
   * Says once, on the host's warn line, that records are being dropped: a filter under wasmtime has
   * no other sign of it than stats() (the collector hears of drops only once a write succeeds).
   */
  private warnDrops(records: number): void {
    this.dropsWarned = true;
    try {
      const why = this.host.lastAppendFailure?.() ?? '';
      this.host.warn?.(
        `sentinel-wasi filter: writer ${JSON.stringify(this.writer)} could not append a frame of ${records} record${records === 1 ? '' : 's'} to the pin's log${why === '' ? '' : ` (${why})`}: ` +
          'records that cannot be written are dropped and counted (stats().recordsDropped; the collector is told in a WRITER record once a write succeeds); said once per recorder',
      );
    } catch {
      // a warning is not worth a trap
    }
  }

  /** Puts a WRITER record with the unreported drop counts into the (empty) frame. */
  private addWriter(tsMs: number): void {
    this.builder.addWriter(tsMs, this.writer, this.unreportedRecords, this.unreportedFrames);
    this.carriesWriter = true;
    this.writerDue = false;
    this.reportedRecords = this.unreportedRecords;
    this.reportedFrames = this.unreportedFrames;
  }

  /** Finishes the frame in the builder and appends it with one write; counts the outcome. */
  private writeFrame(nowMs: number): void {
    if (this.builder.isEmpty) return;
    const records = this.bufferedRecords();
    const frame = this.builder.finish();
    let ok = false;
    try {
      ok = this.host.appendFrame(segmentName(bucketSecOf(nowMs), this.writer), frame);
    } catch {
      ok = false; // a host must not throw; if one does, the frame is dropped like any failed write
    }
    if (ok) {
      this.recordsWritten += records;
      this.framesWritten++;
      if (this.carriesWriter) {
        this.unreportedRecords -= this.reportedRecords;
        this.unreportedFrames -= this.reportedFrames;
      }
    } else {
      this.recordsDropped += records;
      this.framesDropped++;
      this.unreportedRecords += records;
      this.unreportedFrames++;
      if (!this.dropsWarned) this.warnDrops(records);
    }
    this.carriesWriter = false;
    this.reportedRecords = 0;
    this.reportedFrames = 0;
    this.writerDue = this.unreportedRecords > 0 || this.unreportedFrames > 0;
  }
}

/**
 * The id cache: a prototype-less object keyed by name (any string is a safe key, `__proto__`
 * included). Inside QuickJS a property read by name measured ~0.1 µs cheaper than Map.get.
 */
function newIdCache(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

class BlockedEntry implements Entry {
  readonly blocked = true;
  constructor(
    readonly verdict: Verdict,
    readonly resource: string,
    readonly origin: string | undefined,
    readonly count: number,
    readonly startMs: number,
  ) {}

  /** Nothing to record: the BLOCK was recorded by entry(). */
  exit(): number {
    return 0;
  }
}

/** OpenEntry.state: not exited yet, exited by its exit(), exited when its request or run ended. */
const OPEN = 0;
const EXITED = 1;
const EXITED_AT_END = 2;

class OpenEntry implements Entry {
  readonly blocked = false;
  private state = OPEN;
  /** Neighbours in the recorder's list of open entries (null: none, or exited). */
  prev: OpenEntry | null = null;
  next: OpenEntry | null = null;
  constructor(
    private readonly sentinel: Sentinel,
    readonly verdict: Verdict,
    readonly resource: string,
    readonly origin: string | undefined,
    readonly count: number,
    readonly startMs: number,
    /** The resource's id at entry (0: none), of map epoch idEpoch. */
    readonly resourceId: number,
    readonly idEpoch: number,
    /** Its number in the order entries were opened (entriesOpened). */
    readonly seq: number,
  ) {}

  exit(options?: ExitOptions): number {
    if (this.state !== OPEN) {
      const what = this.state === EXITED ? 'twice' : 'after the request or run that opened it ended (it was exited then)';
      throw new FilterError(FilterErrorCode.ALREADY_EXITED, `exit() called ${what} for ${JSON.stringify(this.resource)}`);
    }
    if (options !== undefined && options.error !== undefined && typeof options.error !== 'boolean') checkError(options.error);
    this.state = EXITED;
    return this.sentinel.exitEntry(this, options !== undefined && options.error === true);
  }

  /** @internal Marks the entry exited by Sentinel.exitOpenEntries() (which records its EXIT). */
  exitedAtEnd(): void {
    this.state = EXITED_AT_END;
  }
}

/** The map reader's options from the SDK's (a bad verdictCacheMs is a BAD_OPTION). */
function mapReaderOptions(options: SentinelOptions): MapReaderOptions {
  const o: MapReaderOptions = {};
  if (options.mapStaleAfterMs !== undefined) {
    const ms = options.mapStaleAfterMs;
    // (0 or less would read every slot as stale, so no rule would ever apply; not a number would switch fail-open off.)
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
      throw new FilterError(FilterErrorCode.BAD_OPTION, `mapStaleAfterMs must be a finite number > 0, got ${shown(ms)}`);
    }
    o.staleAfterMs = ms;
  }
  if (options.verdictCacheMs !== undefined) {
    const ms = options.verdictCacheMs;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new FilterError(FilterErrorCode.BAD_OPTION, `verdictCacheMs must be a finite number ≥ 0, got ${shown(ms)}`);
    }
    o.verdictCacheMs = ms;
  }
  return o;
}

/** An option's value in a message: a string quoted, so '3000' does not read as the number 3000. */
function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function checkName(field: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new FilterError(FilterErrorCode.BAD_ARGUMENT, `${field} must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: only long names need counting.
  if (name.length * 3 > MAX_NAME_BYTES && utf8Length(name) > MAX_NAME_BYTES) {
    throw new FilterError(FilterErrorCode.BAD_ARGUMENT, `${field} is longer than ${MAX_NAME_BYTES} UTF-8 bytes`);
  }
}

function checkCount(count: number): void {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new FilterError(FilterErrorCode.BAD_ARGUMENT, `count must be a positive integer, got ${shown(count)}`);
  }
}

function checkTs(tsMs: number): void {
  if (typeof tsMs !== 'number' || !(tsMs >= 0) || tsMs > MAX_SAFE || tsMs % 1 !== 0) {
    throw new FilterError(FilterErrorCode.BAD_ARGUMENT, `tsMs must be a non-negative integer (epoch ms), got ${shown(tsMs)}`);
  }
}

function checkRt(rtMs: number): void {
  if (!Number.isSafeInteger(rtMs) || rtMs < 0) {
    throw new FilterError(FilterErrorCode.BAD_ARGUMENT, `rtMs must be a non-negative integer, got ${shown(rtMs)}`);
  }
}

/** `error` given but not a boolean (a string 'yes' would otherwise be recorded as a success). */
function checkError(error: unknown): never {
  throw new FilterError(FilterErrorCode.BAD_ARGUMENT, `error must be a boolean, got ${shown(error)}`);
}

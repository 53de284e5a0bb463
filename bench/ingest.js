// Owns the ingest benchmarks: the collector's decode + validate + aggregate path (Ingestor and
// StatsStore, fed from segment files with positioned reads), beside the baselines a user would
// otherwise pick: the same events as NDJSON through JSON.parse into the same store, and reading
// the same segment bytes doing nothing (the ceiling). Also bytes per event, the workload
// variants, the writers × resources scaling grid, and a --cpu-prof run of the hot path.
// Each exported function runs in its own process (lib/child.js) and returns plain JSON.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { FrameBuilder } from '@sentinel-wasi/protocol/encode';
import { denseFloor } from './lib/dense-floor.js';
import { bytesBreakdown, idResolver, readRoundRobin, writeNdjson, writeSegments } from './lib/segments.js';
import { median } from './lib/stats.js';
import { STANDARD, generate } from './lib/workload.js';

// The collector's sources (run through tsx). SW_BENCH_COLLECTOR_SRC points at another copy of
// packages/collector/src, to measure a candidate change against the same workload.
const SRC = process.env.SW_BENCH_COLLECTOR_SRC ?? new URL('../packages/collector/src/', import.meta.url).pathname;

/** Loads Ingestor and StatsStore from a copy of packages/collector/src (or its compiled dist/). */
export async function loadCollector(src) {
  const ext = existsSync(join(src, 'ingest/ingestor.ts')) ? 'ts' : 'js';
  const { Ingestor } = await import(pathToFileURL(join(src, `ingest/ingestor.${ext}`)).href);
  const { StatsStore, zeroCounters } = await import(pathToFileURL(join(src, `stats/store.${ext}`)).href);
  return { Ingestor, StatsStore, zeroCounters };
}
const CURRENT = await loadCollector(SRC);

const KIND_BLOCK = 1;
const KIND_CALL = 3;

/** Workload variants reported beside the standard one. */
export const VARIANTS = {
  standard: { spec: STANDARD, single: false },
  uniform: { spec: { ...STANDARD, name: 'uniform', distribution: 'uniform' }, single: false },
  resources10k: { spec: { ...STANDARD, name: 'resources10k', resources: 10_000 }, single: false },
  single: { spec: { ...STANDARD, name: 'single' }, single: true },
};

function storeFor(resources, impl = CURRENT) {
  // The default cap (6000, as Sentinel) would fold the 10 k-resource workloads into the total node.
  return new impl.StatsStore(resources > 6000 ? { maxResources: resources } : {});
}

/** Wall and CPU (this process, all threads) seconds since `start` = [performance.now(), cpuUsage()]. */
function elapsed(start) {
  const cpu = process.cpuUsage(start[1]);
  return { seconds: (performance.now() - start[0]) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
const mark = () => [performance.now(), process.cpuUsage()];

/** Keeps pending seconds bounded the way a running collector does (seal what is well behind). */
function sealBehind(store) {
  if (store.pendingSeconds === undefined) return; // the decode-only counting store
  const pending = store.pendingSeconds();
  if (pending.length > 150) store.sealThrough(pending[pending.length - 1] - 120);
}

/**
 * Frames with one CALL per resource and per (resource, origin), stamped just before the trace:
 * ingested untimed, so the timed run measures a collector that has seen its resources before
 * (steady state), not the one-time creation of nodes. Returns { bytes, records }.
 */
function warmUpBytes(w) {
  const builder = new FrameBuilder();
  const chunks = [];
  let records = 0;
  const ts = w.spec.startMs - 2000;
  const add = (name, origin) => {
    if (!builder.addCall(ts, name, 1, false, origin)) {
      chunks.push(builder.finish().slice());
      builder.addCall(ts, name, 1, false, origin);
    }
    records++;
  };
  for (const name of w.names) {
    add(name, undefined);
    for (const origin of w.origins) add(name, origin);
  }
  chunks.push(builder.finish().slice());
  return { bytes: Buffer.concat(chunks), records };
}

function warmedStore(w, impl) {
  const store = storeFor(w.spec.resources, impl);
  const warm = (w.warm ??= warmUpBytes(w));
  new impl.Ingestor(store).ingestBytes(warm.bytes, 0, warm.bytes.length, w.tsMs[w.count - 1] + 1000, { final: true });
  if (store.counters.recordsCounted !== warm.records) throw new Error(`warm-up counted ${store.counters.recordsCounted} of ${warm.records}`);
  return { store, warmRecords: warm.records };
}

/** Collector path: segments → Ingestor → StatsStore (warmed up). Returns { seconds, counted, bytes }. */
export function ingestSegmentFiles(files, w, nowMs, impl = CURRENT, resolveId = undefined) {
  const { store, warmRecords } = warmedStore(w, impl);
  return timedCollectorIngest(files, store, new impl.Ingestor(store, store.health, resolveId), warmRecords, nowMs);
}

/** The timed part alone (the profile keeps only samples under this function). */
function timedCollectorIngest(files, store, ingestor, warmRecords, nowMs) {
  const t0 = mark();
  const bytes = readRoundRobin(files, (buf, end, base) => {
    const r = ingestor.ingestBytes(buf, 0, end, nowMs, { baseOffset: base });
    sealBehind(store);
    return r.nextOffset - base;
  });
  const c = store.counters;
  return { ...elapsed(t0), bytes, counted: c.recordsCounted - warmRecords, skipped: c.framesSkipped + c.recordsRejected + c.recordsLateDropped + c.recordsFuture };
}

/**
 * The collector path with aggregation taken out: the Ingestor (scan, CRC, decode, validate, name
 * resolution calls) feeding a store that only counts. Splits the collector's cost into decoding
 * and aggregating, measured rather than read off a profile. It relies on the store members the
 * Ingestor calls (countsColumns, addColumns, entryFor, addResolved, add, counters, health); if those change, this path
 * reports the error instead of a figure.
 */
export function decodeOnlyFiles(files, w, nowMs, impl = CURRENT) {
  const counters = impl.zeroCounters();
  const entry = { id: 0, name: '', node: null, origins: null };
  // The Ingestor reports frames read and skipped to the store's HealthLog.
  const health = {
    count: (counter, n = 1) => {
      counters[counter] += n;
    },
    gauge: () => {},
    problem: () => {},
  };
  const store = {
    counters,
    health,
    entryFor: () => entry,
    addResolved: (r, lookup) => {
      lookup(r); // the store resolves the entry (through the Ingestor's lookup) for every counted record
      counters.recordsCounted++;
    },
    add: () => {
      counters.recordsCounted++;
    },
    // Frames the fast path read come as columns (StatsStore.addColumns): only counted here.
    countsColumns: true,
    addColumns: (c) => {
      counters.recordsCounted += c.accepted;
    },
  };
  return timedCollectorIngest(files, store, new impl.Ingestor(store), 0, nowMs);
}

/** Baseline: NDJSON lines → JSON.parse → the same StatsStore.add. */
export function ingestNdjsonFiles(files, w, nowMs) {
  const { store, warmRecords } = warmedStore(w, CURRENT);
  const rec = { kind: KIND_CALL, tsMs: 0, name: '', origin: '', count: 1, rtMs: 0, error: false, droppedRecords: 0, droppedFrames: 0 };
  let counted = 0;
  let rejected = 0;
  const t0 = mark();
  const bytes = readRoundRobin([files], (buf, end) => {
    const last = buf.lastIndexOf(10, end - 1);
    if (last < 0) return 0;
    const text = buf.toString('utf8', 0, last + 1);
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      const o = JSON.parse(text.substring(pos, nl));
      pos = nl + 1;
      if (typeof o.ts !== 'number' || typeof o.resource !== 'string' || typeof o.rt !== 'number') {
        rejected++;
        continue;
      }
      rec.kind = o.outcome === 'block' ? KIND_BLOCK : KIND_CALL;
      rec.tsMs = o.ts;
      rec.name = o.resource;
      rec.origin = typeof o.origin === 'string' ? o.origin : '';
      rec.rtMs = o.rt;
      rec.error = o.outcome === 'error';
      store.add(rec, nowMs);
      counted++;
    }
    sealBehind(store);
    return last + 1;
  });
  return { ...elapsed(t0), bytes, counted: store.counters.recordsCounted - warmRecords, skipped: rejected };
}

/** Ceiling: the same segment bytes, read the same way, nothing done with them. */
export function rawReadFiles(files) {
  const t0 = mark();
  const bytes = readRoundRobin(files, (_buf, end) => end);
  return { ...elapsed(t0), bytes, counted: 0, skipped: 0 };
}

function check(label, r, events) {
  if (r.counted !== events) throw new Error(`${label}: counted ${r.counted} of ${events} events (skipped ${r.skipped})`);
}

/**
 * The headline ingest figures for one workload variant: collector, NDJSON and raw read,
 * interleaved over `repeats` rounds after one warm-up round. Returns medians and all samples.
 */
export function ingestVariant({ variant = 'standard', events, seed, repeats = 3, baselines = true }) {
  const v = VARIANTS[variant];
  const dir = mkdtempSync(join(tmpdir(), `sw-bench-ingest-${variant}-`));
  try {
    const tGen = performance.now();
    const w = generate(v.spec, events, seed);
    const seg = writeSegments(w, dir, { single: v.single });
    // The same events with every resource named by its resource id (a filter that found its slots).
    const idSeg = writeSegments(w, join(dir, 'ids'), { single: v.single, ids: true });
    const resolveId = idResolver(idSeg.ids);
    const nd = baselines ? writeNdjson(w, join(dir, 'ndjson')) : null;
    const prepSeconds = (performance.now() - tGen) / 1000;
    const nowMs = w.tsMs[events - 1] + 1000;
    const samples = { collector: [], ndjson: [], raw: [], decodeOnly: [], ids: [], floorNs: [], floorOneNameNs: [] };
    const cpuSamples = { collector: [], ndjson: [], raw: [], decodeOnly: [], ids: [] };
    let decodeOnlyError = null;
    for (let round = -1; round < repeats; round++) {
      const c = ingestSegmentFiles(seg.files, w, nowMs);
      check('collector', c, events);
      if (round >= 0) {
        samples.collector.push(events / c.seconds);
        cpuSamples.collector.push(events / c.cpuSeconds);
      }
      const ci = ingestSegmentFiles(idSeg.files, w, nowMs, CURRENT, resolveId);
      check('collector, frames with ids', ci, events);
      if (round >= 0) {
        samples.ids.push(events / ci.seconds);
        cpuSamples.ids.push(events / ci.cpuSeconds);
      }
      if (baselines) {
        const n = ingestNdjsonFiles(nd.files, w, nowMs);
        check('ndjson', n, events);
        const r = rawReadFiles(seg.files);
        let d = null;
        if (decodeOnlyError === null) {
          try {
            d = decodeOnlyFiles(seg.files, w, nowMs);
            check('decode only', d, events);
          } catch (e) {
            decodeOnlyError = String(e.message ?? e);
            d = null;
          }
        }
        if (round >= 0 && d !== null) {
          samples.decodeOnly.push(events / d.seconds);
          cpuSamples.decodeOnly.push(events / d.cpuSeconds);
        }
        // The floor diagnostic (dense-floor.js): the same updates with nothing else, on all names and on one.
        const floor = denseFloor(w);
        const floorOne = denseFloor(w, 1);
        if (floor.checksum !== 2 * events || floorOne.checksum !== 2 * events) throw new Error(`dense floor counted ${floor.checksum} and ${floorOne.checksum} entries, not ${2 * events}`);
        if (round >= 0) {
          samples.floorNs.push((floor.seconds * 1e9) / events);
          samples.floorOneNameNs.push((floorOne.seconds * 1e9) / events);
          samples.ndjson.push(events / n.seconds);
          samples.raw.push(events / r.seconds);
          cpuSamples.ndjson.push(events / n.cpuSeconds);
          cpuSamples.raw.push(events / r.cpuSeconds);
        }
      }
    }
    const rate = median(samples.collector);
    const decodeRate = median(samples.decodeOnly);
    const cpuRate = median(cpuSamples.collector);
    const cpuDecodeRate = median(cpuSamples.decodeOnly);
    return {
      variant,
      events,
      seed,
      repeats,
      // The per-event budget: decoding + validating (the decode-only path) and aggregating (the rest), wall and CPU.
      split: decodeOnlyError !== null || !baselines
        ? null
        : { decodeNs: 1e9 / decodeRate, aggregateNs: 1e9 / rate - 1e9 / decodeRate, cpuDecodeNs: 1e9 / cpuDecodeRate, cpuAggregateNs: 1e9 / cpuRate - 1e9 / cpuDecodeRate },
      segmentBytes: seg.bytes,
      frames: seg.frames,
      segmentFiles: seg.files.flat().length,
      bytesPerEvent: seg.bytes / events,
      bytes: bytesBreakdown(seg.files, events),
      eventsPerFrame: events / seg.frames,
      idsSegmentBytes: idSeg.bytes,
      idsBytesPerEvent: idSeg.bytes / events,
      idsBytes: bytesBreakdown(idSeg.files, events),
      idsEventsPerSec: median(samples.ids),
      cpuIdsEventsPerSec: median(cpuSamples.ids),
      ndjsonBytes: nd?.bytes ?? null,
      ndjsonBytesPerEvent: nd === null ? null : nd.bytes / events,
      prepSeconds,
      eventsPerSec: rate,
      ndjsonEventsPerSec: baselines ? median(samples.ndjson) : null,
      rawReadEventsPerSec: baselines ? median(samples.raw) : null,
      decodeOnlyEventsPerSec: decodeRate,
      decodeOnlyError,
      floorNs: baselines ? median(samples.floorNs) : null,
      floorOneNameNs: baselines ? median(samples.floorOneNameNs) : null,
      // Events per CPU-second of this process (all its threads): steadier than wall time on a shared machine.
      cpuEventsPerSec: cpuRate,
      cpuNdjsonEventsPerSec: baselines ? median(cpuSamples.ndjson) : null,
      samples,
      cpuSamples,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ingest rate for every (writers, resources) cell, collector path only, median of `repeats`. */
export function scalingGrid({ writers = [1, 4, 16], resources = [10, 1000, 10_000], events, seed, repeats = 2 }) {
  const cells = [];
  for (const r of resources) {
    const w = generate({ ...STANDARD, resources: r }, events, seed);
    const nowMs = w.tsMs[events - 1] + 1000;
    for (const k of writers) {
      const dir = mkdtempSync(join(tmpdir(), `sw-bench-scale-${k}-${r}-`));
      try {
        const seg = writeSegments(w, dir, { writers: k });
        const rates = [];
        for (let round = -1; round < repeats; round++) {
          const c = ingestSegmentFiles(seg.files, w, nowMs);
          check(`scaling ${k}×${r}`, c, events);
          if (round >= 0) rates.push(events / c.seconds);
        }
        const rate = median(rates);
        cells.push({ writers: k, resources: r, events, eventsPerSec: rate, nsPerEvent: 1e9 / rate, bytesPerEvent: seg.bytes / events, segmentFiles: seg.files.flat().length });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return { events, seed, repeats, cells };
}

/** The collector path only, repeated, for `node --cpu-prof` (run.js reads the profile). */
export function profileIngest({ events, seed, rounds = 4 }) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-prof-'));
  try {
    const w = generate(STANDARD, events, seed);
    const seg = writeSegments(w, dir);
    const nowMs = w.tsMs[events - 1] + 1000;
    const rates = [];
    for (let i = 0; i < rounds; i++) {
      const c = ingestSegmentFiles(seg.files, w, nowMs);
      check('profile', c, events);
      rates.push(events / c.seconds);
    }
    return { events, rounds, eventsPerSec: median(rates) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A/B: the collector path of two source trees (e.g. packages/collector/src and a copy with a
 * candidate change) on the same segments, rounds interleaved A B A B so both see the same noise.
 */
export async function compareSources({ a, b, events, seed, rounds = 6, variant = 'standard' }) {
  const impls = { a: await loadCollector(a), b: await loadCollector(b) };
  const v = VARIANTS[variant];
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-ab-'));
  try {
    const w = generate(v.spec, events, seed);
    const seg = writeSegments(w, dir, { single: v.single });
    const nowMs = w.tsMs[events - 1] + 1000;
    const wall = { a: [], b: [] };
    const cpu = { a: [], b: [] };
    for (let round = -1; round < rounds; round++) {
      for (const k of round % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
        const r = ingestSegmentFiles(seg.files, w, nowMs, impls[k]);
        check(`compare ${k}`, r, events);
        if (round >= 0) {
          wall[k].push(events / r.seconds);
          cpu[k].push(events / r.cpuSeconds);
        }
      }
    }
    return { a, b, events, rounds, variant, wallEventsPerSec: { a: median(wall.a), b: median(wall.b) }, cpuEventsPerSec: { a: median(cpu.a), b: median(cpu.b) }, wall, cpu };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The segments of one workload written into `dir` (bench/count-ingest.js writes them once, outside
 * the counted process), with what ingestRounds needs of the workload to warm its stores.
 */
export function writeRoundsInput({ dir, events, seed, variant = 'standard' }) {
  const v = VARIANTS[variant];
  const w = generate(v.spec, events, seed);
  const seg = writeSegments(w, dir, { single: v.single });
  return { files: seg.files, events, spec: w.spec, names: w.names, origins: w.origins, lastTsMs: w.tsMs[events - 1] };
}

/**
 * `rounds` rounds of the collector path of `src` (a packages/collector/src or dist directory) over
 * writeRoundsInput's segments, each into a new warmed store: what bench/count-ingest.js runs under
 * cachegrind with two round counts, so that the difference is rounds' instructions alone.
 */
export async function ingestRounds({ src, input, rounds }) {
  const impl = await loadCollector(src);
  // The workload as warmedStore reads it: its names, origins and last time (not its events).
  const w = { spec: input.spec, names: input.names, origins: input.origins, count: 1, tsMs: [input.lastTsMs] };
  const nowMs = input.lastTsMs + 1000;
  for (let round = 0; round < rounds; round++) check(`round ${round}`, ingestSegmentFiles(input.files, w, nowMs, impl), input.events);
  return { src, rounds };
}

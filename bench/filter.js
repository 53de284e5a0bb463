// Owns the filter benchmarks: building the benchmark components (cached by content hash under
// .cache/bench), a local Node HTTP server that counts the events it is sent, and running
// bench/filter/bench_filter.py for each component under wasmtime-py (the project's environment,
// scripts/wasmtime-run.js's ensureWasmtimeVenv).
// QuickJS (the command default) cannot link wasi:http, so the HTTP-per-event mode runs in a
// StarlingMonkey build of the same loop; both builds report noop/encode/buffered/unbuffered.

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { decodeRecords, scanFrames } from '@sentinel-wasi/protocol';
import { encodeMapHeader, encodeSlot, epochTagOf, MAP_HEADER_BYTES, mapFileBytes, MapSlotTable, slotOffset, VerdictKind } from '@sentinel-wasi/protocol/encode';
import { snapshotAfterReads } from '@sentinel-wasi/filter/core';
import { writeFileSync } from 'node:fs';
import { generate, STANDARD } from './lib/workload.js';
import { median } from './lib/stats.js';
import { fileURLToPath } from 'node:url';
import { ensureWasmtimeVenv } from '../scripts/wasmtime-run.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(ROOT, '.cache', 'bench');

/** The two builds: source, world, backend. */
export const COMPONENTS = {
  quickjs: { source: 'bench/filter/src/bench.ts', world: 'bench', backend: 'quickjs', modes: ['noop', 'clock', 'crc', 'utf8len', 'encode1', 'encode', 'encodeids', 'buffered', 'bufferedopts', 'bufferednames', 'unbuffered', 'lookup', 'lookupcached', 'lookuphit', 'lookupreads', 'lookupsnapshots', 'mapread', 'mapsnapshot', 'mapdecode', 'clockcall', 'opempty', 'opprop', 'opread', 'opwrite', 'opcall', 'optypeof'] },
  starlingmonkey: { source: 'bench/filter/src/bench-http.ts', world: 'bench-http', backend: 'starlingmonkey', modes: ['noop', 'utf8len', 'encode1', 'encode', 'encodeids', 'buffered', 'bufferedopts', 'bufferednames', 'unbuffered', 'http'] },
};

function hashTree(h, dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'test') continue;
    if (statSync(p).isDirectory()) hashTree(h, p);
    else {
      h.update(p.slice(ROOT.length));
      h.update(readFileSync(p));
    }
  }
}

/** How bench_filter.py times the in-component modes: CPU time of its process (the engine's threads included). */
export const FILTER_CLOCK = 'process';
/**
 * Modes timed in wall time instead: a host call per event (or per lookup), whose cost is the wait
 * (in CPU time the engine's thread pool adds its own polling: mapread 68 µs of process CPU against
 * 22–32 µs of wall time). http is always wall time.
 */
export const WALL_MODES = ['unbuffered', 'lookup', 'lookupcached', 'lookuphit', 'lookupreads', 'lookupsnapshots', 'mapread', 'mapsnapshot', 'mapdecode', 'clockcall'];

/** Slots of the benchmark map (1 000 names: no window full). */
const BENCH_MAP_SLOTS = 16384;

/** Modes that return a count of their own (not their events): lookupcached's reads of the map, and its snapshots. */
const COUNT_MODES = new Set(['lookupreads', 'lookupsnapshots']);
/** mapsnapshot reads the whole slot array per event: timed over this share of the events. */
const SNAPSHOT_EVENTS_DIVISOR = 100;

/** Builds (or reuses) one benchmark component; returns { path, cached, buildSeconds, bytes }. */
export function buildComponent(key) {
  const c = COMPONENTS[key];
  const h = createHash('sha256');
  h.update(JSON.stringify(c));
  // The key covers what the build reads: the benchmark's own sources and the packages' compiled
  // dist (what their exports name; a src edit counts once `npx tsc -b` has compiled it).
  for (const d of ['bench/filter/src', 'bench/filter/wit', 'packages/filter/dist', 'packages/filter/wit', 'packages/protocol/dist', 'packages/filter-build/dist']) hashTree(h, join(ROOT, d));
  h.update(readFileSync(join(ROOT, 'bench/lib/workload.js')));
  h.update(readFileSync(join(ROOT, 'package-lock.json')));
  const out = join(CACHE, `${c.world}-${c.backend}-${h.digest('hex').slice(0, 16)}.wasm`);
  if (existsSync(out)) return { path: out, cached: true, buildSeconds: 0, bytes: statSync(out).size };
  mkdirSync(CACHE, { recursive: true });
  const t0 = Date.now();
  const tmp = `${out}.${process.pid}.tmp.wasm`;
  execFileSync(process.execPath, [join(ROOT, 'packages/cli/bin/sentinel-wasi.js'), 'build', c.source, '--backend', c.backend, '--wit', 'bench/filter/wit', '--world-name', c.world, '-o', tmp], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  // The source map first (the host finds it as <component>.map), then the component.
  if (existsSync(`${tmp}.map`)) renameSync(`${tmp}.map`, `${out}.map`);
  renameSync(tmp, out);
  return { path: out, cached: false, buildSeconds: (Date.now() - t0) / 1000, bytes: statSync(out).size };
}

function wasmtimeVersion(py) {
  try {
    return execFileSync(py, ['-c', 'import importlib.metadata as m; print(m.version("wasmtime"))'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function runPython(py, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(py, [join(ROOT, 'bench/filter/bench_filter.py'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`bench_filter.py exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      else resolvePromise(JSON.parse(out));
    });
  });
}

/** A local HTTP server that answers 200 to every POST /event and counts them. */
function startEventServer() {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/event') received++;
      res.writeHead(200, { 'content-length': '2' });
      res.end('ok');
    });
  });
  return new Promise((resolvePromise) => {
    server.listen(0, '127.0.0.1', () => {
      resolvePromise({ authority: `127.0.0.1:${server.address().port}`, received: () => received, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/** Flow records (WRITER records excluded) per writer in the segments of `<pin>/log`, and damaged bytes; ids resolved with `resolveId`. */
function countRecords(pin, resolveId) {
  const perWriter = {};
  const idFrames = {};
  let bytesSkipped = 0;
  const dir = join(pin, 'log');
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const writer = name.replace(/^\d+-/, '').replace(/\.seg$/, '');
    const bytes = readFileSync(join(dir, name));
    const r = scanFrames(bytes, 0, bytes.length, {
      frame(f) {
        const tally = decodeRecords(f, (rec) => {
          if (rec.kind !== 8) perWriter[writer] = (perWriter[writer] ?? 0) + 1;
        });
        if (tally.rejected > 0) throw new Error(`${name}: ${tally.rejected} records rejected`);
        if (f.version !== 1) idFrames[writer] = (idFrames[writer] ?? 0) + 1;
      },
    }, { final: true, resolveId });
    bytesSkipped += r.bytesSkipped;
  }
  return { perWriter, idFrames, bytesSkipped };
}

/**
 * Writes <pin>/map with an ADMIT 0.5 verdict for every name of the benchmark workload (the lookup
 * mode reads it; the SDK modes name the resources by these slots' ids). Returns the resolver of its ids.
 */
export function writeBenchMap(pin) {
  const slotCount = BENCH_MAP_SLOTS;
  const epoch = Date.now() * 1024;
  const table = new MapSlotTable(slotCount);
  const bytes = new Uint8Array(mapFileBytes(slotCount));
  bytes.set(encodeMapHeader({ slotCount, epoch }));
  const { names } = generate(STANDARD, 4096, 20261126);
  for (const name of new Set(names)) {
    const p = table.place(name);
    if (p === null) throw new Error(`bench map: no slot for ${name}`);
    bytes.set(encodeSlot({ hash: p.hash, resourceId: p.resourceId, kind: VerdictKind.ADMIT, param: 0.5, refreshMs: Date.now(), sequence: 1, epochTag: epochTagOf(epoch) }), slotOffset(p.slot));
  }
  writeFileSync(join(pin, 'map'), bytes);
  return (e, id) => (e === epoch ? (table.nameOf(id) ?? null) : null);
}

/**
 * The lookup modes of the QuickJS component under the Node host (`sentinel-wasi run`/`serve`: jco
 * transpile + preview2-shim with the host's filesystem), in this process: µs of CPU per event,
 * (cpu(n) − cpu(0)) ÷ n, median of `repeats` rounds after a warm-up.
 */
/** The lookup modes (and their references) timed under the Node host. */
export const NODE_HOST_MODES = ['noop', 'clock', 'lookup', 'lookupcached', 'lookuphit', 'mapread', 'mapsnapshot', 'mapdecode', 'clockcall'];

export async function nodeHostLookups(componentPath, { events, repeats, modes: only = NODE_HOST_MODES }) {
  const { loadComponent } = await import('../packages/host/dist/transpile-cache.js');
  const { instanceImports } = await import('../packages/host/dist/imports.js');
  const pin = mkdtempSync(join(tmpdir(), 'sw-bench-filter-node-'));
  try {
    writeBenchMap(pin);
    const c = await loadComponent(componentPath, join(ROOT, '.cache', 'sentinel-wasi'));
    const instance = c.instantiate(c.getCoreModule, instanceImports({ pinDir: pin, args: ['bench'], env: {} }).imports);
    const run = (instance.loop ?? instance['sentinel-wasi-bench:filter/loop@0.1.0']).runEvents;
    const cpuUs = (mode, n) => {
      const before = process.cpuUsage();
      const got = run(mode, n, '');
      const used = process.cpuUsage(before);
      if (got !== n) throw new Error(`node host ${mode}: the component reported ${got} of ${n} events done`);
      return used.user + used.system;
    };
    const modes = {};
    for (const mode of only) {
      // (mapsnapshot reads the whole slot array per event: a hundredth of the events.)
      const n = mode === 'mapsnapshot' ? Math.max(1, Math.floor(events / SNAPSHOT_EVENTS_DIVISOR)) : events;
      cpuUs(mode, Math.min(n, 1000));
      const zero = [0, 1, 2].map(() => cpuUs(mode, 0)).sort((a, b) => a - b)[1];
      const samples = Array.from({ length: repeats }, () => (cpuUs(mode, n) - zero) / n);
      modes[mode] = { usPerEvent: [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)], samplesUsPerEvent: samples };
    }
    return { events, repeats, modes };
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
}

/** Runs every mode of both components; returns per-build, per-mode µs/event and the checks. */
export async function filterBench({ events, httpEvents, repeats }) {
  // wasmtime-py 49 from the project's .cache/wasmtime-venv (made on first use, as for the test suite's wasmtime lane).
  const py = ensureWasmtimeVenv();
  const builds = {};
  for (const key of Object.keys(COMPONENTS)) builds[key] = buildComponent(key);
  const server = await startEventServer();
  // (Loaded here, in the benchmark's child with tsx: compare-builds.js imports this file under plain node.)
  const { PRIMITIVE_OPS } = await import('./filter/src/primitive-ops.ts');
  const results = { python: py, wasmtimePy: wasmtimeVersion(py), events, httpEvents, repeats, clock: FILTER_CLOCK, wallModes: WALL_MODES, primitiveOps: PRIMITIVE_OPS, builds: {} };
  try {
    for (const [key, c] of Object.entries(COMPONENTS)) {
      const pin = mkdtempSync(join(tmpdir(), `sw-bench-filter-${key}-`));
      try {
        const resolveId = writeBenchMap(pin);
        const before = server.received();
        const r = await runPython(py, [
          '--component', builds[key].path, '--pin', pin, '--modes', c.modes.join(','),
          '--events', String(events), '--http-events', String(httpEvents), '--repeats', String(repeats),
          '--mode-events', `mapsnapshot=${Math.max(1, Math.floor(events / SNAPSHOT_EVENTS_DIVISOR))}`,
          '--authority', server.authority, '--cache-dir', join(ROOT, '.cache', 'bench', 'cwasm'),
          // The component's work in CPU time (the engine's threads included), so time the machine
          // gives to other processes is not counted; a host call per event in wall time (its cost is the wait).
          '--clock', FILTER_CLOCK, '--wall-modes', WALL_MODES.join(','),
        ]);
        for (const [mode, m] of Object.entries(r.modes)) {
          if (COUNT_MODES.has(mode)) continue;
          const bad = m.returned.filter((x) => x !== m.events);
          if (bad.length > 0) throw new Error(`${key}/${mode}: the component reported ${bad.join(',')} of ${m.events} events done`);
        }
        // What the SDK wrote must be in the segments, exactly: warm-up (min(n, 1000)) + rounds × n.
        const written = countRecords(pin, resolveId);
        const expected = repeats * events + Math.min(events, 1000);
        for (const writer of ['bench-buffered', 'bench-opts', 'bench-names', 'bench-unbuffered']) {
          if (written.perWriter[writer] !== expected) throw new Error(`${key}: ${writer} segments hold ${written.perWriter[writer]} records, expected ${expected}`);
        }
        if (!(written.idFrames['bench-buffered'] > 0) || written.idFrames['bench-names'] !== undefined) throw new Error(`${key}: frames with ids ${JSON.stringify(written.idFrames)}: expected in bench-buffered only`);
        if (written.bytesSkipped !== 0) throw new Error(`${key}: ${written.bytesSkipped} damaged bytes in the segments`);
        r.segmentRecords = written.perWriter;
        if (c.modes.includes('http')) {
          // bench_filter.py warms each mode up with min(n, 1000) events first.
          const expected = repeats * httpEvents + Math.min(httpEvents, 1000);
          const got = server.received() - before;
          if (got !== expected) throw new Error(`http: the server received ${got} events, expected ${expected}`);
          r.serverReceived = got;
        }
        r.component = { ...builds[key], path: builds[key].path.slice(ROOT.length + 1), backend: c.backend };
        results.builds[key] = r;
      } finally {
        rmSync(pin, { recursive: true, force: true });
      }
    }
  } finally {
    await server.close();
  }
  const q = results.builds.quickjs.modes;
  const s = results.builds.starlingmonkey.modes;
  results.bufferedUsPerEvent = q.buffered.usPerEvent;
  results.unbufferedUsPerEvent = q.unbuffered.usPerEvent;
  results.noopUsPerEvent = q.noop.usPerEvent;
  results.clockUsPerEvent = q.clock.usPerEvent;
  results.crcUsPerEvent = q.crc.usPerEvent;
  results.encode1UsPerEvent = q.encode1.usPerEvent;
  results.encodeUsPerEvent = q.encode.usPerEvent;
  results.encodeIdsUsPerEvent = q.encodeids.usPerEvent;
  results.bufferedNamesUsPerEvent = q.bufferednames.usPerEvent;
  results.bufferedOptionsUsPerEvent = q.bufferedopts.usPerEvent;
  results.lookupUsPerEvent = q.lookup.usPerEvent;
  results.lookupCachedUsPerEvent = q.lookupcached.usPerEvent;
  results.lookupOverEncode = q.lookup.usPerEvent / q.encode.usPerEvent;
  results.lookupReadUsPerEvent = q.mapread.usPerEvent;
  results.lookupDecodeUsPerEvent = q.mapdecode.usPerEvent;
  results.lookupHitUsPerEvent = q.lookuphit.usPerEvent;
  results.lookupSnapshotReadUs = q.mapsnapshot.usPerEvent;
  // Of lookupcached's loop (n lookups, on a Sentinel of its own): the share that read the map (a
  // window or a snapshot), and the snapshots per n lookups; medians of the rounds.
  results.lookupReadShare = median(q.lookupreads.returned) / events;
  results.lookupSnapshotsPerRun = median(q.lookupsnapshots.returned);
  results.lookupMapSlotBytes = mapFileBytes(BENCH_MAP_SLOTS) - MAP_HEADER_BYTES;
  results.lookupSnapshotAfterReads = snapshotAfterReads(results.lookupMapSlotBytes);
  results.hostCallUsPerEvent = q.clockcall.usPerEvent;
  results.httpCallUsPerEvent = s.http.usPerEvent;
  results.httpOverBuffered = s.http.usPerEvent / q.buffered.usPerEvent;
  results.httpOverBufferedSameEngine = s.http.usPerEvent / s.buffered.usPerEvent;
  results.nodeHost = await nodeHostLookups(builds.quickjs.path, { events, repeats });
  return results;
}

// Owns describing the run: machine, OS, versions of what is measured, git commit, date.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, release, platform } from 'node:os';
import { join } from 'node:path';

function pkgVersion(root, name) {
  for (const p of [join(root, 'node_modules', name, 'package.json'), join(root, 'node_modules/@bytecodealliance/jco/node_modules', name, 'package.json')]) {
    if (existsSync(p)) return JSON.parse(readFileSync(p, 'utf8')).version;
  }
  return null;
}

function git(root, args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function collectMeta(root) {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    machine: { cpuModel: c[0]?.model ?? 'unknown', cpus: c.length, memoryGb: totalmem() / 2 ** 30, freeMemoryGbAtStart: freemem() / 2 ** 30, loadAvgAtStart: loadavg(), os: `${platform()} ${release()}` },
    versions: {
      node: process.versions.node,
      v8: process.versions.v8,
      msgpackr: pkgVersion(root, 'msgpackr'),
      jco: pkgVersion(root, '@bytecodealliance/jco'),
      componentizeJs: pkgVersion(root, '@bytecodealliance/componentize-js'),
      componentizeQjs: pkgVersion(root, 'componentize-qjs'),
      chokidar: pkgVersion(root, 'chokidar'),
    },
    git: { commit: git(root, ['rev-parse', 'HEAD']), dirtyFiles: (git(root, ['status', '--porcelain']) ?? '').split('\n').filter(Boolean).length },
  };
}

function readOr(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Facts the report's explanations rest on, read from the code of this run (null when the pattern
 * is no longer there, so the report cannot state a stale reason).
 */
export function codeFacts(root) {
  const chokidar = readOr(join(root, 'node_modules/chokidar/index.js'));
  const daemon = readOr(join(root, 'packages/collector/src/daemon/run.ts'));
  const leap = readOr(join(root, 'packages/collector/src/stats/leap-window.ts'));
  const store = readOr(join(root, 'packages/collector/src/stats/store.ts'));
  const registry = readOr(join(root, 'packages/collector/src/stats/registry.ts'));
  const node = readOr(join(root, 'packages/collector/src/stats/node-stats.ts'));
  const stage = readOr(join(root, 'packages/collector/src/stats/bucket-stage.ts'));
  const num = (re, text) => {
    const m = re.exec(text);
    return m === null ? null : Number(m[1]);
  };
  return {
    chokidarChangeThrottleMs: num(/_throttle\([^,]*EVENTS\.CHANGE, path, (\d+)\)/, chokidar),
    daemonWakeDelayMs: num(/const wake = [\s\S]{0,200}?setTimeout\(\(\) => \{[\s\S]{0,80}?\},\s*(\d+)\)/, daemon),
    daemonDefaultTickMs: num(/DEFAULT_TICK_MS = (\d+)/, daemon),
    daemonWatchesWithChokidar: /from 'chokidar'/.test(daemon),
    /** The daemon also wakes on chokidar's unthrottled 'raw' events. */
    daemonWakesOnRaw: /\.on\('raw', wake\)/.test(daemon),
    /** StatsStore updates the total node's windows and row on every event. */
    storeTotalPerEvent: /this\.total\.node\.record\(kind, tsMs/.test(store) && /addToRow\(batch, this\.total\.id/.test(store),
    /** The store sums the halves in the bucket being counted now per node (bucket-stage.ts) and applies them once per node and bucket. */
    storeStagesBucket: /new BucketStage\(/.test(store),
    /** The stage's sums reach a node's ring only when the node is read (pending-merges.ts), or never once outside the minute. */
    stageDefersRingMerges: /new PendingMerges\(/.test(stage),
    /** The total node takes its records in runs of one bucket (summed, applied once per run). */
    storeTotalInRuns: /new TotalRun\(/.test(store),
    /** A node keeps one ring of half-second buckets (both windows read from it) instead of two LeapArrays. */
    nodeOneRing: /RING_SAMPLE_COUNT/.test(node),
    windowFieldCount: num(/export const FIELD_COUNT = (\d+)/, leap),
    windowValuesFloat64: /this\.values = new Float64Array\(sampleCount \* FIELD_COUNT\)/.test(leap),
    defaultMaxOriginNodes: num(/DEFAULT_MAX_ORIGIN_NODES = (\d+)/, registry.replace(/(\d)_(\d)/g, '$1$2')),
  };
}

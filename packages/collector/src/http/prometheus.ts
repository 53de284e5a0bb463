// Owns the Prometheus text exposition (format 0.0.4) at /metrics: the health counters, and per-resource
// gauges of the current second and minute windows. Label cardinality is bounded: at most
// `maxResources` resources (busiest by minute total, then by name) get series; the rest are counted in
// sentinel_wasi_resources_omitted.

import type { HealthCounters, NodeSnapshot, StatsQuery } from '../stats/types.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const DEFAULT_MAX_PROMETHEUS_RESOURCES = 200;

/** Label values escape backslash, double quote and newline. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Health counters that are levels, not running totals: exposed as gauges; every other counter is a `_total` counter. */
const LEVEL_COUNTERS = new Set(['lagBytes', 'segmentsActive', 'segmentsBadName']);

const COUNTER_HELP: Record<string, string> = {
  recordsCounted: 'Valid records counted into the statistics.',
  recordsRejected: 'Records that failed validation and were skipped.',
  recordsUnknownKind: 'Records of an unknown kind, ignored.',
  recordsLate: 'Records for an already sealed second.',
  framesRead: 'Valid frames read from segments.',
  framesSkipped: 'Damaged frames skipped.',
  bytesSkipped: 'Bytes skipped while resynchronising.',
  writerDroppedRecords: 'Records filters reported dropping.',
  writerDroppedFrames: 'Frames filters reported dropping.',
  lagBytes: 'Bytes appended to live segments not read yet.',
  resourcesOverflow: 'Records for resources beyond the tracked-resource cap.',
  segmentsActive: 'Segments currently tracked.',
  segmentsDeleted: 'Sealed, consumed segments deleted.',
  segmentsBadName: 'Files in the log directory whose name is not a segment name.',
};

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/[^a-z0-9_]/g, '_');
}

/** One series per numeric health counter (new counters appear without a change here). */
function healthSeries(counters: HealthCounters): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(counters) as Array<[string, unknown]>) {
    if (typeof value !== 'number') continue;
    const level = LEVEL_COUNTERS.has(key);
    const name = `sentinel_wasi_${snakeCase(key)}${level ? '' : '_total'}`;
    out.push(`# HELP ${name} ${COUNTER_HELP[key] ?? `Health counter ${key}.`}`, `# TYPE ${name} ${level ? 'gauge' : 'counter'}`, `${name} ${num(value)}`);
  }
  return out;
}

/** Per-resource gauges: [metric name, help, value]. */
const RESOURCE_SERIES: Array<[string, string, (n: NodeSnapshot) => number]> = [
  ['sentinel_wasi_resource_pass_qps', 'Passed entries per second (second window).', (n) => n.second.passQps],
  ['sentinel_wasi_resource_block_qps', 'Blocked entries per second (second window).', (n) => n.second.blockQps],
  ['sentinel_wasi_resource_success_qps', 'Completed entries per second (second window).', (n) => n.second.successQps],
  ['sentinel_wasi_resource_exception_qps', 'Errored completions per second (second window).', (n) => n.second.exceptionQps],
  ['sentinel_wasi_resource_avg_rt_ms', 'Average response time in ms (second window).', (n) => n.second.avgRtMs],
  ['sentinel_wasi_resource_concurrency', 'In-flight entries.', (n) => n.concurrency],
  ['sentinel_wasi_resource_minute_pass', 'Passed entries in the last minute.', (n) => n.minute.pass],
  ['sentinel_wasi_resource_minute_block', 'Blocked entries in the last minute.', (n) => n.minute.block],
  ['sentinel_wasi_resource_minute_success', 'Completed entries in the last minute.', (n) => n.minute.success],
  ['sentinel_wasi_resource_minute_exception', 'Errored completions in the last minute.', (n) => n.minute.exception],
];

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function prometheusText(query: StatsQuery, nowMs: number, maxResources = DEFAULT_MAX_PROMETHEUS_RESOURCES): string {
  const health = query.healthAt(nowMs);
  const out: string[] = [];
  out.push(...healthSeries(health.counters));
  out.push(
    '# HELP sentinel_wasi_checkpoint_timestamp_seconds Time of the last durable checkpoint (0 before the first).',
    '# TYPE sentinel_wasi_checkpoint_timestamp_seconds gauge',
    `sentinel_wasi_checkpoint_timestamp_seconds ${num(health.checkpointAtMs / 1000)}`,
  );
  const all = query.resourcesAt(nowMs);
  const shown = [...all]
    .sort((a, b) => b.minute.totalRequest - a.minute.totalRequest || (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0))
    .slice(0, Math.max(0, maxResources))
    .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  out.push(
    '# HELP sentinel_wasi_resources_tracked Resources the collector tracks.',
    '# TYPE sentinel_wasi_resources_tracked gauge',
    `sentinel_wasi_resources_tracked ${all.length}`,
    '# HELP sentinel_wasi_resources_omitted Tracked resources left out of the per-resource series (label cardinality cap).',
    '# TYPE sentinel_wasi_resources_omitted gauge',
    `sentinel_wasi_resources_omitted ${all.length - shown.length}`,
  );
  for (const [name, help, value] of RESOURCE_SERIES) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const n of shown) out.push(`${name}{resource="${escapeLabelValue(n.resource)}"} ${num(value(n))}`);
  }
  return out.join('\n') + '\n';
}

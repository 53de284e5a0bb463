// Owns the exposition at /metrics, built with prom-client: a private Registry per collector (never
// the global default one), whose metrics are filled from the StatsQuery by collect callbacks at
// scrape time. Two registries with their own metric objects: Prometheus text (0.0.4), and
// OpenMetrics 1.0.0 when the scraper's Accept header asks for it (prom-client renames counters in
// place for OpenMetrics, so the two must not share metric objects).
//
// What is exposed:
// - every numeric health counter: running totals as counters `sentinel_wasi_<name>_total`, levels
//   (lagBytes, segmentsActive, segmentsBadName) as gauges; the last checkpoint time;
// - per resource (label `resource`): running totals since start over sealed seconds as counters
//   (`sentinel_wasi_resource_{pass,block,success,exception,rt_ms}_total`), and gauges of the live second
//   window (`..._qps`, `..._avg_rt_ms`) and of the in-flight `..._concurrency`.
// Label cardinality is bounded: at most `maxResources` resources (busiest by minute total, then by
// name) get series; how many were left out is `sentinel_wasi_resources_omitted`.

import { Counter, Gauge, Registry, type OpenMetricsContentType, type RegistryContentType } from 'prom-client';
import type { Health, NodeSnapshot, ResourceTotals, StatsQuery } from '../stats/types.js';

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;
export const DEFAULT_MAX_PROMETHEUS_RESOURCES = 200;

/** Health counters that are levels, not running totals: exposed as gauges. */
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
  recordsLateDropped: 'Late records too old to place anywhere, dropped.',
  recordsFuture: 'Records stamped too far in the future, dropped.',
  originsOverflow: 'Records whose origin node was beyond the origin-node cap.',
  segmentsMissing: 'Segments that vanished before being fully consumed.',
  segmentsReset: 'Segments read again from 0 or continued at their end after a reset.',
  segmentReadErrors: 'Segment reads that failed with an I/O error (retried).',
  entriesExpired: 'Admitted entries expired from the concurrency (no EXIT within the maximum entry age).',
  recordsAlreadyLogged: 'Records of seconds already in the metric log when started without a usable checkpoint, not counted again.',
};

function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/[^a-z0-9_]/g, '_');
}

/** What one scrape reads, taken once before the registry renders (collect callbacks read it). */
interface ScrapeView {
  health: Health;
  tracked: number;
  shown: NodeSnapshot[];
  totals: Map<string, ResourceTotals>;
}

const RESOURCE_COUNTERS: Array<[string, string, keyof ResourceTotals]> = [
  ['sentinel_wasi_resource_pass_total', 'Passed entries since the collector started (sealed seconds).', 'pass'],
  ['sentinel_wasi_resource_block_total', 'Blocked entries since the collector started (sealed seconds).', 'block'],
  ['sentinel_wasi_resource_success_total', 'Completed entries since the collector started (sealed seconds).', 'success'],
  ['sentinel_wasi_resource_exception_total', 'Errored completions since the collector started (sealed seconds).', 'exception'],
  ['sentinel_wasi_resource_rt_ms_total', 'Sum of the response times (ms) of the completions since the collector started (sealed seconds).', 'rtSumMs'],
];

const RESOURCE_GAUGES: Array<[string, string, (n: NodeSnapshot) => number]> = [
  ['sentinel_wasi_resource_pass_qps', 'Passed entries per second (live second window).', (n) => n.second.passQps],
  ['sentinel_wasi_resource_block_qps', 'Blocked entries per second (live second window).', (n) => n.second.blockQps],
  ['sentinel_wasi_resource_success_qps', 'Completed entries per second (live second window).', (n) => n.second.successQps],
  ['sentinel_wasi_resource_exception_qps', 'Errored completions per second (live second window).', (n) => n.second.exceptionQps],
  ['sentinel_wasi_resource_avg_rt_ms', 'Average response time in ms (live second window; 0 without completions).', (n) => n.second.avgRtMs],
  ['sentinel_wasi_resource_concurrency', 'In-flight entries.', (n) => n.concurrency],
];

function byName(a: NodeSnapshot, b: NodeSnapshot): number {
  return a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0;
}

/** Registers every metric on `registry`, each reading the current ScrapeView in its collect callback. */
function registerMetrics(registry: Registry<RegistryContentType>, view: () => ScrapeView, healthKeys: string[]): void {
  const registers = [registry];
  for (const key of healthKeys) {
    const help = COUNTER_HELP[key] ?? `Health counter ${key}.`;
    const read = (): number => (view().health.counters as unknown as Record<string, number>)[key] ?? 0;
    if (LEVEL_COUNTERS.has(key)) {
      new Gauge({ name: `sentinel_wasi_${snakeCase(key)}`, help, registers, collect() { this.set(read()); } });
    } else {
      new Counter({ name: `sentinel_wasi_${snakeCase(key)}_total`, help, registers, collect() { this.reset(); this.inc(read()); } });
    }
  }
  new Gauge({
    name: 'sentinel_wasi_checkpoint_timestamp_seconds',
    help: 'Time of the last durable checkpoint (0 before the first).',
    registers,
    collect() { this.set(view().health.checkpointAtMs / 1000); },
  });
  new Gauge({ name: 'sentinel_wasi_resources_tracked', help: 'Resources the collector tracks.', registers, collect() { this.set(view().tracked); } });
  new Gauge({
    name: 'sentinel_wasi_resources_omitted',
    help: 'Tracked resources left out of the per-resource series (label cardinality cap).',
    registers,
    collect() { const v = view(); this.set(v.tracked - v.shown.length); },
  });
  for (const [name, help, field] of RESOURCE_COUNTERS) {
    new Counter({
      name, help, registers, labelNames: ['resource'],
      collect() {
        this.reset();
        const v = view();
        for (const n of v.shown) {
          const t = v.totals.get(n.resource);
          if (t !== undefined) this.inc({ resource: n.resource }, t[field]);
        }
      },
    });
  }
  for (const [name, help, value] of RESOURCE_GAUGES) {
    new Gauge({
      name, help, registers, labelNames: ['resource'],
      collect() {
        this.reset();
        for (const n of view().shown) this.set({ resource: n.resource }, value(n));
      },
    });
  }
}

/** True when the Accept header asks for OpenMetrics (with a non-zero quality). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (type !== 'application/openmetrics-text') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

export interface Exposition {
  contentType: string;
  body: string;
}

export class PrometheusExporter {
  private readonly prometheus = new Registry();
  private readonly openMetrics = new Registry<OpenMetricsContentType>();
  private current: ScrapeView | undefined;

  constructor(
    private readonly query: StatsQuery,
    private readonly maxResources = DEFAULT_MAX_PROMETHEUS_RESOURCES,
  ) {
    const keys = Object.entries(query.healthAt(0).counters).filter(([, v]) => typeof v === 'number').map(([k]) => k);
    const view = (): ScrapeView => {
      if (this.current === undefined) throw new Error('E_NO_SCRAPE: metrics read outside a scrape');
      return this.current;
    };
    this.openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    registerMetrics(this.prometheus, view, keys);
    registerMetrics(this.openMetrics, view, keys);
  }

  /** Renders one scrape at nowMs in the format the Accept header asks for. */
  async scrape(nowMs: number, accept: string | undefined): Promise<Exposition> {
    const registry: Registry<RegistryContentType> = wantsOpenMetrics(accept) ? this.openMetrics : this.prometheus;
    const all = this.query.resourcesAt(nowMs);
    const shown = [...all]
      .sort((a, b) => b.minute.totalRequest - a.minute.totalRequest || byName(a, b))
      .slice(0, Math.max(0, this.maxResources))
      .sort(byName);
    const totals = new Map<string, ResourceTotals>();
    if (this.query.resourceTotalsAt !== undefined) {
      for (const n of shown) {
        const t = this.query.resourceTotalsAt(n.resource, nowMs);
        if (t !== undefined) totals.set(n.resource, t);
      }
    }
    this.current = { health: this.query.healthAt(nowMs), tracked: all.length, shown, totals };
    // metrics() runs every (synchronous) collect callback before its first await: the view above
    // is the one this scrape renders, even when scrapes overlap.
    const body = registry.metrics();
    return { contentType: registry.contentType, body: await body };
  }
}

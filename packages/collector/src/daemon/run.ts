// Owns running a Collector as a daemon: the pin lock, timers (a pass every tickMs, a checkpoint
// about once a second), the chokidar watcher that only wakes a pass sooner, the HTTP surface and
// `<pin>/collector/address.json`, structured logs, and a clean stop with a final checkpoint. A
// failing HTTP start is logged and collecting goes on.

import { unlinkSync } from 'node:fs';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { dashboardHeartbeat, type DashboardOptions } from './dashboard-wiring.js';
import { startHttpServer as defaultStartHttp, type HttpServerOptions, type RunningHttpServer } from '../http/server.js';
import { acquireLock, type PinLock } from '../pin/lock.js';
import { ensurePin } from '../pin/pin.js';
import { checkPinSafety } from '../pin/pin-safety.js';
import { writeFileSafely } from '../pin/safe-write.js';
import type { DaemonAddress, StatsQuery } from '../stats/types.js';
import { Collector, type CollectorOptions } from './collector.js';

export const DEFAULT_PORT = 8719;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_TICK_MS = 200;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000;

export interface DaemonOptions extends CollectorOptions, DashboardOptions {
  host?: string;
  port?: number;
  tickMs?: number;
  checkpointIntervalMs?: number;
  /** Accept a pin owned by another user or writable by group/others (checked at start otherwise). */
  allowSharedPin?: boolean;
  /** Bearer token for state-changing HTTP requests; undefined disables them. */
  token?: string;
  logger: Logger;
  nowMs?: () => number;
  /** For tests: replaces the HTTP server start. */
  startHttp?: (options: HttpServerOptions) => Promise<RunningHttpServer>;
  /** false: no HTTP server at all (`--no-http`). */
  http?: boolean;
}

/** Thrown past the HTTP start when HTTP is off: not an error. */
const HTTP_OFF = Symbol('http off');

export interface RunningDaemon {
  /** The current collector (replaced when a failed cycle reloads from the checkpoint). */
  readonly collector: Collector;
  /** The HTTP address, when the server started. */
  url: string | undefined;
  stop(): Promise<void>;
}

export async function runDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const log = options.logger;
  const now = options.nowMs ?? Date.now;
  const tickMs = options.tickMs ?? DEFAULT_TICK_MS;
  const checkpointIntervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  const { paths } = ensurePin(options.pinDir, options.app);
  checkPinSafety(paths, { allowShared: options.allowSharedPin === true });
  const lock: PinLock = acquireLock(paths.lock);
  let collector: Collector;
  try {
    collector = new Collector(options, now());
  } catch (err) {
    lock.release();
    throw err;
  }
  const r = collector.restored;
  log.info({ pin: paths.pinDir, app: collector.app, fromCheckpoint: r.fromCheckpoint, removedMetricFiles: r.removedMetricFiles, truncatedMetricBytes: r.truncatedMetricBytes, warmStartLines: r.warmStartLines, lastSealedSec: collector.store.lastSealedSec }, 'collector started');
  if (r.invalidCheckpoint !== undefined) log.error({ code: 'E_CHECKPOINT_INVALID' }, r.invalidCheckpoint);

  let stopped = false;
  let lastCheckpointMs = now();
  let problemsLogged = collector.health.problems.length;
  let soon: NodeJS.Immediate | null = null;
  let sealTimer: NodeJS.Timeout | null = null;
  let catchUp: NodeJS.Immediate | null = null;

  const logProblems = (): void => {
    const problems = collector.health.problems;
    // problems is a bounded list: log what is new since last time (at most its length).
    const total = collector.health.problemsReported;
    const fresh = Math.min(total - problemsLogged, problems.length);
    for (const p of problems.slice(problems.length - fresh)) log.warn({ code: p.code, segment: p.segment }, p.message);
    problemsLogged = total;
  };

  const cycle = (): void => {
    if (stopped) return;
    const t = now();
    const checkpointDue = t - lastCheckpointMs >= checkpointIntervalMs;
    try {
      const res = collector.cycleAt(t, checkpointDue);
      if (checkpointDue) lastCheckpointMs = t;
      if (res.deleted.length > 0) log.debug({ deleted: res.deleted }, 'segments deleted');
      if (res.more && catchUp === null) {
        catchUp = setImmediate(() => {
          catchUp = null;
          cycle();
        });
      }
    } catch (err) {
      if (checkpointDue) lastCheckpointMs = t;
      const e = err as NodeJS.ErrnoException;
      // A failed metric-log append or checkpoint (disk full, ...) may leave memory ahead of the
      // disk: start again from the last durable checkpoint, exactly as after a crash.
      log.error({ code: e.code ?? 'E_CYCLE', err: e.message }, 'collector cycle failed; reloading from the last checkpoint');
      const counters = collector.health.counters;
      try {
        collector.metricLog.close();
        collector = new Collector(options, now());
        problemsLogged = collector.health.problemsReported;
        collector.health.problem({ atMs: t, code: 'E_CYCLE', message: `${String(e.message)} (reloaded from the checkpoint; counters before: ${counters.recordsCounted} records)` });
      } catch (err2) {
        log.error({ code: (err2 as NodeJS.ErrnoException).code ?? 'E_RELOAD', err: (err2 as Error).message }, 'reload failed; retrying on the next tick');
      }
    }
    logProblems();
    armSeal();
  };
  // A cycle right when the next second becomes due (its end + grace), not up to a tick later:
  // the dashboard reads each second once, about 2 s after its end.
  const armSeal = (): void => {
    if (stopped || sealTimer !== null) return;
    const dueMs = (collector.store.lastSealedSec + 2) * 1000 + collector.graceMs;
    const delayMs = dueMs - now();
    if (delayMs <= 0 || delayMs >= tickMs) return;
    sealTimer = setTimeout(() => {
      sealTimer = null;
      cycle();
    }, delayMs + 1);
  };
  // One pass soon after the log directory changes; wakes that arrive before it runs share it.
  const wake = (): void => {
    if (stopped || soon !== null) return;
    soon = setImmediate(() => {
      soon = null;
      cycle();
    });
  };

  cycle();
  const interval = setInterval(cycle, tickMs);
  const watcher: FSWatcher = watch(paths.logDir, { depth: 0, ignoreInitial: true, persistent: true });
  // 'raw' carries every underlying fs.watch event: chokidar throttles 'change' to one per file per
  // 50 ms, which would leave an append that follows another within 50 ms to the next tick.
  watcher.on('add', wake).on('change', wake).on('unlink', wake).on('raw', wake);
  watcher.on('error', (err) => log.warn({ code: 'E_WATCH', err: String((err as Error).message ?? err) }, 'watcher error; the periodic scan goes on'));

  let http: RunningHttpServer | undefined;
  let heartbeat: { stop(): void } | undefined;
  const startHttp = options.startHttp ?? defaultStartHttp;
  try {
    if (options.http === false) throw HTTP_OFF;
    // The collector object is replaced after a reload: the server reads through this view.
    const query: StatsQuery = {
      resourcesAt: (nowMs) => collector.resourcesAt(nowMs),
      resourceAt: (name, nowMs) => collector.resourceAt(name, nowMs),
      healthAt: (nowMs) => collector.healthAt(nowMs),
      sealedThroughSecAt: (nowMs) => collector.sealedThroughSecAt(nowMs),
      resourceTotalsAt: (resource, nowMs) => collector.resourceTotalsAt(resource, nowMs),
    };
    http = await startHttp({
      query,
      app: collector.app,
      metricDir: paths.metricDir,
      host: options.host ?? DEFAULT_HOST,
      port: options.port ?? DEFAULT_PORT,
      nowMs: now,
      ...(options.token === undefined ? {} : { token: options.token }),
    });
    const address: DaemonAddress = { url: http.url, pid: process.pid, startedAtMs: now(), app: collector.app };
    writeFileSafely(paths.address, `${JSON.stringify(address)}\n`);
    log.info({ url: http.url }, 'http listening');
    heartbeat = dashboardHeartbeat(options, collector.app, http.url, options.host ?? DEFAULT_HOST, now, log);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err === HTTP_OFF) log.info('http off');
    else log.error({ code: e.code ?? 'E_HTTP_START', err: e.message }, 'http server did not start; collecting goes on');
  }

  return {
    get collector(): Collector {
      return collector;
    },
    url: http?.url,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      heartbeat?.stop();
      clearInterval(interval);
      if (soon !== null) clearImmediate(soon);
      if (sealTimer !== null) clearTimeout(sealTimer);
      if (catchUp !== null) clearImmediate(catchUp);
      await watcher.close();
      try {
        collector.closeAt(now());
        log.info({ checkpointAtMs: collector.healthAt(now()).checkpointAtMs, counters: collector.health.counters }, 'final checkpoint written');
      } catch (err) {
        log.error({ code: (err as NodeJS.ErrnoException).code ?? 'E_CHECKPOINT_WRITE', err: (err as Error).message }, 'final checkpoint failed');
      }
      if (http !== undefined) {
        try {
          await http.close();
        } catch {
          /* closing anyway */
        }
        try {
          unlinkSync(paths.address);
        } catch {
          /* already gone */
        }
      }
      lock.release();
      log.info('collector stopped');
    },
  };
}

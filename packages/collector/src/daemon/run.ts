// Owns running a Collector as a daemon: the pin lock, timers (a pass every tickMs, a checkpoint
// about once a second with its fsyncs off the event loop, the flow-control tick every ≤ 100 ms), the watchers (the log directory's
// reads a changed segment at once or wakes a pass sooner; the rules directory's reloads rule files), the HTTP surface and
// `<pin>/collector/address.json`, structured logs, and a clean stop with a final checkpoint. A
// failing HTTP start is logged and collecting goes on, unless the caller requires HTTP
// (`requireHttp`, the CLI): then the daemon stops (final checkpoint, lock released) and runDaemon
// rejects with the start's error. Rule loads, refused pushes and breaker transitions are logged
// through rule-log.ts. A failing cycle reloads from the checkpoint
// and the next cycle waits (CYCLE_RETRY_BASE_MS doubling up to CYCLE_RETRY_MAX_MS); the reloaded
// collector keeps the counters of before as a floor, so health counters never go backwards. A
// repeated failure (same code) is logged at most once per FAILURE_LOG_INTERVAL_MS, with a count.

import { unlinkSync } from 'node:fs';
import { withoutCodePrefix } from '@sentinel-wasi/protocol';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { dashboardHeartbeat, type DashboardOptions } from './dashboard-wiring.js';
import { startHttpServer as defaultStartHttp, type HttpServerOptions, type RunningHttpServer } from '../http/server.js';
import { acquireLock, type PinLock } from '../pin/lock.js';
import { removeLeftoverTemps } from '../pin/leftover-temps.js';
import { ensurePin } from '../pin/pin.js';
import { checkPinSafety } from '../pin/pin-safety.js';
import { PinGuard } from '../pin/pin-guard.js';
import { writeFileSafely } from '../pin/safe-write.js';
import { FlowControl, MAX_CONTROL_TICK_MS } from '../map/flow-control.js';
import { QPS_STEP_MS } from '../rules/flow-limiter.js';
import { countedNamesIn } from '../map/map-writer.js';
import { watchLogDir } from '../ingest/log-watch.js';
import type { RuleChange, RuleFileStatus } from '../rules/rule-files.js';
import { breakerLogFields, logRefusedPush, logRuleStatus } from './rule-log.js';
import { refusalLog } from './refusal-log.js';
import { loadOrCreateToken } from './token.js';
import type { DaemonAddress, NodeSnapshot, StatsQuery } from '../stats/types.js';
import { Collector, type CollectorOptions } from './collector.js';

export const DEFAULT_PORT = 8719;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_TICK_MS = 200;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000;
/** Wait after a failed cycle; doubles per consecutive failure up to CYCLE_RETRY_MAX_MS. */
export const CYCLE_RETRY_BASE_MS = 200;
export const CYCLE_RETRY_MAX_MS = 10_000;
export const FAILURE_LOG_INTERVAL_MS = 10_000;

export interface DaemonOptions extends CollectorOptions, DashboardOptions {
  host?: string;
  port?: number;
  tickMs?: number;
  checkpointIntervalMs?: number;
  /** Accept a pin owned by another user or writable by group/others (checked at start otherwise). */
  allowSharedPin?: boolean;
  /** Bearer token for state-changing HTTP requests; default: `<pin>/collector/token` (created 0600 at first start). */
  token?: string;
  /** Requests from this address may push rules without the token (a Sentinel Dashboard); none by default. */
  trustDashboardAddress?: string;
  /** Control tick: the rules engine runs and the map's slots are refreshed this often (default and at most 100 ms). */
  controlTickMs?: number;
  /** Home slots of a new resource map (default DEFAULT_MAP_SLOTS, 16 384). */
  mapSlots?: number;
  logger: Logger;
  nowMs?: () => number;
  /** For tests: replaces the HTTP server start. */
  startHttp?: (options: HttpServerOptions) => Promise<RunningHttpServer>;
  /** false: no HTTP server at all (`--no-http`). */
  http?: boolean;
  /** true: a failing HTTP start stops the daemon and runDaemon rejects with its error (default: logged, collecting goes on). */
  requireHttp?: boolean;
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
  const { paths, header, created } = ensurePin(options.pinDir, options.app);
  checkPinSafety(paths, { allowShared: options.allowSharedPin === true });
  const lock: PinLock = acquireLock(paths.lock);
  const leftoverTemps = removeLeftoverTemps(paths);
  const controlTickMs = Math.min(options.controlTickMs ?? MAX_CONTROL_TICK_MS, MAX_CONTROL_TICK_MS);
  let collector: Collector;
  let flow: FlowControl;
  let token: string;
  const logRuleChanges = (changes: RuleChange[]): void => {
    for (const { type, status } of changes) logRuleStatus(log, type, status);
  };
  /** A collector on the pin whose records and frames the flow control counts (at start, and after a failed cycle). */
  const newCollector = (): Collector =>
    new Collector({ ...options, onRecord: (r) => flow.tap.record(r), onColumns: (c) => flow.tap.columns(c), onResource: (name) => flow.resourceCounted(name), resolveId: flow.writer.resolveId, knownNames: () => countedNamesIn(paths.collectorDir) }, now());
  try {
    token = options.token ?? loadOrCreateToken(paths.collectorDir);
    flow = new FlowControl({
      pinDir: paths.pinDir,
      rulesDir: paths.rulesDir,
      collectorDir: paths.collectorDir,
      ...(options.mapSlots === undefined ? {} : { mapSlots: options.mapSlots }),
      // Map write failures go to the current collector's health (it is replaced after a failed cycle).
      problems: { problem: (p) => collector.health.problem(p) },
    });
    collector = newCollector();
    logRuleChanges(flow.start(now()));
    // The last run's counted resources keep their map slots only while tracked (or under a rule).
    flow.writer.keepCountedOnly(collector.store.resourceNames());
  } catch (err) {
    lock.release();
    throw err;
  }
  const r = collector.restored;
  if (!created && options.app !== undefined && options.app !== header.app) {
    // As `init` says it: the app is the pin's, set when it was made.
    log.warn({ code: 'E_APP_IGNORED', app: header.app, requestedApp: options.app }, `${paths.pinDir} already belongs to app ${JSON.stringify(header.app)}; --app ${JSON.stringify(options.app)} ignored (make a new pin with init --pin DIR --app NAME for another app)`);
  }
  if (options.mapSlots !== undefined && flow.writer.reused && flow.writer.slotCount !== options.mapSlots) {
    // As for --app: the map of a pin keeps its size (its ids and slots are filters' too).
    log.warn({ code: 'E_MAP_SLOTS_IGNORED', mapSlots: flow.writer.slotCount, requestedMapSlots: options.mapSlots }, `${paths.pinDir}'s map already has ${flow.writer.slotCount} slots; --map-slots ${options.mapSlots} ignored (it sizes a new map: make a new pin, or remove ${flow.writer.path} while no collector runs, for a new map and new ids)`);
  }
  log.info({ pin: paths.pinDir, app: collector.app, fromCheckpoint: r.fromCheckpoint, removedMetricFiles: r.removedMetricFiles, truncatedMetricBytes: r.truncatedMetricBytes, warmStartLines: r.warmStartLines, lastSealedSec: collector.store.lastSealedSec, removedTempFiles: leftoverTemps }, 'collector started');

  let stopped = false;
  let lastCheckpointMs = now();
  // 0: the problems reported while starting (a checkpoint set aside or missing, the map not
  // created, a checkpointed segment gone) are logged by the first logProblems.
  let problemsLogged = 0;
  let soon: NodeJS.Immediate | null = null;
  let sealTimer: NodeJS.Timeout | null = null;
  let catchUp: NodeJS.Immediate | null = null;

  const logProblems = (): void => {
    const problems = collector.health.problems;
    // problems is a bounded list: log what is new since last time (at most its length).
    const total = collector.health.problemsReported;
    const fresh = Math.min(total - problemsLogged, problems.length);
    // The code is a field of the line: a message that begins with it (a checkpoint's error) drops it there.
    for (const p of problems.slice(problems.length - fresh)) log.warn({ code: p.code, segment: p.segment }, withoutCodePrefix(p.message, p.code));
    problemsLogged = total;
  };

  let failedCycles = 0;
  let retryAtMs = 0;
  const failureLogs = new Map<string, { atMs: number; repeats: number }>();
  /** Logs a failure unless one with the same key was logged less than FAILURE_LOG_INTERVAL_MS ago (then counts it). */
  const logFailure = (key: string, atMs: number, fields: Record<string, unknown>, message: string): void => {
    const last = failureLogs.get(key);
    if (last !== undefined && atMs - last.atMs < FAILURE_LOG_INTERVAL_MS && atMs >= last.atMs) {
      last.repeats++;
      return;
    }
    log.error(last !== undefined && last.repeats > 0 ? { ...fields, repeats: last.repeats } : fields, message);
    failureLogs.set(key, { atMs, repeats: 0 });
  };
  /**
   * A failed cycle or checkpoint (disk full, ...) may leave memory ahead of the disk: start again
   * from the last durable checkpoint, exactly as after a crash, and wait before the next cycle.
   */
  const failed = (err: unknown, t: number): void => {
    failedCycles++;
    retryAtMs = t + Math.min(CYCLE_RETRY_MAX_MS, CYCLE_RETRY_BASE_MS * 2 ** Math.min(failedCycles - 1, 30));
    const e = err as NodeJS.ErrnoException;
    logFailure(`cycle ${e.code ?? 'E_CYCLE'}`, t, { code: e.code ?? 'E_CYCLE', err: e.message }, 'collector cycle failed; reloading from the last checkpoint');
    try {
      const before = collector;
      before.dropCheckpointInFlight();
      before.metricLog.close();
      before.tailer.close(); // its kept segment descriptors: the new collector opens its own
      collector = newCollector();
      collector.keepCountersOf(before);
      collector.health.problem({ atMs: t, code: 'E_CYCLE', message: `${String(e.message)} (reloaded from the checkpoint; ${failedCycles} failed cycles in a row)` });
      // Logged above (at most once per interval), not again as a problem.
      problemsLogged = collector.health.problemsReported;
    } catch (err2) {
      const code = (err2 as NodeJS.ErrnoException).code ?? 'E_RELOAD';
      logFailure(`reload ${code}`, t, { code, err: (err2 as Error).message }, 'reload failed; retrying on the next tick');
    }
  };
  // The checkpoint's fsyncs run off the event loop (a synchronous fsync would hold every watch
  // read and HTTP answer behind the disk); a failure is a failed cycle.
  const checkpoint = (t: number): void => {
    const c = collector;
    c.checkpointAsyncAt(t).then(
      (res) => {
        if (c === collector) failedCycles = 0; // back to health: the next failure waits the base time again
        if (res.deleted.length > 0) log.debug({ deleted: res.deleted }, 'segments deleted');
      },
      (err: unknown) => {
        if (stopped || c !== collector) return;
        failed(err, now());
        logProblems();
      },
    );
  };
  const cycle = (): void => {
    if (stopped) return;
    const t = now();
    if (t < retryAtMs) return; // backing off after failed cycles
    // Due once the interval has passed and the previous one is on disk (a slow disk delays it, never doubles it).
    const checkpointDue = t - lastCheckpointMs >= checkpointIntervalMs && !collector.checkpointInFlight;
    try {
      const res = collector.cycleAt(t, false);
      react(t);
      if (checkpointDue) {
        lastCheckpointMs = t;
        checkpoint(t);
      }
      if (res.more && catchUp === null) {
        catchUp = setImmediate(() => {
          catchUp = null;
          cycle();
        });
      }
    } catch (err) {
      if (checkpointDue) lastCheckpointMs = t;
      failed(err, t);
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

  // The control tick: read what the filters wrote, run the rules engine on the traffic since the
  // last tick, refresh the map's slots; rule files are looked at once a second (and on a change).
  let lastRulesLookMs = now();
  // A resource's node ('' origin) or one origin's node as the statistics have it at t.
  const nodeAt = (t: number, resource: string, origin: string): NodeSnapshot | undefined => {
    const r = collector.resourceAt(resource, t);
    return origin === '' ? r?.node : r?.origins.find((o) => o.origin === origin);
  };
  const concurrencyOf = (t: number) => (resource: string, origin: string): number => nodeAt(t, resource, origin)?.concurrency ?? 0;
  // A node's offered rate (pass + block a second, the second window): where a new rule's limiter starts.
  const offeredOf = (t: number) => (resource: string, origin: string): number => {
    const n = nodeAt(t, resource, origin);
    return n === undefined ? 0 : n.second.passQps + n.second.blockQps;
  };
  /** Reads rule files that changed; true when the rules in force changed. */
  const reloadRules = (): boolean => {
    try {
      const changes = flow.reloadFiles(now());
      logRuleChanges(changes);
      return changes.length > 0;
    } catch (err) {
      log.error({ code: (err as NodeJS.ErrnoException).code ?? 'E_RULES_RELOAD', err: (err as Error).message }, 'rule reload failed; the rules in force stay');
      return false;
    }
  };
  // After each read of the segments: a concurrency rule whose count the records just read put in
  // flight, or a QPS rule whose PASS since the tick make a burst after a quiet spell, stops
  // admitting now, not at the next control tick (FlowControl.react).
  const react = (t: number): void => {
    try {
      flow.react(t, concurrencyOf(t));
    } catch (err) {
      log.error({ code: (err as NodeJS.ErrnoException).code ?? 'E_CONTROL_TICK', err: (err as Error).message }, 'between-tick flow check failed');
    }
  };
  // Every QPS_STEP_MS between control ticks: a QPS rule that limits steps its loop on what the
  // reads since the tick counted (records are read as they are appended), and its slot is written
  // when its ratio changed (FlowControl.step); nothing to do while no QPS rule limits. The timer
  // runs only while a QPS rule is in force (syncStepTimer, from every flow tick, which does nothing
  // once stopped: the rules in force change only with one), so a collector without one is not woken
  // 50 times a second for nothing.
  let stepInterval: NodeJS.Timeout | undefined;
  const syncStepTimer = (): void => {
    if (flow.steps) stepInterval ??= setInterval(qpsStep, QPS_STEP_MS);
    else if (stepInterval !== undefined) {
      clearInterval(stepInterval);
      stepInterval = undefined;
    }
  };
  const qpsStep = (): void => {
    if (stopped) return;
    try {
      flow.step(now());
    } catch (err) {
      log.error({ code: (err as NodeJS.ErrnoException).code ?? 'E_CONTROL_TICK', err: (err as Error).message }, 'flow step failed');
    }
  };
  const pinGuard = new PinGuard({ paths, header, problems: { problem: (p) => collector.health.problem(p) } });
  const controlTick = (): void => {
    if (stopped) return;
    if (now() - lastRulesLookMs >= 1000) {
      lastRulesLookMs = now();
      reloadRules();
    }
    pinGuard.checkAt(now());
    flowTick();
  };
  // The engine and the map now (from the control tick, and at once when the rules in force change:
  // a new rule's slot gets the share its node's offered rate calls for, not a pass until the next tick).
  const flowTick = (): void => {
    if (stopped) return;
    if (flow.active) cycle();
    const t = now();
    try {
      for (const tr of flow.tick(t, concurrencyOf(t), (collector.store.lastSealedSec + 1) * 1000, offeredOf(t))) log.info(breakerLogFields(tr), 'circuit breaker');
    } catch (err) {
      log.error({ code: (err as NodeJS.ErrnoException).code ?? 'E_CONTROL_TICK', err: (err as Error).message }, 'control tick failed');
    }
    syncStepTimer();
  };
  const reloadRulesNow = (): void => {
    if (reloadRules()) flowTick();
  };

  cycle();
  const interval = setInterval(cycle, tickMs);
  controlTick();
  const controlInterval = setInterval(controlTick, controlTickMs);
  const rulesWatcher: FSWatcher = watch(paths.rulesDir, { depth: 0, ignoreInitial: true, persistent: true, followSymlinks: false });
  rulesWatcher.on('add', reloadRulesNow).on('change', reloadRulesNow).on('unlink', reloadRulesNow);
  rulesWatcher.on('error', (err) => log.warn({ code: 'E_WATCH', err: String((err as Error).message ?? err) }, 'rules watcher error; rule files are still looked at every second'));
  // A segment that changes is read at once, from the watcher's event (what was appended is in the
  // windows before any other callback runs); anything else in the log directory wakes a pass.
  const readNow = (name: string): void => {
    if (stopped) return;
    const t = now();
    if (t < retryAtMs) return; // backing off after failed cycles
    let r: { more: boolean } | null;
    try {
      r = collector.readSegmentAt(name, t);
    } catch {
      r = null; // the pass meets the same fault and deals with it
    }
    react(t);
    if (r === null || r.more) wake();
  };
  const logWatch = watchLogDir(paths.logDir, {
    onSegmentChange: readNow,
    onDirectoryChange: wake,
    onError: (err) => log.warn({ code: 'E_WATCH', err: String(err.message ?? err) }, 'log watcher error; the periodic scan goes on'),
  });

  let http: RunningHttpServer | undefined;
  let heartbeat: { stop(): void } | undefined;
  let httpFailure: unknown;
  const startHttp = options.startHttp ?? defaultStartHttp;
  try {
    if (options.http === false) throw HTTP_OFF;
    // The collector object is replaced after a reload: the server reads through this view.
    const query: StatsQuery = {
      resourcesAt: (nowMs) => collector.resourcesAt(nowMs),
      resourceAt: (name, nowMs) => collector.resourceAt(name, nowMs),
      resourceNames: () => collector.resourceNames(),
      healthAt: (nowMs) => ({ ...collector.healthAt(nowMs), rules: flow.health() }),
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
      token,
      onRefused: refusalLog(log, now),
      ...(options.trustDashboardAddress === undefined ? {} : { trustDashboardAddress: options.trustDashboardAddress }),
      rules: {
        getRules: (type) => flow.getRules(type),
        setRules: (type, json, nowMs) => {
          let status: RuleFileStatus;
          try {
            status = flow.setRules(type, json, nowMs);
          } catch (err) {
            logRefusedPush(log, type, flow.files.statusOf(type), err);
            throw err;
          }
          logRuleChanges([{ type, status }]);
          flowTick();
          return status;
        },
        refused: (code, message) => log.warn({ code }, `rules pushed over /setRules not applied: ${message}; the rules in force are unchanged`),
        switchOn: () => flow.switchedOn,
        setSwitch: (on) => {
          if (!flow.setSwitch(on, now())) return;
          flowTick();
          if (on) log.info({ switchOn: true }, 'Sentinel switch on: the rules in force are enforced again');
          else log.warn({ switchOn: false }, 'Sentinel switch off: no rule is enforced (every verdict PASS) until setSwitch?value=true or a restart');
        },
      },
    });
    const address: DaemonAddress = { url: http.url, pid: process.pid, startedAtMs: now(), app: collector.app };
    writeFileSafely(paths.address, `${JSON.stringify(address)}\n`);
    log.info({ url: http.url }, 'http listening');
    if (options.trustDashboardAddress !== undefined) log.info({ trustDashboardAddress: options.trustDashboardAddress }, 'requests from this address may push rules without the token');
    heartbeat = dashboardHeartbeat(options, collector.app, http.url, options.host ?? DEFAULT_HOST, now, log);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err === HTTP_OFF) {
      log.info('http off');
    } else if (options.requireHttp === true) {
      log.error({ code: e.code ?? 'E_HTTP_START', err: e.message }, 'http server did not start; the collector stops');
      httpFailure = err;
    } else {
      log.error({ code: e.code ?? 'E_HTTP_START', err: e.message }, 'http server did not start; collecting goes on');
    }
  }

  const daemon: RunningDaemon = {
    get collector(): Collector {
      return collector;
    },
    url: http?.url,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      heartbeat?.stop();
      clearInterval(interval);
      clearInterval(controlInterval);
      clearInterval(stepInterval);
      await settledWithin(rulesWatcher.close(), WATCHER_CLOSE_MS);
      if (soon !== null) clearImmediate(soon);
      if (sealTimer !== null) clearTimeout(sealTimer);
      if (catchUp !== null) clearImmediate(catchUp);
      logWatch.close();
      await collector.checkpointSettled();
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
      flow.close();
      lock.release();
      log.info('collector stopped');
    },
  };
  if (httpFailure !== undefined) {
    await daemon.stop(); // final checkpoint, lock released
    throw httpFailure;
  }
  return daemon;
}

/** How long stopping waits for a file watcher to close before going on without it. */
const WATCHER_CLOSE_MS = 2000;

/** Resolves when `p` settles or after `ms`, whichever is first (a stop never waits forever). */
function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((r) => (timer = setTimeout(r, ms)));
  return Promise.race([p.then(() => undefined, () => undefined), deadline]).finally(() => clearTimeout(timer));
}

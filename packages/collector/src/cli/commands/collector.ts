// Owns `sentinel-wasi collector`: runs the collector daemon in the foreground on a pin directory
// until SIGTERM, SIGINT or SIGHUP, logging structured lines (pino) to stdout. A collector that cannot have
// the HTTP address it was asked for stops at once rather than run unseen, unless it was told to run
// without HTTP (--no-http): a port in use is E_ADDRINUSE, any other listen failure (a --host that
// does not resolve or is not an address of this machine, a privileged port) E_HTTP_START, both
// exit 1. Both are checked before the daemon starts (nothing is logged, the pin is not locked),
// except that a port in use while another collector holds the pin's lock is E_LOCKED (that
// collector is the problem, and likely the port's holder); a bind that fails later anyway stops
// the daemon cleanly (runDaemon's requireHttp).

import { createServer, isIP } from 'node:net';
import { pino } from 'pino';
import { appNameProblem } from '@sentinel-wasi/protocol';
import { UsageError, type Command } from '@sentinel-wasi/protocol/node';
import { parseOptions, wholeNumber, type OptionValues } from '../../client/args.js';
import { DEFAULT_GRACE_MS } from '../../daemon/collector.js';
import { DEFAULT_HEARTBEAT_FIRST_DELAY_MS, DEFAULT_HEARTBEAT_INTERVAL_MS, parseDashboardList } from '../../daemon/heartbeat.js';
import { DEFAULT_METRIC_FILE_BYTES, DEFAULT_METRIC_FILE_COUNT } from '../../metriclog/writer.js';
import { DEFAULT_MAX_RESOURCES } from '../../stats/registry.js';
import { DEFAULT_MAX_ENTRY_AGE_MS } from '../../stats/store.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TICK_MS, runDaemon } from '../../daemon/run.js';
import { startHttpServer, type HttpServerOptions } from '../../http/server.js';
import { MAX_RULES_PER_TYPE } from '../../rules/rule-set.js';
import { liveLockOwner, LockError } from '../../pin/lock.js';
import { pinPaths } from '../../pin/pin.js';
import { MIN_TOKEN_CHARS } from '../../daemon/token.js';

/** The smallest metric log file --metric-file-bytes takes: a few dozen lines (a file per line or two would be a mistake, not a setting). */
export const MIN_METRIC_FILE_BYTES = 4096;

/** The shortest --token accepted (the generated one is 64 hex digits). */

const HELP = `Usage: sentinel-wasi collector --pin DIR [options]

Runs the collector in the foreground: tails DIR/log, keeps Sentinel's second and minute windows
per resource, writes Sentinel's metric log under DIR/collector/metrics, checkpoints about once a
second (exactly-once across restarts), and serves HTTP. Creates the pin if it is missing. Stops
cleanly (final checkpoint) on SIGTERM, SIGINT or SIGHUP (a closed terminal). Logs are JSON lines on stdout.

Rules: flow and degrade rules (Sentinel's JSON arrays, at most ${MAX_RULES_PER_TYPE} each) are read from
DIR/rules/flow.json and DIR/rules/degrade.json at start and again whenever they change (replace
them atomically: write a temporary file, then mv it over); /setRules writes them too.
/setSwitch?value=false stops enforcing every rule until value=true or a restart (Sentinel's switch).

Exit codes: 0 stopped by SIGTERM, SIGINT or SIGHUP, 1 could not start (E_ADDRINUSE, E_HTTP_START,
E_LOCKED, E_PIN_UNSAFE, …), 2 bad usage (E_USAGE).

Options:
  --pin DIR                 the pin directory (required)
  --port N                  HTTP port (default ${DEFAULT_PORT}; 0 picks a free one). A port in use
                            stops the collector at once: exit 1, E_ADDRINUSE
  --host ADDR               HTTP address (default ${DEFAULT_HOST}); one that cannot be listened on
                            stops the collector at once: exit 1, E_HTTP_START
  --no-http                 run without the HTTP server (stats and top then read the metric log)
  --app NAME                application name for a new pin (default: the directory's name)
  --grace-ms N              a second is sealed N ms after it ended (default ${DEFAULT_GRACE_MS})
  --tick-ms N               scan the log directory every N ms (default ${DEFAULT_TICK_MS})
  --checkpoint-ms N         checkpoint every N ms (default ${DEFAULT_CHECKPOINT_INTERVAL_MS})
  --metric-file-bytes N     roll metric log files at N bytes, at least ${MIN_METRIC_FILE_BYTES} (default ${DEFAULT_METRIC_FILE_BYTES})
  --metric-file-count N     keep N metric log files (default ${DEFAULT_METRIC_FILE_COUNT})
  --max-resources N         tracked resources cap (default ${DEFAULT_MAX_RESOURCES})
  --max-entry-age-ms N      an admitted entry whose EXIT has not come N ms after it began is taken
                            as lost (a filter killed mid-request) and leaves the concurrency
                            (default ${DEFAULT_MAX_ENTRY_AGE_MS}, 10 min; 0: never)
  --dashboard HOST[:PORT][,HOST[:PORT]]
                            register with these Sentinel Dashboards (heartbeat POST /registry/machine);
                            http:// or https:// may lead; without a port, 80 (443 with https://), as
                            Sentinel reads csp.sentinel.dashboard.server (not with --no-http)
  --heartbeat-ms N          dashboard heartbeat interval (default ${DEFAULT_HEARTBEAT_INTERVAL_MS}; first beat after
                            ${DEFAULT_HEARTBEAT_FIRST_DELAY_MS / 1000} s, or after N ms when N is shorter)
  --token TOKEN             bearer token for state-changing requests (/setRules, /setSwitch), at least
                            ${MIN_TOKEN_CHARS} characters (other local users see it in the process list:
                            prefer SENTINEL_WASI_TOKEN or the file); default: the one in
                            DIR/collector/token, created (0600, random) at first start (a token
                            of fewer characters there stops the start: E_TOKEN_SHORT)
  --trust-dashboard-address ADDR
                            requests from this one IP address (as the collector sees it:
                            127.0.0.1, ::1, 10.0.0.5, …) may push rules (and set the switch)
                            without the token (a Sentinel Dashboard sends none; a wrong token is
                            still refused); no address is trusted by default
  --control-tick-ms N       run the rules engine and refresh the map every N ms (default and at most 100);
                            between ticks a QPS rule that limits also steps every 20 ms
  --map-slots N             home slots of a new resource map DIR/map (default 16384); a pin's
                            map keeps its size (a different N for it is ignored: E_MAP_SLOTS_IGNORED)
  --log-level LEVEL         fatal, error, warn, info (default), debug, trace or silent
  --allow-shared-pin        accept a pin (or its log/, rules/, collector/) owned by another user or
                            writable by group/others (refused otherwise: E_PIN_UNSAFE)

Environment:
  SENTINEL_WASI_TOKEN       bearer token that state-changing HTTP requests must carry (--token wins)
`;

/** Thrown when the HTTP address or port cannot be had: one line for the dispatcher, exit code 1. */
class CollectorError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CollectorError';
  }
}

function addressInUse(host: string, port: number): CollectorError {
  return new CollectorError(
    'E_ADDRINUSE',
    `cannot listen on ${host}:${port}: the port is in use (another collector?); choose another with --port N (0 picks a free one), or run without HTTP with --no-http`,
  );
}

/** Listen errors that say the --host is wrong (does not resolve, is not an address of this machine). */
const HOST_ERRORS: ReadonlySet<string | undefined> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EADDRNOTAVAIL']);

/** Why host:port cannot be listened on: the port in use (E_ADDRINUSE), else E_HTTP_START with the OS reason and a hint. */
function listenFailure(host: string, port: number, err: NodeJS.ErrnoException): CollectorError {
  if (err.code === 'EADDRINUSE') return addressInUse(host, port);
  const hint = HOST_ERRORS.has(err.code) ? `give --host an address of this machine (default ${DEFAULT_HOST})` : 'choose another port with --port N';
  return new CollectorError('E_HTTP_START', `cannot listen on ${host}:${port}: ${err.message}; ${hint}, or run without HTTP with --no-http`);
}

/** Why host:port cannot be listened on now, undefined when it can (checked before the daemon takes the pin's lock). */
function listenProbe(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

/** The daemon's HTTP start failed after the probe passed: a listen failure as the probe would say it, else E_HTTP_START. */
function httpStartFailure(host: string, port: number, err: NodeJS.ErrnoException): CollectorError {
  const cause = err.code === 'E_HTTP_LISTEN' ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  if (cause !== undefined) return listenFailure(host, port, cause);
  return new CollectorError('E_HTTP_START', `cannot start HTTP on ${host}:${port}: ${err.message}; run without HTTP with --no-http`);
}

/** pino's levels, as --log-level takes them: its own, most severe first, then silent. */
const LOG_LEVELS: readonly string[] = [
  ...Object.entries(pino.levels.values)
    .sort(([, a], [, b]) => b - a)
    .map(([name]) => name),
  'silent',
];

/** An integer option of at least `min` (plain decimal digits: client/args.ts wholeNumber); undefined when absent. */
function intOption(values: OptionValues, name: string, min: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = typeof v === 'string' ? wholeNumber(v) : undefined;
  if (n === undefined || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export const collectorCommand: Command = {
  name: 'collector',
  summary: 'run the collector daemon on a pin directory (foreground)',
  help: HELP,
  async run(argv, io) {
    const { 'allow-shared-pin': shared, ...values } = parseOptions(argv, {
      pin: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      app: { type: 'string' },
      'grace-ms': { type: 'string' },
      'tick-ms': { type: 'string' },
      'checkpoint-ms': { type: 'string' },
      'metric-file-bytes': { type: 'string' },
      'metric-file-count': { type: 'string' },
      'max-resources': { type: 'string' },
      'max-entry-age-ms': { type: 'string' },
      'log-level': { type: 'string' },
      dashboard: { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      token: { type: 'string' },
      'trust-dashboard-address': { type: 'string' },
      'control-tick-ms': { type: 'string' },
      'map-slots': { type: 'string' },
      'allow-shared-pin': { type: 'boolean' },
      'no-http': { type: 'boolean' },
    }, (name, kept) => io.stderr.write(`sentinel-wasi collector: --${name} is given more than once; the last one is used${typeof kept === 'string' ? `: ${kept}` : ''}\n`));
    const allowSharedPin = shared === true;
    if (typeof values.pin !== 'string' || values.pin === '') throw new UsageError('--pin DIR is required');
    const appProblem = typeof values.app === 'string' ? (values.app === '' ? 'must not be empty' : appNameProblem(values.app)) : undefined;
    if (appProblem !== undefined) throw new UsageError(`--app: ${appProblem}`);
    const noHttp = values['no-http'] === true;
    if (noHttp && (values.port !== undefined || values.host !== undefined)) throw new UsageError('--no-http cannot be given with --port or --host');
    const port = intOption(values, 'port', 0);
    if (port !== undefined && port > 65535) throw new UsageError('--port must be at most 65535');
    const host = typeof values.host === 'string' ? values.host : DEFAULT_HOST;
    const httpPort = port ?? DEFAULT_PORT;
    const graceMs = intOption(values, 'grace-ms', 0);
    const tickMs = intOption(values, 'tick-ms', 10);
    const checkpointIntervalMs = intOption(values, 'checkpoint-ms', 10);
    const metricFileBytes = intOption(values, 'metric-file-bytes', MIN_METRIC_FILE_BYTES);
    const metricFileCount = intOption(values, 'metric-file-count', 1);
    const maxResources = intOption(values, 'max-resources', 1);
    const maxEntryAgeMs = intOption(values, 'max-entry-age-ms', 0);
    let dashboards: string[] | undefined;
    try {
      dashboards = typeof values.dashboard === 'string' ? parseDashboardList(values.dashboard) : undefined;
    } catch (err) {
      throw new UsageError(`--dashboard: ${(err as Error).message}`);
    }
    // The dashboard reads this collector's transport API: with no HTTP server it would list a machine it cannot reach.
    if (noHttp && dashboards !== undefined) throw new UsageError('--dashboard cannot be given with --no-http: the dashboard reads the collector over its HTTP server');
    if (noHttp && values['trust-dashboard-address'] !== undefined) throw new UsageError('--trust-dashboard-address cannot be given with --no-http: it lets requests to the HTTP server through');
    const heartbeatIntervalMs = intOption(values, 'heartbeat-ms', 100);
    const controlTickMs = intOption(values, 'control-tick-ms', 10);
    if (controlTickMs !== undefined && controlTickMs > 100) throw new UsageError('--control-tick-ms must be at most 100');
    const mapSlots = intOption(values, 'map-slots', 1);
    const trusted = values['trust-dashboard-address'];
    if (typeof trusted === 'string' && isIP(trusted) === 0) {
      throw new UsageError(`--trust-dashboard-address must be an IP address as requests come from it (e.g. 127.0.0.1 or ::1), got ${JSON.stringify(trusted)}`);
    }
    if (typeof trusted === 'string' && isUnspecifiedAddress(trusted)) {
      throw new UsageError(`--trust-dashboard-address ${trusted} is the unspecified address, which no request comes from: give the dashboard's own address (127.0.0.1 for one on this machine)`);
    }
    const logLevel = typeof values['log-level'] === 'string' ? values['log-level'] : 'info';
    if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
    const token = typeof values.token === 'string' ? values.token : process.env.SENTINEL_WASI_TOKEN || undefined;
    if (token !== undefined && token.trim() === '') throw new UsageError('--token must not be empty');
    if (token !== undefined && token.trim().length < MIN_TOKEN_CHARS) {
      throw new UsageError(`--token (or SENTINEL_WASI_TOKEN) must be at least ${MIN_TOKEN_CHARS} characters: a short token is guessed; leave it out to use DIR/collector/token (64 random hex digits)`);
    }
    // Every option is checked (E_USAGE) before the address is tried.
    const unusable = noHttp ? undefined : await listenProbe(host, httpPort);
    if (unusable !== undefined) {
      // A collector already on this pin is the more basic problem (it is likely the one on the port).
      const lockPath = pinPaths(values.pin).lock;
      const holder = liveLockOwner(lockPath);
      if (holder !== undefined) throw new LockError(lockPath, holder.pid);
      throw listenFailure(host, httpPort, unusable);
    }
    // The port may still be taken between the check and the daemon's bind: the daemon then stops
    // (requireHttp) and the start's error is answered here.
    let httpStartError: NodeJS.ErrnoException | undefined;
    const startHttp = async (options: HttpServerOptions) => {
      try {
        return await startHttpServer(options);
      } catch (err) {
        httpStartError = err as NodeJS.ErrnoException;
        throw err;
      }
    };
    // The signals are taken before the daemon starts: one that arrives while it starts stops it
    // cleanly as soon as it is up (instead of killing it half-started).
    // SIGHUP too: a terminal or SSH session that closes would otherwise end it without its final checkpoint.
    const handlers = new Map<NodeJS.Signals, () => void>();
    const stopSignal = new Promise<string>((resolve) => {
      for (const signal of STOP_SIGNALS) handlers.set(signal, () => resolve(signal));
    });
    for (const [signal, handler] of handlers) process.on(signal, handler);
    const logger = pino({ level: logLevel, base: { pid: process.pid } }, io.stdout);
    try {
      let daemon;
      try {
        daemon = await runDaemon({
          pinDir: values.pin,
          allowSharedPin,
          logger,
          ...(typeof values.app === 'string' ? { app: values.app } : {}),
          host,
          port: httpPort,
          ...(noHttp ? { http: false } : { startHttp, requireHttp: true }),
          ...(graceMs === undefined ? {} : { graceMs }),
          ...(tickMs === undefined ? {} : { tickMs }),
          ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }),
          ...(metricFileBytes === undefined ? {} : { metricFileBytes }),
          ...(metricFileCount === undefined ? {} : { metricFileCount }),
          ...(maxResources === undefined ? {} : { maxResources }),
          ...(maxEntryAgeMs === undefined ? {} : { maxEntryAgeMs }),
          ...(dashboards === undefined ? {} : { dashboards }),
          ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
          ...(token === undefined ? {} : { token }),
          ...(typeof values['trust-dashboard-address'] === 'string' ? { trustDashboardAddress: values['trust-dashboard-address'] } : {}),
          ...(controlTickMs === undefined ? {} : { controlTickMs }),
          ...(mapSlots === undefined ? {} : { mapSlots }),
        });
      } catch (err) {
        if (httpStartError === undefined || err !== httpStartError) throw err;
        throw httpStartFailure(host, httpPort, httpStartError); // the daemon has stopped: final checkpoint, lock released
      }
      const signal = await stopSignal;
      logger.info({ signal }, 'stopping');
      await daemon.stop();
      return 0;
    } finally {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    }
  },
};

/** The signals that stop the collector cleanly (final checkpoint, lock released, exit code 0). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** 0.0.0.0 or :: (in any of its spellings): an address to listen on, never one a request comes from. */
function isUnspecifiedAddress(address: string): boolean {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? (isIP(address) === 4 ? address : undefined);
  if (v4 !== undefined) return v4.split('.').every((part) => Number(part) === 0);
  return new URL(`http://[${address}]/`).hostname === '[::]';
}

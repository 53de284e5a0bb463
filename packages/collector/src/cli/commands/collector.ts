// Owns `sentinel-wasi collector`: runs the collector daemon in the foreground on a pin directory
// until SIGTERM or SIGINT, logging structured lines (pino) to stdout.

import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { UsageError, type Command } from '../command.js';
import { DEFAULT_GRACE_MS } from '../../daemon/collector.js';
import { parseDashboardList } from '../../daemon/heartbeat.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TICK_MS, runDaemon } from '../../daemon/run.js';

const HELP = `Usage: sentinel-wasi collector --pin DIR [options]

Runs the collector in the foreground: tails DIR/log, keeps Sentinel's second and minute windows
per resource, writes Sentinel's metric log under DIR/collector/metrics, checkpoints about once a
second (exactly-once across restarts), and serves HTTP. Creates the pin if it is missing. Stops
cleanly (final checkpoint) on SIGTERM or SIGINT. Logs are JSON lines on stdout.

Options:
  --pin DIR                 the pin directory (required)
  --port N                  HTTP port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host ADDR               HTTP address (default ${DEFAULT_HOST})
  --app NAME                application name for a new pin (default: the directory's name)
  --grace-ms N              a second is sealed N ms after it ended (default ${DEFAULT_GRACE_MS})
  --tick-ms N               scan the log directory every N ms (default ${DEFAULT_TICK_MS})
  --checkpoint-ms N         checkpoint every N ms (default ${DEFAULT_CHECKPOINT_INTERVAL_MS})
  --metric-file-bytes N     roll metric log files at N bytes (default 52428800)
  --metric-file-count N     keep N metric log files (default 6)
  --max-resources N         tracked resources cap (default 6000)
  --dashboard HOST:PORT[,HOST:PORT]
                            register with these Sentinel Dashboards (heartbeat POST /registry/machine)
  --heartbeat-ms N          dashboard heartbeat interval (default 10000; first beat after 5 s)
  --token TOKEN             bearer token for state-changing requests (/setRules); default: the
                            one in DIR/collector/token, created (0600, random) at first start
  --trust-dashboard-address ADDR
                            requests from this one address may push rules without the token (a
                            Sentinel Dashboard sends none); no address is trusted by default
  --control-tick-ms N       run the rules engine and refresh the map every N ms (default and at most 100)
  --map-slots N             home slots of a new resource map DIR/map (default 4096)
  --log-level LEVEL         pino level (default info)
  --allow-shared-pin        accept a pin (or its log/, rules/, collector/) owned by another user or
                            writable by group/others (refused otherwise: E_PIN_UNSAFE)

Environment:
  SENTINEL_WASI_TOKEN       bearer token that state-changing HTTP requests must carry (--token wins)
`;

function intOption(values: Record<string, unknown>, name: string, min: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export const collectorCommand: Command = {
  name: 'collector',
  summary: 'run the collector daemon on a pin directory (foreground)',
  help: HELP,
  async run(argv, io) {
    let values: Record<string, string | undefined>;
    let allowSharedPin = false;
    try {
      const parsed = parseArgs({
        args: argv,
        options: {
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
          'log-level': { type: 'string' },
          dashboard: { type: 'string' },
          'heartbeat-ms': { type: 'string' },
          token: { type: 'string' },
          'trust-dashboard-address': { type: 'string' },
          'control-tick-ms': { type: 'string' },
          'map-slots': { type: 'string' },
          'allow-shared-pin': { type: 'boolean' },
        },
        strict: true,
        allowPositionals: false,
      });
      const { 'allow-shared-pin': shared, ...strings } = parsed.values;
      values = strings;
      allowSharedPin = shared === true;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (values.pin === undefined || values.pin === '') throw new UsageError('--pin DIR is required');
    const port = intOption(values, 'port', 0);
    if (port !== undefined && port > 65535) throw new UsageError('--port must be at most 65535');
    const graceMs = intOption(values, 'grace-ms', 0);
    const tickMs = intOption(values, 'tick-ms', 10);
    const checkpointIntervalMs = intOption(values, 'checkpoint-ms', 10);
    const metricFileBytes = intOption(values, 'metric-file-bytes', 1);
    const metricFileCount = intOption(values, 'metric-file-count', 1);
    const maxResources = intOption(values, 'max-resources', 1);
    let dashboards: string[] | undefined;
    try {
      dashboards = values.dashboard === undefined ? undefined : parseDashboardList(values.dashboard);
    } catch (err) {
      throw new UsageError(`--dashboard: ${(err as Error).message}`);
    }
    const heartbeatIntervalMs = intOption(values, 'heartbeat-ms', 100);
    const controlTickMs = intOption(values, 'control-tick-ms', 10);
    if (controlTickMs !== undefined && controlTickMs > 100) throw new UsageError('--control-tick-ms must be at most 100');
    const mapSlots = intOption(values, 'map-slots', 1);
    const token = values.token ?? (process.env.SENTINEL_WASI_TOKEN || undefined);
    if (token !== undefined && token.trim() === '') throw new UsageError('--token must not be empty');
    const logger = pino({ level: values['log-level'] ?? 'info', base: { pid: process.pid } }, io.stdout);
    const daemon = await runDaemon({
      pinDir: values.pin,
      allowSharedPin,
      logger,
      ...(values.app === undefined ? {} : { app: values.app }),
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(port === undefined ? {} : { port }),
      ...(graceMs === undefined ? {} : { graceMs }),
      ...(tickMs === undefined ? {} : { tickMs }),
      ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }),
      ...(metricFileBytes === undefined ? {} : { metricFileBytes }),
      ...(metricFileCount === undefined ? {} : { metricFileCount }),
      ...(maxResources === undefined ? {} : { maxResources }),
      ...(dashboards === undefined ? {} : { dashboards }),
      ...(heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs }),
      ...(token === undefined ? {} : { token }),
      ...(values['trust-dashboard-address'] === undefined ? {} : { trustDashboardAddress: values['trust-dashboard-address'] }),
      ...(controlTickMs === undefined ? {} : { controlTickMs }),
      ...(mapSlots === undefined ? {} : { mapSlots }),
    });
    const signal = await new Promise<string>((resolve) => {
      const on = (sig: string): void => {
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        resolve(sig);
      };
      const onTerm = (): void => on('SIGTERM');
      const onInt = (): void => on('SIGINT');
      process.on('SIGTERM', onTerm);
      process.on('SIGINT', onInt);
    });
    logger.info({ signal }, 'stopping');
    await daemon.stop();
    return 0;
  },
};

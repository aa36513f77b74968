/**
 * `run`: the operator. Watches AtlasMigrations (and the Secrets and
 * ConfigMaps they reference), applies their migrations, serves health
 * probes and metrics, and on SIGTERM lets running migrations stop between
 * statements before it exits.
 */
import { parseBindAddress, startEndpoints } from '../controller/http-endpoints';
import { createLogger, LOG_LEVELS, type Logger } from '../controller/logger';
import { DEFAULT_PENDING_SERIES_LIMIT } from '../controller/metrics';
import { MigrationOperator, type OperatorSettings } from '../controller/migration-operator';
import { DEFAULT_BACKOFF } from '../controller/requeue-policy';
import { SecretScrubber } from '../controller/secret-scrubber';
import { PROGRAM_VERSION } from '../version';
import { durationFlag } from './database-flags';
import { type CliIo, ExitCode, UsageError } from './io';
import { parseFlags, requireOneOf } from './parse-flags';

export const runHelp = `Usage: run [flags]

Runs the operator: reconciles AtlasMigration resources until SIGTERM.

Flags:
      --kubeconfig PATH                 kubeconfig file (default: KUBECONFIG, ~/.kube/config, else the in-cluster ServiceAccount)
      --namespace NS[,NS…]              watch only these namespaces (default: all)
      --label-selector SELECTOR         only AtlasMigrations matching this label selector
      --concurrency N                   migrations running at once, on different databases (default 10)
      --resync-period DUR               how often every resource is checked against its database (default 10m)
      --metrics-bind-address ADDR       Prometheus /metrics, [host]:port or 0 for off (default :8080)
      --health-probe-bind-address ADDR  /healthz and /readyz, [host]:port or 0 for off (default :8081)
      --log-level LEVEL                 debug | info (default) | warn | error
      --backoff-base DUR                delay after the first failed attempt, doubling per attempt (default 5s)
      --backoff-max DUR                 longest delay between attempts (default 5m)
      --progress-interval DUR           least time between two status.progress writes of a run (default 2s)
      --metrics-pending-series-limit N  per-resource series of atlas_migrator_pending_files at most; the rest are summed into one (default 1000)
`;

const OPTIONS = {
  kubeconfig: { type: 'string' },
  namespace: { type: 'string' },
  'label-selector': { type: 'string' },
  concurrency: { type: 'string' },
  'resync-period': { type: 'string' },
  'metrics-bind-address': { type: 'string' },
  'health-probe-bind-address': { type: 'string' },
  'log-level': { type: 'string' },
  'backoff-base': { type: 'string' },
  'backoff-max': { type: 'string' },
  'progress-interval': { type: 'string' },
  'metrics-pending-series-limit': { type: 'string' },
} as const;

function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${flag} ${JSON.stringify(value)}: must be a positive integer`);
  return Number(value);
}

function nonNegativeInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${flag} ${JSON.stringify(value)}: must be a non-negative integer`);
  return Number(value);
}

function bindAddress(flag: string, value: string): string {
  try {
    parseBindAddress(value);
  } catch (e) {
    throw new UsageError(`--${flag}: ${(e as Error).message}`);
  }
  return value;
}

export interface RunConfig extends OperatorSettings {
  readonly metricsAddress: string;
  readonly healthAddress: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
}

export function runConfig(args: readonly string[]): RunConfig {
  const { values: v } = parseFlags('run', args, OPTIONS);
  const namespaces = (v.namespace ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const resyncPeriodMs = durationFlag('resync-period', v['resync-period'], 600_000);
  if (resyncPeriodMs <= 0) throw new UsageError('--resync-period must be greater than 0');
  return {
    ...(v.kubeconfig === undefined ? {} : { kubeconfig: v.kubeconfig }),
    namespaces,
    ...(v['label-selector'] === undefined || v['label-selector'] === '' ? {} : { labelSelector: v['label-selector'] }),
    concurrency: positiveInt('concurrency', v.concurrency, 10),
    resyncPeriodMs,
    backoff: { baseMs: durationFlag('backoff-base', v['backoff-base'], DEFAULT_BACKOFF.baseMs), maxMs: durationFlag('backoff-max', v['backoff-max'], DEFAULT_BACKOFF.maxMs) },
    progressIntervalMs: durationFlag('progress-interval', v['progress-interval'], 2_000),
    watchTimeoutSeconds: 300,
    metricsPendingSeriesLimit: nonNegativeInt('metrics-pending-series-limit', v['metrics-pending-series-limit'], DEFAULT_PENDING_SERIES_LIMIT),
    metricsAddress: bindAddress('metrics-bind-address', v['metrics-bind-address'] ?? ':8080'),
    healthAddress: bindAddress('health-probe-bind-address', v['health-probe-bind-address'] ?? ':8081'),
    logLevel: v['log-level'] === undefined ? 'info' : requireOneOf('log-level', v['log-level'], LOG_LEVELS),
  };
}

/** Resolves when the first of SIGTERM / SIGINT arrives. */
function terminationSignal(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info({ signal }, 'shutting down: running migrations stop between statements');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

export async function run(args: readonly string[], _io: CliIo): Promise<number> {
  const config = runConfig(args);
  const scrubber = new SecretScrubber();
  const log = createLogger(config.logLevel, scrubber);
  const operator = new MigrationOperator(config, log, scrubber);
  const endpoints = await startEndpoints({
    healthAddress: config.healthAddress,
    metricsAddress: config.metricsAddress,
    probes: { healthy: () => operator.healthy(), ready: () => operator.ready() },
    metrics: operator.metrics,
  });
  log.info({ version: PROGRAM_VERSION, server: operator.client.server, healthPort: endpoints.healthPort, metricsPort: endpoints.metricsPort, concurrency: config.concurrency }, 'starting');
  const stop = terminationSignal(log);
  await Promise.race([operator.start(), stop]);
  await stop;
  await operator.shutdown();
  await endpoints.close();
  log.info({}, 'stopped');
  log.flush();
  return ExitCode.Ok;
}

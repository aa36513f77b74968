/**
 * `run`: the operator. Watches AtlasMigrations (and the Secrets and
 * ConfigMaps they reference), applies their migrations, serves health
 * probes and metrics, and on SIGTERM lets running migrations stop between
 * statements before it exits.
 */
import { readFileSync } from 'node:fs';
import { parseBindAddress, startEndpoints } from '../controller/http-endpoints';
import { candidateIdentity, DEFAULT_LEADER_ELECTION, timingsProblem } from '../controller/kube/leader-election';
import { createLogger, LOG_LEVELS, type Logger } from '../controller/logger';
import { DEFAULT_PENDING_SERIES_LIMIT } from '../controller/metrics';
import { MigrationOperator, type LeaderElectionSettings, type OperatorSettings } from '../controller/migration-operator';
import { DEFAULT_BACKOFF } from '../controller/requeue-policy';
import { SecretScrubber } from '../controller/secret-scrubber';
import { DEFAULT_QUERY_TIMEOUT_MS } from '../migrate/dialects/driver';
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
      --query-timeout DUR               bound of each of the operator's own queries (revisions table, lock, dirty check), never of a migration's statements; 0 for none (default 30s)
      --leader-elect                    reconcile only while holding a Lease, so replicas can run side by side (default off)
      --leader-election-id NAME         name of the Lease (default atlas-k8s-migrator-leader)
      --leader-election-namespace NS    namespace of the Lease (default: the pod's own; required outside a cluster)
      --leader-elect-lease-duration DUR how long followers wait after the last renewal they saw before taking over (default 15s)
      --leader-elect-renew-deadline DUR how long the leader tries to renew before it stops leading and exits (default 10s)
      --leader-elect-retry-period DUR   time between two attempts to acquire or renew (default 2s)
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
  'query-timeout': { type: 'string' },
  'leader-elect': { type: 'boolean' },
  'leader-election-id': { type: 'string' },
  'leader-election-namespace': { type: 'string' },
  'leader-elect-lease-duration': { type: 'string' },
  'leader-elect-renew-deadline': { type: 'string' },
  'leader-elect-retry-period': { type: 'string' },
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

export const DEFAULT_LEASE_NAME = 'atlas-k8s-migrator-leader';
/** Where a pod finds its own namespace (with its ServiceAccount token). */
export const POD_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** What `run` reads besides its flags (tests pass their own). */
export interface RunContext {
  readonly env?: NodeJS.ProcessEnv;
  readonly namespaceFile?: string;
}

/** `--leader-elect=true|false` as Go's flag package (controller-runtime) accepts it; plain `--leader-elect` is true. */
function goBooleans(args: readonly string[]): string[] {
  return args.flatMap((a) => {
    const m = /^--leader-elect=(.*)$/.exec(a);
    if (m === null) return [a];
    const value = (m[1] ?? '').toLowerCase();
    if (['true', '1', 't'].includes(value)) return ['--leader-elect'];
    if (['false', '0', 'f'].includes(value)) return [];
    throw new UsageError(`--leader-elect ${JSON.stringify(m[1])}: must be true or false`);
  });
}

/** The pod's namespace: the ServiceAccount's namespace file, else POD_NAMESPACE; undefined outside a cluster. */
function podNamespace(context: RunContext): string | undefined {
  try {
    const ns = readFileSync(context.namespaceFile ?? POD_NAMESPACE_FILE, 'utf8').trim();
    if (ns !== '') return ns;
  } catch {
    // not in a pod (or no token mounted)
  }
  const env = (context.env ?? process.env).POD_NAMESPACE?.trim();
  return env === undefined || env === '' ? undefined : env;
}

type RunValues = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];

function leaderElection(v: RunValues, context: RunContext): LeaderElectionSettings | undefined {
  if (v['leader-elect'] !== true) return undefined;
  const namespace = v['leader-election-namespace'] ?? podNamespace(context);
  if (namespace === undefined || namespace === '') {
    throw new UsageError(`--leader-elect needs --leader-election-namespace when not running in a cluster (no ${POD_NAMESPACE_FILE}, no POD_NAMESPACE)`);
  }
  const leaseName = v['leader-election-id'] ?? DEFAULT_LEASE_NAME;
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(leaseName) || leaseName.length > 253) throw new UsageError(`--leader-election-id ${JSON.stringify(leaseName)}: not a valid object name`);
  const timings = {
    leaseDurationMs: durationFlag('leader-elect-lease-duration', v['leader-elect-lease-duration'], DEFAULT_LEADER_ELECTION.leaseDurationMs),
    renewDeadlineMs: durationFlag('leader-elect-renew-deadline', v['leader-elect-renew-deadline'], DEFAULT_LEADER_ELECTION.renewDeadlineMs),
    retryPeriodMs: durationFlag('leader-elect-retry-period', v['leader-elect-retry-period'], DEFAULT_LEADER_ELECTION.retryPeriodMs),
  };
  const problem = timingsProblem(timings);
  if (problem !== undefined) throw new UsageError(`leader election: ${problem} (--leader-elect-lease-duration, --leader-elect-renew-deadline, --leader-elect-retry-period)`);
  return { ...timings, namespace, leaseName, identity: candidateIdentity(context.env ?? process.env) };
}

export function runConfig(args: readonly string[], context: RunContext = {}): RunConfig {
  const { values: v } = parseFlags('run', goBooleans(args), OPTIONS);
  const election = leaderElection(v, context);
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
    queryTimeoutMs: durationFlag('query-timeout', v['query-timeout'], DEFAULT_QUERY_TIMEOUT_MS),
    watchTimeoutSeconds: 300,
    ...(election === undefined ? {} : { leaderElection: election }),
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
  const election = config.leaderElection;
  const electing = election === undefined ? {} : { leaderElection: { lease: `${election.namespace}/${election.leaseName}`, identity: election.identity } };
  log.info({ version: PROGRAM_VERSION, server: operator.client.server, healthPort: endpoints.healthPort, metricsPort: endpoints.metricsPort, concurrency: config.concurrency, ...electing }, 'starting');
  const stopped = terminationSignal(log).then(() => 'terminated' as const);
  // A replica that loses the Lease stops like on SIGTERM, then exits non-zero: restarted, it comes back as a follower.
  const lost = operator.leadershipLost.then(() => 'leadership lost' as const);
  await Promise.race([operator.start(), stopped, lost]);
  const why = await Promise.race([stopped, lost]);
  await operator.shutdown();
  await endpoints.close();
  log.info({ reason: why }, 'stopped');
  log.flush();
  return why === 'leadership lost' ? ExitCode.Failed : ExitCode.Ok;
}

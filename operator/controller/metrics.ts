/**
 * Prometheus metrics on prom-client: one Registry per operator instance
 * (never the library's global one, so tests can make several), with
 * prom-client's default Node.js metrics and ours under the
 * `atlas_migrator_` prefix. Prometheus naming: counters end in `_total`,
 * durations are histograms in seconds. The README's metrics table is
 * generated from this registry (metrics-table.ts) and checked by
 * readme.test.ts.
 */
// First: stand-ins for modules our libraries load but the operator does not use (deferred-modules.ts).
import './deferred-modules';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const METRIC_PREFIX = 'atlas_migrator_';

/** Buckets of the duration histograms: 5 ms to 10 min, in seconds. */
export const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Per-resource series of `atlas_migrator_pending_files` at most (`--metrics-pending-series-limit`). */
export const DEFAULT_PENDING_SERIES_LIMIT = 1000;

/** The `namespace` and `name` of the series holding the pending files of resources beyond the limit (no Kubernetes name starts with `_`). */
export const OTHER_RESOURCES = '_other';

/** Values read when /metrics is scraped. */
export interface GaugeSources {
  readonly queueDepth: () => number;
  readonly activeReconciles: () => number;
  readonly resources: () => number;
  /** Watches re-opened after an error since start (a running total: it never decreases). */
  readonly watchRestarts: () => number;
}

export interface MetricsOptions {
  /** Per-resource series of the pending files gauge at most; default 1000. */
  readonly pendingSeriesLimit?: number;
  /** prom-client's default Node.js metrics (process_*, nodejs_*); default true. */
  readonly defaultMetrics?: boolean;
}

type ResourceLabel = 'namespace' | 'name';

function resourceLabels(key: string): Record<ResourceLabel, string> {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

const OTHER_LABELS: Record<ResourceLabel, string> = { namespace: OTHER_RESOURCES, name: OTHER_RESOURCES };

/**
 * `pending_files{namespace,name}` with a cardinality bound: at most `limit`
 * resources have a series of their own; the pending files of the others are
 * summed into one `{namespace="_other",name="_other"}` series (so `sum()`
 * stays exact), and each resource sent there counts once in
 * `pending_files_series_dropped_total`. A resource's series goes away when
 * nothing is pending or it is deleted; a freed slot goes to the next
 * resource reported.
 */
export class PendingFilesSeries {
  private readonly own = new Map<string, number>();
  private readonly rest = new Map<string, number>();
  private restSum = 0;

  constructor(
    private readonly gauge: Gauge<ResourceLabel>,
    private readonly dropped: Counter,
    readonly limit: number,
  ) {}

  /** Files still to apply for `namespace/name`; 0 removes its series. */
  set(key: string, files: number): void {
    if (!(files > 0)) {
      this.forget(key);
      return;
    }
    if (this.own.has(key) || this.own.size < this.limit) {
      this.leaveRest(key);
      this.own.set(key, files);
      this.gauge.set(resourceLabels(key), files);
      return;
    }
    const before = this.rest.get(key);
    if (before === undefined) this.dropped.inc();
    this.rest.set(key, files);
    this.restSum += files - (before ?? 0);
    this.gauge.set(OTHER_LABELS, this.restSum);
  }

  /** The resource is gone (deleted) or has nothing pending: its series is removed. */
  forget(key: string): void {
    if (this.own.delete(key)) this.gauge.remove(resourceLabels(key));
    this.leaveRest(key);
  }

  /** Series exported now, the `_other` one included. */
  get series(): number {
    return this.own.size + (this.rest.size > 0 ? 1 : 0);
  }

  private leaveRest(key: string): void {
    const files = this.rest.get(key);
    if (files === undefined) return;
    this.rest.delete(key);
    this.restSum -= files;
    if (this.rest.size === 0) this.gauge.remove(OTHER_LABELS);
    else this.gauge.set(OTHER_LABELS, this.restSum);
  }
}

export interface OperatorMetrics {
  readonly registry: Registry;
  /** The Content-Type of `render()`'s text. */
  readonly contentType: string;
  readonly reconciles: Counter<'result'>;
  readonly reconcileErrors: Counter<'reason'>;
  readonly reconcileSeconds: Histogram;
  /** One migrate run that executed: `result` applied (at least one file) or failed. */
  readonly migrationSeconds: Histogram<'result'>;
  readonly filesApplied: Counter;
  readonly statementsApplied: Counter;
  readonly watchEvents: Counter<'resource'>;
  readonly apiRequests: Counter<'verb' | 'code'>;
  readonly queueSeconds: Histogram;
  readonly pendingFiles: PendingFilesSeries;
  /** One API request answered (`status`) or failed without an answer (`undefined`); watches counted as verb `watch`. */
  apiRequest(method: string, watch: boolean, status: number | undefined): void;
  /** 1 while this replica leads (the leader election calls it; without election the operator sets 1 at start). */
  setLeader(leader: boolean): void;
  /** The exposition text of the whole registry. */
  render(): Promise<string>;
}

export function createMetrics(sources: GaugeSources, options: MetricsOptions = {}): OperatorMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const p = METRIC_PREFIX;
  const reconciles = new Counter({
    name: `${p}reconcile_total`,
    help: 'Reconciles by result: applied, unchanged, dry_run, approval_pending (held for approval; not a failure), failed.',
    labelNames: ['result'],
    registers,
  });
  const reconcileErrors = new Counter({ name: `${p}reconcile_errors_total`, help: 'Failed reconciles by condition reason.', labelNames: ['reason'], registers });
  const reconcileSeconds = new Histogram({ name: `${p}reconcile_duration_seconds`, help: 'Time of one reconcile attempt, in seconds (reconciles found unchanged without a run are not timed).', buckets: [...DURATION_BUCKETS], registers });
  const migrationSeconds = new Histogram({
    name: `${p}migration_duration_seconds`,
    help: 'Time of one migrate run (connect, lock, plan, apply) that applied at least one file (result=applied) or failed (result=failed), in seconds.',
    labelNames: ['result'],
    buckets: [...DURATION_BUCKETS],
    registers,
  });
  const filesApplied = new Counter({ name: `${p}migration_files_applied_total`, help: 'Migration files applied.', registers });
  const statementsApplied = new Counter({ name: `${p}statements_applied_total`, help: 'SQL statements applied.', registers });
  const pendingGauge = new Gauge({
    name: `${p}pending_files`,
    help: `Files still to apply per AtlasMigration, as its status says; at most --metrics-pending-series-limit series (default ${DEFAULT_PENDING_SERIES_LIMIT}), the rest summed into namespace="${OTHER_RESOURCES}",name="${OTHER_RESOURCES}"; no series when nothing is pending.`,
    labelNames: ['namespace', 'name'],
    registers,
  });
  const droppedSeries = new Counter({ name: `${p}pending_files_series_dropped_total`, help: `Resources whose pending files went into the ${OTHER_RESOURCES} series (the per-resource series limit was reached).`, registers });
  const watchEvents = new Counter({ name: `${p}watch_events_total`, help: 'Watch events received, by resource (plural).', labelNames: ['resource'], registers });
  const apiRequests = new Counter({
    name: `${p}api_requests_total`,
    help: 'Requests to the Kubernetes API server by verb (get, post, put, patch, delete; watch for watches) and HTTP status code (error: no answer).',
    labelNames: ['verb', 'code'],
    registers,
  });
  new Counter({
    name: `${p}watch_restarts_total`,
    help: 'Watches re-opened after an error.',
    registers,
    collect() {
      this.reset();
      this.inc(sources.watchRestarts());
    },
  });
  const gauge = (name: string, help: string, read: () => number): Gauge =>
    new Gauge({
      name: `${p}${name}`,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  gauge('workqueue_depth', 'Resources waiting to be reconciled.', sources.queueDepth);
  const queueSeconds = new Histogram({ name: `${p}workqueue_queue_duration_seconds`, help: 'Time a resource waited in the work queue, from add to the start of its reconcile, in seconds.', buckets: [...DURATION_BUCKETS], registers });
  gauge('reconciles_active', 'Reconciles in progress now, those waiting for their database turn without a worker included.', sources.activeReconciles);
  gauge('resources', 'AtlasMigrations watched.', sources.resources);
  const leader = new Gauge({ name: `${p}leader`, help: '1 while this replica is the leader (runs reconciles), else 0.', registers });
  leader.set(0);
  return {
    registry,
    contentType: registry.contentType,
    reconciles,
    reconcileErrors,
    reconcileSeconds,
    migrationSeconds,
    filesApplied,
    statementsApplied,
    watchEvents,
    apiRequests,
    queueSeconds,
    pendingFiles: new PendingFilesSeries(pendingGauge, droppedSeries, options.pendingSeriesLimit ?? DEFAULT_PENDING_SERIES_LIMIT),
    apiRequest: (method, watch, status) => apiRequests.inc({ verb: watch ? 'watch' : method.toLowerCase(), code: status === undefined ? 'error' : String(status) }),
    setLeader: (is) => leader.set(is ? 1 : 0),
    render: () => registry.metrics(),
  };
}

/** The current value of one series of a counter or gauge (tests and tools). */
export async function valueOf(metric: Counter | Gauge, labels: Readonly<Record<string, string>> = {}): Promise<number | undefined> {
  const { values } = await metric.get();
  const want = Object.entries(labels);
  return values.find((v) => Object.keys(v.labels).length === want.length && want.every(([k, x]) => String(v.labels[k]) === x))?.value;
}

/**
 * Prometheus metrics in the text exposition format, without a client
 * library: a handful of counters, gauges and one histogram. The README
 * lists every metric.
 */

type Labels = Readonly<Record<string, string>>;

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

export class Counter implements Metric {
  readonly type = 'counter';
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const v = this.values.get(key);
    if (v === undefined) this.values.set(key, { labels, value: by });
    else v.value += by;
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels))?.value ?? 0;
  }
  render(): string[] {
    return [...this.values.values()].map((v) => `${this.name}${labelText(v.labels)} ${v.value}`);
  }
}

export class Gauge implements Metric {
  readonly type = 'gauge';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  render(): string[] {
    return [`${this.name} ${this.read()}`];
  }
}

export class Histogram implements Metric {
  readonly type = 'histogram';
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    this.buckets.forEach((b, i) => {
      if (value <= b) this.counts[i] = (this.counts[i] ?? 0) + 1;
    });
  }
  render(): string[] {
    return [
      ...this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.counts[i] ?? 0}`),
      `${this.name}_bucket{le="+Inf"} ${this.count}`,
      `${this.name}_sum ${this.sum}`,
      `${this.name}_count ${this.count}`,
    ];
  }
}

export interface OperatorMetrics {
  readonly reconciles: Counter;
  readonly reconcileErrors: Counter;
  readonly reconcileSeconds: Histogram;
  readonly filesApplied: Counter;
  readonly statementsApplied: Counter;
  readonly watchEvents: Counter;
  readonly apiRequests: Counter;
  render(): string;
}

export interface GaugeSources {
  readonly queueDepth: () => number;
  readonly activeReconciles: () => number;
  readonly resources: () => number;
  readonly watchRestarts: () => number;
}

export function createMetrics(sources: GaugeSources): OperatorMetrics {
  const recorded = {
    reconciles: new Counter('atlas_migrator_reconcile_total', 'Reconciles by result: applied, unchanged, dry_run, approval_pending, failed.'),
    reconcileErrors: new Counter('atlas_migrator_reconcile_errors_total', 'Failed reconciles by condition reason.'),
    reconcileSeconds: new Histogram('atlas_migrator_reconcile_duration_seconds', 'Time spent in one reconcile.', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]),
    filesApplied: new Counter('atlas_migrator_migration_files_applied_total', 'Migration files applied.'),
    statementsApplied: new Counter('atlas_migrator_statements_applied_total', 'SQL statements applied.'),
    watchEvents: new Counter('atlas_migrator_watch_events_total', 'Watch events received, by resource.'),
    apiRequests: new Counter('atlas_migrator_api_requests_total', 'Requests to the Kubernetes API server, by verb (watches counted as WATCH).'),
  };
  const metrics: Metric[] = [
    ...Object.values(recorded),
    new Gauge('atlas_migrator_workqueue_depth', 'Resources waiting to be reconciled.', sources.queueDepth),
    new Gauge('atlas_migrator_reconciles_active', 'Reconciles running now.', sources.activeReconciles),
    new Gauge('atlas_migrator_resources', 'AtlasMigrations watched.', sources.resources),
    new Gauge('atlas_migrator_watch_restarts', 'Watches re-opened after an error since start.', sources.watchRestarts),
    new Gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss()),
    new Gauge('nodejs_heap_size_used_bytes', 'V8 heap in use, in bytes.', () => process.memoryUsage().heapUsed),
    new Gauge('nodejs_heap_size_total_bytes', 'V8 heap reserved, in bytes.', () => process.memoryUsage().heapTotal),
    new Gauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript (buffers), in bytes.', () => process.memoryUsage().external),
  ];
  return {
    ...recorded,
    render: () => metrics.map((m) => [`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.render()].join('\n')).join('\n') + '\n',
  };
}

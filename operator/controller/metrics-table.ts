/**
 * The README's metrics table, generated from the registry (names, types,
 * labels and help texts as served on /metrics). readme.test.ts checks that
 * the README holds exactly this table; after a change to metrics.ts:
 *
 *   npx tsx operator/controller/metrics-table.ts
 *
 * and paste its output under "Metrics and probes".
 */
import { createMetrics, METRIC_PREFIX } from './metrics';

/** Default metrics every platform has, named in the table's last row (the bench reads them). */
export const NAMED_DEFAULTS = ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds'];

const DEFAULTS_ROW =
  '| `process_*`, `nodejs_*` | | | prom-client defaults (`collectDefaultMetrics`): CPU, memory, file descriptors, event-loop lag, GC, heap spaces, handles, Node.js version; among them ' +
  NAMED_DEFAULTS.map((n) => `\`${n}\``).join(', ') +
  ' |';

interface Described {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

/** Every metric of a fresh registry (zero sources), ours first in registration order. */
export function describeMetrics(): Described[] {
  const metrics = createMetrics({ queueDepth: () => 0, activeReconciles: () => 0, resources: () => 0, watchRestarts: () => 0 });
  // prom-client keeps each metric's config (labelNames included) on the metric object.
  return metrics.registry.getMetricsAsArray() as unknown as Described[];
}

export function metricsTable(): string {
  const all = describeMetrics();
  const ours = all.filter((m) => m.name.startsWith(METRIC_PREFIX));
  const rows = ours.map((m) => `| \`${m.name}\` | ${m.type} | ${(m.labelNames ?? []).map((l) => `\`${l}\``).join(', ')} | ${m.help.replace(/\|/g, '\\|')} |`);
  return ['| metric | type | labels | meaning |', '| --- | --- | --- | --- |', ...rows, DEFAULTS_ROW].join('\n') + '\n';
}

if (require.main === module) process.stdout.write(metricsTable());

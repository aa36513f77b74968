/**
 * The Helm chart's values: one list, from which values.yaml (with its
 * comments), values.schema.json and the chart README's table are generated
 * (manifests/helm-chart.ts). The keys of atlas-operator's chart come first,
 * with the same names and shapes, so its values files install as they are;
 * the keys it has that mean nothing here are accepted (any value) and said
 * to be unused. The templates that read them are bound in the constructs
 * (operator-chart.ts, deployment.ts, rbac.ts, waiter-role.ts).
 */
import { DEFAULT_LEADER_ELECTION } from '../operator/controller/kube/leader-election';
import { DEFAULT_BACKOFF } from '../operator/controller/requeue-policy';
import { CONTAINER_SECURITY_CONTEXT, DEFAULT_RESOURCES, OPERATOR_REPLICAS, POD_SECURITY_CONTEXT } from './deployment';
import { APP_NAME, DEFAULT_NAMESPACE } from './names';

export type JsonSchema = Record<string, unknown>;

export type ValueOrigin = 'atlas-operator' | 'atlas-operator, unused' | 'this chart';

export interface ValueDefinition {
  /** Dotted path. */
  readonly key: string;
  readonly default: unknown;
  readonly schema: JsonSchema;
  readonly description: string;
  readonly origin: ValueOrigin;
}

export interface ValuesSettings {
  /** Image repository (`IMAGE` without its tag). */
  readonly repository: string;
  /** Image tag; empty: the chart's appVersion. */
  readonly tag: string;
  readonly watchNamespaces?: readonly string[];
}

const str = { type: 'string' };
const bool = { type: 'boolean' };
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const anything = {};
const duration = { type: 'string', pattern: '^(0|((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h))+)?$' };
const named = (...required: string[]): JsonSchema => ({ type: 'array', items: { type: 'object', required, properties: Object.fromEntries(required.map((k) => [k, str])) } });
const seconds = (ms: number): string => `${ms / 1000}s`;

/** Every value, in values.yaml's order. */
export function valueDefinitions(s: ValuesSettings): ValueDefinition[] {
  const atlas = 'atlas-operator' as const;
  const unused = 'atlas-operator, unused' as const;
  const ours = 'this chart' as const;
  return [
    { key: 'replicaCount', default: OPERATOR_REPLICAS, schema: { type: 'integer', minimum: 0 }, origin: atlas, description: 'Operator pods. With leader election one reconciles and the others follow; a PodDisruptionBudget (minAvailable 1) is created when more than one.' },
    { key: 'image.repository', default: s.repository, schema: { type: 'string', minLength: 1 }, origin: atlas, description: 'Operator image.' },
    { key: 'image.tag', default: s.tag, schema: str, origin: atlas, description: "Image tag; empty: the chart's appVersion. Use `--set-string` for a tag that looks like a number." },
    { key: 'image.pullPolicy', default: 'IfNotPresent', schema: { enum: ['Always', 'IfNotPresent', 'Never'] }, origin: atlas, description: 'Image pull policy.' },
    { key: 'imagePullSecrets', default: [], schema: named('name'), origin: atlas, description: 'Pull Secrets for the image (`- name: regcred`).' },
    { key: 'nameOverride', default: '', schema: str, origin: atlas, description: `Name in the \`app.kubernetes.io/name\` label and, without fullnameOverride, of every object; default \`${APP_NAME}\`. Unlike atlas-operator's chart, the release name is not part of it.` },
    { key: 'fullnameOverride', default: '', schema: str, origin: atlas, description: 'Name of every object (Deployment, ServiceAccount, roles, `-metrics` Service, `-waiter` role, `-leader-election` Role); default the name.' },
    { key: 'serviceAccount.create', default: true, schema: bool, origin: atlas, description: 'Create the ServiceAccount the operator runs as.' },
    { key: 'serviceAccount.annotations', default: {}, schema: stringMap, origin: atlas, description: 'Annotations of the ServiceAccount (e.g. a cloud IAM role).' },
    { key: 'serviceAccount.labels', default: {}, schema: stringMap, origin: atlas, description: 'Labels of the ServiceAccount.' },
    { key: 'serviceAccount.name', default: '', schema: str, origin: atlas, description: 'Its name; default the full name (with `create: false`: `default`). The roles are bound to it.' },
    { key: 'rbac.create', default: true, schema: bool, origin: atlas, description: 'Create the operator\'s roles and bindings (cluster-wide, or per watched namespace), its leader-election Role and the waiter role.' },
    { key: 'rbac.aggregateClusterRoles', default: false, schema: anything, origin: unused, description: 'No aggregated view/edit roles here; bind the waiter role instead.' },
    { key: 'rbac.clusterWideSecretAccess', default: true, schema: anything, origin: unused, description: 'The operator reads only the Secrets and ConfigMaps a resource names; with watchNamespaces its access is per namespace.' },
    { key: 'rbac.securityReports', default: {}, schema: anything, origin: unused, description: 'No security reports here.' },
    { key: 'crds.create', default: true, schema: anything, origin: atlas, description: 'Accepted; the CRD is in the chart\'s `crds/` folder: installed when absent, never upgraded nor deleted by Helm. Leave it out with `helm install --skip-crds`.' },
    { key: 'podAnnotations', default: {}, schema: stringMap, origin: atlas, description: 'Annotations of the operator pods.' },
    { key: 'podLabels', default: {}, schema: stringMap, origin: atlas, description: 'Labels of the operator pods, besides `app.kubernetes.io/name` (which they must not repeat).' },
    { key: 'podSecurityContext', default: POD_SECURITY_CONTEXT, schema: { type: 'object' }, origin: atlas, description: "The pod's securityContext (merged with the default by Helm; `key: null` removes one)." },
    { key: 'containerSecurityContext', default: CONTAINER_SECURITY_CONTEXT, schema: { type: 'object' }, origin: atlas, description: "The container's securityContext (merged with the default; the root filesystem stays writable only in /tmp)." },
    { key: 'resources', default: DEFAULT_RESOURCES, schema: { type: 'object' }, origin: atlas, description: 'Container resources (merged with the default).' },
    { key: 'nodeSelector', default: {}, schema: stringMap, origin: atlas, description: 'Node selector of the operator pods.' },
    { key: 'priorityClassName', default: '', schema: str, origin: atlas, description: 'Priority class of the operator pods.' },
    { key: 'tolerations', default: [], schema: { type: 'array', items: { type: 'object' } }, origin: atlas, description: 'Tolerations of the operator pods.' },
    { key: 'affinity', default: {}, schema: { type: 'object' }, origin: atlas, description: "Affinity of the operator pods; empty: the chart's preferred anti-affinity on `kubernetes.io/hostname` (replicas on different nodes)." },
    { key: 'prewarmDevDB', default: true, schema: anything, origin: unused, description: 'No dev database here: the operator applies files as they are.' },
    { key: 'allowCustomConfig', default: false, schema: anything, origin: unused, description: 'No atlas.hcl here.' },
    { key: 'watchSecrets', default: null, schema: anything, origin: unused, description: 'Secrets and ConfigMaps a resource names are always watched (metadata only).' },
    { key: 'labelSelector', default: [], schema: { oneOf: [str, { type: 'array', items: str }] }, origin: atlas, description: 'Reconcile only AtlasMigrations matching these requirements (ANDed; a list as atlas-operator\'s chart takes it, or one selector string): `--label-selector`.' },
    { key: 'watchNamespaces', default: s.watchNamespaces ?? [], schema: { type: 'array', uniqueItems: true, items: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 } }, origin: atlas, description: 'Watch only these namespaces (`--namespace`): a Role and RoleBinding in each instead of the ClusterRole (the waiter role too); they must exist before the install or upgrade. Empty: all namespaces.' },
    { key: 'extraEnvs', default: [], schema: named('name'), origin: atlas, description: 'More environment variables of the container.' },
    { key: 'persistence', default: {}, schema: anything, origin: unused, description: 'Nothing is stored on disk beyond /tmp.' },
    { key: 'extraVolumes', default: [], schema: named('name'), origin: atlas, description: 'More volumes of the pod.' },
    { key: 'extraVolumeMounts', default: [], schema: named('name', 'mountPath'), origin: atlas, description: 'More volume mounts of the container.' },
    { key: 'initContainers', default: [], schema: named('name'), origin: atlas, description: 'Init containers of the operator pods.' },
    { key: 'namespace.name', default: DEFAULT_NAMESPACE, schema: str, origin: ours, description: "Namespace of the operator's objects; empty: the release's (`helm install -n …`)." },
    { key: 'namespace.create', default: true, schema: bool, origin: ours, description: 'Create that Namespace (when namespace.name is set). Set false when it exists, e.g. when it is the release namespace.' },
    { key: 'leaderElection.enabled', default: true, schema: bool, origin: ours, description: '`--leader-elect` and the Role for Leases in the operator\'s namespace. Off: run one replica.' },
    { key: 'leaderElection.id', default: '', schema: { type: 'string', pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$' }, origin: ours, description: 'Name of the Lease (`--leader-election-id`); empty: `atlas-k8s-migrator-leader`. Give two releases in one namespace different ones.' },
    { key: 'leaderElection.leaseDuration', default: '', schema: duration, origin: ours, description: `\`--leader-elect-lease-duration\`; empty: ${seconds(DEFAULT_LEADER_ELECTION.leaseDurationMs)}.` },
    { key: 'leaderElection.renewDeadline', default: '', schema: duration, origin: ours, description: `\`--leader-elect-renew-deadline\`; empty: ${seconds(DEFAULT_LEADER_ELECTION.renewDeadlineMs)}.` },
    { key: 'leaderElection.retryPeriod', default: '', schema: duration, origin: ours, description: `\`--leader-elect-retry-period\`; empty: ${seconds(DEFAULT_LEADER_ELECTION.retryPeriodMs)}.` },
    { key: 'concurrency', default: null, schema: { type: ['integer', 'null'], minimum: 1 }, origin: ours, description: '`--concurrency`: migrations running at once; null: 10.' },
    { key: 'resyncPeriod', default: '', schema: duration, origin: ours, description: '`--resync-period`; empty: 10m.' },
    { key: 'logLevel', default: '', schema: { enum: ['', 'debug', 'info', 'warn', 'error'] }, origin: ours, description: '`--log-level`; empty: info.' },
    { key: 'backoff.base', default: '', schema: duration, origin: ours, description: `\`--backoff-base\`; empty: ${seconds(DEFAULT_BACKOFF.baseMs)}.` },
    { key: 'backoff.max', default: '', schema: duration, origin: ours, description: `\`--backoff-max\`; empty: ${DEFAULT_BACKOFF.maxMs / 60_000}m.` },
    { key: 'extraArgs', default: [], schema: { type: 'array', items: str }, origin: ours, description: 'More `run` flags (e.g. `--query-timeout=1m`).' },
    { key: 'metrics.service.enabled', default: true, schema: bool, origin: ours, description: 'The `<fullname>-metrics` Service (port 8080, `/metrics`).' },
    { key: 'metrics.service.annotations', default: {}, schema: stringMap, origin: ours, description: 'Annotations of that Service (e.g. `prometheus.io/scrape`).' },
    { key: 'metrics.serviceMonitor.enabled', default: false, schema: bool, origin: ours, description: "A Prometheus Operator ServiceMonitor for that Service (needs its CRD, monitoring.coreos.com/v1)." },
    { key: 'metrics.serviceMonitor.interval', default: '', schema: duration, origin: ours, description: "Scrape interval; empty: Prometheus's." },
    { key: 'metrics.serviceMonitor.labels', default: {}, schema: stringMap, origin: ours, description: "Labels of the ServiceMonitor (a Prometheus's serviceMonitorSelector)." },
    { key: 'waiterRole.create', default: true, schema: bool, origin: ours, description: 'The read-only `<fullname>-waiter` ClusterRole applications bind for `wait` (with watchNamespaces, a Role in each).' },
  ];
}

/** The defaults as one object (values.yaml). */
export function defaultValues(defs: readonly ValueDefinition[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const d of defs) {
    const path = d.key.split('.');
    let at = root;
    for (const part of path.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>;
    at[path.at(-1) ?? ''] = d.default;
  }
  return root;
}

/**
 * values.schema.json: types for every key; unknown keys are refused inside
 * every group (a typo such as `image.tg` fails the install). Unknown keys at
 * the top are accepted: a values file written for any atlas-operator release
 * (which had keys such as `autoscaling` or `service` in some versions) must
 * install as it is, and `global` is what a parent chart passes down.
 */
export function valuesSchema(defs: readonly ValueDefinition[]): JsonSchema {
  const root: JsonSchema = { $schema: 'http://json-schema.org/draft-07/schema#', title: `${APP_NAME} chart values`, type: 'object', additionalProperties: true, properties: { global: { type: 'object' } } };
  for (const d of defs) {
    const path = d.key.split('.');
    let at = root;
    path.slice(0, -1).forEach((part) => {
      const props = at.properties as Record<string, JsonSchema>;
      at = props[part] ??= { type: 'object', additionalProperties: false, properties: {} };
    });
    (at.properties as Record<string, JsonSchema>)[path.at(-1) ?? ''] = { ...d.schema, description: d.description };
  }
  return root;
}

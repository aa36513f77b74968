import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { HEALTH_PORT, METRICS_PORT, type OperatorPlacement, SELECTOR_LABELS } from './names';

export interface OperatorDeploymentProps extends OperatorPlacement {
  /** Container image. */
  readonly image: string;
}

/** Replicas of the operator: one leads (holds the Lease and reconciles), the other follows with warm caches. */
export const OPERATOR_REPLICAS = 2;

/** Non-root (the image's user), seccomp on. */
export const POD_SECURITY_CONTEXT = { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } };
export const CONTAINER_SECURITY_CONTEXT = { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
export const DEFAULT_RESOURCES = { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } };

const quantities = (q: Record<string, string>): Record<string, k8s.Quantity> => Object.fromEntries(Object.entries(q).map(([k, v]) => [k, k8s.Quantity.fromString(v)]));

/**
 * The operator Deployment: two replicas with leader election (only the
 * Lease holder reconciles), rolled one new pod at a time without taking
 * one down first (the leader releases the Lease on SIGTERM, so the handover
 * takes about a retry period), spread over nodes when possible, kept at one
 * or more by a PodDisruptionBudget; hardened container; probes on the
 * health port.
 */
export class OperatorDeployment extends Construct {
  constructor(scope: Construct, id: string, props: OperatorDeploymentProps) {
    super(scope, id);
    const h = props.helm;
    const name = props.name ?? props.serviceAccountName;
    const labels = props.selectorLabels ?? SELECTOR_LABELS;
    // The Lease lives in the pod's own namespace (read from its ServiceAccount mount).
    const args = ['run', h?.items(LEADER_ELECTION_ARGS) ?? '--leader-elect', `--metrics-bind-address=:${METRICS_PORT}`, `--health-probe-bind-address=:${HEALTH_PORT}`];
    if (h !== undefined) args.push(h.items(RUN_ARGS), h.spliceList('$.Values.extraArgs'));
    else if (props.watchNamespaces !== undefined && props.watchNamespaces.length > 0) args.push(`--namespace=${props.watchNamespaces.join(',')}`);
    const deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name, namespace: props.namespace, labels },
      spec: {
        replicas: OPERATOR_REPLICAS,
        // A new pod starts (as a follower) before an old one stops; the Lease keeps one leader throughout.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: props.serviceAccountName,
            // The operator talks to the API server with its ServiceAccount token (cdk8s-plus turns mounting off by default).
            automountServiceAccountToken: true,
            terminationGracePeriodSeconds: 60,
            // Two replicas on two nodes where there are two: a node's loss then costs a takeover, not a reschedule.
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' } }],
              },
            },
            securityContext: POD_SECURITY_CONTEXT,
            containers: [
              {
                name: 'operator',
                image: props.image,
                imagePullPolicy: h?.expr('$.Values.image.pullPolicy') ?? 'IfNotPresent',
                args,
                // The Lease holder's identity starts with the pod's name.
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                ],
                ports: [
                  { name: 'metrics', containerPort: METRICS_PORT },
                  { name: 'health', containerPort: HEALTH_PORT },
                ],
                securityContext: CONTAINER_SECURITY_CONTEXT,
                resources: { requests: quantities(DEFAULT_RESOURCES.requests), limits: quantities(DEFAULT_RESOURCES.limits) },
                livenessProbe: { httpGet: { path: '/healthz', port: k8s.IntOrString.fromString('health') }, periodSeconds: 20, initialDelaySeconds: 10 },
                readinessProbe: { httpGet: { path: '/readyz', port: k8s.IntOrString.fromString('health') }, periodSeconds: 10 },
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            // A writable /tmp (the root filesystem is read-only): SQLite lock files and scratch space.
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
          },
        },
      },
    });
    // Voluntary disruptions (node drains) keep one replica: a follower takes over instead of nothing running.
    const pdb = new k8s.KubePodDisruptionBudget(this, 'disruption-budget', {
      metadata: { name, namespace: props.namespace, labels },
      spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
    });
    const service = new k8s.KubeService(this, 'metrics', {
      metadata: { name: `${name}-metrics`, namespace: props.namespace, labels },
      spec: { selector: labels, ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: k8s.IntOrString.fromString('metrics') }] },
    });
    if (h === undefined) return;

    // The chart's values (manifests/values.ts).
    const pod = '/spec/template/spec';
    const container = `${pod}/containers/0`;
    h.bind(deployment, {
      '/spec/replicas': h.expr('$.Values.replicaCount'),
      '/spec/template/metadata/annotations': h.optional('$.Values.podAnnotations'),
      [`${pod}/imagePullSecrets`]: h.optional('$.Values.imagePullSecrets'),
      [`${pod}/securityContext`]: h.yaml('$.Values.podSecurityContext'),
      [`${pod}/nodeSelector`]: h.optional('$.Values.nodeSelector'),
      [`${pod}/priorityClassName`]: h.optional('$.Values.priorityClassName'),
      [`${pod}/tolerations`]: h.optional('$.Values.tolerations'),
      [`${pod}/initContainers`]: h.optional('$.Values.initContainers'),
      [`${pod}/volumes/-`]: h.spliceList('$.Values.extraVolumes'),
      [`${container}/securityContext`]: h.yaml('$.Values.containerSecurityContext'),
      [`${container}/resources`]: h.yaml('$.Values.resources'),
      [`${container}/env/-`]: h.spliceList('$.Values.extraEnvs'),
      [`${container}/volumeMounts/-`]: h.spliceList('$.Values.extraVolumeMounts'),
    });
    h.spliceMap(deployment, '/spec/template/metadata/labels', '$.Values.podLabels');
    h.override(deployment, `${pod}/affinity`, '$.Values.affinity');
    // One replica: a budget of one would block every drain.
    h.when(pdb, 'gt (int $.Values.replicaCount) 1');
    h.when(service, '$.Values.metrics.service.enabled');
    h.bind(service, { '/metadata/annotations': h.optional('$.Values.metrics.service.annotations') });
    const monitor = new ApiObject(this, 'service-monitor', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: `${name}-metrics`, namespace: props.namespace, labels },
      spec: { selector: { matchLabels: labels }, endpoints: [{ port: 'metrics', path: '/metrics' }] },
    });
    h.when(monitor, '$.Values.metrics.serviceMonitor.enabled');
    h.bind(monitor, { '/spec/endpoints/0/interval': h.optional('$.Values.metrics.serviceMonitor.interval') });
    h.spliceMap(monitor, '/metadata/labels', '$.Values.metrics.serviceMonitor.labels');
  }
}

/** `--leader-elect` and its settings, as list items of `args`. */
const LEADER_ELECTION_ARGS = [
  '{{- if $.Values.leaderElection.enabled }}',
  '- --leader-elect',
  ...(
    [
      ['id', 'leader-election-id'],
      ['leaseDuration', 'leader-elect-lease-duration'],
      ['renewDeadline', 'leader-elect-renew-deadline'],
      ['retryPeriod', 'leader-elect-retry-period'],
    ] as const
  ).flatMap(([value, flag]) => [`{{- with $.Values.leaderElection.${value} }}`, `- --${flag}={{ . }}`, '{{- end }}']),
  '{{- end }}',
];

/** The other `run` flags the values set, each only when set. */
const RUN_ARGS = [
  '{{- with $.Values.watchNamespaces }}',
  '- --namespace={{ join "," . }}',
  '{{- end }}',
  '{{- with $.Values.labelSelector }}',
  '- {{ printf "--label-selector=%s" (kindIs "string" . | ternary . (join "," .)) | quote }}',
  '{{- end }}',
  '{{- with $.Values.concurrency }}',
  '- --concurrency={{ int . }}',
  '{{- end }}',
  ...(
    [
      ['resyncPeriod', 'resync-period'],
      ['logLevel', 'log-level'],
      ['backoff.base', 'backoff-base'],
      ['backoff.max', 'backoff-max'],
    ] as const
  ).flatMap(([value, flag]) => [`{{- with $.Values.${value} }}`, `- --${flag}={{ . }}`, '{{- end }}']),
];

import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { HEALTH_PORT, METRICS_PORT, type OperatorPlacement, SELECTOR_LABELS } from './names';

export interface OperatorDeploymentProps extends OperatorPlacement {
  /** Container image. */
  readonly image: string;
}

/** Replicas of the operator: one leads (holds the Lease and reconciles), the other follows with warm caches. */
export const OPERATOR_REPLICAS = 2;

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
    // The Lease lives in the pod's own namespace (read from its ServiceAccount mount).
    const args = ['run', '--leader-elect', `--metrics-bind-address=:${METRICS_PORT}`, `--health-probe-bind-address=:${HEALTH_PORT}`];
    if (props.watchNamespaces !== undefined && props.watchNamespaces.length > 0) args.push(`--namespace=${props.watchNamespaces.join(',')}`);
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: props.serviceAccountName, namespace: props.namespace, labels: SELECTOR_LABELS },
      spec: {
        replicas: OPERATOR_REPLICAS,
        // A new pod starts (as a follower) before an old one stops; the Lease keeps one leader throughout.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
        selector: { matchLabels: SELECTOR_LABELS },
        template: {
          metadata: { labels: SELECTOR_LABELS },
          spec: {
            serviceAccountName: props.serviceAccountName,
            // The operator talks to the API server with its ServiceAccount token (cdk8s-plus turns mounting off by default).
            automountServiceAccountToken: true,
            terminationGracePeriodSeconds: 60,
            // Two replicas on two nodes where there are two: a node's loss then costs a takeover, not a reschedule.
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: SELECTOR_LABELS }, topologyKey: 'kubernetes.io/hostname' } }],
              },
            },
            securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'operator',
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
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
                securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('128Mi') },
                  limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString('512Mi') },
                },
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
    new k8s.KubePodDisruptionBudget(this, 'disruption-budget', {
      metadata: { name: props.serviceAccountName, namespace: props.namespace, labels: SELECTOR_LABELS },
      spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: SELECTOR_LABELS } },
    });
    new k8s.KubeService(this, 'metrics', {
      metadata: { name: `${props.serviceAccountName}-metrics`, namespace: props.namespace, labels: SELECTOR_LABELS },
      spec: { selector: SELECTOR_LABELS, ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: k8s.IntOrString.fromString('metrics') }] },
    });
  }
}

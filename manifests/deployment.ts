import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { HEALTH_PORT, METRICS_PORT, type OperatorPlacement, SELECTOR_LABELS } from './names';

export interface OperatorDeploymentProps extends OperatorPlacement {
  /** Container image. */
  readonly image: string;
}

/**
 * The operator Deployment: one replica, replaced (not rolled) so two
 * operators never overlap; hardened container; probes on the health port.
 */
export class OperatorDeployment extends Construct {
  constructor(scope: Construct, id: string, props: OperatorDeploymentProps) {
    super(scope, id);
    const args = ['run', `--metrics-bind-address=:${METRICS_PORT}`, `--health-probe-bind-address=:${HEALTH_PORT}`];
    if (props.watchNamespaces !== undefined && props.watchNamespaces.length > 0) args.push(`--namespace=${props.watchNamespaces.join(',')}`);
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: props.serviceAccountName, namespace: props.namespace, labels: SELECTOR_LABELS },
      spec: {
        replicas: 1,
        // The default rolling update briefly runs two operators; the database lock would serialize them, but Recreate avoids it.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: SELECTOR_LABELS },
        template: {
          metadata: { labels: SELECTOR_LABELS },
          spec: {
            serviceAccountName: props.serviceAccountName,
            // The operator talks to the API server with its ServiceAccount token (cdk8s-plus turns mounting off by default).
            automountServiceAccountToken: true,
            terminationGracePeriodSeconds: 60,
            securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'operator',
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                args,
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
    new k8s.KubeService(this, 'metrics', {
      metadata: { name: `${props.serviceAccountName}-metrics`, namespace: props.namespace, labels: SELECTOR_LABELS },
      spec: { selector: SELECTOR_LABELS, ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: k8s.IntOrString.fromString('metrics') }] },
    });
  }
}

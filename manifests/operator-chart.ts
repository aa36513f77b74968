import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { OperatorDeployment } from './deployment';
import { APP_NAME, DEFAULT_NAMESPACE } from './names';
import { OperatorRbac } from './rbac';
import { WaiterRole } from './waiter-role';

export interface OperatorChartProps {
  /** @default atlas-k8s-migrator-system */
  readonly namespace?: string;
  /** @default atlas-k8s-migrator:<version> */
  readonly image: string;
  /** Namespaces to watch; @default all (cluster-wide RBAC). */
  readonly watchNamespaces?: readonly string[];
}

/** Everything that runs the operator: namespace, identity, RBAC, Deployment, metrics Service; and the role applications bind to wait for it. */
export class OperatorChart extends Chart {
  constructor(scope: Construct, id: string, props: OperatorChartProps) {
    const namespace = props.namespace ?? DEFAULT_NAMESPACE;
    super(scope, id);
    new k8s.KubeNamespace(this, 'namespace', { metadata: { name: namespace } });
    new k8s.KubeServiceAccount(this, 'service-account', { metadata: { name: APP_NAME, namespace }, automountServiceAccountToken: true });
    const shared = { namespace, serviceAccountName: APP_NAME, ...(props.watchNamespaces === undefined ? {} : { watchNamespaces: props.watchNamespaces }) };
    new OperatorRbac(this, 'rbac', shared);
    new OperatorDeployment(this, 'operator', { ...shared, image: props.image });
    new WaiterRole(this, 'waiter', props.watchNamespaces === undefined ? {} : { watchNamespaces: props.watchNamespaces });
  }
}

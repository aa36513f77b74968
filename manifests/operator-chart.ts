import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { OperatorDeployment } from './deployment';
import type { HelmPlaceholders } from './helm-placeholders';
import { APP_NAME, DEFAULT_NAMESPACE, include, type OperatorPlacement } from './names';
import { OperatorRbac } from './rbac';
import { WaiterRole } from './waiter-role';

export interface OperatorChartProps {
  /** @default atlas-k8s-migrator-system */
  readonly namespace?: string;
  /** @default atlas-k8s-migrator:<version> */
  readonly image: string;
  /** Namespaces to watch; @default all (cluster-wide RBAC). */
  readonly watchNamespaces?: readonly string[];
  /**
   * Building the Helm chart's templates: names, namespaces and settings
   * become the chart's values (manifests/values.ts) through these
   * placeholders; `image`, `namespace` and `watchNamespaces` are then only
   * the values' defaults.
   */
  readonly helm?: HelmPlaceholders;
}

/** Everything that runs the operator: namespace, identity, RBAC, Deployment, metrics Service; and the role applications bind to wait for it. */
export class OperatorChart extends Chart {
  constructor(scope: Construct, id: string, props: OperatorChartProps) {
    super(scope, id);
    const h = props.helm;
    const shared: OperatorPlacement =
      h === undefined
        ? { namespace: props.namespace ?? DEFAULT_NAMESPACE, serviceAccountName: APP_NAME, ...(props.watchNamespaces === undefined ? {} : { watchNamespaces: props.watchNamespaces }) }
        : {
            namespace: h.expr(include('namespace')),
            name: h.expr(include('fullname')),
            serviceAccountName: h.expr(include('serviceAccountName')),
            selectorLabels: { 'app.kubernetes.io/name': h.expr(include('name')) },
            helm: h,
          };
    const namespace = new k8s.KubeNamespace(this, 'namespace', { metadata: { name: shared.namespace } });
    const account = new k8s.KubeServiceAccount(this, 'service-account', { metadata: { name: shared.serviceAccountName, namespace: shared.namespace }, automountServiceAccountToken: true });
    new OperatorRbac(this, 'rbac', shared);
    new OperatorDeployment(this, 'operator', { ...shared, image: h?.expr(HELM_IMAGE) ?? props.image });
    new WaiterRole(this, 'waiter', h === undefined ? (props.watchNamespaces === undefined ? {} : { watchNamespaces: props.watchNamespaces }) : { helm: h, name: `${shared.name}-waiter` });
    if (h === undefined) return;
    h.when(namespace, 'and $.Values.namespace.create $.Values.namespace.name');
    h.when(account, '$.Values.serviceAccount.create');
    h.bind(account, { '/metadata/annotations': h.optional('$.Values.serviceAccount.annotations'), '/metadata/labels': h.optional('$.Values.serviceAccount.labels') });
  }
}

/** The image from the values: repository, then the tag or else the chart's appVersion. */
const HELM_IMAGE = 'printf "%s:%s" $.Values.image.repository (toString (default $.Chart.AppVersion $.Values.image.tag)) | quote';

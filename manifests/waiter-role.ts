import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { API_GROUP, PLURAL } from '../operator/api/atlasmigration-schema';
import type { HelmPlaceholders } from './helm-placeholders';
import { APP_NAME } from './names';

/** The role `atlas-k8s-migrator wait` needs; applications bind it in their namespace. */
export const WAITER_ROLE_NAME = `${APP_NAME}-waiter`;

/** Read only: `wait` uses get and watch; list lets `kubectl get`/`kubectl wait` work with the same binding. Never patch: approving is a person's act. */
export const WAITER_RULES: k8s.PolicyRule[] = [{ apiGroups: [API_GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch'] }];

export interface WaiterRoleProps {
  /** Namespaces the operator watches; @default all (one ClusterRole, bound per namespace with a RoleBinding). */
  readonly watchNamespaces?: readonly string[];
  /** @default WAITER_ROLE_NAME */
  readonly name?: string;
  /** Building the Helm chart (manifests/helm-placeholders.ts). */
  readonly helm?: HelmPlaceholders;
}

/**
 * A ClusterRole an application binds with a RoleBinding in its own
 * namespace (it grants nothing elsewhere); a namespaced install, which
 * creates no cluster-wide RBAC, gets a Role of that name in each watched
 * namespace instead.
 */
export class WaiterRole extends Construct {
  constructor(scope: Construct, id: string, props: WaiterRoleProps) {
    super(scope, id);
    const name = props.name ?? WAITER_ROLE_NAME;
    const h = props.helm;
    if (h !== undefined) {
      const cluster = new k8s.KubeClusterRole(this, 'role', { metadata: { name }, rules: WAITER_RULES });
      h.when(cluster, 'and $.Values.rbac.create $.Values.waiterRole.create (not $.Values.watchNamespaces)');
      const role = new k8s.KubeRole(this, 'role-watched', { metadata: { name, namespace: h.expr('$ns') }, rules: WAITER_RULES });
      h.when(role, 'and $.Values.rbac.create $.Values.waiterRole.create');
      h.each(role, '$ns', '$.Values.watchNamespaces');
      return;
    }
    if (props.watchNamespaces === undefined || props.watchNamespaces.length === 0) {
      new k8s.KubeClusterRole(this, 'role', { metadata: { name }, rules: WAITER_RULES });
      return;
    }
    for (const ns of props.watchNamespaces) new k8s.KubeRole(this, `role-${ns}`, { metadata: { name, namespace: ns }, rules: WAITER_RULES });
  }
}

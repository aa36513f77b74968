import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { API_GROUP, PLURAL } from '../operator/api/atlasmigration-schema';
import type { OperatorPlacement } from './names';

/**
 * Exactly what the operator needs, nothing more: e2e/rbac.e2e.test.ts takes
 * each verb away in turn and shows what then fails. Not granted, because
 * nothing uses them (taking them away changed nothing in that test):
 * atlasmigrations/status get and update (status is only merge-patched,
 * kube/resources.ts; a fresh read GETs the resource itself),
 * atlasmigrations/finalizers update (the operator sets no finalizer and
 * gives no object an ownerReference to an AtlasMigration, which is what that
 * subresource guards), and events in events.k8s.io (Events are written
 * through the core v1 API, event-recorder.ts).
 */
export const OPERATOR_RULES: k8s.PolicyRule[] = [
  // get: a status write that met a conflict reads the resource again; list and watch: its cache.
  { apiGroups: [API_GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [API_GROUP], resources: [`${PLURAL}/status`], verbs: ['patch'] },
  // get: a reconcile reads the Secrets and ConfigMaps a resource names; list and watch (metadata only): a change wakes it.
  { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch'] },
  // create, and patch to count a repeat of the same event (as client-go's recorder does).
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
];

/** Leader election, in the operator's own namespace only. */
export const LEADER_ELECTION_RULES: k8s.PolicyRule[] = [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }];

export class OperatorRbac extends Construct {
  constructor(scope: Construct, id: string, props: OperatorPlacement) {
    super(scope, id);
    const h = props.helm;
    const subject = { kind: 'ServiceAccount', name: props.serviceAccountName, namespace: props.namespace };
    const name = props.name ?? props.serviceAccountName;
    const clusterWide = (): ApiObject[] => [
      new k8s.KubeClusterRole(this, 'role', { metadata: { name }, rules: OPERATOR_RULES }),
      new k8s.KubeClusterRoleBinding(this, 'binding', { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [subject] }),
    ];
    const inNamespace = (ns: string, suffix: string): ApiObject[] => [
      new k8s.KubeRole(this, `role${suffix}`, { metadata: { name, namespace: ns }, rules: OPERATOR_RULES }),
      new k8s.KubeRoleBinding(this, `binding${suffix}`, { metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [subject] }),
    ];
    if (h !== undefined) {
      // The chart has both: the ClusterRole without watchNamespaces, else one Role per namespace.
      for (const o of clusterWide()) h.when(o, 'and $.Values.rbac.create (not $.Values.watchNamespaces)');
      for (const o of inNamespace(h.expr('$ns'), '-watched')) {
        h.when(o, '$.Values.rbac.create');
        h.each(o, '$ns', '$.Values.watchNamespaces');
      }
    } else if (props.watchNamespaces === undefined || props.watchNamespaces.length === 0) {
      clusterWide();
    } else {
      for (const ns of props.watchNamespaces) inNamespace(ns, `-${ns}`);
    }
    const leader = `${name}-leader-election`;
    const role = new k8s.KubeRole(this, 'leader-role', { metadata: { name: leader, namespace: props.namespace }, rules: LEADER_ELECTION_RULES });
    const binding = new k8s.KubeRoleBinding(this, 'leader-binding', {
      metadata: { name: leader, namespace: props.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leader },
      subjects: [subject],
    });
    for (const o of [role, binding]) h?.when(o, 'and $.Values.rbac.create $.Values.leaderElection.enabled');
  }
}

import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { API_GROUP, PLURAL } from '../operator/api/atlasmigration-schema';
import type { OperatorPlacement } from './names';

/** Exactly what the operator needs, nothing more. */
export const OPERATOR_RULES: k8s.PolicyRule[] = [
  { apiGroups: [API_GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [API_GROUP], resources: [`${PLURAL}/status`], verbs: ['get', 'update', 'patch'] },
  { apiGroups: [API_GROUP], resources: [`${PLURAL}/finalizers`], verbs: ['update'] },
  { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
];

/** Leader election, in the operator's own namespace only. */
export const LEADER_ELECTION_RULES: k8s.PolicyRule[] = [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }];

export class OperatorRbac extends Construct {
  constructor(scope: Construct, id: string, props: OperatorPlacement) {
    super(scope, id);
    const subject = { kind: 'ServiceAccount', name: props.serviceAccountName, namespace: props.namespace };
    const name = props.serviceAccountName;
    if (props.watchNamespaces === undefined || props.watchNamespaces.length === 0) {
      new k8s.KubeClusterRole(this, 'role', { metadata: { name }, rules: OPERATOR_RULES });
      new k8s.KubeClusterRoleBinding(this, 'binding', { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [subject] });
    } else {
      for (const ns of props.watchNamespaces) {
        new k8s.KubeRole(this, `role-${ns}`, { metadata: { name, namespace: ns }, rules: OPERATOR_RULES });
        new k8s.KubeRoleBinding(this, `binding-${ns}`, { metadata: { name, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [subject] });
      }
    }
    const leader = `${name}-leader-election`;
    new k8s.KubeRole(this, 'leader-role', { metadata: { name: leader, namespace: props.namespace }, rules: LEADER_ELECTION_RULES });
    new k8s.KubeRoleBinding(this, 'leader-binding', {
      metadata: { name: leader, namespace: props.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leader },
      subjects: [subject],
    });
  }
}

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { atlasMigrationCrd } from '../operator/api/crd';
import { PROGRAM_VERSION } from '../operator/version';
import { buildApp } from './app';
import { WAITER_ROLE } from '../operator/cli/wait';
import { LEADER_ELECTION_RULES, OPERATOR_RULES } from './rbac';
import { WAITER_ROLE_NAME, WAITER_RULES } from './waiter-role';

type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

function synth(watchNamespaces?: string[]): { files: Record<string, string>; docs: Doc[] } {
  const outdir = mkdtempSync(join(tmpdir(), 'synth-'));
  try {
    buildApp({ outdir, image: `atlas-k8s-migrator:${PROGRAM_VERSION}`, ...(watchNamespaces === undefined ? {} : { watchNamespaces }) }).synth();
    const files = Object.fromEntries(readdirSync(outdir).map((f) => [f, readFileSync(join(outdir, f), 'utf8')]));
    const docs = Object.values(files).flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as Doc));
    return { files, docs };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('synthesized manifests', () => {
  const { files, docs } = synth();

  it('match what is committed in manifests/synth (run npx cdk8s synth)', () => {
    for (const [name, text] of Object.entries(files)) {
      assert.equal(readFileSync(join(__dirname, 'synth', name), 'utf8'), text, `manifests/synth/${name} is out of date`);
    }
    assert.deepEqual(readdirSync(join(__dirname, 'synth')).sort(), Object.keys(files).sort());
  });

  it('contain the CRD built from operator/api, without a namespace', () => {
    const crd = docs.find((d) => d.kind === 'CustomResourceDefinition');
    assert.deepEqual(crd, atlasMigrationCrd());
    assert.equal(crd?.metadata.namespace, undefined);
  });

  it('run the operator hardened, two replicas electing a leader, able to reach the API server', () => {
    const deployment = docs.find((d) => d.kind === 'Deployment') as unknown as {
      spec: {
        replicas: number;
        strategy: { type: string; rollingUpdate?: unknown };
        selector: { matchLabels: Record<string, string> };
        template: { spec: Record<string, unknown> & { containers: (Record<string, unknown> & { args: string[]; env: unknown[] })[] } };
      };
    };
    assert.equal(deployment.spec.replicas, 2);
    // A new pod comes up (as a follower) before an old one goes; the leader hands the Lease over on SIGTERM.
    assert.deepEqual(deployment.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const pod = deployment.spec.template.spec;
    assert.deepEqual(pod.affinity, {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: deployment.spec.selector.matchLabels }, topologyKey: 'kubernetes.io/hostname' } }],
      },
    });
    assert.ok(pod.containers[0]?.args.includes('--leader-elect'));
    assert.deepEqual(pod.containers[0]?.env, [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
    const pdb = docs.find((d) => d.kind === 'PodDisruptionBudget') as unknown as { apiVersion: string; metadata: { namespace: string }; spec: unknown };
    assert.equal(pdb.apiVersion, 'policy/v1');
    assert.equal(pdb.metadata.namespace, 'atlas-k8s-migrator-system');
    assert.deepEqual(pdb.spec, { minAvailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } });
    assert.equal(pod.automountServiceAccountToken, true);
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    const [container] = pod.containers;
    assert.deepEqual(container?.securityContext, { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    assert.ok(container?.livenessProbe !== undefined && container.readinessProbe !== undefined && container.resources !== undefined);
    assert.ok(docs.some((d) => d.kind === 'Service' && d.metadata.name.endsWith('-metrics')));
  });

  it('grant least privilege, cluster-wide by default', () => {
    const role = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'atlas-k8s-migrator') as unknown as { rules: unknown[] };
    assert.deepEqual(role.rules, OPERATOR_RULES);
    // Each verb shown needed by e2e/rbac.e2e.test.ts; status get/update, finalizers update and events.k8s.io were not (nothing used them).
    assert.deepEqual(OPERATOR_RULES, [
      { apiGroups: ['db.atlasgo.io'], resources: ['atlasmigrations'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['db.atlasgo.io'], resources: ['atlasmigrations/status'], verbs: ['patch'] },
      { apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ]);
    for (const d of docs.filter((x) => /Role$/.test(x.kind))) {
      for (const rule of (d as unknown as { rules: { verbs: string[]; resources: string[] }[] }).rules) {
        assert.ok(!rule.verbs.includes('*') && !rule.resources.includes('*'), `${d.metadata.name} uses a wildcard`);
      }
    }
    const leader = docs.find((d) => d.kind === 'Role' && d.metadata.name.endsWith('leader-election')) as unknown as { metadata: { name: string; namespace: string }; rules: unknown[] };
    assert.deepEqual(leader.rules, LEADER_ELECTION_RULES);
    assert.deepEqual(LEADER_ELECTION_RULES, [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
    assert.equal(leader.metadata.namespace, 'atlas-k8s-migrator-system', 'Leases in the operator\'s own namespace only');
    const binding = docs.find((d) => d.kind === 'RoleBinding' && d.metadata.name === leader.metadata.name) as unknown as { metadata: { namespace: string }; subjects: { name: string }[] };
    assert.equal(binding.metadata.namespace, 'atlas-k8s-migrator-system');
    assert.deepEqual(binding.subjects.map((s) => s.name), ['atlas-k8s-migrator']);
  });

  it('offer a read-only waiter ClusterRole for applications to bind (the name `wait` suggests)', () => {
    const waiter = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === WAITER_ROLE_NAME) as unknown as { rules: { verbs: string[] }[] };
    assert.deepEqual(waiter.rules, WAITER_RULES);
    assert.deepEqual(waiter.rules.flatMap((r) => r.verbs).sort(), ['get', 'list', 'watch']);
    assert.equal(WAITER_ROLE, WAITER_ROLE_NAME);
  });

  it('grant Roles per watched namespace in the namespaced variant', () => {
    const scoped = synth(['team-a', 'team-b']).docs;
    assert.ok(!scoped.some((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding'));
    const roles = scoped.filter((d) => d.kind === 'Role' && d.metadata.name === 'atlas-k8s-migrator').map((d) => d.metadata.namespace);
    assert.deepEqual(roles, ['team-a', 'team-b']);
    const waiters = scoped.filter((d) => d.kind === 'Role' && d.metadata.name === WAITER_ROLE_NAME).map((d) => d.metadata.namespace);
    assert.deepEqual(waiters, ['team-a', 'team-b']);
    const args = (scoped.find((d) => d.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template.spec.containers[0]?.args;
    assert.ok(args?.includes('--namespace=team-a,team-b'));
  });
});

/**
 * Smoke e2e on a real kube-apiserver + etcd: our synthesized manifests are
 * accepted with server-side apply, the CRD becomes Established and enforces
 * its schema and CEL rules, the seed's resources can be created, and the
 * operator's ServiceAccount gets exactly the access its RBAC grants.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from './controlplane/launcher';

const ROOT = join(__dirname, '..');
let cp: ControlPlane;

before(async () => {
  cp = await startControlPlane();
});
after(async () => {
  await cp?.stop();
});

describe('control plane smoke', () => {
  it('server-side applies every synthesized document; the CRD becomes Established', () => {
    cp.kubectl(['apply', '--server-side', '--field-manager=e2e', '-f', join(ROOT, 'manifests', 'synth', 'crd.k8s.yaml')]);
    cp.kubectl(['wait', '--for=condition=Established', 'crd/atlasmigrations.db.atlasgo.io', '--timeout=60s']);
    cp.kubectl(['apply', '--server-side', '--field-manager=e2e', '-f', join(ROOT, 'manifests', 'synth', 'operator.k8s.yaml')]);
    assert.match(cp.kubectl(['get', 'deployment', '-n', 'atlas-k8s-migrator-system', '-o', 'name']), /deployment.apps\/atlas-k8s-migrator/);
  });

  it('creates the seed walk-through resources', () => {
    cp.kubectl(['create', 'secret', 'generic', 'mysql-credentials', '--from-literal=url=mysql://root:pass@mysql:3306/myapp']);
    cp.kubectl(['create', 'configmap', 'migrations', `--from-file=${join(ROOT, 'operator', 'migrate', 'testdata', 'seed')}`]);
    cp.kubectl(['apply', '-f', join(ROOT, 'manifests', 'examples', 'seed-atlas-migration.yaml')]);
    const list = cp.kubectl(['get', 'atlasmigrations']);
    assert.match(list, /^NAME\s+READY\s+REASON\s+VERSION\s+PENDING\s+AGE\n/);
    assert.match(list, /atlas-migration/);
    const spec = JSON.parse(cp.kubectl(['get', 'atlasmig', 'atlas-migration', '-o', 'json'])) as { spec: Record<string, unknown> };
    assert.equal(spec.spec.execOrder, 'linear', 'the apiserver applies our defaults');
    assert.match(cp.kubectl(['explain', 'atlasmigration.spec']), /exactly one of|Database URL in Atlas form/);
    assert.match(cp.kubectl(['explain', 'atlasmigration.spec.execOrder']), /linear-skip/);
  });

  it('rejects invalid resources with our messages (CEL and enums)', () => {
    const both = 'apiVersion: db.atlasgo.io/v1alpha1\nkind: AtlasMigration\nmetadata: {name: both}\nspec:\n  url: mysql://h/db\n  urlFrom: {secretKeyRef: {key: url, name: s}}\n  dir: {configMapRef: {name: m}}\n';
    const r = cp.tryKubectl(['apply', '-f', '-'], { input: both });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /exactly one of url, urlFrom or credentials must be set/);
    const order = 'apiVersion: db.atlasgo.io/v1alpha1\nkind: AtlasMigration\nmetadata: {name: order}\nspec:\n  url: mysql://h/db\n  execOrder: random\n  dir: {local: {"1.sql": "SELECT 1;"}}\n';
    const r2 = cp.tryKubectl(['apply', '-f', '-'], { input: order });
    assert.notEqual(r2.status, 0);
    assert.match(r2.stderr, /execOrder: Unsupported value: "random"/);
  });

  it('gives the operator\'s ServiceAccount what its RBAC grants, and nothing more', () => {
    const kc = cp.kubeconfigFor('atlas-k8s-migrator-system', 'atlas-k8s-migrator');
    const can = (...args: string[]) => cp.tryKubectl(['auth', 'can-i', ...args], { kubeconfig: kc }).stdout.trim();
    assert.equal(can('list', 'atlasmigrations.db.atlasgo.io', '--all-namespaces'), 'yes');
    assert.equal(can('patch', 'atlasmigrations.db.atlasgo.io', '--subresource=status', '-n', 'default'), 'yes');
    assert.equal(can('get', 'secrets', '-n', 'default'), 'yes');
    assert.equal(can('create', 'events', '-n', 'default'), 'yes');
    assert.equal(can('delete', 'secrets', '-n', 'default'), 'no');
    assert.equal(can('update', 'atlasmigrations.db.atlasgo.io', '-n', 'default'), 'no');
    assert.equal(can('create', 'leases.coordination.k8s.io', '-n', 'atlas-k8s-migrator-system'), 'yes');
    assert.equal(can('create', 'leases.coordination.k8s.io', '-n', 'default'), 'no');
    // And it really reads as that identity.
    assert.match(cp.kubectl(['get', 'atlasmigrations', '-A'], { kubeconfig: kc }), /atlas-migration/);
  });
});

/**
 * The names (`comm`) of the processes whose command line names this control
 * plane's folder: its etcd and kube-apiserver, and nothing of another
 * control plane, whatever else runs on the host (e2e files run in parallel).
 */
function processesOf(cp: ControlPlane): string[] {
  const marker = `${cp.pki}/`;
  const names: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) names.push(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
    } catch {
      // gone meanwhile
    }
  }
  return names.sort();
}

describe('several control planes', () => {
  it('run side by side without clashing, and leave nothing behind', async () => {
    const [a, b] = await Promise.all([startControlPlane(), startControlPlane()]);
    try {
      assert.notEqual(a.server, b.server);
      a.kubectl(['create', 'namespace', 'only-in-a']);
      assert.equal(b.tryKubectl(['get', 'namespace', 'only-in-a']).status, 1);
      // The check below finds each control plane's own processes (so an empty list after stop() means something).
      for (const x of [a, b]) assert.deepEqual(processesOf(x), ['etcd', 'kube-apiserver']);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    assert.deepEqual(processesOf(a), [], 'nothing of the first one is left');
    assert.deepEqual(processesOf(b), [], 'nothing of the second one is left');
    assert.deepEqual(processesOf(cp), ['etcd', 'kube-apiserver'], "stopping them left this file's control plane alone");
  });
});

/**
 * The Helm chart (manifests/helm) rendered by the real Helm binary
 * (`helm template`, built by e2e/controlplane/build-helm.sh; no cluster):
 * with no values it gives exactly the objects of manifests/synth; each value
 * of manifests/values.ts is set and its effect on the objects asserted (a
 * value without a case here fails the last test); the schema refuses wrong
 * types and unknown keys with Helm's message; an atlas-operator values file
 * installs as it is; the README lists every value with its default. The args
 * the chart gives the operator are parsed by `run`'s own flag parser.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { atlasMigrationCrd } from '../operator/api/crd';
import { runConfig } from '../operator/cli/run';
import { PROGRAM_VERSION } from '../operator/version';
import { chartReadme, valuesTable } from '../manifests/helm-chart';
import { defaultValues, valueDefinitions } from '../manifests/values';
import { helmBinary } from './controlplane/helm';

const ROOT = join(__dirname, '..');
const CHART = join(ROOT, 'manifests', 'helm');
const DEFS = valueDefinitions({ repository: 'atlas-k8s-migrator', tag: '' });
const work = mkdtempSync(join(tmpdir(), 'chart-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: unknown };
type Container = { name: string; image: string; imagePullPolicy: string; args: string[]; env: unknown[]; resources: unknown; securityContext: Record<string, unknown>; volumeMounts: unknown[] };
type PodSpec = Record<string, unknown> & { containers: Container[]; volumes: unknown[]; serviceAccountName: string; securityContext: Record<string, unknown> };
type Deployment = Obj & { spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } } };

const key = (o: Obj): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const sorted = (docs: Obj[]): Obj[] => [...docs].sort((a, b) => key(a).localeCompare(key(b)));

function helm(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data') };
  return spawnSync(helmBinary(), args, { encoding: 'utf8', env });
}

let files = 0;
/** `helm template atlas-operator manifests/helm` with these values (a values file) and extra flags. */
function render(values: unknown = {}, flags: readonly string[] = []): Obj[] {
  const file = join(work, `values-${files++}.yaml`);
  writeFileSync(file, JSON.stringify(values));
  const r = helm(['template', 'atlas-operator', CHART, '-f', file, ...flags]);
  assert.equal(r.status, 0, r.stderr);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj | null).filter((d): d is Obj => d !== null);
}

/** The install error Helm prints for these values. */
function refused(values: unknown, flags: readonly string[] = []): string {
  const file = join(work, `values-${files++}.yaml`);
  writeFileSync(file, JSON.stringify(values));
  const r = helm(['template', 'atlas-operator', CHART, '-f', file, ...flags]);
  assert.notEqual(r.status, 0, `accepted: ${JSON.stringify(values)}`);
  return r.stderr;
}

const one = <T extends Obj = Obj>(docs: Obj[], kind: string, name?: string): T => {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  assert.equal(found.length, 1, `one ${kind} ${name ?? ''}: ${found.map(key).join(', ')}`);
  return found[0] as T;
};
const deployment = (docs: Obj[]): Deployment => one<Deployment>(docs, 'Deployment');
const container = (docs: Obj[]): Container => deployment(docs).spec.template.spec.containers[0] as Container;
const pod = (docs: Obj[]): PodSpec => deployment(docs).spec.template.spec;
/** What the operator makes of the chart's args (in a pod named p in namespace ns). */
const settings = (docs: Obj[]): ReturnType<typeof runConfig> => {
  const [command, ...args] = container(docs).args;
  assert.equal(command, 'run');
  return runConfig(args, { env: { POD_NAME: 'p', POD_NAMESPACE: 'ns' }, namespaceFile: join(work, 'none') });
};

const defaults = render();
const plain = parseAllDocuments(readFileSync(join(ROOT, 'manifests', 'synth', 'operator.k8s.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
const covered = new Set<string>();
/** A test of these values (marks them covered). */
const cover = (...keys: string[]): void => keys.forEach((k) => covered.add(k));
/** Everything but these object kinds is as with no values. */
function unchangedBut(docs: Obj[], ...kinds: string[]): void {
  assert.deepEqual(sorted(docs.filter((d) => !kinds.includes(d.kind))), sorted(defaults.filter((d) => !kinds.includes(d.kind))));
}

describe('the chart with no values', () => {
  it('renders exactly the objects of manifests/synth (what the seed and the e2e install)', () => {
    assert.deepEqual(sorted(defaults), sorted(plain));
  });

  it('is clean for helm lint --strict, with and without values', () => {
    for (const set of [[], ['--set', 'watchNamespaces={a,b}', '--set', 'metrics.serviceMonitor.enabled=true', '--set', 'replicaCount=1']]) {
      const r = helm(['lint', '--strict', CHART, ...set]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /\[(WARNING|ERROR)\]/);
    }
  });

  it('keeps the CRD in crds/ (installed when absent, never upgraded nor deleted): --include-crds shows it, crds.create is accepted', () => {
    cover('crds.create');
    const crd = one(render({}, ['--include-crds']), 'CustomResourceDefinition');
    assert.deepEqual(crd, atlasMigrationCrd());
    assert.deepEqual(sorted(render({ crds: { create: false } })), sorted(defaults));
  });
});

describe('values of atlas-operator\'s chart', () => {
  it('replicaCount: replicas; the PodDisruptionBudget only with more than one', () => {
    cover('replicaCount');
    const three = render({ replicaCount: 3 });
    assert.equal(deployment(three).spec.replicas, 3);
    assert.deepEqual((one(three, 'PodDisruptionBudget') as unknown as { spec: unknown }).spec, { minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'atlas-k8s-migrator' } } });
    const single = render({ replicaCount: 1 });
    assert.equal(deployment(single).spec.replicas, 1);
    assert.ok(!single.some((d) => d.kind === 'PodDisruptionBudget'));
  });

  it('image.repository, image.tag, image.pullPolicy; an empty tag is the appVersion', () => {
    cover('image.repository', 'image.tag', 'image.pullPolicy');
    const c = container(render({ image: { repository: 'registry.example:5000/team/atlas-k8s-migrator', tag: '1.2.3', pullPolicy: 'Always' } }));
    assert.equal(c.image, 'registry.example:5000/team/atlas-k8s-migrator:1.2.3');
    assert.equal(c.imagePullPolicy, 'Always');
    assert.equal(container(defaults).image, `atlas-k8s-migrator:${PROGRAM_VERSION}`);
    assert.equal(container(defaults).imagePullPolicy, 'IfNotPresent');
    assert.match(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'), new RegExp(`^appVersion: "${PROGRAM_VERSION}"$`, 'm'));
  });

  it('imagePullSecrets', () => {
    cover('imagePullSecrets');
    assert.deepEqual(pod(render({ imagePullSecrets: [{ name: 'regcred' }] })).imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(pod(defaults).imagePullSecrets, undefined);
  });

  it('nameOverride: the name label and every name; fullnameOverride: every name', () => {
    cover('nameOverride', 'fullnameOverride');
    const named = render({ nameOverride: 'migrator' });
    assert.deepEqual(deployment(named).spec.selector.matchLabels, { 'app.kubernetes.io/name': 'migrator' });
    assert.equal(deployment(named).metadata.name, 'migrator');
    const full = render({ fullnameOverride: 'team-a-migrator' });
    const names = full.map((d) => `${d.kind} ${d.metadata.name}`).sort();
    assert.deepEqual(names, [
      'ClusterRole team-a-migrator',
      'ClusterRole team-a-migrator-waiter',
      'ClusterRoleBinding team-a-migrator',
      'Deployment team-a-migrator',
      'Namespace atlas-k8s-migrator-system',
      'PodDisruptionBudget team-a-migrator',
      'Role team-a-migrator-leader-election',
      'RoleBinding team-a-migrator-leader-election',
      'Service team-a-migrator-metrics',
      'ServiceAccount team-a-migrator',
    ]);
    assert.deepEqual(deployment(full).spec.selector.matchLabels, { 'app.kubernetes.io/name': 'atlas-k8s-migrator' });
    const binding = one(full, 'ClusterRoleBinding') as unknown as { roleRef: { name: string }; subjects: { name: string; namespace: string }[] };
    assert.equal(binding.roleRef.name, 'team-a-migrator');
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'team-a-migrator', namespace: 'atlas-k8s-migrator-system' }]);
  });

  it('serviceAccount.create, .annotations, .labels, .name: the roles are bound to the account the pods run as', () => {
    cover('serviceAccount.create', 'serviceAccount.annotations', 'serviceAccount.labels', 'serviceAccount.name');
    const own = render({ serviceAccount: { name: 'migrator-sa', annotations: { 'iam.example/role': 'db' }, labels: { team: 'a' } } });
    assert.deepEqual(one(own, 'ServiceAccount').metadata, { name: 'migrator-sa', namespace: 'atlas-k8s-migrator-system', annotations: { 'iam.example/role': 'db' }, labels: { team: 'a' } });
    assert.equal(pod(own).serviceAccountName, 'migrator-sa');
    const existing = render({ serviceAccount: { create: false, name: 'existing' } });
    assert.ok(!existing.some((d) => d.kind === 'ServiceAccount'));
    assert.equal(pod(existing).serviceAccountName, 'existing');
    for (const b of existing.filter((d) => d.kind.endsWith('Binding'))) assert.deepEqual((b as unknown as { subjects: unknown }).subjects, [{ kind: 'ServiceAccount', name: 'existing', namespace: 'atlas-k8s-migrator-system' }]);
    assert.equal(pod(render({ serviceAccount: { create: false } })).serviceAccountName, 'default');
  });

  it('rbac.create: false leaves out every role and binding', () => {
    cover('rbac.create');
    const docs = render({ rbac: { create: false } });
    assert.deepEqual(docs.map((d) => d.kind).sort(), ['Deployment', 'Namespace', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
  });

  it('podAnnotations and podLabels on the pod template (the selector unchanged)', () => {
    cover('podAnnotations', 'podLabels');
    const d = deployment(render({ podAnnotations: { 'example.com/scrape': 'true' }, podLabels: { team: 'a', tier: 'ops' } }));
    assert.deepEqual(d.spec.template.metadata.annotations, { 'example.com/scrape': 'true' });
    assert.deepEqual(d.spec.template.metadata.labels, { 'app.kubernetes.io/name': 'atlas-k8s-migrator', team: 'a', tier: 'ops' });
    assert.deepEqual(d.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'atlas-k8s-migrator' });
  });

  it('podSecurityContext, containerSecurityContext and resources merge with the defaults (null removes a key)', () => {
    cover('podSecurityContext', 'containerSecurityContext', 'resources');
    const docs = render({
      podSecurityContext: { fsGroup: 65532 },
      containerSecurityContext: { runAsUser: 65532, readOnlyRootFilesystem: null },
      resources: { limits: { memory: '1Gi' } },
    });
    assert.deepEqual(pod(docs).securityContext, { fsGroup: 65532, runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    assert.deepEqual(container(docs).securityContext, { runAsUser: 65532, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    assert.deepEqual(container(docs).resources, { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '1', memory: '1Gi' } });
  });

  it('nodeSelector, priorityClassName, tolerations; affinity replaces the default anti-affinity', () => {
    cover('nodeSelector', 'priorityClassName', 'tolerations', 'affinity');
    const tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'ops', effect: 'NoSchedule' }];
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['ops'] }] }] } } };
    const spec = pod(render({ nodeSelector: { 'kubernetes.io/os': 'linux' }, priorityClassName: 'system-cluster-critical', tolerations, affinity }));
    assert.deepEqual(spec.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.equal(spec.priorityClassName, 'system-cluster-critical');
    assert.deepEqual(spec.tolerations, tolerations);
    assert.deepEqual(spec.affinity, affinity);
    const plainPod = pod(defaults);
    assert.deepEqual(Object.keys(plainPod.affinity as object), ['podAntiAffinity']);
    for (const k of ['nodeSelector', 'priorityClassName', 'tolerations']) assert.equal(plainPod[k], undefined, k);
  });

  it('watchNamespaces: a Role, RoleBinding and waiter Role in each, no cluster-wide role, and --namespace', () => {
    cover('watchNamespaces');
    const docs = render({ watchNamespaces: ['team-a', 'team-b'] });
    assert.ok(!docs.some((d) => d.kind.startsWith('Cluster')));
    const where = (kind: string, name: string): string[] => docs.filter((d) => d.kind === kind && d.metadata.name === name).map((d) => d.metadata.namespace ?? '');
    assert.deepEqual(where('Role', 'atlas-k8s-migrator'), ['team-a', 'team-b']);
    assert.deepEqual(where('RoleBinding', 'atlas-k8s-migrator'), ['team-a', 'team-b']);
    assert.deepEqual(where('Role', 'atlas-k8s-migrator-waiter'), ['team-a', 'team-b']);
    assert.deepEqual(where('Role', 'atlas-k8s-migrator-leader-election'), ['atlas-k8s-migrator-system']);
    const plainScoped = defaults.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'atlas-k8s-migrator') as unknown as { rules: unknown };
    for (const ns of ['team-a', 'team-b']) {
      assert.deepEqual((docs.find((d) => d.kind === 'Role' && d.metadata.namespace === ns && d.metadata.name === 'atlas-k8s-migrator') as unknown as { rules: unknown }).rules, plainScoped.rules);
    }
    assert.ok(container(docs).args.includes('--namespace=team-a,team-b'));
    assert.deepEqual(settings(docs).namespaces, ['team-a', 'team-b']);
  });

  it('labelSelector: a list (ANDed, as atlas-operator takes it) or one string', () => {
    cover('labelSelector');
    assert.equal(settings(render({ labelSelector: ['app=foo', 'env in (prod,staging)'] })).labelSelector, 'app=foo,env in (prod,staging)');
    assert.equal(settings(render({ labelSelector: 'tier=db' })).labelSelector, 'tier=db');
    assert.equal(settings(defaults).labelSelector, undefined);
  });

  it('extraEnvs, extraVolumes, extraVolumeMounts, initContainers after the chart\'s own', () => {
    cover('extraEnvs', 'extraVolumes', 'extraVolumeMounts', 'initContainers');
    const docs = render({
      extraEnvs: [{ name: 'HTTPS_PROXY', value: 'http://proxy:3128' }],
      extraVolumes: [{ name: 'ca', secret: { secretName: 'corp-ca' } }],
      extraVolumeMounts: [{ name: 'ca', mountPath: '/etc/ssl/corp', readOnly: true }],
      initContainers: [{ name: 'hello', image: 'busybox', command: ['true'] }],
    });
    assert.deepEqual(container(docs).env.slice(2), [{ name: 'HTTPS_PROXY', value: 'http://proxy:3128' }]);
    assert.equal(container(docs).env.length, 3);
    assert.deepEqual(pod(docs).volumes, [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }, { name: 'ca', secret: { secretName: 'corp-ca' } }]);
    assert.deepEqual(container(docs).volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }, { name: 'ca', mountPath: '/etc/ssl/corp', readOnly: true }]);
    assert.deepEqual(pod(docs).initContainers, [{ name: 'hello', image: 'busybox', command: ['true'] }]);
  });

  it('keys that mean nothing here are accepted, with any value, and change nothing', () => {
    const unused = DEFS.filter((d) => d.origin === 'atlas-operator, unused').map((d) => d.key);
    cover(...unused);
    assert.deepEqual(unused, ['rbac.aggregateClusterRoles', 'rbac.clusterWideSecretAccess', 'rbac.securityReports', 'prewarmDevDB', 'allowCustomConfig', 'watchSecrets', 'persistence']);
    const docs = render({
      prewarmDevDB: false,
      allowCustomConfig: true,
      watchSecrets: false,
      persistence: { enabled: true, accessModes: ['ReadWriteOnce'], size: '1Gi', mountPath: '/data', fsGroup: 65532, annotations: {} },
      rbac: { aggregateClusterRoles: true, clusterWideSecretAccess: false, securityReports: { aggregateToAdmin: true } },
    });
    assert.deepEqual(sorted(docs), sorted(defaults));
  });

  it("an atlas-operator values file as teams write it installs as it is, and what it means is honoured", () => {
    const docs = render(
      parse(`
replicaCount: 2
rbac:
  create: true
  aggregateClusterRoles: false
crds:
  create: true
serviceAccount:
  create: true
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/migrations
prewarmDevDB: false
allowCustomConfig: false
watchNamespaces: ["team-a", "team-b"]
labelSelector: ["app=foo"]
resources:
  limits: {cpu: 500m, memory: 256Mi}
  requests: {cpu: 100m, memory: 128Mi}
tolerations:
  - {key: dedicated, operator: Equal, value: ops, effect: NoSchedule}
podSecurityContext:
  runAsNonRoot: true
containerSecurityContext:
  runAsUser: 65532
  allowPrivilegeEscalation: false
  capabilities:
    drop: [ALL]
extraEnvs:
  - name: TZ
    value: UTC
persistence:
  enabled: false
`),
    );
    assert.deepEqual(settings(docs).namespaces, ['team-a', 'team-b']);
    assert.equal(settings(docs).labelSelector, 'app=foo');
    assert.deepEqual(container(docs).resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    assert.equal(one(docs, 'ServiceAccount').metadata.annotations?.['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/migrations');
    assert.equal((pod(docs).tolerations as unknown[]).length, 1);
    assert.equal(container(docs).securityContext.readOnlyRootFilesystem, true, 'merged with the chart\'s');
  });
});

describe('values of this chart', () => {
  it('namespace.name (empty: the release namespace) and namespace.create', () => {
    cover('namespace.name', 'namespace.create');
    const release = render({ namespace: { name: '' } }, ['--namespace', 'ops']);
    assert.ok(!release.some((d) => d.kind === 'Namespace'));
    assert.deepEqual([...new Set(release.map((d) => d.metadata.namespace).filter((n) => n !== undefined))], ['ops']);
    const other = render({ namespace: { name: 'migrations', create: false } });
    assert.ok(!other.some((d) => d.kind === 'Namespace'));
    assert.equal(deployment(other).metadata.namespace, 'migrations');
    assert.deepEqual(one(render({ namespace: { name: 'migrations' } }), 'Namespace').metadata, { name: 'migrations' });
  });

  it('leaderElection.enabled: false drops --leader-elect and the Lease Role; id and durations become flags', () => {
    cover('leaderElection.enabled', 'leaderElection.id', 'leaderElection.leaseDuration', 'leaderElection.renewDeadline', 'leaderElection.retryPeriod');
    const off = render({ leaderElection: { enabled: false }, replicaCount: 1 });
    assert.equal(settings(off).leaderElection, undefined);
    assert.ok(!off.some((d) => d.metadata.name.endsWith('-leader-election')));
    const tuned = settings(render({ leaderElection: { id: 'team-a-leader', leaseDuration: '30s', renewDeadline: '20s', retryPeriod: '4s' } })).leaderElection;
    assert.deepEqual({ ...tuned, identity: undefined }, { namespace: 'ns', leaseName: 'team-a-leader', leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 4_000, identity: undefined });
    assert.equal(settings(defaults).leaderElection?.leaseName, 'atlas-k8s-migrator-leader');
  });

  it('concurrency, resyncPeriod, logLevel, backoff.base, backoff.max, extraArgs become run flags', () => {
    cover('concurrency', 'resyncPeriod', 'logLevel', 'backoff.base', 'backoff.max', 'extraArgs');
    const s = settings(render({ concurrency: 4, resyncPeriod: '1h', logLevel: 'debug', backoff: { base: '1s', max: '1m' }, extraArgs: ['--query-timeout=1m'] }));
    assert.deepEqual([s.concurrency, s.resyncPeriodMs, s.logLevel, s.backoff, s.queryTimeoutMs], [4, 3_600_000, 'debug', { baseMs: 1_000, maxMs: 60_000 }, 60_000]);
    assert.deepEqual(container(defaults).args, ['run', '--leader-elect', '--metrics-bind-address=:8080', '--health-probe-bind-address=:8081']);
  });

  it('metrics.service.enabled and .annotations; metrics.serviceMonitor.enabled, .interval and .labels', () => {
    cover('metrics.service.enabled', 'metrics.service.annotations', 'metrics.serviceMonitor.enabled', 'metrics.serviceMonitor.interval', 'metrics.serviceMonitor.labels');
    assert.ok(!render({ metrics: { service: { enabled: false } } }).some((d) => d.kind === 'Service'));
    const docs = render({ metrics: { service: { annotations: { 'prometheus.io/scrape': 'true' } }, serviceMonitor: { enabled: true, interval: '30s', labels: { release: 'prometheus' } } } });
    assert.deepEqual(one(docs, 'Service').metadata.annotations, { 'prometheus.io/scrape': 'true' });
    assert.deepEqual(one(docs, 'ServiceMonitor'), {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'atlas-k8s-migrator-metrics', namespace: 'atlas-k8s-migrator-system', labels: { 'app.kubernetes.io/name': 'atlas-k8s-migrator', release: 'prometheus' } },
      spec: { selector: { matchLabels: { 'app.kubernetes.io/name': 'atlas-k8s-migrator' } }, endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }] },
    });
    unchangedBut(docs, 'Service', 'ServiceMonitor');
  });

  it('waiterRole.create: false leaves out the waiter role (cluster-wide and per namespace)', () => {
    cover('waiterRole.create');
    assert.ok(!render({ waiterRole: { create: false } }).some((d) => d.metadata.name.endsWith('-waiter')));
    assert.ok(!render({ waiterRole: { create: false }, watchNamespaces: ['a'] }).some((d) => d.metadata.name.endsWith('-waiter')));
  });
});

describe('values.schema.json', () => {
  it('refuses a wrong type, an unknown nested key and a malformed duration, with Helm\'s message', () => {
    const r = helm(['template', 'atlas-operator', CHART, '--set', 'replicaCount=abc']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /values don't meet the specifications of the schema\(s\)[\s\S]*at '\/replicaCount': got string, want integer/);
    assert.match(refused({ image: { tg: '1' } }), /at '\/image': additional properties 'tg' not allowed/);
    assert.match(refused({ tolerations: { key: 'x' } }), /at '\/tolerations': got object, want array/);
    assert.match(refused({ resyncPeriod: '10 minutes' }), /at '\/resyncPeriod'/);
    assert.match(refused({ logLevel: 'verbose' }), /at '\/logLevel'/);
    assert.match(refused({ watchNamespaces: ['Team_A'] }), /at '\/watchNamespaces\/0'/);
    assert.match(refused({ extraEnvs: [{ value: 'x' }] }), /at '\/extraEnvs\/0': missing property 'name'/);
  });

  it('accepts unknown top-level keys: a values file from any atlas-operator release installs as it is', () => {
    const objects = render({ autoscaling: { enabled: false }, service: { type: 'ClusterIP', port: 80 }, someFutureKey: 'x' });
    assert.deepEqual(objects, render());
    // What a parent chart passes down is allowed.
    render({ global: { imageRegistry: 'x' } });
  });
});

describe('the chart README', () => {
  it('lists every value with its default, as values.yaml has it', () => {
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
    assert.equal(readme, chartReadme(DEFS));
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(values, defaultValues(DEFS));
    const rows = new Map(
      readme
        .split('\n')
        .filter((l) => /^\| `[^`]+` \| `/.test(l))
        .map((l) => {
          const [, k = '', d = ''] = /^\| `([^`]+)` \| `(.*?)` \|/.exec(l) ?? [];
          return [k, parse(d.replace(/\\\|/g, '|')) as unknown];
        }),
    );
    const leaf = (path: string): unknown => path.split('.').reduce<unknown>((at, k) => (at as Record<string, unknown>)[k], values);
    assert.deepEqual([...rows.keys()], DEFS.map((d) => d.key));
    for (const [k, d] of rows) assert.deepEqual(d, leaf(k) ?? null, k);
    assert.ok(readme.includes(valuesTable(DEFS)));
    // The project README points there, and says how to switch from atlas-operator.
    const main = readFileSync(join(ROOT, 'README.md'), 'utf8');
    assert.match(main, /manifests\/helm\/README\.md/);
    assert.match(main, /--skip-crds/);
  });

  it('every value has a case above', () => {
    assert.deepEqual(DEFS.map((d) => d.key).filter((k) => !covered.has(k)), []);
  });
});

/**
 * The operator as users run it: the chart's Deployment on a real node
 * (kubelet + containerd), from the image `make image` builds, next to the
 * walk-through's MySQL pod. The walk-through's commands run as published;
 * then what only pods can show: probes called by the kubelet, a read-only
 * root filesystem, and SIGTERM from `kubectl delete pod` mid-migration.
 * Then the README's init-container recipe as written: `wait` in the
 * operator's image holds an application pod until its migration lands,
 * fails it fast when the migration is Stalled, and its identity can read
 * AtlasMigrations and nothing else.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { controlPlaneApi } from './controlplane/api-client';
import { snapshotHost, type HostSnapshot } from './controlplane/node/host-state';
import { startNodeCluster } from './controlplane/node/node';
import { prepareNodeHost } from './controlplane/node/node-host';
import { NodeTakenError } from './controlplane/node/node-lock';
import { PAUSE_IMAGE } from './images/cluster-images';
import { buildOperatorImage } from './images/operator-image';
import { applyConfigMap, migrationsFolder } from './migration-scenarios';
import { condition, getMigration, isReady, OPERATOR_NAMESPACE, waitForMigration } from './operator-cluster';
import { diagnose, ROOT, runWalkthroughSteps, SEED_DIR, startPodCluster, type PodCluster } from './pod-cluster';
import { PROGRAM_VERSION } from '../operator/version';

let cluster: PodCluster;
let walkthrough: string;
let hostBefore: HostSnapshot;
let stopped = false;

before(async () => {
  // Tools installed first (a fresh machine gets containerd, iptables… now), so the snapshot compares like with like.
  prepareNodeHost();
  hostBefore = snapshotHost();
  cluster = await startPodCluster();
  walkthrough = await runWalkthroughSteps(cluster, mkdtempSync(join(tmpdir(), 'walkthrough-pods-')));
});

after(async () => {
  if (!stopped) await cluster?.stop();
});

function kubectl(args: readonly string[], input?: string): string {
  return cluster.cp.kubectl(args, input === undefined ? {} : { input });
}

function operatorPods(): Array<{ metadata: { name: string; deletionTimestamp?: string }; status: { containerStatuses?: Array<{ ready: boolean; restartCount: number; imageID: string; image: string }> } }> {
  return (JSON.parse(kubectl(['get', 'pods', '-n', OPERATOR_NAMESPACE, '-l', 'app.kubernetes.io/name=atlas-k8s-migrator', '-o', 'json'])) as { items: ReturnType<typeof operatorPods> }).items;
}

/**
 * The pod that holds the leader-election Lease (the chart runs two replicas;
 * only the leader reconciles). Its holder identity is `<pod name>_<random>`.
 */
async function leaderPod(): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    // A GET rather than a kubectl process every 50 ms: the polling must not slow the takeover it times.
    const lease = await controlPlaneApi(cluster.cp).call<{ spec?: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases/atlas-k8s-migrator-leader`);
    const holder = (lease.status === 200 ? lease.body.spec?.holderIdentity : undefined) ?? '';
    const name = holder.slice(0, holder.lastIndexOf('_'));
    if (name !== '' && operatorPods().some((p) => p.metadata.name === name && p.metadata.deletionTimestamp === undefined)) return name;
    if (Date.now() > deadline) throw new Error(`no operator pod holds the lease (holder: ${JSON.stringify(holder)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs a command in the operator's container; returns status and output. */
function execInOperator(command: readonly string[]): { status: number; stdout: string; stderr: string } {
  return cluster.cp.tryKubectl(['exec', '-n', OPERATOR_NAMESPACE, 'deploy/atlas-k8s-migrator', '--', ...command]);
}

function followLogs(pod: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('kubectl', ['logs', '-f', '-n', OPERATOR_NAMESPACE, pod], { env: cluster.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', () => resolve(out));
  });
}

function mysql(sql: string): string {
  const pod = kubectl(['get', 'pods', '-l', 'app=mysql', '-o', 'jsonpath={.items[0].metadata.name}']);
  return kubectl(['exec', pod, '--', 'mysql', '-uroot', '-ppass', '-N', '-e', sql]);
}

/** `mysql -e "describe …"` without a terminal prints tab-separated rows under a header. */
function describeRows(output: string, table: string): string[][] {
  const start = output.indexOf(`describe myapp.${table}"`);
  assert.ok(start >= 0, `the walk-through ran describe myapp.${table}`);
  const lines = output.slice(start).split('\n').slice(1);
  const header = lines.findIndex((l) => l.startsWith('Field\t'));
  assert.ok(header >= 0, `describe myapp.${table} printed a table:\n${output.slice(start)}`);
  const rows: string[][] = [];
  for (const line of lines.slice(header + 1)) {
    if (!line.includes('\t')) break;
    rows.push(line.split('\t'));
  }
  return rows;
}

describe('the walk-through verbatim, with pods', () => {
  it('steps 1-5: helm install, mysql.yaml, ConfigMap, AtlasMigration, kubectl wait → condition met', () => {
    assert.match(walkthrough, /\$ kubectl apply -f mysql\.yaml\ndeployment\.apps\/mysql created\nservice\/mysql created\nsecret\/mysql-credentials created\n/);
    assert.match(walkthrough, /\$ kubectl apply -f migrations\.yaml\nconfigmap\/migrations created\n/);
    assert.match(walkthrough, /\$ kubectl apply -f atlas-migration\.yaml\natlasmigration\.db\.atlasgo\.io\/atlas-migration created\n/);
    assert.match(walkthrough, /\$ kubectl wait --for=condition=Ready atlasmigration\/atlas-migration\natlasmigration\.db\.atlasgo\.io\/atlas-migration condition met\n/);
  });

  it("step 6: kubectl exec … mysql -e \"describe myapp.users\" (and posts) prints the seed's tables", () => {
    assert.deepEqual(describeRows(walkthrough, 'users'), [
      ['id', 'int', 'NO', 'PRI', 'NULL', ''],
      ['user_name', 'varchar(255)', 'NO', '', 'NULL', ''],
      ['email', 'varchar(255)', 'NO', '', 'NULL', ''],
    ]);
    assert.deepEqual(describeRows(walkthrough, 'posts'), [
      ['id', 'int', 'NO', 'PRI', 'NULL', ''],
      ['user_id', 'int', 'NO', 'MUL', 'NULL', ''],
      ['title', 'varchar(255)', 'NO', '', 'NULL', ''],
      ['body', 'text', 'NO', '', 'NULL', ''],
    ]);
  });

  it('the revisions table holds the rows Atlas writes, read through the MySQL pod', () => {
    const rows = mysql('SELECT version, description, type, applied, total, error, hash FROM myapp.atlas_schema_revisions ORDER BY version');
    assert.equal(
      rows,
      '20230316085611\t\t2\t1\t1\t\tbr6W6LPEnnsejlz/7hRm9zthwStCzjN2vZkqVPxlmvo=\n20230316090502\t\t2\t1\t1\t\tGfeRjkSeoCt3JVRtLQNa/r50lRfpAPXS7AqTU2ZNFgY=\n',
    );
  });
});

describe('the operator as the chart runs it', () => {
  it('runs from the image make image builds, as non-root, with the kubelet calling its probes', async () => {
    // The probe runs every 10 s; the pod turns Ready at the first that passes.
    kubectl(['wait', '-n', OPERATOR_NAMESPACE, '--for=condition=Ready', 'pod', '-l', 'app.kubernetes.io/name=atlas-k8s-migrator', '--timeout=60s']);
    const pods = operatorPods();
    assert.equal(pods.length, 2, 'the chart runs two replicas (one leads, one follows)');
    for (const pod of pods) {
      const status = pod.status.containerStatuses?.[0];
      assert.ok(status !== undefined, 'the operator pod has a container');
      assert.equal(status.image, cluster.operatorImage.name);
      assert.ok(status.imageID.endsWith(cluster.operatorImage.digest), `imageID ${status.imageID} is the built image ${cluster.operatorImage.digest}`);
      assert.equal(status.ready, true, 'the readiness probe (/readyz on the health port) passed, on the follower too');
      assert.equal(status.restartCount, 0, 'the liveness probe never failed');
    }
    assert.equal(execInOperator(['node', '-e', 'process.stdout.write(`${process.getuid()}:${process.getgid()}`)']).stdout, '65532:65532');
    // (A readiness probe may be refused in the second before the server listens; that is what readiness is for.)
    const events = kubectl(['get', 'events', '-n', OPERATOR_NAMESPACE, '--field-selector', 'reason=Unhealthy', '-o', 'jsonpath={.items[*].message}']);
    assert.doesNotMatch(events, /Liveness probe/, 'the liveness probe never failed');
    assert.match(kubectl(['logs', '-n', OPERATOR_NAMESPACE, await leaderPod()]), /"msg":"applied"/);
  });

  it('cannot write outside its temporary volume (read-only root filesystem)', () => {
    const write = (path: string): { status: number; stderr: string } => execInOperator(['node', '-e', `require('fs').writeFileSync(${JSON.stringify(path)}, 'x')`]);
    for (const path of ['/app/x', '/app/dist/x.js', '/etc/x', '/home/nonroot/x', '/x']) {
      const r = write(path);
      assert.notEqual(r.status, 0, `${path} was writable`);
      // EROFS, not EACCES: a read-only mount refuses before permissions are looked at.
      assert.match(r.stderr, /EROFS/, path);
    }
    assert.equal(write('/tmp/x').status, 0, '/tmp (the emptyDir) is writable');
  });

  it('kubectl delete pod of the leader mid-migration: SIGTERM stops it between statements, the lease is handed over, the new leader finishes the file', async () => {
    // One file whose statements take ~2 s each, so the pod goes while the file runs.
    const slow = 'CREATE TABLE slow_a (id int NOT NULL);\nDO SLEEP(2);\nDO SLEEP(2);\nDO SLEEP(2);\nCREATE TABLE slow_b (id int NOT NULL);\n';
    const seed = Object.fromEntries(['20230316085611.sql', '20230316090502.sql'].map((f) => [f, readFileSync(join(SEED_DIR, f), 'utf8')]));
    const dir = await migrationsFolder({ ...seed, '20230401000000_slow.sql': slow });
    const configMap = kubectl(['create', 'configmap', 'migrations', `--from-file=${dir}`, '-o', 'yaml', '--dry-run=client']);
    kubectl(['apply', '-f', '-'], configMap);
    await waitForMigration(cluster.cp, 'default', 'atlas-migration', (m) => m.status?.progress?.file === '20230401000000_slow.sql', 30_000);
    // The leader runs the file; deleting it hands the Lease to the follower (released on SIGTERM).
    const firstName = await leaderPod();
    // The old pod's log, followed until its container exits.
    const lastWords = followLogs(firstName);
    const deleted = spawnSync('kubectl', ['delete', 'pod', '-n', OPERATOR_NAMESPACE, firstName, '--wait=true', '--timeout=60s'], { env: cluster.env, encoding: 'utf8' });
    assert.equal(deleted.status, 0, deleted.stderr);
    const log = await lastWords;
    assert.match(log, /"signal":"SIGTERM".*"msg":"shutting down/);
    assert.match(log, /cancelled before statement \d of 20230401000000_slow\.sql; \d of 5 applied/);
    assert.match(log, /"msg":"stopped"/);
    const m = await waitForMigration(cluster.cp, 'default', 'atlas-migration', (x) => isReady(x) && x.status?.lastAppliedVersion === '20230401000000', 120_000);
    assert.equal(condition(m, 'Ready')?.reason, 'Applied');
    const row = mysql("SELECT applied, total, error FROM myapp.atlas_schema_revisions WHERE version = '20230401000000'");
    assert.equal(row, '5\t5\t\n', 'the file counts as applied once, all its statements');
    const tables = mysql('SHOW TABLES FROM myapp');
    assert.match(tables, /slow_a/);
    assert.match(tables, /slow_b/);
    assert.notEqual(await leaderPod(), firstName, 'another operator pod took over the lease');
  });
});

// ---------------------------------------------------------------------------
// Leader election with the chart's two replicas: how fast the follower takes
// over when the leader's container is killed outright (the Lease must expire)
// and when its pod is deleted (the leader releases the Lease on SIGTERM).

const LEASE = { duration: 4, renewDeadline: 3, retry: 0.5 };

/** The running container's id (`containerd://<id>` in the pod status, without the scheme). */
function containerId(pod: string): string {
  const id = kubectl(['get', 'pod', pod, '-n', OPERATOR_NAMESPACE, '-o', 'jsonpath={.status.containerStatuses[0].containerID}']);
  return id.replace(/^containerd:\/\//, '');
}

/** kill -9 from the host of every process of a container (found by its cgroup), as an OOM kill or a node fault would. */
function killContainer(id: string): number {
  let killed = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cgroup = '';
    try {
      cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (!cgroup.includes(id)) continue;
    process.kill(Number(pid), 'SIGKILL');
    killed++;
  }
  return killed;
}

/**
 * Waits until exactly `replicas` operator pods exist, none terminating, each
 * with a ready container. (`kubectl wait -l …` cannot serve: it takes the pods
 * listed at its start, an old pod still terminating after a rollout among
 * them, and spends its whole timeout on that one.)
 */
async function operatorPodsSettled(replicas: number): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const pods = operatorPods();
    const ready = pods.filter((p) => p.metadata.deletionTimestamp === undefined && p.status.containerStatuses?.every((c) => c.ready) === true);
    if (pods.length === replicas && ready.length === replicas) return;
    if (Date.now() > deadline) {
      throw new Error(`operator pods not settled at ${replicas} ready: ${JSON.stringify(pods.map((p) => ({ name: p.metadata.name, terminating: p.metadata.deletionTimestamp !== undefined, containers: p.status.containerStatuses })))}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Milliseconds from now until the Lease names another pod than `from`. */
async function takeover(from: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    // A GET rather than a kubectl process every 50 ms: the polling must not slow the takeover it times.
    const lease = await controlPlaneApi(cluster.cp).call<{ spec?: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases/atlas-k8s-migrator-leader`);
    const holder = (lease.status === 200 ? lease.body.spec?.holderIdentity : undefined) ?? '';
    const name = holder.slice(0, holder.lastIndexOf('_'));
    if (name !== '' && name !== from) return performance.now() - started;
    if (performance.now() - started > 60_000) throw new Error(`the lease stayed with ${from}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** `helm upgrade` of the walk-through's release with these values (the chart's own keys). */
function upgradeWalkthroughRelease(values: readonly string[]): void {
  helmCommand(['upgrade', 'atlas-operator', join(ROOT, 'manifests', 'helm'), '--reuse-values', ...values.flatMap((v) => ['--set-string', v])]);
  kubectl(['rollout', 'status', 'deploy/atlas-k8s-migrator', '-n', OPERATOR_NAMESPACE, '--timeout=180s']);
}

describe('leader election with the chart\'s two replicas', () => {
  before(() => {
    // Short durations (chart values) so that five expiries fit in the suite (the chart's defaults are 15 s / 10 s / 2 s).
    upgradeWalkthroughRelease([`leaderElection.leaseDuration=${LEASE.duration}s`, `leaderElection.renewDeadline=${LEASE.renewDeadline}s`, `leaderElection.retryPeriod=${LEASE.retry}s`]);
  });

  it('kill -9 of the leader\'s container: the follower leads within lease duration + retry period (5 times, median)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      await operatorPodsSettled(2);
      const leader = await leaderPod();
      const killed = killContainer(containerId(leader));
      assert.ok(killed > 0, `found the processes of ${leader}'s container`);
      times.push(await takeover(leader));
    }
    const limit = (LEASE.duration + LEASE.retry) * 1000;
    console.log(`takeover after kill -9: median ${Math.round(median(times))} ms of ${times.map(Math.round).join(', ')} (lease ${LEASE.duration} s + retry ${LEASE.retry} s = ${limit} ms)`);
    // The follower counts the lease from when it last saw it renewed, up to one retry period before the kill;
    // the poll that observes the new holder adds up to one more retry period.
    assert.ok(median(times) <= limit + LEASE.retry * 1000, `median takeover ${median(times)} ms within lease + retry`);
  });

  it('a graceful delete of the leader\'s pod: the lease is released and taken within 2 s (5 times, median)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      await operatorPodsSettled(2);
      const leader = await leaderPod();
      const took = takeover(leader);
      kubectl(['delete', 'pod', leader, '-n', OPERATOR_NAMESPACE, '--wait=false']);
      times.push(await took);
    }
    console.log(`takeover after a pod delete: median ${Math.round(median(times))} ms of ${times.map(Math.round).join(', ')}`);
    assert.ok(median(times) <= 2000, `median takeover ${median(times)} ms within 2 s`);
  });

  it('helm upgrade during a long migration: the pods roll, the file is applied once, every statement\'s effect exactly once', async () => {
    // A file without DDL is one MySQL transaction: a leader stopped mid-file rolls it back, the next one runs it whole.
    const inserts = Array.from({ length: 10 }, (_, i) => `INSERT INTO upgrade_ledger VALUES (${i + 1});\nDO SLEEP(2);\n`).join('');
    const seed = Object.fromEntries(['20230316085611.sql', '20230316090502.sql'].map((f) => [f, readFileSync(join(SEED_DIR, f), 'utf8')]));
    const slow = 'CREATE TABLE slow_a (id int NOT NULL);\nDO SLEEP(2);\nDO SLEEP(2);\nDO SLEEP(2);\nCREATE TABLE slow_b (id int NOT NULL);\n';
    const dir = await migrationsFolder({
      ...seed,
      '20230401000000_slow.sql': slow,
      '20230501000000_ledger.sql': 'CREATE TABLE upgrade_ledger (n int NOT NULL);\n',
      '20230501000001_inserts.sql': inserts,
    });
    kubectl(['apply', '-f', '-'], kubectl(['create', 'configmap', 'migrations', `--from-file=${dir}`, '-o', 'yaml', '--dry-run=client']));
    await waitForMigration(cluster.cp, 'default', 'atlas-migration', (m) => m.status?.progress?.file === '20230501000001_inserts.sql', 60_000);
    const before = operatorPods().map((p) => p.metadata.name);
    // A changed pod annotation rolls both pods (one new pod first, then an old one goes: maxSurge 1, maxUnavailable 0).
    upgradeWalkthroughRelease([`podAnnotations.rolled=${Date.now()}`]);
    const after = operatorPods().filter((p) => p.metadata.deletionTimestamp === undefined).map((p) => p.metadata.name);
    assert.equal(after.filter((n) => before.includes(n)).length, 0, 'every operator pod was replaced');
    const m = await waitForMigration(cluster.cp, 'default', 'atlas-migration', (x) => isReady(x) && x.status?.lastAppliedVersion === '20230501000001', 180_000);
    assert.equal(condition(m, 'Ready')?.reason, 'Applied');
    assert.equal(mysql('SELECT COUNT(*), COUNT(DISTINCT n), MIN(n), MAX(n) FROM myapp.upgrade_ledger'), '10\t10\t1\t10\n', 'each insert committed exactly once');
    assert.equal(mysql("SELECT applied, total, error FROM myapp.atlas_schema_revisions WHERE version = '20230501000001'"), '20\t20\t\n');
  });
});

// ---------------------------------------------------------------------------
// The README's init-container recipe ("Waiting for migrations in an init
// container"), read from README.md so the tested YAML is the published one.

/** The README's namespace and names; the recipe's AtlasMigration is `myapp` too. */
const RECIPE_NAMESPACE = 'apps';
const APP = 'myapp';
const INIT = 'wait-for-migrations';

interface InitContainer {
  readonly name: string;
  readonly image: string;
  readonly args: readonly string[];
}

interface Recipe {
  readonly roleBinding: { metadata: { namespace: string }; subjects: Array<{ kind: string; name: string; namespace: string }>; roleRef: { kind: string; name: string } };
  /** The README's `spec.template.spec` for the application's Deployment. */
  readonly podSpec: { serviceAccountName: string; initContainers: InitContainer[] };
}

function readmeRecipe(): Recipe {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('**Waiting for migrations in an init container**');
  assert.ok(start >= 0, 'the README has the init-container recipe');
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
  assert.ok(block !== undefined, 'the recipe has a yaml block');
  const docs = parseAllDocuments(block).map((d) => d.toJS() as Record<string, unknown>);
  assert.equal(docs.length, 2, 'a RoleBinding and the Deployment part');
  const [roleBinding, deployment] = docs as [Recipe['roleBinding'] & { kind: string }, { spec: { template: { spec: Recipe['podSpec'] } } }];
  assert.equal(roleBinding.kind, 'RoleBinding');
  // Nothing of the Deployment part is left out below: it is spec.template.spec only.
  assert.deepEqual([Object.keys(deployment), Object.keys(deployment.spec), Object.keys(deployment.spec.template)], [['spec'], ['template'], ['spec']]);
  return { roleBinding, podSpec: deployment.spec.template.spec };
}

/** The recipe's init container and the version it waits for. */
function recipeWait(recipe: Recipe): { init: InitContainer; version: string } {
  const init = recipe.podSpec.initContainers[0];
  assert.ok(init !== undefined && recipe.podSpec.initContainers.length === 1);
  const version = init.args[init.args.indexOf('--for-version') + 1] ?? '';
  assert.deepEqual(init.args, ['wait', APP, '--for-version', version, '--timeout', '10m']);
  return { init, version };
}

/**
 * The recipe in namespace `ns` (the README's is `apps`): the application's
 * ServiceAccount, which the README presumes, the README's RoleBinding, and
 * the application's Deployment: the README's pod spec plus the application
 * itself (the pause image).
 */
function applyRecipe(ns: string, opts: { deployment: boolean }): void {
  const { roleBinding, podSpec } = readmeRecipe();
  assert.equal(roleBinding.metadata.namespace, RECIPE_NAMESPACE);
  const binding = { ...roleBinding, metadata: { ...roleBinding.metadata, namespace: ns }, subjects: roleBinding.subjects.map((s) => ({ ...s, namespace: ns })) };
  const items: object[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: podSpec.serviceAccountName, namespace: ns } },
    binding,
  ];
  if (opts.deployment) {
    items.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: APP, namespace: ns },
      spec: {
        selector: { matchLabels: { app: APP } },
        template: { metadata: { labels: { app: APP } }, spec: { ...podSpec, containers: [{ name: APP, image: PAUSE_IMAGE }] } },
      },
    });
  }
  kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
}

/** An AtlasMigration as the walk-through writes it, named as the recipe waits for, reading its URL from `secret`. */
function applyAppMigration(ns: string, secret: string): void {
  const resource = {
    apiVersion: 'db.atlasgo.io/v1alpha1',
    kind: 'AtlasMigration',
    metadata: { name: APP, namespace: ns },
    spec: { urlFrom: { secretKeyRef: { key: 'url', name: secret } }, dir: { configMapRef: { name: 'migrations' } } },
  };
  kubectl(['apply', '-f', '-'], JSON.stringify(resource));
}

/** Namespaces the recipe's tests made; each is deleted as its test ends, and the suite waits until all are gone. */
const recipeNamespaces = new Set<string>();

function deleteNamespace(ns: string): void {
  recipeNamespaces.add(ns);
  const r = cluster.cp.tryKubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  assert.equal(r.status, 0, r.stderr);
}

interface ContainerState {
  readonly running?: { startedAt: string };
  readonly terminated?: { exitCode: number; reason: string; startedAt: string; finishedAt: string };
  readonly waiting?: { reason: string };
}

interface ContainerStatus {
  readonly name: string;
  readonly restartCount: number;
  readonly state: ContainerState;
  readonly lastState: ContainerState;
}

interface AppPod {
  readonly metadata: { name: string; deletionTimestamp?: string };
  readonly status: { phase: string; initContainerStatuses?: ContainerStatus[]; containerStatuses?: ContainerStatus[] };
}

/** The application's pod (the newest one not being deleted), if any. */
function appPod(ns: string, not?: string): AppPod | undefined {
  const pods = (JSON.parse(kubectl(['get', 'pods', '-n', ns, '-l', `app=${APP}`, '-o', 'json'])) as { items: AppPod[] }).items;
  return pods.filter((p) => p.metadata.deletionTimestamp === undefined && p.metadata.name !== not).at(-1);
}

/** The STATUS column of `kubectl get pod` (Init:0/1, Init:Error, Running…). */
function podStatusColumn(ns: string, pod: string): string {
  return kubectl(['get', 'pod', pod, '-n', ns, '--no-headers']).trim().split(/\s+/)[2] ?? '';
}

function initLog(ns: string, pod: string, previous = false): string {
  const r = cluster.cp.tryKubectl(['logs', pod, '-n', ns, '-c', INIT, ...(previous ? ['--previous'] : [])]);
  return r.stdout + r.stderr;
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with the cluster's state. */
async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${diagnose(cluster)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The pod whose init container runs `wait` and has printed `line`. */
function waitingPod(ns: string, line: string, not?: string): () => AppPod | undefined {
  return () => {
    const pod = appPod(ns, not);
    const init = pod?.status.initContainerStatuses?.[0];
    if (pod === undefined || init?.state.running === undefined) return undefined;
    return initLog(ns, pod.metadata.name).includes(line) ? pod : undefined;
  };
}

/** `kubectl logs -f` of the init container until it exits. */
function followInitLog(ns: string, pod: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('kubectl', ['logs', '-f', pod, '-n', ns, '-c', INIT], { env: cluster.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', () => {
      clearTimeout(guard);
      resolve(out);
    });
  });
}

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

describe("the README's init-container recipe: `wait` in the operator's image", () => {
  after(() => {
    // Deleted in the background while the next test runs (a namespace takes seconds to empty); all gone before the suite goes on.
    if (recipeNamespaces.size > 0) kubectl(['wait', '--for=delete', ...[...recipeNamespaces].map((ns) => `namespace/${ns}`), '--timeout=120s']);
  });

  it('holds the application at Init:0/1 until its version is applied, then starts it; a deleted pod goes at once', async (t) => {
    const started = Date.now();
    const ns = RECIPE_NAMESPACE;
    const { init, version } = recipeWait(readmeRecipe());
    assert.equal(`docker.io/library/${init.image}`, cluster.operatorImage.name, "the recipe's image is the one the chart runs");
    // The application's own database on the walk-through's server; its directory starts empty, then gets the version the recipe waits for.
    mysql('CREATE DATABASE apps');
    try {
      applyRecipe(ns, { deployment: false });
      kubectl(['create', 'secret', 'generic', 'myapp-db', '-n', ns, '--from-literal=url=mysql://root:pass@mysql.default:3306/apps']);
      applyConfigMap(cluster.cp, ns, await migrationsFolder({}));
      applyAppMigration(ns, 'myapp-db');
      await waitForMigration(cluster.cp, ns, APP, isReady, 60_000);
      applyRecipe(ns, { deployment: true });

      const line = `${ns}/${APP}: Ready at no version applied; waiting for version ${version} or later`;
      const first = await until('the init container waits', waitingPod(ns, line), 60_000);
      assert.equal(podStatusColumn(ns, first.metadata.name), 'Init:0/1');
      assert.equal(first.status.phase, 'Pending');
      assert.equal(first.status.containerStatuses?.[0]?.state.waiting?.reason, 'PodInitializing');

      // A pod deleted while it waits (a rollout, a scale-down) goes at once: `wait`, PID 1, stops on SIGTERM.
      const lastWords = followInitLog(ns, first.metadata.name);
      const deleteStarted = Date.now();
      kubectl(['delete', 'pod', first.metadata.name, '-n', ns, '--wait=true', '--timeout=60s']);
      const deleteSeconds = (Date.now() - deleteStarted) / 1000;
      assert.ok(deleteSeconds < 15, `deleted in ${deleteSeconds} s, not after the 30 s grace period`);
      assert.match(await lastWords, new RegExp(`Error: stopped by SIGTERM while waiting for ${ns}/${APP}; last seen: Ready at no version applied`));
      const pod = await until('the replacement pod waits', waitingPod(ns, line, first.metadata.name), 60_000);

      const dir = await migrationsFolder({ [`${version}.sql`]: readFileSync(join(SEED_DIR, `${version}.sql`), 'utf8') });
      const added = Math.floor(Date.now() / 1000);
      applyConfigMap(cluster.cp, ns, dir);
      const running = await until('the application runs', () => {
        const p = appPod(ns);
        return p?.metadata.name === pod.metadata.name && p.status.phase === 'Running' ? p : undefined;
      }, 120_000);
      const waited = running.status.initContainerStatuses?.[0];
      assert.equal(waited?.state.terminated?.exitCode, 0, JSON.stringify(waited));
      assert.equal(waited.restartCount, 0, 'one run of wait');
      assert.match(initLog(ns, pod.metadata.name), new RegExp(`${ns}/${APP}: Ready at version ${version}\n$`));
      assert.equal(podStatusColumn(ns, pod.metadata.name), 'Running');

      // The version was in the database, its file complete, before the application started.
      const appStarted = running.status.containerStatuses?.[0]?.state.running?.startedAt ?? '';
      const [applied, total, executedAt, executionTime] = mysql(`SELECT applied, total, DATE_FORMAT(executed_at, '%Y-%m-%dT%H:%i:%s.%fZ'), execution_time FROM apps.atlas_schema_revisions WHERE version = '${version}'`).trim().split('\t');
      assert.deepEqual([applied, total], ['1', '1'], 'the file ran to its end');
      // MySQL rounds executed_at to the whole second (a TIMESTAMP without fractions), as it does Atlas's
      // writes: the run started up to half a second either side of it.
      const finishedMs = Date.parse(executedAt ?? '') + Number(executionTime) / 1e6;
      const [earliest, latest] = [Math.floor((finishedMs - 500) / 1000), Math.floor((finishedMs + 500) / 1000)];
      // Same clock (one machine), whole seconds: after the file was added, before the application started.
      assert.ok(added <= latest && earliest <= seconds(appStarted), `the file finished at ${executedAt} (rounded) + ${executionTime} ns, after it was added (${added}) and before the application started (${appStarted})`);
      assert.ok(seconds(waited.state.terminated?.finishedAt ?? '') <= seconds(appStarted), 'the init container ended before the application started');
      assert.match(mysql('SHOW TABLES FROM apps'), /^users$/m);
    } finally {
      deleteNamespace(ns);
      mysql('DROP DATABASE IF EXISTS apps');
    }
    t.diagnostic(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('fails the init container fast, exit code 3 with the reason, when the migration is Stalled', async (t) => {
    const started = Date.now();
    const ns = 'apps-stalled';
    try {
      // The pod first: the AtlasMigration does not exist yet, which `wait` waits for.
      applyRecipe(ns, { deployment: true });
      const pod = await until('the init container waits', waitingPod(ns, `${ns}/${APP}: does not exist yet`), 60_000);
      // No such Secret: the operator marks it Stalled at once (a permanent failure that waits for a change).
      applyAppMigration(ns, 'no-such-secret');
      const stalled = await waitForMigration(cluster.cp, ns, APP, (m) => condition(m, 'Stalled')?.status === 'True' && m.status?.observedGeneration === m.metadata.generation, 30_000);
      const stalledAt = (stalled.status?.conditions?.find((c) => c.type === 'Stalled') as { lastTransitionTime?: string } | undefined)?.lastTransitionTime ?? '';
      const failed = await until('the init container fails', () => {
        const s = appPod(ns)?.status.initContainerStatuses?.[0];
        const status = podStatusColumn(ns, pod.metadata.name);
        if (s === undefined || !['Init:Error', 'Init:CrashLoopBackOff'].includes(status)) return undefined;
        const terminated = s.state.terminated ?? s.lastState.terminated;
        return terminated === undefined ? undefined : { terminated, status };
      }, 60_000);
      assert.equal(failed.terminated.exitCode, 3, 'exit code 3: Stalled');
      // (The kubelet restarts it at once after the first failure: the run seen may be the second one, started after Stalled.)
      const afterStalled = seconds(failed.terminated.finishedAt) - Math.max(seconds(stalledAt), seconds(failed.terminated.startedAt));
      assert.ok(afterStalled <= 10, `ended ${afterStalled} s after it ran with the resource Stalled, not at its 10m timeout`);
      // The kubelet may have started it again meanwhile: the ended run's log is then the previous one.
      const log = initLog(ns, pod.metadata.name) + initLog(ns, pod.metadata.name, true);
      assert.match(log, new RegExp(`Error: ${ns}/${APP} is stalled: ResolvingTarget: Secret "no-such-secret" not found in namespace "${ns}" \\(spec\\.urlFrom\\.secretKeyRef\\)`));
      t.diagnostic(`pod ${failed.status}; the init container ended ${afterStalled} s after it ran with the resource Stalled`);
    } finally {
      deleteNamespace(ns);
    }
    t.diagnostic(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it("gives the application's ServiceAccount read access to AtlasMigrations in its namespace, and nothing else", (t) => {
    const started = Date.now();
    const ns = 'apps-access';
    try {
      applyRecipe(ns, { deployment: false });
      // The ServiceAccount's own token, as the init container uses it.
      const kubeconfig = cluster.cp.kubeconfigFor(ns, APP);
      const canI = (verb: string, resource: string, namespace = ns): string => {
        const [type = '', subresource] = resource.split('/');
        const r = cluster.cp.tryKubectl(['auth', 'can-i', verb, type, '-n', namespace, ...(subresource === undefined ? [] : ['--subresource', subresource])], { kubeconfig });
        return r.stdout.trim() || r.stderr;
      };
      const answers = Object.fromEntries(
        [
          ['get', 'atlasmigrations.db.atlasgo.io'],
          ['watch', 'atlasmigrations.db.atlasgo.io'],
          ['list', 'atlasmigrations.db.atlasgo.io'],
          ['patch', 'atlasmigrations.db.atlasgo.io'],
          ['update', 'atlasmigrations.db.atlasgo.io'],
          ['delete', 'atlasmigrations.db.atlasgo.io'],
          ['patch', 'atlasmigrations.db.atlasgo.io/status'],
          ['get', 'secrets'],
          ['get', 'configmaps'],
        ].map(([verb = '', resource = '']) => [`${verb} ${resource}`, canI(verb, resource)]),
      );
      answers['get atlasmigrations.db.atlasgo.io -n default'] = canI('get', 'atlasmigrations.db.atlasgo.io', 'default');
      assert.deepEqual(answers, {
        'get atlasmigrations.db.atlasgo.io': 'yes',
        'watch atlasmigrations.db.atlasgo.io': 'yes',
        'list atlasmigrations.db.atlasgo.io': 'yes',
        'patch atlasmigrations.db.atlasgo.io': 'no',
        'update atlasmigrations.db.atlasgo.io': 'no',
        'delete atlasmigrations.db.atlasgo.io': 'no',
        'patch atlasmigrations.db.atlasgo.io/status': 'no',
        'get secrets': 'no',
        'get configmaps': 'no',
        'get atlasmigrations.db.atlasgo.io -n default': 'no',
      });
    } finally {
      deleteNamespace(ns);
    }
    t.diagnostic(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});

// ---------------------------------------------------------------------------
// The chart as teams configure it: the walk-through's release uninstalled,
// then `helm install -f` with a values file in atlas-operator's shape that
// watches two namespaces, `helm upgrade` of replicaCount and image.tag, and
// `helm uninstall`, which leaves the CRD, the resources and the databases.

const CHART_NS = 'migrator';
const TEAMS = ['team-a', 'team-b', 'team-c'] as const;
const UPGRADED_TAG = 'chart-e2e';
const CHART_VALUES = `# an atlas-operator values file, with one key of ours (namespace)
replicaCount: 1
watchNamespaces: [team-a, team-b]
resources:
  requests: {cpu: 20m, memory: 96Mi}
  limits: {cpu: 500m, memory: 384Mi}
podLabels:
  team: platform
tolerations:
  - {key: dedicated, operator: Equal, value: migrations, effect: NoSchedule}
prewarmDevDB: false
allowCustomConfig: false
namespace:
  name: ${CHART_NS}
`;

function helmCommand(args: readonly string[]): string {
  const r = spawnSync('helm', args, { env: cluster.env, encoding: 'utf8' });
  assert.equal(r.status, 0, `helm ${args.join(' ')}: ${r.stderr}\n${diagnose(cluster)}`);
  return r.stdout;
}

/** A database on the walk-through's MySQL server, its Secret, the seed's ConfigMap and an AtlasMigration in namespace `ns`. */
function teamMigration(ns: string): void {
  const db = ns.replace('-', '_');
  mysql(`CREATE DATABASE IF NOT EXISTS ${db}`);
  kubectl(['create', 'secret', 'generic', 'db', '-n', ns, `--from-literal=url=mysql://root:pass@mysql.default:3306/${db}`]);
  kubectl(['create', 'configmap', 'migrations', '-n', ns, ...['20230316085611.sql', '20230316090502.sql', 'atlas.sum'].map((f) => `--from-file=${join(SEED_DIR, f)}`)]);
  kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify({ apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name: 'seed' }, spec: { urlFrom: { secretKeyRef: { name: 'db', key: 'url' } }, dir: { configMapRef: { name: 'migrations' } } } }));
}

/** No condition, observedGeneration still the CRD's default (-1). */
function neverReconciled(ns: string): boolean {
  const status = getMigration(cluster.cp, ns, 'seed').status;
  return (status?.conditions ?? []).length === 0 && (status?.observedGeneration ?? -1) === -1;
}

type ChartPod = { metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string }; spec: { tolerations?: unknown[]; containers: Array<{ image: string; resources: unknown }> }; status: { containerStatuses?: Array<{ ready: boolean }> } };
function chartPods(): ChartPod[] {
  const items = (JSON.parse(kubectl(['get', 'pods', '-n', CHART_NS, '-l', 'app.kubernetes.io/name=atlas-k8s-migrator', '-o', 'json'])) as { items: ChartPod[] }).items;
  return items.filter((p) => p.metadata.deletionTimestamp === undefined);
}

/** What helm uninstall must leave: the CRD, the resources and their databases' tables. */
function leftAlone(migrations: ReadonlyArray<readonly [string, string]>): void {
  assert.equal(kubectl(['get', 'crd', 'atlasmigrations.db.atlasgo.io', '-o', 'jsonpath={.metadata.name}']), 'atlasmigrations.db.atlasgo.io');
  for (const [ns, db] of migrations) {
    assert.equal(kubectl(['get', 'atlasmigration', '-n', ns, '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}']), 'True', `${ns}: the AtlasMigration is still there, still Ready`);
    assert.match(mysql(`SHOW TABLES FROM ${db}`), /^users$/m, `${db}: the tables are still there`);
  }
}

describe('the chart with a values file: helm install -f, helm upgrade, helm uninstall', () => {
  after(() => {
    for (const ns of TEAMS) deleteNamespace(ns);
    for (const ns of TEAMS) mysql(`DROP DATABASE IF EXISTS ${ns.replace('-', '_')}`);
    kubectl(['wait', '--for=delete', ...TEAMS.map((ns) => `namespace/${ns}`), `namespace/${CHART_NS}`, '--timeout=120s']);
  });

  it("helm uninstall of the walk-through's release leaves the CRD, its AtlasMigration and the database alone", (t) => {
    const started = Date.now();
    helmCommand(['uninstall', 'atlas-operator', '--wait', '--timeout', '120s']);
    assert.equal(cluster.cp.tryKubectl(['get', 'deploy', '-A', '-l', 'app.kubernetes.io/name=atlas-k8s-migrator', '-o', 'name']).stdout, '');
    leftAlone([['default', 'myapp']]);
    t.diagnostic(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('helm install -f values.yaml: the values on the pod; migrations in the two watched namespaces applied, Forbidden in a third', async (t) => {
    const started = Date.now();
    // The watched namespaces exist before the install (the chart creates Roles in them).
    for (const ns of TEAMS) kubectl(['create', 'namespace', ns]);
    for (const ns of ['team-a', 'team-c']) teamMigration(ns);
    const file = join(mkdtempSync(join(tmpdir(), 'chart-values-')), 'values.yaml');
    writeFileSync(file, CHART_VALUES);
    helmCommand(['install', 'atlas-operator', join(ROOT, 'manifests', 'helm'), '-f', file, '--wait', '--timeout', '180s']);
    const [p, ...others] = chartPods();
    assert.ok(p !== undefined && others.length === 0, 'replicaCount: 1');
    assert.equal(p.metadata.labels.team, 'platform');
    assert.deepEqual(p.spec.containers[0]?.resources, { requests: { cpu: '20m', memory: '96Mi' }, limits: { cpu: '500m', memory: '384Mi' } });
    const toleration = { key: 'dedicated', operator: 'Equal', value: 'migrations', effect: 'NoSchedule' };
    assert.ok(p.spec.tolerations?.some((x) => isDeepStrictEqual(x, toleration)), JSON.stringify(p.spec.tolerations));
    assert.equal(p.spec.containers[0]?.image, `atlas-k8s-migrator:${PROGRAM_VERSION}`);
    const a = await waitForMigration(cluster.cp, 'team-a', 'seed', isReady, 90_000);
    assert.equal(a.status?.lastAppliedVersion, '20230316090502');
    assert.match(mysql('SHOW TABLES FROM team_a'), /^posts$/m);
    // team-c is not watched: never reconciled (the CRD's default status), and the operator's own identity may not even read it.
    assert.ok(neverReconciled('team-c'));
    const asOperator = cluster.cp.kubeconfigFor(CHART_NS, 'atlas-k8s-migrator');
    const forbidden = cluster.cp.tryKubectl(['get', 'atlasmigrations', '-n', 'team-c'], { kubeconfig: asOperator });
    assert.notEqual(forbidden.status, 0);
    assert.match(forbidden.stderr, /Forbidden.*system:serviceaccount:migrator:atlas-k8s-migrator.*"team-c"/);
    assert.equal(cluster.cp.tryKubectl(['get', 'secrets', '-n', 'team-c'], { kubeconfig: asOperator }).status, 1);
    assert.equal(cluster.cp.tryKubectl(['get', 'atlasmigrations', '-n', 'team-a', '-o', 'name'], { kubeconfig: asOperator }).stdout.trim(), 'atlasmigration.db.atlasgo.io/seed');
    assert.match(kubectl(['logs', '-n', CHART_NS, p.metadata.name]), /"msg":"applied"/);
    t.diagnostic(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('helm upgrade --set replicaCount=2 --set-string image.tag=…: two pods of the new image, the PodDisruptionBudget, still reconciling', async (t) => {
    const started = Date.now();
    cluster.push({ ...cluster.operatorImage, name: `docker.io/library/atlas-k8s-migrator:${UPGRADED_TAG}` });
    const file = join(mkdtempSync(join(tmpdir(), 'chart-values-')), 'values.yaml');
    writeFileSync(file, CHART_VALUES);
    helmCommand(['upgrade', 'atlas-operator', join(ROOT, 'manifests', 'helm'), '-f', file, '--set', 'replicaCount=2', '--set-string', `image.tag=${UPGRADED_TAG}`, '--wait', '--timeout', '180s']);
    const pods = await until('two pods of the new image, ready', () => {
      const now = chartPods();
      return now.length === 2 && now.every((x) => x.spec.containers[0]?.image === `atlas-k8s-migrator:${UPGRADED_TAG}` && x.status.containerStatuses?.[0]?.ready === true) ? now : undefined;
    }, 120_000);
    assert.equal(pods.length, 2);
    assert.equal(kubectl(['get', 'pdb', '-n', CHART_NS, 'atlas-k8s-migrator', '-o', 'jsonpath={.spec.minAvailable}']), '1');
    assert.match(helmCommand(['history', 'atlas-operator', '-o', 'json']), /"revision":2,.*"status":"deployed"/);
    teamMigration('team-b');
    await waitForMigration(cluster.cp, 'team-b', 'seed', isReady, 90_000);
    assert.ok(neverReconciled('team-c'));
    t.diagnostic(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('helm uninstall leaves the CRD, the AtlasMigrations and the databases alone', (t) => {
    const started = Date.now();
    helmCommand(['uninstall', 'atlas-operator', '--wait', '--timeout', '120s']);
    assert.equal(cluster.cp.tryKubectl(['get', 'deploy', '-n', CHART_NS, '-o', 'name']).stdout, '');
    assert.equal(cluster.cp.tryKubectl(['get', 'role', '-n', 'team-a', '-o', 'name']).stdout, '', 'the Roles went with the release');
    leftAlone([['default', 'myapp'], ['team-a', 'team_a'], ['team-b', 'team_b']]);
    t.diagnostic(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});

describe('make image', () => {
  it('is reproducible: built again from the same inputs, under another umask and folder, the same digest', () => {
    const out = mkdtempSync(join(tmpdir(), 'image-again-'));
    const umask = process.umask(0o027);
    try {
      assert.equal(buildOperatorImage(out).digest, cluster.operatorImage.digest);
    } finally {
      process.umask(umask);
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('stopping the node', () => {
  it('leaves no process, mount, link, iptables rule, cgroup, host path or sysctl change behind', async (t) => {
    const started = Date.now();
    stopped = true;
    await cluster.stop();
    t.diagnostic(`node started in ${cluster.startSeconds.toFixed(1)} s, stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const now = snapshotHost();
    for (const key of Object.keys(hostBefore) as Array<keyof HostSnapshot>) assert.deepEqual(now[key], hostBefore[key], key);
    const ours = spawnSync('pgrep', ['-af', 'atlas-node-'], { encoding: 'utf8' }).stdout;
    assert.equal(ours, '', 'no node process runs (they all carry the node folder in their command line)');
  });
});

describe('make cluster-up NODE=1 / make cluster-down', () => {
  it('runs a node in the background, refuses a second node clearly, and cluster-down leaves the host as it was', async () => {
    const script = join(__dirname, 'controlplane', 'cluster.ts');
    const env = { ...process.env, NODE: '1', CLUSTER_STATE_DIR: mkdtempSync(join(tmpdir(), 'cluster-state-')) };
    const up = spawnSync(process.execPath, ['--import', 'tsx', script, 'up'], { env, encoding: 'utf8' });
    assert.equal(up.status, 0, up.stderr);
    const pid = /\(pid (\d+)\)/.exec(up.stdout)?.[1] ?? '';
    assert.match(up.stdout, /# node atlas-node, registry 127\.0\.0\.1:\d+\nexport KUBECONFIG=/);
    try {
      const kubeconfig = /export KUBECONFIG=(.*)/.exec(up.stdout)?.[1] ?? '';
      const ready = cluster.cp.kubectl(['get', 'node', 'atlas-node', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], { kubeconfig });
      assert.equal(ready, 'True');
      await assert.rejects(startNodeCluster(), (e: Error) => e instanceof NodeTakenError && e.message.includes(`process ${pid}`));
    } finally {
      const down = spawnSync(process.execPath, ['--import', 'tsx', script, 'down'], { env, encoding: 'utf8' });
      assert.equal(down.status, 0, down.stderr);
    }
    const now = snapshotHost();
    for (const key of Object.keys(hostBefore) as Array<keyof HostSnapshot>) assert.deepEqual(now[key], hostBefore[key], key);
  });
});

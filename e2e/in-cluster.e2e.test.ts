/**
 * The operator as users run it: the chart's Deployment on a real node
 * (kubelet + containerd), from the image `make image` builds, next to the
 * walk-through's MySQL pod. The walk-through's commands run as published;
 * then what only pods can show: probes called by the kubelet, a read-only
 * root filesystem, and SIGTERM from `kubectl delete pod` mid-migration.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { snapshotHost, type HostSnapshot } from './controlplane/node/host-state';
import { startNodeCluster } from './controlplane/node/node';
import { prepareNodeHost } from './controlplane/node/node-host';
import { NodeTakenError } from './controlplane/node/node-lock';
import { buildOperatorImage } from './images/operator-image';
import { migrationsFolder } from './migration-scenarios';
import { condition, isReady, OPERATOR_NAMESPACE, waitForMigration } from './operator-cluster';
import { runWalkthroughSteps, SEED_DIR, startPodCluster, type PodCluster } from './pod-cluster';

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
  it('runs from the image make image builds, as non-root, with the kubelet calling its probes', () => {
    // The probe runs every 10 s; the pod turns Ready at the first that passes.
    kubectl(['wait', '-n', OPERATOR_NAMESPACE, '--for=condition=Ready', 'pod', '-l', 'app.kubernetes.io/name=atlas-k8s-migrator', '--timeout=60s']);
    const [pod] = operatorPods();
    const status = pod?.status.containerStatuses?.[0];
    assert.ok(status !== undefined, 'the operator pod has a container');
    assert.equal(status.image, cluster.operatorImage.name);
    assert.ok(status.imageID.endsWith(cluster.operatorImage.digest), `imageID ${status.imageID} is the built image ${cluster.operatorImage.digest}`);
    assert.equal(status.ready, true, 'the readiness probe (/readyz on the health port) passed');
    assert.equal(status.restartCount, 0, 'the liveness probe never failed');
    assert.equal(execInOperator(['node', '-e', 'process.stdout.write(`${process.getuid()}:${process.getgid()}`)']).stdout, '65532:65532');
    // (A readiness probe may be refused in the second before the server listens; that is what readiness is for.)
    const events = kubectl(['get', 'events', '-n', OPERATOR_NAMESPACE, '--field-selector', 'reason=Unhealthy', '-o', 'jsonpath={.items[*].message}']);
    assert.doesNotMatch(events, /Liveness probe/, 'the liveness probe never failed');
    assert.match(kubectl(['logs', '-n', OPERATOR_NAMESPACE, 'deploy/atlas-k8s-migrator']), /"msg":"applied"/);
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

  it('kubectl delete pod mid-migration: SIGTERM stops it between statements, the next pod finishes the file', async () => {
    // One file whose statements take ~2 s each, so the pod goes while the file runs.
    const slow = 'CREATE TABLE slow_a (id int NOT NULL);\nDO SLEEP(2);\nDO SLEEP(2);\nDO SLEEP(2);\nCREATE TABLE slow_b (id int NOT NULL);\n';
    const seed = Object.fromEntries(['20230316085611.sql', '20230316090502.sql'].map((f) => [f, readFileSync(join(SEED_DIR, f), 'utf8')]));
    const dir = await migrationsFolder({ ...seed, '20230401000000_slow.sql': slow });
    const configMap = kubectl(['create', 'configmap', 'migrations', `--from-file=${dir}`, '-o', 'yaml', '--dry-run=client']);
    kubectl(['apply', '-f', '-'], configMap);
    await waitForMigration(cluster.cp, 'default', 'atlas-migration', (m) => m.status?.progress?.file === '20230401000000_slow.sql', 30_000);
    const [first] = operatorPods();
    const firstName = first?.metadata.name ?? '';
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
    const [second] = operatorPods().filter((p) => p.metadata.name !== first?.metadata.name);
    assert.ok(second !== undefined, 'a new operator pod took over');
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

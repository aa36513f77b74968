/**
 * Faults of the control plane under a running operator (PostgreSQL 15):
 *
 * 3. kube-apiserver restarted (killed and started again) while a migration runs: the run goes on
 *    (the database does not need the API), the operator survives the lost
 *    watches and status writes, status ends Ready at the last version, and
 *    nothing is applied twice.
 * 4. A watch that fell behind gets 410 Gone: the operator is paused
 *    (SIGSTOP) with its watches at some resourceVersion, kube-apiserver is
 *    restarted (its connections close), AtlasMigrations and ConfigMaps are
 *    created and changed, then etcd is compacted at its current revision
 *    and defragmented. On SIGCONT the operator's watches resume from the
 *    compacted resourceVersion: 410, re-list. Every change made meanwhile
 *    is reconciled.
 *
 * kube-apiserver runs with --watch-cache=false here so that watches are
 * served by etcd itself: the 410 comes from the compaction and nothing
 * else (with the watch cache a restarted API server could not serve an old
 * resourceVersion even without a compaction).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPlane, type ControlPlane } from '../controlplane/launcher';
import { usePrivateTmpdir } from '../databases/private-tmpdir';
import { startTestServers, type TestServers } from '../databases/targets';
import { OPERATOR_ACCOUNT, OPERATOR_NAMESPACE, ROOT } from '../operator-cluster';
import type { LogLine } from '../operator-process';
import {
  apiFor,
  appliedLine,
  applyingLine,
  checkFinal,
  compactEtcd,
  concatMigrations,
  CONFIGMAPS,
  createNamespace,
  eventually,
  freshDatabase,
  getMigration,
  ledgerMigration,
  MIGRATIONS,
  migrationObject,
  readyAt,
  snapshot,
  startWatchedOperator,
  waitForMigration,
  type FaultDatabase,
  type Operator,
} from './harness';
import type { Api } from '../controlplane/api-client';

usePrivateTmpdir();

let cp: ControlPlane;
let api: Api;
let servers: TestServers;
let kubeconfig: string;
const operators: Operator[] = [];
const databases: FaultDatabase[] = [];
const started = Date.now();

before(async () => {
  const [plane, dbs] = await Promise.all([startControlPlane(undefined, { apiServerArgs: ['--watch-cache=false'] }), startTestServers(['postgres'])]);
  [cp, servers] = [plane, dbs];
  api = apiFor(cp);
  cp.kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'crd.k8s.yaml')]);
  cp.kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'operator.k8s.yaml')]);
  cp.kubectl(['wait', '--for=condition=Established', 'crd/atlasmigrations.db.atlasgo.io', '--timeout=60s']);
  kubeconfig = cp.kubeconfigFor(OPERATOR_NAMESPACE, OPERATOR_ACCOUNT);
});

after(async () => {
  for (const op of operators) {
    if (op.alive()) op.op.process.child.kill('SIGCONT');
    await op.stop().catch(() => undefined);
  }
  for (const db of databases) await db.drop().catch(() => undefined);
  await cp?.stop();
  await servers?.stop();
  console.log(`# api-server: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
});

async function operatorFor(namespace: string): Promise<Operator> {
  await createNamespace(api, namespace);
  const op = await startWatchedOperator(kubeconfig, [`--namespace=${namespace}`, '--backoff-base=200ms', '--backoff-max=1s']);
  operators.push(op);
  return op;
}

async function database(prefix: string): Promise<FaultDatabase> {
  const db = await freshDatabase(servers.server('postgres'), 'postgres', prefix);
  databases.push(db);
  return db;
}

function logTime(l: LogLine): number {
  return Date.parse(l.time);
}

const configMap = (namespace: string, name: string, data: Readonly<Record<string, string>>): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

describe('faults of the control plane', () => {
  it('kube-apiserver restarted while a migration runs: the run finishes, status ends Ready, nothing twice', async () => {
    const ns = 'faults-apiserver';
    const op = await operatorFor(ns);
    const db = await database('apiserver');
    // Five files of three 200 ms inserts: about 3 s, most of it with the API server away.
    const migration = ledgerMigration('postgres', { files: 5, sleepMs: 200 });
    await api.must('POST', MIGRATIONS(ns), migrationObject(ns, 'long', { url: db.url, dir: { local: migration.data } }));
    const resource = `${ns}/long`;
    await op.waitLine(applyingLine(resource), 30_000);
    await eventually('the first file committed', async () => (await snapshot(db)).revisions.size > 0, 10_000, 20);
    const haltedAt = Date.now();
    const restart = cp.crashApiServer(1500);
    const atHalt = [...(await snapshot(db)).revisions.values()].filter((r) => r.applied === r.total).length;
    await restart;
    const backAt = Date.now();
    const atBack = [...(await snapshot(db)).revisions.values()].filter((r) => r.applied === r.total).length;
    assert.ok(atHalt < migration.files.length, `the API server went down mid-run (${atHalt} of ${migration.files.length} files applied)`);
    const m = await waitForMigration(api, ns, 'long', readyAt(migration.target), 60_000);
    assert.equal(m.status?.pendingCount ?? 0, 0);
    await checkFinal(db, migration, []);
    assert.ok(op.alive(), 'the operator survived the API server restart');
    const applied = op.lines().filter(appliedLine(resource));
    assert.deepEqual(applied.map((l) => l.files), [migration.files.length], `one run applied every file; nothing was applied again: ${JSON.stringify(op.lines().filter((l) => l.resource === resource))}`);
    const watchErrors = op.lines().filter((l) => l.msg === 'watch failed; reconnecting' && logTime(l) >= haltedAt - 1000);
    const statusWrites = op.lines().filter((l) => /status write|progress write/.test(l.msg) && logTime(l) >= haltedAt - 1000);
    console.log(
      `# apiserver restart: down ${backAt - haltedAt} ms; files applied at the halt ${atHalt}, when back ${atBack} of ${migration.files.length}; ` +
        `${watchErrors.length} watch reconnects, ${statusWrites.length} failed status/progress writes logged; Ready after ${Date.now() - backAt} ms more`,
    );
  });

  it('410 Gone after an etcd compaction while the watches were behind: re-listed, every change made meanwhile reconciled', async () => {
    const ns = 'faults-watch';
    const op = await operatorFor(ns);
    const base = ledgerMigration('postgres', { files: 1, sleepMs: 0 });
    const more = concatMigrations(base, ledgerMigration('postgres', { files: 1, sleepMs: 0, from: 2 }));
    // Before: two resources Ready, one on a ConfigMap, one with its directory inline.
    const [dbA, dbB] = await Promise.all([database('watch_a'), database('watch_b')]);
    await api.must('POST', CONFIGMAPS(ns), configMap(ns, 'dir-a', base.data));
    await api.must('POST', MIGRATIONS(ns), migrationObject(ns, 'a', { url: dbA.url, dir: { configMapRef: { name: 'dir-a' } } }));
    await api.must('POST', MIGRATIONS(ns), migrationObject(ns, 'b', { url: dbB.url, dir: { local: base.data } }));
    for (const name of ['a', 'b']) await waitForMigration(api, ns, name, readyAt(base.target), 30_000);

    const child = op.op.process.child;
    child.kill('SIGSTOP');
    let continued = false;
    try {
      await cp.crashApiServer(0);
      // Meanwhile: a ConfigMap gains a file, a spec changes, three resources (one on a new ConfigMap) are created.
      await api.must('PUT', CONFIGMAPS(ns, 'dir-a'), configMap(ns, 'dir-a', more.data));
      const b = await getMigration(api, ns, 'b');
      await api.must('PATCH', MIGRATIONS(ns, 'b'), { spec: { lockTimeout: '11s', dir: { local: more.data } } }, 'application/merge-patch+json');
      const newDbs = await Promise.all([database('watch_c'), database('watch_d'), database('watch_e')]);
      await api.must('POST', CONFIGMAPS(ns), configMap(ns, 'dir-c', more.data));
      await api.must('POST', MIGRATIONS(ns), migrationObject(ns, 'c', { url: (newDbs[0]).url, dir: { configMapRef: { name: 'dir-c' } } }));
      await api.must('POST', MIGRATIONS(ns), migrationObject(ns, 'd', { url: (newDbs[1]).url, dir: { local: more.data } }));
      await api.must('POST', MIGRATIONS(ns), migrationObject(ns, 'e', { url: (newDbs[2]).url, dir: { local: base.data } }));
      const compactedAt = await compactEtcd(cp);
      const resumedAt = Date.now();
      child.kill('SIGCONT');
      continued = true;

      const relists = await Promise.all(
        ['atlasmigrations.db.atlasgo.io', 'configmaps'].map((what) =>
          op.waitLine((l) => l.msg === 'watch expired; listing again' && String(l.resource).startsWith(what), 30_000, `a re-list of ${what} after 410`),
        ),
      );
      for (const l of relists) assert.ok(logTime(l) >= resumedAt - 1000, 'the re-list came after the operator resumed');
      for (const [name, target] of [['a', more.target], ['b', more.target], ['c', more.target], ['d', more.target], ['e', base.target]] as const) {
        const m = await waitForMigration(api, ns, name, readyAt(target), 30_000);
        if (name === 'b') assert.ok(m.metadata.generation > (b?.metadata.generation ?? 0) && m.status?.observedGeneration === m.metadata.generation, 'the spec change was seen');
      }
      await checkFinal(dbA, more, []);
      await checkFinal(dbB, more, []);
      for (const [db, m] of [[newDbs[0], more], [newDbs[1], more], [newDbs[2], base]] as const) await checkFinal(db, m, []);
      const restarts = Number(/^atlas_migrator_watch_restarts_total (\d+)$/m.exec((await op.op.get('/metrics')).body)?.[1] ?? NaN);
      console.log(`# 410: etcd compacted at revision ${compactedAt}; re-lists: ${relists.map((l) => String(l.resource)).join(', ')}; watch_restarts_total ${restarts}; 5 resources reconciled`);
    } finally {
      if (!continued) child.kill('SIGCONT');
    }
  });
});

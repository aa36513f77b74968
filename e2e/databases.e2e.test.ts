/**
 * The walk-through's resources (the seed's AtlasMigration YAML unchanged,
 * a `mysql-credentials` Secret, a `migrations` ConfigMap) on PostgreSQL 15,
 * MariaDB 10.11 and SQLite, each in its own namespace, reconciled by one
 * operator running as its ServiceAccount; then the same follow-ups as the
 * MySQL 8 walk-through (new file, edited file, missing Secret, database
 * down and back). Every test sets up what it needs (its own namespace,
 * database and resources) and removes its resources at the end, so tests
 * run alone (`--test-only`) or in any order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import knexFactory from 'knex';
import { usePrivateTmpdir } from './databases/private-tmpdir';
import { startTestServers, type TargetName, type TestDatabase, type TestServers } from './databases/targets';
import { addAFile, applyConfigMap, applySeedMigration, createSecret, databaseDownAndBack, editWithoutRehash, LATER_FILES, migrationsFolder, PORTABLE_SEED_FILES as FILES, secretGoneAndBack, type ScenarioTarget } from './migration-scenarios';
import { condition, failedWith, getMigration, isReady, startOperatorCluster, waitForMigration, type OperatorCluster } from './operator-cluster';


// SQLite's lock file lives in the temporary directory: this file's (and its operator's) must not be another test file's.
usePrivateTmpdir();

const TARGETS = ['postgres', 'mariadb10', 'sqlite'] as const;
const RESYNC_MS = 1500;

let cluster: OperatorCluster;
let servers: TestServers;
const databases: TestDatabase[] = [];

before(async () => {
  [cluster, servers] = await Promise.all([startOperatorCluster({ install: 'apply', operatorArgs: ['--backoff-base=300ms', '--backoff-max=3s', `--resync-period=${RESYNC_MS}ms`] }), startTestServers(TARGETS)]);
});

after(async () => {
  for (const db of databases) await db.close();
  await cluster?.stop();
  await servers?.stop();
});

const TABLES_SQL = {
  postgres: "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
  mysql: 'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
  sqlite: "SELECT name FROM sqlite_master WHERE type = 'table'",
};

/** Table names, read on a new connection each time (the server may have restarted since). */
async function tablesOf(db: TestDatabase): Promise<string[]> {
  const url = new URL(db.url);
  const knex =
    db.dialect === 'sqlite'
      ? knexFactory({ client: 'better-sqlite3', connection: { filename: db.name }, useNullAsDefault: true })
      : knexFactory({
          client: db.dialect === 'postgres' ? 'pg' : 'mysql2',
          connection: { host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: db.name },
        });
  try {
    const rows: unknown = await knex.raw(TABLES_SQL[db.dialect]);
    const list = db.dialect === 'postgres' ? (rows as { rows: { name: string }[] }).rows : db.dialect === 'mysql' ? (rows as [{ name: string }[]])[0] : (rows as { name: string }[]);
    return list.map((r) => r.name).sort();
  } finally {
    await knex.destroy();
  }
}

async function freshDatabase(target: TargetName): Promise<TestDatabase> {
  const db = await servers.fresh(target);
  databases.push(db);
  return db;
}

let namespaces = 0;

type Walkthrough = ScenarioTarget & { readonly db: TestDatabase };

/**
 * What every test starts from: a namespace of its own, a fresh database,
 * the walk-through's Secret, ConfigMap (with `files`) and AtlasMigration,
 * Ready. The test's resources are deleted when it ends (no
 * controller-manager runs here to empty a deleted namespace), so earlier
 * tests' resources do not keep the operator busy.
 */
async function walkthrough(t: TestContext, target: TargetName, files: Readonly<Record<string, string>> = FILES): Promise<Walkthrough> {
  const db = await freshDatabase(target);
  const namespace = `${target}-${++namespaces}`;
  const cp = cluster.cp;
  cp.kubectl(['create', 'namespace', namespace]);
  t.after(() => {
    cp.kubectl(['delete', 'atlasmigrations,configmaps,secrets', '--all', '-n', namespace, '--wait=true']);
  });
  createSecret(cp, namespace, db.url);
  applyConfigMap(cp, namespace, await migrationsFolder(files));
  applySeedMigration(cp, namespace);
  const version = Object.keys(files).sort().at(-1)?.replace(/_.*|\.sql$/g, '');
  await waitForMigration(cp, namespace, 'atlas-migration', (m) => isReady(m) && m.status?.lastAppliedVersion === version);
  return {
    cp,
    operator: cluster.operator,
    namespace,
    files: FILES,
    url: db.url,
    ...(target === 'sqlite' ? {} : { server: servers.server(target) }),
    tables: () => tablesOf(db),
    db,
  };
}

const counter = async (pattern: RegExp): Promise<number> => Number(pattern.exec((await cluster.operator.get('/metrics')).body)?.[1] ?? 0);
const unchangedReconciles = (): Promise<number> => counter(/^atlas_migrator_reconcile_total\{result="unchanged"\} (\d+)$/m);

/** Polls `check` (every 200 ms) until it holds; fails after `timeoutMs` with `what`. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = RESYNC_MS * 8): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const name of TARGETS) {
  describe(`${name}: the walk-through's resources, then what users do next`, () => {
    it('reaches Ready with the two tables', async (t) => {
      const w = await walkthrough(t, name);
      assert.equal(
        w.cp.kubectl(['wait', '-n', w.namespace, '--for=condition=Ready', 'atlasmigration/atlas-migration']),
        'atlasmigration.db.atlasgo.io/atlas-migration condition met\n',
      );
      assert.deepEqual((await w.tables()).filter((x) => x !== 'atlas_schema_revisions'), ['posts', 'users']);
      const m = await waitForMigration(w.cp, w.namespace, 'atlas-migration', isReady);
      assert.equal(condition(m, 'Ready')?.message, 'Applied 2 migrations, now at 20230316090502');
    });

    it('a third file added to the ConfigMap is applied', async (t) => addAFile(await walkthrough(t, name)));
    it('an edited file without re-hash: Ready=False naming it, nothing applied', async (t) => editWithoutRehash(await walkthrough(t, name)));
    it('a missing Secret: its reason; created again: Ready', async (t) => secretGoneAndBack(await walkthrough(t, name)));
    if (name !== 'sqlite') it('the database stopped: retries with growing delays; started: Ready', async (t) => databaseDownAndBack(await walkthrough(t, name)));
  });
}

describe('steady state, dry run, deletion', () => {
  it('resyncs of an unchanged resource write nothing, to the API or the database', async (t) => {
    const w = await walkthrough(t, 'postgres');
    const before = getMigration(w.cp, w.namespace, 'atlas-migration');
    const rows = await w.db.query('SELECT * FROM atlas_schema_revisions ORDER BY version');
    const counted = await unchangedReconciles();
    await eventually('two resyncs', async () => (await unchangedReconciles()) >= counted + 2);
    assert.equal(getMigration(w.cp, w.namespace, 'atlas-migration').metadata.resourceVersion, before.metadata.resourceVersion, 'no status write');
    assert.deepEqual(await w.db.query('SELECT * FROM atlas_schema_revisions ORDER BY version'), rows, 'no database write');
  });

  it('a database that moved (an older backup restored) is brought back by the next resync', async (t) => {
    const w = await walkthrough(t, 'postgres', { ...FILES, ...LATER_FILES });
    await w.db.query("DELETE FROM atlas_schema_revisions WHERE version = '20230402000000'");
    await w.db.query('DROP TABLE tags');
    await eventually('the resync re-applies the missing file', async () => (await tablesOf(w.db)).includes('tags'));
    const m = await waitForMigration(cluster.cp, w.namespace, 'atlas-migration', isReady);
    assert.equal(m.status?.lastAppliedVersion, '20230402000000');
    assert.equal(condition(m, 'Ready')?.message, 'Applied 1 migration, now at 20230402000000');
  });

  it('dryRun: the plan is in status, nothing changes', async (t) => {
    const db = await freshDatabase('sqlite');
    const cp = cluster.cp;
    const namespace = `dry-run-${++namespaces}`;
    cp.kubectl(['create', 'namespace', namespace]);
    t.after(() => {
      cp.kubectl(['delete', 'atlasmigrations', '--all', '-n', namespace, '--wait=true']);
    });
    const dir = await migrationsFolder(FILES);
    const local = Object.fromEntries(['20230316085611.sql', '20230316090502.sql', 'atlas.sum'].map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    const resource = { apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name: 'plan', namespace }, spec: { url: db.url, dryRun: true, dir: { local } } };
    cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(resource) });
    const m = await waitForMigration(cp, namespace, 'plan', failedWith('DryRun'));
    assert.deepEqual([m.status?.pendingVersions, m.status?.pendingCount], [['20230316085611', '20230316090502'], 2]);
    assert.equal(condition(m, 'Stalled')?.status, 'False');
    assert.deepEqual(await tablesOf(db), [], 'not even the revisions table');
  });

  /**
   * After the deletion the ConfigMap gains a file, so any reconcile of the
   * deleted resource (from a stale cache, a resync, the ConfigMap event)
   * WOULD write to its database. A sentinel resource in the same namespace,
   * on another database and the same ConfigMap, shows when the operator
   * has seen everything: its spec change comes after the deletion on the
   * same watch, it applies the new file (the ConfigMap event was handled),
   * and resyncs happen after that.
   */
  it('deleting a resource never touches its database, even when a reconcile would have work to do', async (t) => {
    const w = await walkthrough(t, 'mariadb10');
    const cp = w.cp;
    const sentinelDb = await freshDatabase('mariadb10');
    const sentinel = (lockTimeout: string) => ({
      apiVersion: 'db.atlasgo.io/v1alpha1',
      kind: 'AtlasMigration',
      metadata: { name: 'sentinel', namespace: w.namespace },
      spec: { url: sentinelDb.url, lockTimeout, dir: { configMapRef: { name: 'migrations' } } },
    });
    cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(sentinel('10s')) });
    await waitForMigration(cp, w.namespace, 'sentinel', isReady);
    const dump = await w.db.dump();

    cp.kubectl(['delete', 'atlasmigration', 'atlas-migration', '-n', w.namespace, '--wait=true']);
    // A spec change (a new generation) on the same watch, after the deletion: once it is reconciled, the deletion was seen.
    const generation = getMigration(cp, w.namespace, 'sentinel').metadata.generation;
    cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(sentinel('11s')) });
    await waitForMigration(cp, w.namespace, 'sentinel', (m) => isReady(m) && m.metadata.generation > generation);
    // Work for a reconcile: a new file in the ConfigMap the deleted resource used.
    const [file, content] = Object.entries(LATER_FILES)[0] as [string, string];
    applyConfigMap(cp, w.namespace, await migrationsFolder({ ...FILES, [file]: content }));
    await waitForMigration(cp, w.namespace, 'sentinel', (m) => isReady(m) && m.status?.lastAppliedVersion === '20230401000000');
    assert.ok((await tablesOf(sentinelDb)).includes('comments'), 'the new file is applied where a resource exists');
    const resynced = await unchangedReconciles();
    await eventually('two resyncs after the change', async () => (await unchangedReconciles()) >= resynced + 2);

    assert.ok(!(await w.tables()).includes('comments'), 'the deleted resource\'s database did not get the new file');
    assert.equal(await w.db.dump(), dump, 'its database is untouched');
  });
});

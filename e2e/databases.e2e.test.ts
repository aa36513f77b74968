/**
 * The walk-through's resources (the seed's AtlasMigration YAML unchanged,
 * a `mysql-credentials` Secret, a `migrations` ConfigMap) on PostgreSQL 15,
 * MariaDB 10.11 and SQLite, each in its own namespace, reconciled by one
 * operator running as its ServiceAccount; then the same follow-ups as the
 * MySQL 8 walk-through (new file, edited file, missing Secret, database
 * down and back).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import knexFactory from 'knex';
import { startTestServers, type TestDatabase, type TestServers } from './databases/targets';
import { addAFile, applyConfigMap, applySeedMigration, createSecret, databaseDownAndBack, editWithoutRehash, migrationsFolder, PORTABLE_SEED_FILES as FILES, secretGoneAndBack, type ScenarioTarget } from './migration-scenarios';
import { condition, failedWith, getMigration, isReady, startOperatorCluster, waitForMigration, type OperatorCluster } from './operator-cluster';


const TARGETS = ['postgres', 'mariadb10', 'sqlite'] as const;
const RESYNC_MS = 1500;

let cluster: OperatorCluster;
let servers: TestServers;
const databases = new Map<string, TestDatabase>();

before(async () => {
  [cluster, servers] = await Promise.all([startOperatorCluster({ install: 'apply', operatorArgs: ['--backoff-base=300ms', '--backoff-max=3s', `--resync-period=${RESYNC_MS}ms`] }), startTestServers(TARGETS)]);
});

after(async () => {
  for (const db of databases.values()) await db.close();
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

for (const name of TARGETS) {
  describe(`${name}: the walk-through's resources, then what users do next`, () => {
    let t: ScenarioTarget;

    it('reaches Ready with the two tables', async () => {
      const db = await servers.fresh(name);
      databases.set(name, db);
      const namespace = `walkthrough-${name}`;
      const cp = cluster.cp;
      cp.kubectl(['create', 'namespace', namespace]);
      createSecret(cp, namespace, db.url);
      applyConfigMap(cp, namespace, await migrationsFolder(FILES));
      applySeedMigration(cp, namespace);
      assert.equal(cp.kubectl(['wait', '-n', namespace, '--for=condition=Ready', 'atlasmigration/atlas-migration']), 'atlasmigration.db.atlasgo.io/atlas-migration condition met\n');
      t = {
        cp,
        operator: cluster.operator,
        namespace,
        files: FILES,
        url: db.url,
        ...(name === 'sqlite' ? {} : { server: servers.server(name) }),
        tables: () => tablesOf(db),
      };
      assert.deepEqual((await t.tables()).filter((x) => x !== 'atlas_schema_revisions'), ['posts', 'users']);
      const m = await waitForMigration(cp, namespace, 'atlas-migration', isReady);
      assert.equal(condition(m, 'Ready')?.message, 'Applied 2 migrations, now at 20230316090502');
    });

    it('a third file added to the ConfigMap is applied', () => addAFile(t));
    it('an edited file without re-hash: Ready=False naming it, nothing applied', () => editWithoutRehash(t));
    it('a missing Secret: its reason; created again: Ready', () => secretGoneAndBack(t));
    if (name !== 'sqlite') it('the database stopped: retries with growing delays; started: Ready', () => databaseDownAndBack(t));
  });
}

describe('steady state, dry run, deletion', () => {
  const namespace = 'walkthrough-postgres';
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const unchanged = async (): Promise<number> => Number(/^atlas_migrator_reconcile_total\{result="unchanged"\} (\d+)$/m.exec((await cluster.operator.get('/metrics')).body)?.[1] ?? 0);

  it('resyncs of an unchanged resource write nothing, to the API or the database', async () => {
    const cp = cluster.cp;
    const db = databases.get('postgres') as TestDatabase;
    const before = getMigration(cp, namespace, 'atlas-migration');
    const rows = await db.query('SELECT * FROM atlas_schema_revisions ORDER BY version');
    const counted = await unchanged();
    await sleep(RESYNC_MS * 3);
    assert.ok((await unchanged()) >= counted + 2, 'resyncs happened');
    assert.equal(getMigration(cp, namespace, 'atlas-migration').metadata.resourceVersion, before.metadata.resourceVersion, 'no status write');
    assert.deepEqual(await db.query('SELECT * FROM atlas_schema_revisions ORDER BY version'), rows, 'no database write');
  });

  it('a database that moved (an older backup restored) is brought back by the next resync', async () => {
    const db = databases.get('postgres') as TestDatabase;
    await db.query("DELETE FROM atlas_schema_revisions WHERE version = '20230402000000'");
    await db.query('DROP TABLE tags');
    const deadline = Date.now() + RESYNC_MS * 6;
    while (!(await tablesOf(db)).includes('tags')) {
      if (Date.now() > deadline) throw new Error('the resync did not re-apply the missing file');
      await sleep(200);
    }
    const m = await waitForMigration(cluster.cp, namespace, 'atlas-migration', isReady);
    assert.equal(m.status?.lastAppliedVersion, '20230402000000');
    assert.equal(condition(m, 'Ready')?.message, 'Applied 1 migration, now at 20230402000000');
  });

  it('dryRun: the plan is in status, nothing changes', async () => {
    const db = await servers.fresh('sqlite');
    databases.set('dry', db);
    const cp = cluster.cp;
    cp.kubectl(['create', 'namespace', 'dry-run']);
    const dir = await migrationsFolder(FILES);
    const local = Object.fromEntries(['20230316085611.sql', '20230316090502.sql', 'atlas.sum'].map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    const resource = { apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name: 'plan', namespace: 'dry-run' }, spec: { url: db.url, dryRun: true, dir: { local } } };
    cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(resource) });
    const m = await waitForMigration(cp, 'dry-run', 'plan', failedWith('DryRun'));
    assert.deepEqual([m.status?.pendingVersions, m.status?.pendingCount], [['20230316085611', '20230316090502'], 2]);
    assert.equal(condition(m, 'Stalled')?.status, 'False');
    assert.deepEqual(await tablesOf(db), [], 'not even the revisions table');
  });

  it('deleting a resource never touches its database', async () => {
    const db = databases.get('mariadb10') as TestDatabase;
    const dump = await db.dump();
    cluster.cp.kubectl(['delete', 'atlasmigration', 'atlas-migration', '-n', 'walkthrough-mariadb10', '--wait=true']);
    await sleep(500);
    assert.equal(await db.dump(), dump);
  });
});

/**
 * The walk-through's resources (the seed's AtlasMigration YAML unchanged,
 * a `mysql-credentials` Secret, a `migrations` ConfigMap) on PostgreSQL 15,
 * MariaDB 10.11 and SQLite, each in its own namespace, reconciled by one
 * operator running as its ServiceAccount; then the same follow-ups as the
 * MySQL 8 walk-through (new file, edited file, missing Secret, database
 * down and back).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import knexFactory from 'knex';
import { startTestServers, type TestDatabase, type TestServers } from './databases/targets';
import { addAFile, applyConfigMap, applySeedMigration, createSecret, databaseDownAndBack, editWithoutRehash, migrationsFolder, secretGoneAndBack, type ScenarioTarget } from './migration-scenarios';
import { condition, isReady, startOperatorCluster, waitForMigration, type OperatorCluster } from './operator-cluster';

/** The walk-through's two tables in SQL every database here accepts. */
const FILES = {
  '20230316085611.sql': '-- Create "users" table\nCREATE TABLE users (\n  id int NOT NULL,\n  user_name varchar(255) NOT NULL,\n  email varchar(255) NOT NULL,\n  PRIMARY KEY (id)\n);\n',
  '20230316090502.sql':
    '-- Create "posts" table\nCREATE TABLE posts (\n  id int NOT NULL,\n  user_id int NOT NULL,\n  title varchar(255) NOT NULL,\n  body text NOT NULL,\n  PRIMARY KEY (id),\n  CONSTRAINT posts_ibfk_1 FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE\n);\n',
};

const TARGETS = ['postgres', 'mariadb10', 'sqlite'] as const;

let cluster: OperatorCluster;
let servers: TestServers;
const databases = new Map<string, TestDatabase>();

before(async () => {
  [cluster, servers] = await Promise.all([startOperatorCluster({ install: 'apply', operatorArgs: ['--backoff-base=300ms', '--backoff-max=3s'] }), startTestServers(TARGETS)]);
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

/**
 * The seed walk-through, verbatim, with our operator in place of Atlas's:
 * the chart installed by a real Helm CLI, the operator running as its
 * ServiceAccount (only the chart's RBAC), a private MySQL 8.0 behind the
 * `mysql-credentials` Secret, the ConfigMap made by the walk-through's own
 * `kubectl create configmap … --from-file=migrations`, its AtlasMigration
 * YAML unchanged, `kubectl wait` printing `condition met`, and the tables
 * and revision rows Atlas would leave. Then what users do next.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPool, type Pool } from 'mysql2/promise';
import { PROGRAM_NAME, PROGRAM_VERSION } from '../operator/version';
import { startMySqlFamily } from './databases/mysql-family';
import type { TestDatabaseServer } from './databases/server-process';
import { addAFile, createSecret, databaseDownAndBack, editWithoutRehash, secretGoneAndBack, type ScenarioTarget } from './migration-scenarios';
import { condition, getMigration, ROOT, startOperatorCluster, type OperatorCluster } from './operator-cluster';

const SEED = join(ROOT, 'operator', 'migrate', 'testdata', 'seed');
const SEED_FILES = ['20230316085611.sql', '20230316090502.sql'];

let cluster: OperatorCluster;
let mysql: TestDatabaseServer;
let admin: Pool;
let target: ScenarioTarget;

before(async () => {
  [cluster, mysql] = await Promise.all([startOperatorCluster({ install: 'helm', operatorArgs: ['--backoff-base=300ms', '--backoff-max=3s'] }), startMySqlFamily('mysql8')]);
  admin = createPool(mysql.url);
  // The walk-through's mysql.yaml starts MySQL with MYSQL_DATABASE=myapp.
  await admin.query('CREATE DATABASE myapp');
  const files = Object.fromEntries(SEED_FILES.map((f) => [f, readFileSync(join(SEED, f), 'utf8')]));
  target = {
    cp: cluster.cp,
    operator: cluster.operator,
    namespace: 'default',
    files,
    url: mysql.urlFor('myapp'),
    server: mysql,
    tables: async () => ((await admin.query('SHOW TABLES FROM myapp'))[0] as Record<string, string>[]).map((r) => Object.values(r)[0] ?? ''),
  };
});

after(async () => {
  await admin?.end();
  await cluster?.stop();
  await mysql?.stop();
});

async function describeTable(table: string): Promise<string[][]> {
  const [rows] = (await admin.query(`DESCRIBE myapp.${table}`)) as [Record<string, string | null>[], unknown];
  return rows.map((r) => [r.Field, r.Type, r.Null, r.Key, r.Default ?? 'NULL', r.Extra].map((v) => v ?? ''));
}

describe('the walk-through, verbatim', () => {
  it('steps 1-6: helm install, Secret, ConfigMap, AtlasMigration, kubectl wait → condition met, the tables', async () => {
    const cp = cluster.cp;
    // Step 2: the Secret with the database URL (the walk-through's mysql.yaml creates it next to its MySQL).
    createSecret(cp, 'default', mysql.urlFor('myapp'));
    // Steps 3-4: the migrations folder and the ConfigMap, with the walk-through's exact commands.
    const work = mkdtempSync(join(tmpdir(), 'walkthrough-'));
    cpSync(SEED, join(work, 'migrations'), { recursive: true, filter: (src) => !src.endsWith('README.md') });
    const yaml = cp.kubectl(['create', 'configmap', 'migrations', '--from-file=migrations', '-o', 'yaml', '--dry-run=client', '--save-config'], { cwd: work });
    writeFileSync(join(work, 'migrations.yaml'), yaml);
    assert.match(yaml, /atlas\.sum: \|\n {4}h1:XBXbh\+rzLis8gknjlIqnxXLBkOZ\+sN2v2p7KjyVFYYM=\n/);
    assert.equal(cp.kubectl(['apply', '-f', 'migrations.yaml'], { cwd: work }), 'configmap/migrations created\n');
    // Step 5: the AtlasMigration, as published.
    cpSync(join(ROOT, 'manifests', 'examples', 'seed-atlas-migration.yaml'), join(work, 'atlas-migration.yaml'));
    assert.equal(cp.kubectl(['apply', '-f', 'atlas-migration.yaml'], { cwd: work }), 'atlasmigration.db.atlasgo.io/atlas-migration created\n');
    assert.equal(cp.kubectl(['wait', '--for=condition=Ready', 'atlasmigration/atlas-migration']), 'atlasmigration.db.atlasgo.io/atlas-migration condition met\n');
    // Step 6: the tables exactly as the walk-through shows them.
    assert.deepEqual(await describeTable('users'), [
      ['id', 'int', 'NO', 'PRI', 'NULL', ''],
      ['user_name', 'varchar(255)', 'NO', '', 'NULL', ''],
      ['email', 'varchar(255)', 'NO', '', 'NULL', ''],
    ]);
    assert.deepEqual(await describeTable('posts'), [
      ['id', 'int', 'NO', 'PRI', 'NULL', ''],
      ['user_id', 'int', 'NO', 'MUL', 'NULL', ''],
      ['title', 'varchar(255)', 'NO', '', 'NULL', ''],
      ['body', 'text', 'NO', '', 'NULL', ''],
    ]);
  });

  it('leaves the two revision rows Atlas would write', async () => {
    const [rows] = (await admin.query(
      'SELECT version, description, type, applied, total, error, error_stmt, hash, CAST(partial_hashes AS CHAR) AS partial, operator_version, execution_time FROM myapp.atlas_schema_revisions ORDER BY version',
    )) as [Record<string, unknown>[], unknown];
    assert.deepEqual(
      rows.map((r) => [r.version, r.description, Number(r.type), Number(r.applied), Number(r.total), r.error, r.error_stmt, r.hash, r.partial, r.operator_version]),
      [
        ['20230316085611', '', 2, 1, 1, '', '', 'br6W6LPEnnsejlz/7hRm9zthwStCzjN2vZkqVPxlmvo=', 'null', `${PROGRAM_NAME} v${PROGRAM_VERSION}`],
        ['20230316090502', '', 2, 1, 1, '', '', 'GfeRjkSeoCt3JVRtLQNa/r50lRfpAPXS7AqTU2ZNFgY=', 'null', `${PROGRAM_NAME} v${PROGRAM_VERSION}`],
      ],
    );
    assert.ok(rows.every((r) => Number(r.execution_time) > 0));
  });

  it('reads right in kubectl, kstatus and Argo CD terms, with an Applied event', () => {
    const cp = cluster.cp;
    const list = cp.kubectl(['get', 'atlasmigrations']);
    assert.match(list, /^NAME\s+READY\s+REASON\s+VERSION\s+PENDING\s+AGE\natlas-migration\s+True\s+Applied\s+20230316090502\s+0\s+/);
    const m = getMigration(cp, 'default', 'atlas-migration');
    assert.equal(condition(m, 'Ready')?.message, 'Applied 2 migrations, now at 20230316090502');
    assert.equal(condition(m, 'Reconciling')?.status, 'False');
    assert.equal(condition(m, 'Stalled')?.status, 'False');
    assert.equal(m.status?.observedGeneration, 1);
    const events = cp.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=atlas-migration', '-o', 'jsonpath={range .items[*]}{.type} {.reason} {.message}{"\\n"}{end}']);
    assert.match(events, /^Normal Applied Applied 2 migrations, now at 20230316090502$/m);
  });
});

describe('after the walk-through', () => {
  it('a third file added to the ConfigMap is applied', () => addAFile(target));
  it('an edited file without re-hash: Ready=False naming the file and atlas.sum line, nothing applied', () => editWithoutRehash(target));
  it('a missing Secret: its reason; created again: Ready', () => secretGoneAndBack(target));
  it('the database stopped: retries with growing delays; started: Ready', () => databaseDownAndBack(target));
  it('no password in any log line, event or status', () => {
    const events = cluster.cp.kubectl(['get', 'events', '-A', '-o', 'json']);
    const status = cluster.cp.kubectl(['get', 'atlasmigrations', '-A', '-o', 'json']);
    for (const [what, text] of [['operator output', cluster.operator.output()], ['events', events], ['status', status]] as const) {
      assert.ok(!text.includes(mysql.password), `${what} contains the database password`);
    }
    assert.ok(cluster.operator.logs().length > 5);
  });
});

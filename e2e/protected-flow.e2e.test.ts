/**
 * A directory behind its database, with the operator running as its
 * ServiceAccount on PostgreSQL 15: three files applied, then the ConfigMap
 * loses the last one (a Git revert). atlas-operator v0.7.37 refuses to go
 * down without `protectedFlows.migrateDown.allow` (Ready=False,
 * Reconciling=False, Stalled=True, reason ProtectedFlowError, its exact
 * message, a Warning event); so does this operator, and nothing runs. The
 * file back: Ready again, nothing applied.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import knexFactory from 'knex';
import { usePrivateTmpdir } from './databases/private-tmpdir';
import { startTestServers, type TestDatabase, type TestServers } from './databases/targets';
import { applyConfigMap, applySeedMigration, createSecret, LATER_FILES, migrationsFolder, PORTABLE_SEED_FILES } from './migration-scenarios';
import { condition, failedWith, isReady, startOperatorCluster, waitForMigration, type OperatorCluster } from './operator-cluster';

usePrivateTmpdir();

const NAME = 'atlas-migration';
const NAMESPACE = 'protected';
const REFUSED = 'migrate down is not allowed, set `migrateDown.allow` to true to allow downgrade';
const [LATER, LATER_SQL] = Object.entries(LATER_FILES)[0] as [string, string];
const ALL = { ...PORTABLE_SEED_FILES, [LATER]: LATER_SQL };

let cluster: OperatorCluster;
let servers: TestServers;
let db: TestDatabase;

before(async () => {
  [cluster, servers] = await Promise.all([startOperatorCluster({ install: 'apply', operatorArgs: ['--backoff-base=300ms', '--backoff-max=3s', '--resync-period=1500ms'] }), startTestServers(['postgres'])]);
  db = await servers.fresh('postgres');
});

after(async () => {
  await db?.close();
  await cluster?.stop();
  await servers?.stop();
});

/** Versions in the revisions table, and the tables, read on a connection of the test's own. */
async function database(): Promise<{ revisions: string[]; tables: string[] }> {
  const url = new URL(db.url);
  const knex = knexFactory({ client: 'pg', connection: { host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: db.name } });
  try {
    const revisions = (await knex.raw<{ rows: { version: string }[] }>('SELECT version FROM public.atlas_schema_revisions ORDER BY version')).rows.map((r) => r.version);
    const tables = (await knex.raw<{ rows: { name: string }[] }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).rows.map((r) => r.name);
    return { revisions, tables };
  } finally {
    await knex.destroy();
  }
}

interface KubeEvent {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
}

function events(reason: string): KubeEvent[] {
  return (JSON.parse(cluster.cp.kubectl(['get', 'events', '-n', NAMESPACE, '--field-selector', `reason=${reason}`, '-o', 'json'])) as { items: KubeEvent[] }).items;
}

describe('a directory behind the database (an applied file removed)', () => {
  it('is refused as atlas-operator refuses it: Stalled, ProtectedFlowError with its message, a Warning event, nothing run; the file back: Ready', async () => {
    const cp = cluster.cp;
    cp.kubectl(['create', 'namespace', NAMESPACE]);
    createSecret(cp, NAMESPACE, db.url);
    applyConfigMap(cp, NAMESPACE, await migrationsFolder(ALL));
    applySeedMigration(cp, NAMESPACE);
    await waitForMigration(cp, NAMESPACE, NAME, (m) => isReady(m) && m.status?.lastAppliedVersion === '20230401000000');
    const before = await database();
    assert.deepEqual(before.revisions, ['20230316085611', '20230316090502', '20230401000000']);

    // The revert: the ConfigMap without the last file.
    applyConfigMap(cp, NAMESPACE, await migrationsFolder(PORTABLE_SEED_FILES));
    const m = await waitForMigration(cp, NAMESPACE, NAME, (x) => failedWith('ProtectedFlowError')(x) && condition(x, 'Ready')?.message === REFUSED);
    assert.deepEqual(
      ['Ready', 'Reconciling', 'Stalled'].map((t) => `${t}=${condition(m, t)?.status}`),
      ['Ready=False', 'Reconciling=False', 'Stalled=True'],
    );
    // kubectl wait as atlas-operator's own e2e test does: on the exact message.
    assert.match(cp.kubectl(['wait', '-n', NAMESPACE, `--for=jsonpath={.status.conditions[?(@.type=="Ready")].message}=${REFUSED}`, `atlasmigration/${NAME}`, '--timeout=30s']), /condition met/);
    const warnings = events('ProtectedFlowError');
    assert.ok(warnings.length > 0, 'a ProtectedFlowError event');
    for (const e of warnings) assert.deepEqual([e.type, e.message], ['Warning', REFUSED]);
    assert.deepEqual(await database(), before, 'nothing ran: the same revisions and tables');

    // The file back (the revert reverted): Ready, nothing applied.
    applyConfigMap(cp, NAMESPACE, await migrationsFolder(ALL));
    const back = await waitForMigration(cp, NAMESPACE, NAME, (x) => isReady(x) && x.status?.lastAppliedVersion === '20230401000000');
    assert.equal(condition(back, 'Stalled')?.status, 'False');
    assert.deepEqual(await database(), before);
  });
});

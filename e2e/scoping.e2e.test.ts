/**
 * What the operator watches, and that it outlives its API server: one
 * operator scoped with `--namespace` and `--label-selector` reconciles
 * exactly the matching resources; when kube-apiserver goes down and comes
 * back, the operator stays up (the framework's watch would have exited the
 * process), reconnects, and handles what was created meanwhile.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { directoryFromEntries } from '../operator/migrate/directory';
import { condition, getMigration, isReady, startOperatorCluster, waitForMigration, type OperatorCluster } from './operator-cluster';
import { usePrivateTmpdir } from './databases/private-tmpdir';

// Atlas's SQLite lock file lives in the temporary directory: this file's runs must not share it with other test files'.
usePrivateTmpdir();

let cluster: OperatorCluster;
const work = mkdtempSync(join(tmpdir(), 'scoping-'));

const FILES = { '1_a.sql': 'CREATE TABLE a (id int);\n' };
const LOCAL = { ...FILES, 'atlas.sum': directoryFromEntries(Object.entries(FILES), 'x').computedSum().format() };

function create(namespace: string, name: string, labels: Record<string, string>): void {
  const resource = {
    apiVersion: 'db.atlasgo.io/v1alpha1',
    kind: 'AtlasMigration',
    metadata: { name, namespace, labels },
    spec: { url: `sqlite://${join(work, `${namespace}-${name}.db`)}`, dir: { local: LOCAL } },
  };
  cluster.cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(resource) });
}

before(async () => {
  cluster = await startOperatorCluster({ install: 'apply', operatorArgs: ['--namespace=team-a,team-c', '--label-selector=migrate=yes'] });
  for (const ns of ['team-a', 'team-b', 'team-c']) cluster.cp.kubectl(['create', 'namespace', ns]);
});

after(async () => {
  await cluster?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('scoping and resilience', () => {
  it('reconciles only matching resources in the watched namespaces', async () => {
    create('team-a', 'chosen', { migrate: 'yes' });
    create('team-a', 'unlabeled', {});
    create('team-b', 'elsewhere', { migrate: 'yes' });
    await waitForMigration(cluster.cp, 'team-a', 'chosen', isReady);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(getMigration(cluster.cp, 'team-a', 'unlabeled').status?.conditions, undefined);
    assert.equal(getMigration(cluster.cp, 'team-b', 'elsewhere').status?.conditions, undefined);
    const watched = cluster.operator.logs().find((l) => l.msg === 'watches synced');
    assert.deepEqual(watched?.namespaces, ['team-a', 'team-c']);
  });

  it('stays up while kube-apiserver is down, reconnects, and handles what changed meanwhile', async () => {
    await cluster.cp.restartApiServer(3000);
    create('team-c', 'after-restart', { migrate: 'yes' });
    const m = await waitForMigration(cluster.cp, 'team-c', 'after-restart', isReady);
    assert.equal(condition(m, 'Ready')?.reason, 'Applied');
    assert.equal(cluster.operator.process.child.exitCode, null, 'the operator process never exited');
    assert.ok(cluster.operator.logs().some((l) => l.msg === 'watch failed; reconnecting'), 'the watches saw the outage');
    assert.equal((await cluster.operator.get('/healthz')).status, 200);
    assert.equal((await cluster.operator.get('/readyz')).status, 200);
    const restarts = /^atlas_migrator_watch_restarts_total (\d+)$/m.exec((await cluster.operator.get('/metrics')).body)?.[1];
    assert.ok(Number(restarts) > 0);
  });
});

/**
 * Leader election on a real API server, with operator processes as the
 * chart's replicas (each with the ServiceAccount's token, so only the
 * chart's Lease RBAC applies) and short timings (lease 3 s, renew deadline
 * 2 s, retry 0.5 s): one replica leads and applies, the other follows and
 * applies nothing; `kill -9` of the leader is taken over within about the
 * lease duration, SIGTERM within a retry period (the Lease is released);
 * a leader that cannot renew stops and exits 1; migrations created after a
 * takeover are applied exactly once. Takeover times are measured over five
 * rounds each and printed (`# takeover …`).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { directoryFromEntries } from '../operator/migrate/directory';
import { usePrivateTmpdir } from './databases/private-tmpdir';
import { isReady, OPERATOR_NAMESPACE, startOperatorCluster, waitForMigration, type OperatorCluster } from './operator-cluster';
import { startOperator, type LogLine, type OperatorProcess } from './operator-process';

const LEASE = 'atlas-k8s-migrator-leader';
const LEASE_MS = 3000;
const RENEW_MS = 2000;
const RETRY_MS = 500;
const ARGS = [
  '--leader-elect',
  `--leader-election-namespace=${OPERATOR_NAMESPACE}`,
  `--leader-elect-lease-duration=${LEASE_MS / 1000}s`,
  `--leader-elect-renew-deadline=${RENEW_MS / 1000}s`,
  `--leader-elect-retry-period=${RETRY_MS}ms`,
];
const ROUNDS = 5;

let cluster: OperatorCluster;
// The operators this file kill -9s take SQLite's lock file: ours alone, not the machine's (private-tmpdir.ts).
usePrivateTmpdir();
const work = mkdtempSync(join(tmpdir(), 'leader-election-'));
/** Every replica started, dead or alive (their logs are evidence). */
const replicas: OperatorProcess[] = [];
let leader: OperatorProcess;
let follower: OperatorProcess;
const measured: { kill: number[]; term: number[] } = { kill: [], term: [] };

const ACQUIRED = 'leader election: acquired the lease';

function identityOf(op: OperatorProcess): string {
  const starting = op.logs().find((l) => l.msg === 'starting');
  const id = (starting?.leaderElection as { identity?: string } | undefined)?.identity;
  assert.ok(id !== undefined, 'the starting line names the identity');
  return id;
}

function leaseSpec(): { holderIdentity?: string; leaseDurationSeconds?: number; leaseTransitions?: number; acquireTime?: string; renewTime?: string } {
  return (JSON.parse(cluster.cp.kubectl(['get', 'lease', LEASE, '-n', OPERATOR_NAMESPACE, '-o', 'json'])) as { spec: ReturnType<typeof leaseSpec> }).spec;
}

async function startReplica(): Promise<OperatorProcess> {
  const op = await startOperator({ kubeconfig: cluster.operatorKubeconfig, args: ARGS, env: { POD_NAME: `replica-${replicas.length}` } });
  replicas.push(op);
  return op;
}

/** When (by the log line's own time) a replica acquired the Lease. */
async function acquiredAt(op: OperatorProcess, timeoutMs = 20_000): Promise<number> {
  return Date.parse((await op.waitForLog((l) => l.msg === ACQUIRED, timeoutMs)).time);
}

function alive(op: OperatorProcess): boolean {
  return op.process.child.exitCode === null && op.process.child.signalCode === null;
}

function exited(op: OperatorProcess): Promise<number | null> {
  const child = op.process.child;
  if (!alive(op)) return Promise.resolve(child.exitCode);
  child.ref();
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** The last log lines of the replicas still running (for a failure's message). */
function recentLogs(): string {
  return replicas
    .map((op, i) => [op, i] as const)
    .filter(([op]) => alive(op))
    .map(([op, i]) => `--- replica ${i}\n${op.output().split('\n').slice(-40).join('\n')}`)
    .join('\n');
}

let created = 0;
/** An AtlasMigration on its own SQLite file; resolves once it is Ready and its apply is logged. */
async function createMigration(): Promise<string> {
  const name = `m${++created}`;
  const files = { [`1_${name}.sql`]: `CREATE TABLE ${name} (id int);\n` };
  const local = { ...files, 'atlas.sum': directoryFromEntries(Object.entries(files), 'x').computedSum().format() };
  const resource = { apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name, namespace: 'default' }, spec: { url: `sqlite://${join(work, `${name}.db`)}`, dir: { local } } };
  cluster.cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(resource) });
  try {
    await waitForMigration(cluster.cp, 'default', name, isReady, 60_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${recentLogs()}`);
  }
  const key = `default/${name}`;
  // The Ready status is written before the 'applied' line; a second apply would come later still.
  for (let i = 0; i < 100 && appliers(key).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  return key;
}

/** Which replicas logged an apply of `resource` (a second apply of the file would fail: CREATE TABLE of an existing table). */
function appliers(resource: string): number[] {
  return replicas.flatMap((op, i) => op.logs().filter((l) => l.msg === 'applied' && l.resource === resource).map(() => i));
}

function failures(): LogLine[] {
  return replicas.flatMap((op) => op.logs().filter((l) => l.msg === 'reconcile failed'));
}

async function waitFollowing(op: OperatorProcess): Promise<void> {
  await op.waitForLog((l) => l.msg === 'following: reconciles start when this replica acquires the lease', 30_000);
}

/** No replica lost the Lease by failing to renew (only the last test provokes that; under heavy load a 2 s renew deadline can pass). */
function assertNoLoss(): void {
  const lost = replicas.flatMap((op, i) => (op.logs().some((l) => l.msg === 'leader election: lost the lease') ? [i] : []));
  assert.deepEqual(lost, [], `replica(s) ${lost.join(', ')} lost the lease (renew deadline ${RENEW_MS} ms): the machine is too loaded for these timings\n${recentLogs()}`);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

before(async () => {
  cluster = await startOperatorCluster({ install: 'apply', operatorArgs: ARGS });
  replicas.push(cluster.operator);
});

after(async () => {
  for (const op of replicas) if (alive(op)) await op.stop();
  // LEADER_E2E_LOGS=<dir> keeps every replica's output.
  const keep = process.env.LEADER_E2E_LOGS;
  if (keep !== undefined) replicas.forEach((op, i) => writeFileSync(join(keep, `replica-${i}.log`), op.output()));
  await cluster?.cp.stop();
  rmSync(work, { recursive: true, force: true });
  if (measured.kill.length + measured.term.length > 0) {
    const text = (xs: number[]) => `median ${median(xs)} ms, min ${Math.min(...xs)}, max ${Math.max(...xs)} (${xs.join(', ')})`;
    console.log(`# takeover after kill -9 (lease ${LEASE_MS} ms, retry ${RETRY_MS} ms): ${text(measured.kill)}`);
    console.log(`# takeover after SIGTERM: ${text(measured.term)}`);
  }
});

describe('leader election (two operator processes, one Lease)', () => {
  it('one replica leads and applies; the other follows, is ready, and applies nothing', async () => {
    const first = cluster.operator;
    assertNoLoss();
    await acquiredAt(first);
    const second = await startReplica();
    await waitFollowing(second);
    [leader, follower] = [first, second];
    const spec = leaseSpec();
    assert.equal(spec.holderIdentity, identityOf(leader));
    assert.match(spec.holderIdentity ?? '', /_[0-9a-f-]{36}$/);
    assert.match(identityOf(follower), /^replica-1_[0-9a-f-]{36}$/);
    assert.equal(spec.leaseDurationSeconds, LEASE_MS / 1000);
    assert.match(spec.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime');
    const observed = follower.logs().find((l) => l.msg === 'leader election: new leader observed');
    assert.equal(observed?.leader, identityOf(leader));
    assert.equal((await follower.get('/readyz')).status, 200, 'a follower is ready');
    const resource = await createMigration();
    assert.deepEqual(appliers(resource), [0]);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(follower.logs().filter((l) => l.msg === 'applied' || l.msg === 'applying').length, 0, 'the follower applies nothing');
    assert.match((await leader.get('/metrics')).body, /^atlas_migrator_leader 1$/m);
    assert.match((await follower.get('/metrics')).body, /^atlas_migrator_leader 0$/m);
    assertNoLoss();
  });

  it(`kill -9 of the leader: the follower takes over within lease duration + retry period (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      assertNoLoss();
      const transitions = leaseSpec().leaseTransitions ?? 0;
      const killedAt = Date.now();
      leader.process.child.kill('SIGKILL');
      const took = (await acquiredAt(follower)) - killedAt;
      measured.kill.push(took);
      assert.equal(leaseSpec().holderIdentity, identityOf(follower));
      assert.equal(leaseSpec().leaseTransitions, transitions + 1);
      // At most: the last renewal seen a retry period late, valid a lease duration, taken on the next retry.
      assert.ok(took <= LEASE_MS + 2 * RETRY_MS + 500, `round ${round + 1}: taken over ${took} ms after kill -9`);
      await follower.waitForLog((l) => l.msg === 'leading: reconciles start');
      leader = follower;
      if (round === 0) {
        const resource = await createMigration();
        assert.deepEqual(appliers(resource), [replicas.indexOf(leader)], 'applied once, by the new leader');
      }
      follower = await startReplica();
      await waitFollowing(follower);
    }
    assert.ok(median(measured.kill) <= LEASE_MS + RETRY_MS, `median ${median(measured.kill)} ms`);
    assert.deepEqual(failures(), []);
  });

  it(`SIGTERM of the leader: it releases the Lease and the follower takes over within about a second (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      assertNoLoss();
      const stoppedAt = Date.now();
      const old = leader;
      const code = await old.stop();
      const took = (await acquiredAt(follower)) - stoppedAt;
      measured.term.push(took);
      assert.equal(code, 0);
      assert.ok(old.logs().some((l) => l.msg === 'leader election: released the lease'));
      assert.ok(!old.logs().some((l) => l.msg === 'leader election: lost the lease'), 'a release is not a loss');
      assert.ok(took <= 2000, `round ${round + 1}: taken over ${took} ms after SIGTERM`);
      assert.equal(leaseSpec().holderIdentity, identityOf(follower));
      leader = follower;
      await leader.waitForLog((l) => l.msg === 'leading: reconciles start');
      if (round === 0) {
        const resource = await createMigration();
        assert.deepEqual(appliers(resource), [replicas.indexOf(leader)], 'applied once, by the new leader');
      }
      follower = await startReplica();
      await waitFollowing(follower);
    }
    assert.deepEqual(failures(), []);
  });

  it('a leader that cannot renew within the renew deadline stops leading and exits 1; a follower takes over', async () => {
    const old = leader;
    const code = exited(old);
    // Longer than the renew deadline: the leader cannot renew; it gives up, drains and exits.
    await cluster.cp.restartApiServer(RENEW_MS + 2000);
    assert.equal(await code, 1);
    assert.ok(old.logs().some((l) => l.msg === 'leader election: lost the lease'));
    assert.ok(old.logs().some((l) => l.msg === 'leadership lost: no reconcile starts; running migrations stop between statements; exiting'));
    assert.ok(!old.logs().some((l) => l.msg === 'leader election: released the lease'), 'a lost lease is not written');
    await acquiredAt(follower, 30_000);
    leader = follower;
    await leader.waitForLog((l) => l.msg === 'leading: reconciles start');
    const resource = await createMigration();
    assert.deepEqual(appliers(resource), [replicas.indexOf(leader)]);
    // Every migration ever created was applied exactly once, over all the replicas.
    for (let i = 1; i <= created; i++) assert.equal(appliers(`default/m${i}`).length, 1, `m${i}`);
  });
});

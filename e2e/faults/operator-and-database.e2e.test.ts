/**
 * Faults around a running migration, on one control plane with real
 * PostgreSQL 15 and MySQL 8 servers; the cases run side by side (each has
 * its own operator process, namespace and databases):
 *
 * 1. kill -9 of the operator at random points of a multi-file,
 *    multi-statement migration (≥ 20 kills landing mid-run per server; each
 *    kill interrupts four runs: two PostgreSQL databases, two MySQL servers),
 *    restart, Ready; exactly-once where Atlas promises it, and exactly
 *    Atlas's re-execution rule where it does not (MySQL DDL): see
 *    checkKillPoint / checkFinal in harness.ts and the note below.
 * 2. Two replicas with leader election: kill -9 of the leader mid-migration,
 *    the follower takes over and finishes, exactly once (5 trials).
 * 5. The database stopped for 30 s with a migration pending: attempts with
 *    growing delays, then applied once it is back.
 * 6. Three AtlasMigrations with one directory on one database, two in one
 *    operator and one in another: all Ready, each file applied once.
 * 7. The ConfigMap gains a file while its migration runs: the run finishes
 *    its plan, then the new file is applied; nothing twice.
 *
 * What Atlas guarantees when a run dies (atlas-compat.md §4.4, §5.5), and
 * so what is asserted:
 * - PostgreSQL, txmode file: a file's statements and its revision row
 *   commit together. A kill leaves each file all applied and recorded or
 *   not at all: every statement runs exactly once.
 * - MySQL, txmode file: the file's transaction ends at its first DDL
 *   (implicit commit); from there each statement commits by itself and its
 *   revision write follows. A kill between the two leaves the statement
 *   run but unrecorded, and the next run resumes at it: it runs again.
 *   So each statement runs at least once, and more only for that reason:
 *   at any kill at most one statement is run-but-unrecorded, always the
 *   resume point, and its final count is one more than at that kill; a
 *   recorded statement never runs again. (Hence idempotent DDL here, as a
 *   real MySQL migration needs to survive a crash under Atlas.) A MySQL
 *   file without DDL is one transaction: exactly once.
 * - MySQL, killed after a file's last statement was recorded and before
 *   the final revision write: the row is complete (applied == total) and
 *   keeps its partial_hashes; neither Atlas nor the operator ever writes a
 *   complete file's row again. Allowed only when a kill point shows it.
 *
 * Kill delays come from a seeded PRNG (seed printed; FAULTS_SEED=<n>
 * replays the same delays, though not the same machine timing).
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
  checkKillPoint,
  concatMigrations,
  CONFIGMAPS,
  createNamespace,
  delay,
  eventually,
  freshDatabase,
  ledgerMigration,
  MIGRATIONS,
  migrationObject,
  prng,
  readyAt,
  seedFor,
  snapshot,
  startWatchedOperator,
  waitForMigration,
  type FaultDatabase,
  type KillPoint,
  type LedgerMigration,
  type Operator,
  type Snapshot,
} from './harness';
import type { Api } from '../controlplane/api-client';

usePrivateTmpdir();

const SEED = seedFor('operator-and-database');
/** Mid-run kills wanted per server (FAULTS_KILLS=<n> for a quicker local run), and the most trials tried to get them. */
const KILLS_PER_SERVER = Number(process.env.FAULTS_KILLS ?? 20);
const MAX_TRIALS = 30;
const LEADER_TRIALS = 5;
const LEASE_S = 5;
const OUTAGE_MS = 30_000;

const NS = { kill: 'faults-kill', leader: 'faults-leader', outage: 'faults-outage', shared: 'faults-shared', shared2: 'faults-shared-2', edited: 'faults-edited' } as const;

let cp: ControlPlane;
let api: Api;
let servers: TestServers;
/**
 * A second PostgreSQL 15 (stopped 30 s by the outage case) and a second
 * MySQL 8: Atlas's MySQL lock is server-wide, so two migrations run at once
 * on MySQL only on two servers.
 */
let extra: TestServers;
let kubeconfig: string;
let misc: Operator;
const operators: Operator[] = [];
const started = Date.now();

async function operatorFor(args: readonly string[], env?: Record<string, string>): Promise<Operator> {
  const op = await startWatchedOperator(kubeconfig, args, env);
  operators.push(op);
  return op;
}

before(async () => {
  const [plane, dbs, more] = await Promise.all([startControlPlane(), startTestServers(['postgres', 'mysql8']), startTestServers(['postgres', 'mysql8'])]);
  [cp, servers, extra] = [plane, dbs, more];
  api = apiFor(cp);
  cp.kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'crd.k8s.yaml')]);
  cp.kubectl(['apply', '--server-side', '-f', join(ROOT, 'manifests', 'synth', 'operator.k8s.yaml')]);
  cp.kubectl(['wait', '--for=condition=Established', 'crd/atlasmigrations.db.atlasgo.io', '--timeout=60s']);
  for (const ns of Object.values(NS)) await createNamespace(api, ns);
  kubeconfig = cp.kubeconfigFor(OPERATOR_NAMESPACE, OPERATOR_ACCOUNT);
  // One operator for the outage, the shared database and the edited ConfigMap (each in its namespace).
  misc = await operatorFor([`--namespace=${NS.outage},${NS.shared},${NS.edited}`, '--backoff-base=500ms', '--backoff-max=4s']);
});

after(async () => {
  for (const op of operators) await op.stop().catch(() => undefined);
  await cp?.stop();
  await servers?.stop();
  await extra?.stop();
  console.log(`# operator-and-database: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
});

async function createMigration(namespace: string, name: string, db: FaultDatabase, dir: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<void> {
  await api.must('POST', MIGRATIONS(namespace), migrationObject(namespace, name, { url: db.url, dir, ...extra }));
}

async function deleteMigration(namespace: string, name: string): Promise<void> {
  const r = await api.call('DELETE', MIGRATIONS(namespace, name));
  assert.ok(r.status === 200 || r.status === 404, `delete ${namespace}/${name}: ${r.status}`);
}

/** One AtlasMigration per database of a trial. */
interface Run {
  readonly server: 'postgres' | 'mysql8';
  readonly db: FaultDatabase;
  readonly name: string;
  readonly migration: LedgerMigration;
  readonly kills: Snapshot[];
  readonly points: KillPoint[];
  /** Run time without a kill (applying → applied). */
  durationMs?: number;
}

function killRate(points: readonly KillPoint[]): string {
  const mid = points.filter(midRun);
  const mapped = mid.map((p) => `${p.filesDone}f/${p.statementsRecorded}s${p.orphans.length > 0 ? '*' : ''}`);
  return `${mid.length} mid-run of ${points.length}: ${mapped.join(' ')}`;
}

/** A kill that found the migration started (it had logged `applying`) and not complete. */
function midRun(p: KillPoint): boolean {
  return p.statementsRecorded < p.statementsTotal;
}

function logTime(l: LogLine): number {
  return Date.parse(l.time);
}

describe('faults around a running migration', { concurrency: true }, () => {
  it(`kill -9 of the operator at random points (≥ ${KILLS_PER_SERVER} kills mid-run per server, each interrupting two runs on PostgreSQL 15 and two on MySQL 8)`, async () => {
    const random = prng(SEED ^ 0x6b696c6c);
    const args = [`--namespace=${NS.kill}`, '--backoff-base=200ms', '--backoff-max=1s', '--resync-period=10m'];
    let op = await operatorFor(args);
    const migrations = { postgres: ledgerMigration('postgres', { files: 4, sleepMs: 40 }), mysql8: ledgerMigration('mysql', { files: 4, sleepMs: 40 }) };
    const points = { postgres: [] as KillPoint[], mysql8: [] as KillPoint[] };
    /** Kills of the operator that interrupted at least one run on the server mid-run. */
    const killsMidRun = { postgres: 0, mysql8: 0 };
    let repeats = 0;
    let counted = 0;
    let restarts = 0;
    let leftovers = 0;
    let runMs = 0;
    /** Each target's run time without a kill (trial 0). */
    let durations: number[] = [];
    let baseline = '';
    // Where the time goes (printed): the restarts dominate.
    const phases: Record<string, number> = { setup: 0, begin: 0, delay: 0, snapshot: 0, restart: 0, ready: 0 };
    let mark = Date.now();
    const phase = (name: string): void => {
      phases[name] = (phases[name] ?? 0) + Date.now() - mark;
      mark = Date.now();
    };
    // Each kill hits four runs: two PostgreSQL databases on one server, two MySQL servers.
    const targets = [
      ['postgres', servers],
      ['postgres', servers],
      ['mysql8', servers],
      ['mysql8', extra],
    ] as const;
    // A trial's databases are created while the trial before it runs, and dropped in the background.
    const createDatabases = (): Promise<FaultDatabase[]> => Promise.all(targets.map(([server, on]) => freshDatabase(on.server(server), server === 'postgres' ? 'postgres' : 'mysql', 'kill')));
    let next = createDatabases();
    const cleanups: Promise<void>[] = [];
    for (let trial = 0; trial <= MAX_TRIALS; trial++) {
      const enough = Object.values(killsMidRun).every((n) => n >= KILLS_PER_SERVER);
      if (enough) break;
      assert.ok(trial < MAX_TRIALS, `fewer than ${KILLS_PER_SERVER} kills mid-run per server in ${MAX_TRIALS} trials: ${JSON.stringify(killsMidRun)}; postgres ${killRate(points.postgres)}; mysql8 ${killRate(points.mysql8)}`);
      const dbs = await next;
      next = createDatabases();
      const runs: Run[] = targets.map(([server], i) => ({
        server,
        db: dbs[i] as FaultDatabase,
        name: `t${trial}-${i}-${server}`,
        migration: migrations[server],
        kills: [],
        points: [],
      }));
      for (const r of runs) await createMigration(NS.kill, r.name, r.db, { local: r.migration.data });
      phase('setup');
      // Trial 0 runs without a kill: it is the baseline and measures how long a run takes.
      const kills = trial === 0 ? 0 : 1 + Math.floor(random() * 2);
      for (let k = 0; k < kills; k++) {
        // A run the last kill found complete has nothing left to interrupt.
        const unfinished = runs.filter((r) => r.points.every(midRun));
        if (unfinished.length === 0) break;
        const begun = await Promise.all(unfinished.map((r) => op.waitLine(applyingLine(`${NS.kill}/${r.name}`), 60_000, `'applying' of ${r.name}`)));
        // The random kill point: from the moment every run has begun to the earliest usual end of one
        // (each run's time without a kill, from trial 0); a resumed run has less left: half the shortest run.
        const latest = Math.max(...begun.map(logTime));
        const end = k === 0 ? Math.min(...unfinished.map((r, i) => logTime(begun[i] as LogLine) + (durations[runs.indexOf(r)] ?? 0))) : latest + runMs / 2;
        const wait = Math.floor(random() * Math.max(100, end - latest));
        phase('begin');
        await delay(Math.max(0, wait - (Date.now() - latest)));
        await op.kill9();
        phase('delay');
        // Once the killed sessions have ended (a statement in flight finishes or rolls back first), before any restart.
        const taken = await Promise.all(
          unfinished.map(async (r) => {
            await r.db.idle();
            return snapshot(r.db);
          }),
        );
        unfinished.forEach((r, i) => {
          const s = taken[i] as Snapshot;
          const point = checkKillPoint(r.migration, s, r.kills);
          r.kills.push(s);
          r.points.push(point);
          points[r.server].push(point);
        });
        for (const r of unfinished.filter((x, i) => midRun(x.points.at(-1) as KillPoint) && unfinished.findIndex((y) => y.server === x.server && midRun(y.points.at(-1) as KillPoint)) === i)) killsMidRun[r.server]++;
        phase('snapshot');
        op = await operatorFor(args);
        restarts++;
        phase('restart');
      }
      for (const r of runs) {
        await waitForMigration(api, NS.kill, r.name, readyAt(r.migration.target), 60_000);
        const result = await checkFinal(r.db, r.migration, r.kills);
        counted += result.counted;
        repeats += result.repeats;
        leftovers += result.leftovers;
        if (trial === 0) {
          const [a, b] = [await op.waitLine(applyingLine(`${NS.kill}/${r.name}`), 1000), await op.waitLine(appliedLine(`${NS.kill}/${r.name}`), 5000)];
          r.durationMs = logTime(b) - logTime(a);
          assert.equal(result.repeats, 0, 'no kill, no statement twice');
        }
      }
      // The shortest run's time: every first kill lands inside every run; later parts of the longer runs get the second kills.
      if (trial === 0) {
        runMs = Math.min(...runs.map((r) => r.durationMs ?? 0));
        durations = runs.map((r) => r.durationMs ?? 0);
        baseline = runs.map((r) => `${r.server} ${r.durationMs ?? 0} ms`).join(', ');
      }
      phase('ready');
      cleanups.push(
        ...runs.map(async (r) => {
          await deleteMigration(NS.kill, r.name);
          await r.db.drop();
        }),
      );
    }
    await Promise.all([...cleanups, next.then((dbs) => Promise.all(dbs.map((db) => db.drop())))]);
    console.log(`# kill -9 time (ms): ${Object.entries(phases).map(([n, ms]) => `${n} ${ms}`).join(', ')}`);
    const orphans = points.mysql8.filter((p) => p.orphans.length > 0).length;
    console.log(`# kill -9: runs without a kill ${baseline}; first kills within the runs' overlap, second kills within ${runMs / 2} ms; ${restarts} restarts; ${counted} counted statements checked, ${repeats} re-executions (all MySQL, each predicted by a kill point); ${leftovers} complete files kept partial_hashes (killed between the last statement's revision write and the final one)`);
    console.log(`# kills that interrupted a run mid-run: ${JSON.stringify(killsMidRun)}; runs interrupted (files done / statements recorded; * = a statement run but unrecorded at the kill) postgres: ${killRate(points.postgres)}`);
    console.log(`# mysql8: ${killRate(points.mysql8)}; ${orphans} kills left a statement run-but-unrecorded`);
    assert.ok(points.postgres.every((p) => p.orphans.length === 0), 'PostgreSQL never has a statement run without its revision');
  });

  it(
    `two replicas with leader election: kill -9 of the leader mid-migration, the follower finishes (${LEADER_TRIALS} trials, PostgreSQL 15)`,
    async () => {
      const random = prng(SEED ^ 0x6c656164);
      const args = [
        `--namespace=${NS.leader}`,
        '--leader-elect',
        `--leader-election-namespace=${OPERATOR_NAMESPACE}`,
        '--leader-election-id=faults-leader',
        // Longer than leader-election.e2e.test.ts (3 s / 2 s): this file runs five cases at once on two cores.
        `--leader-elect-lease-duration=${LEASE_S}s`,
        '--leader-elect-renew-deadline=4s',
        '--leader-elect-retry-period=1s',
        '--backoff-base=200ms',
        '--backoff-max=1s',
      ];
      let replica = 0;
      /** Replicas started and not (yet) seen to exit; two at every kill. */
      let replicas: Operator[] = [];
      const start = async (): Promise<Operator> => {
        const op = await operatorFor(args, { POD_NAME: `faults-replica-${replica++}` });
        replicas.push(op);
        return op;
      };
      const acquired = (l: LogLine): boolean => l.msg === 'leader election: acquired the lease';
      /** The first of `ops` to log a matching line. */
      const firstOf = (ops: readonly Operator[], match: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<{ op: Operator; line: LogLine }> =>
        Promise.any(ops.map((op) => op.waitLine(match, timeoutMs, what).then((line) => ({ op, line })))).catch(() => {
          throw new Error(`no replica logged ${what} within ${timeoutMs} ms:\n${ops.map((o) => o.op.output().slice(-1500)).join('\n---\n')}`);
        });
      await Promise.all([start(), start()]);
      const migration = ledgerMigration('postgres', { files: 4, sleepMs: 60 });
      const sleeps = 4 * 3 * 60;
      const takeovers: number[] = [];
      const kinds: string[] = [];
      let selfExits = 0;
      for (let trial = 0; trial < LEADER_TRIALS; trial++) {
        // A replica that lost its lease on its own (a renewal slower than the renew deadline on a loaded machine) exits by design: replace it.
        const gone = replicas.filter((r) => !r.alive());
        selfExits += gone.length;
        replicas = replicas.filter((r) => r.alive());
        while (replicas.length < 2) await start();
        const db = await freshDatabase(servers.server('postgres'), 'postgres', 'leader');
        const name = `l${trial}`;
        await createMigration(NS.leader, name, db, { local: migration.data });
        const { op: leader, line: begun } = await firstOf(replicas, applyingLine(`${NS.leader}/${name}`), 40_000, `'applying' of ${name}`);
        // A random point before the run's sleeps alone (twelve 60 ms inserts) are over: always mid-run.
        await delay(Math.max(0, Math.floor(random() * sleeps) - (Date.now() - logTime(begun))));
        await leader.kill9();
        const killedAt = Date.now();
        replicas = replicas.filter((r) => r !== leader);
        await db.idle();
        const s = await snapshot(db);
        const point = checkKillPoint(migration, s, []);
        kinds.push(`${point.filesDone}f/${point.statementsRecorded}s`);
        assert.ok(midRun(point), `the kill landed mid-run: ${kinds.join(' ')}`);
        const followers = replicas.filter((r) => r.alive() && !r.lines().some(acquired));
        const { op: next, line: took } = await firstOf(followers, acquired, 30_000, 'a lease acquisition');
        takeovers.push(logTime(took) - killedAt);
        // The next trial's follower (started after the takeover, so it cannot be the one taking over).
        const replacement = start();
        await waitForMigration(api, NS.leader, name, readyAt(migration.target), 40_000);
        await checkFinal(db, migration, [s]);
        const done = await next.waitLine(appliedLine(`${NS.leader}/${name}`), 5000, `'applied' of ${name} by the new leader`);
        assert.ok(logTime(done) >= logTime(took), 'the new leader applied the rest after taking over');
        await deleteMigration(NS.leader, name);
        await db.drop();
        await replacement;
      }
      console.log(`# leader election: kill points ${kinds.join(' ')}; takeover after kill -9 ${takeovers.join(', ')} ms (lease ${LEASE_S} s); ${selfExits} replicas lost the lease on their own`);
    },
  );

  it(`the database stopped ${OUTAGE_MS / 1000} s with a migration pending: attempts with growing delays, then applied once`, async () => {
    const op = misc;
    const server = extra.server('postgres');
    const db = await freshDatabase(server, 'postgres', 'outage');
    const migration = ledgerMigration('postgres', { files: 2, sleepMs: 10 });
    await server.halt();
    const downAt = Date.now();
    let resumed = false;
    try {
      await createMigration(NS.outage, 'outage', db, { local: migration.data });
      const resource = `${NS.outage}/outage`;
      const failures = (): LogLine[] => op.lines().filter((l) => l.msg === 'reconcile failed' && l.resource === resource);
      await eventually('three failed attempts (Connecting)', () => failures().length >= 3, 20_000);
      const m = await waitForMigration(api, NS.outage, 'outage', (x) => (x.status?.failed ?? 0) >= 3, 10_000);
      assert.equal(m.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'Connecting');
      // The outage's length is the fault itself, not a synchronisation.
      await delay(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
      const during = failures();
      assert.ok(during.every((l) => l.reason === 'Connecting'), during.map((l) => String(l.reason)).join(', '));
      const gaps = during.slice(1).map((l, i) => logTime(l) - logTime(during[i] as LogLine));
      // Delays of 0.5 s doubling to 4 s (±10 %), each plus the attempt and its status write: growing, then capped;
      // neither a tight loop nor a stall.
      assert.ok(during.length >= 6 && during.length <= 15, `attempts during the outage: ${during.length}; delays ${gaps.join(', ')} ms`);
      const last = gaps.slice(-3);
      assert.ok(Math.min(...last) >= 3_400 && (gaps[0] as number) < Math.min(...last) / 1.5, `delays grow to the 4 s cap: ${gaps.join(', ')} ms`);
      assert.ok(gaps.every((g) => g <= 4_400 + 1_500), `delays capped at 4 s: ${gaps.join(', ')} ms`);
      await server.resume();
      resumed = true;
      const back = Date.now();
      await waitForMigration(api, NS.outage, 'outage', readyAt(migration.target), 15_000);
      const readyAfter = Date.now() - back;
      assert.ok(readyAfter < 4_000 * 1.1 + 3_000, `Ready within the capped delay of the database's return: ${readyAfter} ms`);
      await checkFinal(db, migration, []);
      console.log(`# outage: ${during.length} attempts in ${OUTAGE_MS / 1000} s, delays ${gaps.join(', ')} ms; Ready ${readyAfter} ms after the database was back`);
    } finally {
      if (!resumed) await server.resume();
      await db.drop();
    }
  });

  it('three AtlasMigrations, one directory, one database, two operators: all Ready, each file applied once', async () => {
    const [mine, other] = [misc, await operatorFor([`--namespace=${NS.shared2}`])];
    const db = await freshDatabase(servers.server('postgres'), 'postgres', 'shared');
    const migration = ledgerMigration('postgres', { files: 3, sleepMs: 100 });
    const names: [string, string][] = [
      [NS.shared, 'shared-a'],
      [NS.shared, 'shared-b'],
      [NS.shared2, 'shared-c'],
    ];
    await Promise.all(names.map(([ns, name]) => createMigration(ns, name, db, { local: migration.data })));
    for (const [ns, name] of names) await waitForMigration(api, ns, name, readyAt(migration.target), 60_000);
    await checkFinal(db, migration, []);
    const applied = [...mine.lines(), ...other.lines()].filter((l) => l.msg === 'applied' && names.some(([ns, n]) => l.resource === `${ns}/${n}`));
    assert.deepEqual(applied.map((l) => l.files), [3], `one run applied the three files, the others found nothing pending: ${JSON.stringify(applied)}`);
    for (const [ns, name] of names) await deleteMigration(ns, name);
    await db.drop();
  });

  it('a ConfigMap gains a file while its migration runs: the run finishes its plan, then the new file is applied; nothing twice', async () => {
    const ns = NS.edited;
    const op = misc;
    const db = await freshDatabase(servers.server('postgres'), 'postgres', 'edited');
    const old = ledgerMigration('postgres', { files: 3, sleepMs: 300 });
    const added = ledgerMigration('postgres', { files: 1, sleepMs: 10, from: 4 });
    const all = concatMigrations(old, added);
    const configMap = (data: Readonly<Record<string, string>>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'migrations', namespace: ns }, data });
    await api.must('POST', CONFIGMAPS(ns), configMap(old.data));
    await createMigration(ns, 'edited', db, { configMapRef: { name: 'migrations' } });
    const resource = `${ns}/edited`;
    // The run has its plan (three files, under the lock) and is about to execute it: the edit comes now.
    await op.waitLine(applyingLine(resource), 30_000);
    await api.must('PUT', CONFIGMAPS(ns, 'migrations'), configMap(all.data));
    const atEdit = await snapshot(db);
    const doneAtEdit = [...atEdit.revisions.values()].filter((r) => r.applied === r.total).length;
    assert.ok(doneAtEdit < 3, `the edit came while the run was running (${doneAtEdit} of 3 files applied)`);
    await waitForMigration(api, ns, 'edited', readyAt(all.target), 30_000);
    await checkFinal(db, all, []);
    const applied = op.lines().filter(appliedLine(resource));
    assert.deepEqual(
      applied.map((l) => [l.files, l.version]),
      [
        [3, old.target],
        [1, all.target],
      ],
      'the running run applied its three files, the next one the added file',
    );
    const order = await db.query<{ file: number }>('SELECT file FROM ledger ORDER BY id');
    assert.deepEqual(order.map((r) => Number(r.file)), [...order.map((r) => Number(r.file))].sort((a, b) => a - b), 'the added file ran after the others');
    await deleteMigration(ns, 'edited');
    await db.drop();
  });
});

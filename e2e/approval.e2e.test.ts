/**
 * The approval gate end to end: the real operator (a process with its
 * ServiceAccount's token) on a real control plane, real PostgreSQL 15 and
 * MySQL 8 servers, and the CLI as users run it (`migrate lint` for the plan
 * hash, `approve` and `wait` as processes with the admin kubeconfig). Each
 * test has its own namespace and a fresh database, and deletes its
 * resources when done (a held resource re-plans on every resync).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { programArgs } from './operator-command';
import { APPROVAL_ANNOTATION } from '../operator/api/approval';
import { runCaptured } from '../operator/cli/run-captured';
import { LOCK_NAME } from '../operator/migrate/apply';
import { openDriver } from '../operator/migrate/dialects/registry';
import type { DialectName } from '../operator/migrate/dialects/syntax';
import { startTestServers, TARGET_DIALECT, type TestDatabase, type TestServers } from './databases/targets';
import { applyConfigMap, createSecret, migrationsFolder } from './migration-scenarios';
import { controlPlaneApi } from './controlplane/api-client';
import { condition, failedWith, getMigration, isReady, ROOT, startOperatorCluster, waitForMigration, type MigrationObject, type OperatorCluster } from './operator-cluster';

const TARGETS = ['postgres', 'mysql8'] as const;
type Target = (typeof TARGETS)[number];
const RESYNC_MS = 1000;
const NAME = 'app';

const V1 = '20240101000000';
const V2 = '20240102000000';
const BASE = {
  [`${V1}_init.sql`]: 'CREATE TABLE users (\n  id int NOT NULL,\n  nickname varchar(50) NULL,\n  PRIMARY KEY (id)\n);\nCREATE TABLE legacy (id int NOT NULL, PRIMARY KEY (id));\n',
};
/** Destructive: DS103 (L2) and DS102 (L5), plus MF103 (L3), which is not in the default destructive set. */
const DROP_FILE = `${V2}_retire_legacy.sql`;
const DROP = {
  [DROP_FILE]: '-- retire the legacy table\nALTER TABLE users DROP COLUMN nickname;\nALTER TABLE users ADD COLUMN email varchar(255) NOT NULL;\n\nDROP TABLE legacy;\n',
};
const HARMLESS = { [`${V2}_tags.sql`]: 'CREATE TABLE tags (id int NOT NULL, PRIMARY KEY (id));\n' };

let cluster: OperatorCluster;
let servers: TestServers;
const databases: TestDatabase[] = [];
/** Each namespace's AtlasMigrations as last seen before deletion (the secrets test reads them). */
const statuses: string[] = [];

before(async () => {
  [cluster, servers] = await Promise.all([
    startOperatorCluster({ install: 'apply', operatorArgs: ['--backoff-base=300ms', '--backoff-max=3s', `--resync-period=${RESYNC_MS}ms`] }),
    startTestServers(TARGETS),
  ]);
});

after(async () => {
  for (const db of databases) await db.close();
  await cluster?.stop();
  await servers?.stop();
});

// ---------------------------------------------------------------- helpers

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from spawn to exit. */
  readonly ms: number;
}

/** The program as a process, as a person or an init container runs it; `whileRunning` acts meanwhile. */
async function cli(args: readonly string[], whileRunning?: (stdout: () => string) => Promise<void>): Promise<CliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, programArgs([...args, '--kubeconfig', cluster.cp.adminKubeconfig]), {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  try {
    if (whileRunning !== undefined) await whileRunning(() => stdout);
    return { code: await exited, stdout, stderr, ms: Date.now() - started };
  } finally {
    clearTimeout(guard);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Polls `check` until it holds (conditions, never fixed sleeps). */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `Plan hash:` as `migrate lint` prints it for the files after `currentVersion` (all files without it). */
async function lintPlanHash(dir: string, dialect: DialectName, currentVersion?: string): Promise<string> {
  const r = await runCaptured(['migrate', 'lint', '--dir', `file://${dir}`, '--dialect', dialect, ...(currentVersion === undefined ? [] : ['--current-version', currentVersion])]);
  const hash = /^Plan hash: ([0-9a-f]{64})$/m.exec(r.out)?.[1];
  assert.ok(hash !== undefined, `no plan hash in:\n${r.out}${r.err}`);
  return hash;
}

interface Scenario {
  readonly ns: string;
  readonly db: TestDatabase;
  readonly dialect: DialectName;
}

let sequence = 0;

function migrationResource(ns: string, opts: { policy?: string; annotation?: string; secret?: string; name?: string; lockTimeout?: string }): Record<string, unknown> {
  return {
    apiVersion: 'db.atlasgo.io/v1alpha1',
    kind: 'AtlasMigration',
    metadata: { name: opts.name ?? NAME, namespace: ns, ...(opts.annotation === undefined ? {} : { annotations: { [APPROVAL_ANNOTATION]: opts.annotation } }) },
    spec: {
      urlFrom: { secretKeyRef: { name: opts.secret ?? 'mysql-credentials', key: 'url' } },
      dir: { configMapRef: { name: 'migrations' } },
      ...(opts.lockTimeout === undefined ? {} : { lockTimeout: opts.lockTimeout }),
      ...(opts.policy === undefined ? {} : { approval: { policy: opts.policy } }),
    },
  };
}

function kubectlApply(object: unknown): void {
  cluster.cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(object) });
}

/**
 * A namespace, a fresh database behind the `mysql-credentials` Secret, the
 * `migrations` ConfigMap with `files`, and the AtlasMigration `app` with
 * `policy`; then `body`; then the resource is deleted (never its database).
 */
async function withScenario(target: Target, opts: { policy: string; files?: Record<string, string>; lockTimeout?: string }, body: (s: Scenario) => Promise<void>): Promise<void> {
  const ns = `approval-${++sequence}-${target}`;
  const db = await servers.fresh(target);
  databases.push(db);
  const cp = cluster.cp;
  cp.kubectl(['create', 'namespace', ns]);
  createSecret(cp, ns, db.url);
  applyConfigMap(cp, ns, await migrationsFolder(opts.files ?? BASE));
  kubectlApply(migrationResource(ns, opts));
  try {
    await body({ ns, db, dialect: TARGET_DIALECT[target] });
  } finally {
    statuses.push(cp.kubectl(['get', 'atlasmigrations', '-n', ns, '-o', 'json']));
    cp.kubectl(['delete', 'atlasmigrations', '--all', '-n', ns, '--wait=false']);
  }
}

function readyAt(version: string): (m: MigrationObject) => boolean {
  return (m) => isReady(m) && m.status?.lastAppliedVersion === version;
}

interface KubeEvent {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly involvedObject: { readonly name: string; readonly kind: string };
}

async function events(ns: string, reason: string): Promise<KubeEvent[]> {
  // A GET, not a kubectl process: until() polls this every 100 ms.
  const list = await controlPlaneApi(cluster.cp).must<{ items: KubeEvent[] }>('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`reason=${reason}`)}`);
  return list.items;
}

/** The operator's log lines for one resource with this message. */
function logLines(ns: string, msg: string, name = NAME): number {
  return cluster.operator.logs().filter((l) => l.msg === msg && l.resource === `${ns}/${name}`).length;
}

const TABLES_SQL: Readonly<Record<string, string>> = {
  postgres: "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
  mysql: 'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
};

async function tables(s: Scenario): Promise<string[]> {
  return (await s.db.query<{ name: string }>(TABLES_SQL[s.dialect] as string)).map((r) => r.name).sort();
}

async function revisions(s: Scenario): Promise<string[]> {
  return (await s.db.query<{ version: string }>('SELECT version FROM atlas_schema_revisions ORDER BY version')).map((r) => r.version);
}

/**
 * Takes Atlas's migration lock on the database, as a second migrator would:
 * proof that nobody (the operator included) holds it. Returns the release.
 */
async function takeMigrationLock(s: Scenario, timeoutMs: number): Promise<() => Promise<void>> {
  const driver = openDriver(s.db.url);
  try {
    const unlock = await driver.lock(LOCK_NAME, timeoutMs);
    return async () => {
      await unlock();
      await driver.close();
    };
  } catch (e) {
    await driver.close();
    throw e;
  }
}

/** BASE applied, then the destructive file added: waits for the hold and returns it. */
async function holdDestructivePlan(s: Scenario): Promise<{ held: MigrationObject; dir: string }> {
  const cp = cluster.cp;
  await waitForMigration(cp, s.ns, NAME, readyAt(V1));
  const dir = await migrationsFolder({ ...BASE, ...DROP });
  applyConfigMap(cp, s.ns, dir);
  const held = await waitForMigration(cp, s.ns, NAME, failedWith('ApprovalPending'));
  return { held, dir };
}

/** kubectl's view of the three conditions: [status, reason] each. */
function conditionTriple(m: MigrationObject): string[] {
  return ['Ready', 'Reconciling', 'Stalled'].map((t) => `${t}=${condition(m, t)?.status}/${condition(m, t)?.reason}`);
}

// ---------------------------------------------------------------- tests

for (const target of TARGETS) {
  describe(`${target}: the approval gate with the real operator`, () => {
    it('policy Destructive: harmless files (CREATE TABLE) apply without approval; status.plan is cleared', () =>
      withScenario(target, { policy: 'Destructive' }, async (s) => {
        const cp = cluster.cp;
        const first = await waitForMigration(cp, s.ns, NAME, readyAt(V1));
        assert.equal(first.status?.plan, undefined);
        applyConfigMap(cp, s.ns, await migrationsFolder({ ...BASE, ...HARMLESS }));
        const m = await waitForMigration(cp, s.ns, NAME, readyAt(V2));
        assert.equal(condition(m, 'Ready')?.message, `Applied 1 migration, now at ${V2}`);
        assert.equal(m.status?.plan, undefined, 'status.plan cleared once Ready');
        assert.deepEqual(await revisions(s), [V1, V2]);
        assert.ok((await tables(s)).includes('tags'));
        assert.deepEqual(await events(s.ns, 'ApprovalPending'), []);
      }));

    it('a destructive file is held: ApprovalPending, the plan and hash lint prints, one Warning event, the database untouched, still held after resyncs', () =>
      withScenario(target, { policy: 'Destructive' }, async (s) => {
        const cp = cluster.cp;
        const { held, dir } = await holdDestructivePlan(s);
        assert.deepEqual(conditionTriple(held), ['Ready=False/ApprovalPending', 'Reconciling=True/ApprovalPending', 'Stalled=False/ApprovalPending']);
        const plan = held.status?.plan;
        assert.ok(plan !== undefined && plan !== null);
        const lintHash = await lintPlanHash(dir, s.dialect, V1);
        assert.equal(plan.hash, lintHash, 'status.plan.hash is what `migrate lint --current-version` prints');
        assert.equal(plan.from, V1);
        assert.equal(plan.approved, false);
        assert.equal(plan.destructive, 2);
        assert.deepEqual(
          plan.findings?.map((f) => [f.code, f.file, f.line]),
          [
            ['DS103', DROP_FILE, 2],
            ['MF103', DROP_FILE, 3],
            ['DS102', DROP_FILE, 5],
          ],
        );
        assert.deepEqual(plan.files?.map((f) => [f.name, f.version, f.statements, f.findings]), [[DROP_FILE, V2, 3, 3]]);
        assert.deepEqual([held.status?.pendingVersions, held.status?.pendingCount, held.status?.lastAppliedVersion, held.status?.failed], [[V2], 1, V1, 0]);
        const message = condition(held, 'Ready')?.message ?? '';
        assert.match(message, new RegExp(`^Plan ${lintHash.slice(0, 12)}… \\(1 migration file from version ${V1}\\) waits for approval \\(policy Destructive, 2 destructive findings: DS103 ${DROP_FILE}:2; DS102 ${DROP_FILE}:5\\); nothing was applied\\.`));
        assert.ok(message.includes(`${APPROVAL_ANNOTATION}=${lintHash}`), message);

        await until('the ApprovalPending event', async () => (await events(s.ns, 'ApprovalPending')).length > 0);
        const [event, ...more] = await events(s.ns, 'ApprovalPending');
        assert.deepEqual(more, []);
        assert.equal(event?.type, 'Warning');
        assert.equal(event?.involvedObject.name, NAME);
        assert.ok(event?.message.includes(`Plan ${lintHash} `), event?.message);
        assert.ok(event?.message.includes(`DS102 ${DROP_FILE}:5 Dropping table "legacy"`), event?.message);

        assert.deepEqual(await tables(s), ['atlas_schema_revisions', 'legacy', 'users'], 'the table is still there');
        assert.deepEqual(await revisions(s), [V1], 'no revision row for the held version');
        await (await takeMigrationLock(s, 3_000))(); // the lock was released: another migrator gets it

        // Two more reconciles on resync (the third line proves the second one finished): still held, no new event.
        const at = held.metadata.resourceVersion;
        await until('two resyncs of the held resource', () => logLines(s.ns, 'waiting for approval') >= 3, RESYNC_MS * 10);
        const after = getMigration(cp, s.ns, NAME);
        assert.deepEqual(conditionTriple(after), conditionTriple(held));
        assert.equal(after.metadata.resourceVersion, at, 'an unchanged plan rewrites nothing');
        assert.deepEqual(
          (await events(s.ns, 'ApprovalPending')).map((e) => e.count),
          [1],
          'one event per plan',
        );
        assert.deepEqual(await revisions(s), [V1]);
      }));

    it('approve (the CLI, as a process) applies the held plan: Ready, the table gone, the revision row written', () =>
      withScenario(target, { policy: 'Destructive' }, async (s) => {
        const cp = cluster.cp;
        const { held } = await holdDestructivePlan(s);
        const hash = held.status?.plan?.hash ?? '';
        const r = await cli(['approve', NAME, '-n', s.ns]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`DS102 ${DROP_FILE}:5`));
        assert.ok(r.stdout.includes(`Approved plan ${hash} of ${s.ns}/${NAME}`), r.stdout);
        const m = await waitForMigration(cp, s.ns, NAME, readyAt(V2));
        assert.equal(condition(m, 'Ready')?.message, `Applied 1 migration, now at ${V2}`);
        assert.equal(m.status?.plan, undefined, 'status.plan cleared once Ready');
        assert.equal((m.metadata as { annotations?: Record<string, string> }).annotations?.[APPROVAL_ANNOTATION], hash);
        assert.deepEqual(await tables(s), ['atlas_schema_revisions', 'users']);
        assert.deepEqual(await revisions(s), [V1, V2]);
        assert.equal((await events(s.ns, 'ApprovalPending')).length, 1);
      }));

    it('GitOps: an approval computed by lint, applied with a ConfigMap edited after it, is stale and said so; the right hash applies', () =>
      withScenario(target, { policy: 'Destructive' }, async (s) => {
        const cp = cluster.cp;
        await waitForMigration(cp, s.ns, NAME, readyAt(V1));
        const reviewed = await migrationsFolder({ ...BASE, ...DROP });
        const approved = await lintPlanHash(reviewed, s.dialect, V1);
        // The file changes after the review, atlas.sum re-hashed: a different plan.
        const edited = await migrationsFolder({ ...BASE, [DROP_FILE]: `${DROP[DROP_FILE]}DROP TABLE users;\n` });
        const current = await lintPlanHash(edited, s.dialect, V1);
        assert.notEqual(current, approved);
        // One `kubectl apply` with the ConfigMap and the annotated resource, as a GitOps tool syncs them.
        const configMap = JSON.parse(cp.kubectl(['create', 'configmap', 'migrations', `--from-file=${edited}`, '-n', s.ns, '-o', 'json', '--dry-run=client'])) as unknown;
        kubectlApply({ apiVersion: 'v1', kind: 'List', items: [configMap, migrationResource(s.ns, { policy: 'Destructive', annotation: approved })] });
        // kubectl applies the items in order: the operator may see the ConfigMap first (held, no approval), then the annotation.
        const staleSaid = `The approved plan ${approved.slice(0, 12)}… is not the current plan ${current.slice(0, 12)}…; approve again.`;
        const held = await waitForMigration(cp, s.ns, NAME, (m) => failedWith('ApprovalPending')(m) && (condition(m, 'Ready')?.message.startsWith(staleSaid) ?? false));
        assert.equal(held.status?.plan?.hash, current, 'status.plan.hash is what lint prints for the edited directory');
        assert.equal(held.status?.plan?.approved, false);
        await until('the stale-approval event', async () => (await events(s.ns, 'ApprovalPending')).some((e) => e.message.startsWith(staleSaid)));
        assert.deepEqual(await revisions(s), [V1]);

        cp.kubectl(['annotate', 'atlasmigration', NAME, '-n', s.ns, `${APPROVAL_ANNOTATION}=${current}`, '--overwrite']);
        await waitForMigration(cp, s.ns, NAME, readyAt(V2));
        assert.deepEqual(await tables(s), ['atlas_schema_revisions'], 'the edited file ran');
        assert.deepEqual(await revisions(s), [V1, V2]);
      }));

    it('GitOps: the lint hash set as the annotation before the ConfigMap change applies without ever being held', () =>
      withScenario(target, { policy: 'Destructive' }, async (s) => {
        const cp = cluster.cp;
        await waitForMigration(cp, s.ns, NAME, readyAt(V1));
        const dir = await migrationsFolder({ ...BASE, ...DROP });
        const hash = await lintPlanHash(dir, s.dialect, V1);
        cp.kubectl(['annotate', 'atlasmigration', NAME, '-n', s.ns, `${APPROVAL_ANNOTATION}=${hash}`]);
        applyConfigMap(cp, s.ns, dir);
        await waitForMigration(cp, s.ns, NAME, readyAt(V2));
        assert.deepEqual(await tables(s), ['atlas_schema_revisions', 'users']);
        assert.deepEqual(await revisions(s), [V1, V2]);
        assert.deepEqual(await events(s.ns, 'ApprovalPending'), [], 'never held');
        assert.equal(logLines(s.ns, 'waiting for approval'), 0);
        const applying = await cluster.operator.waitForLog((l) => l.msg === 'applying' && l.resource === `${s.ns}/${NAME}` && l.plan === hash, 5_000);
        assert.equal(applying.approval, 'approved');
      }));

    it('policy Always: harmless files are held too; approve applies them', () =>
      withScenario(target, { policy: 'Always' }, async (s) => {
        const cp = cluster.cp;
        const held = await waitForMigration(cp, s.ns, NAME, failedWith('ApprovalPending'));
        const dir = await migrationsFolder(BASE);
        assert.equal(held.status?.plan?.hash, await lintPlanHash(dir, s.dialect), 'from an empty history: every file');
        assert.equal(held.status?.plan?.findingsTotal, 0);
        assert.match(condition(held, 'Ready')?.message ?? '', /\(1 migration file from an empty history\) waits for approval \(policy Always, 0 findings\); nothing was applied/);
        // Nothing ran: no table of the plan, no revision row (the revisions table itself is not created either).
        assert.deepEqual((await tables(s)).filter((t) => t !== 'atlas_schema_revisions'), []);
        if ((await tables(s)).includes('atlas_schema_revisions')) assert.deepEqual(await revisions(s), []);
        const r = await cli(['approve', NAME, '-n', s.ns]);
        assert.equal(r.code, 0, r.stderr);
        await waitForMigration(cp, s.ns, NAME, readyAt(V1));
        assert.deepEqual(await tables(s), ['atlas_schema_revisions', 'legacy', 'users']);
      }));

    it('wait: exit 4 once the plan is held, 0 when started after approval (before the operator got to it) and the plan is applied', () =>
      withScenario(target, { policy: 'Destructive', lockTimeout: '60s' }, async (s) => {
        const cp = cluster.cp;
        await waitForMigration(cp, s.ns, NAME, readyAt(V1));
        const waitArgs = ['wait', NAME, '-n', s.ns, '--for-version', V2, '--timeout', '60s'];
        // Started before the destructive file exists: follows the resource until it is held.
        const pending = await cli(waitArgs, async (stdout) => {
          await until('wait to see version V1', () => stdout().includes(`Ready at version ${V1}; waiting for version ${V2} or later`));
          applyConfigMap(cp, s.ns, await migrationsFolder({ ...BASE, ...DROP }));
        });
        assert.equal(pending.code, 4, pending.stdout + pending.stderr);
        const hash = getMigration(cp, s.ns, NAME).status?.plan?.hash ?? '';
        assert.match(pending.stdout, new RegExp(`DS102 ${DROP_FILE}:5`));
        assert.ok(pending.stderr.includes(`waits for approval of plan ${hash}. Review it, then run: atlas-k8s-migrator approve ${NAME} -n ${s.ns} --plan ${hash}`), pending.stderr);

        // Approved while another migrator holds the lock: the operator cannot apply yet, and the
        // status still says ApprovalPending for the approved plan. A wait started now must wait.
        const release = await takeMigrationLock(s, 5_000);
        let released = false;
        try {
          const approved = await cli(['approve', NAME, '-n', s.ns, '--plan', hash]);
          assert.equal(approved.code, 0, approved.stderr);
          const done = await cli(waitArgs, async (stdout) => {
            await until('wait to print its first state', () => stdout().includes(`${s.ns}/${NAME}: `));
            released = true;
            await release();
          });
          assert.equal(done.code, 0, done.stdout + done.stderr);
          assert.ok(done.stdout.startsWith(`${s.ns}/${NAME}: plan ${hash} approved; waiting for the operator to apply it\n`), done.stdout);
          assert.match(done.stdout, new RegExp(`${s.ns}/${NAME}: Ready at version ${V2}\\n$`));
        } finally {
          if (!released) await release();
        }
        assert.deepEqual(await revisions(s), [V1, V2]);
      }));

    it('wait: exit 3 quickly for a resource that is Stalled (a missing Secret, an atlas.sum that does not match)', () =>
      withScenario(target, { policy: 'Destructive' }, async (s) => {
        const cp = cluster.cp;
        await waitForMigration(cp, s.ns, NAME, readyAt(V1));
        kubectlApply(migrationResource(s.ns, { name: 'no-secret', secret: 'absent', policy: 'Destructive' }));
        const noSecret = await cli(['wait', 'no-secret', '-n', s.ns, '--timeout', '60s']);
        assert.equal(noSecret.code, 3, noSecret.stdout + noSecret.stderr);
        assert.ok(noSecret.ms < 20_000, `exited after ${noSecret.ms} ms`);
        assert.match(noSecret.stderr, new RegExp(`Error: ${s.ns}/no-secret is stalled: ResolvingTarget: Secret "absent" not found in namespace "${s.ns}"`));
        const m = getMigration(cp, s.ns, 'no-secret');
        assert.deepEqual(conditionTriple(m).slice(0, 1), ['Ready=False/ResolvingTarget']);
        assert.equal(condition(m, 'Stalled')?.status, 'True', 'Stalled at the first attempt: only a change in the cluster can fix it');
        assert.equal(m.status?.failed, 1);

        // A URL with the right password naming a database that does not exist: a failure message
        // from the driver, which must not carry the password (the secrets test below reads it).
        cp.kubectl(['create', 'secret', 'generic', 'missing-db', '-n', s.ns, `--from-literal=url=${servers.server(target).urlFor('missing_db')}`]);
        kubectlApply(migrationResource(s.ns, { name: 'missing-db', secret: 'missing-db' }));
        const connecting = await waitForMigration(cp, s.ns, 'missing-db', (x) => failedWith('Connecting')(x) && (x.status?.failed ?? 0) >= 2);
        assert.match(condition(connecting, 'Ready')?.message ?? '', /missing_db/);

        // The destructive file, atlas.sum written before the file was edited: nothing may run, held or not.
        const dir = await migrationsFolder({ ...BASE, ...DROP });
        writeFileSync(join(dir, DROP_FILE), `${readFileSync(join(dir, DROP_FILE), 'utf8')}-- edited\n`);
        applyConfigMap(cp, s.ns, dir);
        // --for-version: a ConfigMap change leaves the resource Ready (at V1) until the operator has read it.
        const badSum = await cli(['wait', NAME, '-n', s.ns, '--for-version', V2, '--timeout', '60s']);
        assert.equal(badSum.code, 3, badSum.stdout + badSum.stderr);
        assert.ok(badSum.ms < 20_000, `exited after ${badSum.ms} ms`);
        assert.match(badSum.stderr, /is stalled: ReadingMigrationData: .*checksum mismatch/);
        assert.deepEqual(await revisions(s), [V1]);
      }));
  });
}

describe('secrets', () => {
  it('no database password in the operator logs, the events or any status', () => {
    const cp = cluster.cp;
    const passwords = TARGETS.map((t) => servers.server(t).password);
    const texts = {
      'operator logs': cluster.operator.output(),
      events: cp.kubectl(['get', 'events', '-A', '-o', 'json']),
      'AtlasMigration statuses': statuses.join('\n'),
    };
    assert.ok(texts['operator logs'].includes('waiting for approval'), 'the logs cover the held plans');
    for (const password of passwords) {
      assert.ok(password.length >= 8);
      for (const [where, text] of Object.entries(texts)) {
        for (const form of [password, encodeURIComponent(password)]) assert.ok(!text.includes(form), `a database password in the ${where}`);
      }
    }
  });
});

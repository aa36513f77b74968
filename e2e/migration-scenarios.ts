/**
 * What a user does after the first Ready, as e2e steps shared by every
 * database: add a file to the ConfigMap, edit one without re-hashing,
 * delete and re-create the Secret, stop and start the database. Each step
 * checks the resource's conditions as kubectl, kstatus and Argo CD read
 * them, and the database itself.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaptured } from '../operator/cli/run-captured';
import type { ControlPlane } from './controlplane/launcher';
import type { TestDatabaseServer } from './databases/server-process';
import { condition, failedWith, isReady, waitForMigration, type MigrationObject } from './operator-cluster';
import type { LogLine, OperatorProcess } from './operator-process';

/** The walk-through's two tables in SQL every database here accepts (its own files are MySQL's dialect). */
export const PORTABLE_SEED_FILES = {
  '20230316085611.sql': '-- Create "users" table\nCREATE TABLE users (\n  id int NOT NULL,\n  user_name varchar(255) NOT NULL,\n  email varchar(255) NOT NULL,\n  PRIMARY KEY (id)\n);\n',
  '20230316090502.sql':
    '-- Create "posts" table\nCREATE TABLE posts (\n  id int NOT NULL,\n  user_id int NOT NULL,\n  title varchar(255) NOT NULL,\n  body text NOT NULL,\n  PRIMARY KEY (id),\n  CONSTRAINT posts_ibfk_1 FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE\n);\n',
};

export const LATER_FILES = {
  '20230401000000_comments.sql': 'CREATE TABLE comments (id int NOT NULL, post_id int NOT NULL, PRIMARY KEY (id));\n',
  '20230402000000_tags.sql': 'CREATE TABLE tags (id int NOT NULL, PRIMARY KEY (id));\n',
};

export interface ScenarioTarget {
  readonly cp: ControlPlane;
  readonly operator: OperatorProcess;
  readonly namespace: string;
  /** The migration files as first applied (atlas.sum is computed). */
  readonly files: Readonly<Record<string, string>>;
  /** Names of tables in the target database. */
  tables(): Promise<string[]>;
  /** The server, when the database has one (not SQLite). */
  readonly server?: TestDatabaseServer;
  /** The database URL the Secret holds. */
  readonly url: string;
}

const NAME = 'atlas-migration';

/** Writes the files and their atlas.sum (by our `migrate hash`, byte-identical to Atlas's) into a fresh folder. */
export async function migrationsFolder(files: Readonly<Record<string, string>>): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'e2e-dir-')), 'migrations');
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const r = await runCaptured(['migrate', 'hash', '--dir', `file://${dir}`]);
  assert.equal(r.code, 0, r.err);
  return dir;
}

/** `kubectl create configmap migrations --from-file=<dir> -o yaml --dry-run=client | kubectl apply -f -`. */
export function applyConfigMap(cp: ControlPlane, namespace: string, dir: string): string {
  const yaml = cp.kubectl(['create', 'configmap', 'migrations', `--from-file=${dir}`, '-n', namespace, '-o', 'yaml', '--dry-run=client', '--save-config']);
  return cp.kubectl(['apply', '-f', '-'], { input: yaml });
}

export function createSecret(cp: ControlPlane, namespace: string, url: string): void {
  cp.kubectl(['create', 'secret', 'generic', 'mysql-credentials', '-n', namespace, `--from-literal=url=${url}`]);
}

export function applySeedMigration(cp: ControlPlane, namespace: string): void {
  cp.kubectl(['apply', '-n', namespace, '-f', join(__dirname, '..', 'manifests', 'examples', 'seed-atlas-migration.yaml')]);
}

function waitReadyAt(t: ScenarioTarget, version: string): Promise<MigrationObject> {
  return waitForMigration(t.cp, t.namespace, NAME, (m) => isReady(m) && m.status?.lastAppliedVersion === version);
}

/** kstatus: Failed needs Stalled=True; InProgress needs Reconciling=True; never both. */
function assertKstatus(m: MigrationObject, expected: 'Current' | 'InProgress' | 'Failed'): void {
  const reconciling = condition(m, 'Reconciling')?.status === 'True';
  const stalled = condition(m, 'Stalled')?.status === 'True';
  assert.ok(!(reconciling && stalled), 'Reconciling and Stalled are never both True');
  const actual = stalled ? 'Failed' : reconciling ? 'InProgress' : 'Current';
  assert.equal(actual, expected, JSON.stringify(m.status?.conditions));
  assert.equal(m.status?.observedGeneration, m.metadata.generation);
}

export async function addAFile(t: ScenarioTarget): Promise<void> {
  const [name, content] = Object.entries(LATER_FILES)[0] as [string, string];
  applyConfigMap(t.cp, t.namespace, await migrationsFolder({ ...t.files, [name]: content }));
  const m = await waitReadyAt(t, '20230401000000');
  assertKstatus(m, 'Current');
  assert.ok((await t.tables()).includes('comments'));
  assert.equal(m.status?.pendingCount, 0);
}

export async function editWithoutRehash(t: ScenarioTarget): Promise<void> {
  const good = await migrationsFolder({ ...t.files, ...pick(LATER_FILES, 1) });
  const [edited] = Object.keys(t.files).sort().slice(-1) as [string];
  // A new file and an edited applied one, atlas.sum left as it was: nothing may run.
  writeFileSync(join(good, edited), readFileSync(join(good, edited), 'utf8') + '-- edited\n');
  writeFileSync(join(good, '20230402000000_tags.sql'), LATER_FILES['20230402000000_tags.sql']);
  applyConfigMap(t.cp, t.namespace, good);
  const m = await waitForMigration(t.cp, t.namespace, NAME, failedWith('ReadingMigrationData'));
  const message = condition(m, 'Ready')?.message ?? '';
  assert.match(message, new RegExp(`checksum mismatch: L3: ${edited.replace('.', '\\.')} was edited \\(atlas\\.sum line 3 in ConfigMap ${t.namespace}/migrations\\)`));
  assertKstatus(m, 'Failed');
  assert.ok(!(await t.tables()).includes('tags'), 'nothing applied');
  applyConfigMap(t.cp, t.namespace, await migrationsFolder({ ...t.files, ...pick(LATER_FILES, 1) }));
  await waitReadyAt(t, '20230401000000');
}

export async function secretGoneAndBack(t: ScenarioTarget): Promise<void> {
  // Whatever version the resource is at (this step does not depend on the steps before it).
  const at = (await waitForMigration(t.cp, t.namespace, NAME, isReady)).status?.lastAppliedVersion ?? '';
  t.cp.kubectl(['delete', 'secret', 'mysql-credentials', '-n', t.namespace]);
  const m = await waitForMigration(t.cp, t.namespace, NAME, failedWith('ResolvingTarget'));
  assert.match(condition(m, 'Ready')?.message ?? '', /Secret "mysql-credentials" not found in namespace "[^"]+" \(spec\.urlFrom\.secretKeyRef\)/);
  assertKstatus(m, 'Failed');
  createSecret(t.cp, t.namespace, t.url);
  assertKstatus(await waitReadyAt(t, at), 'Current');
}

/** The database stops while a new file waits: retries with growing delays, then Ready once it is back. */
export async function databaseDownAndBack(t: ScenarioTarget): Promise<void> {
  const server = t.server;
  // Never a silent pass: a target without a server cannot run this step, and calling it for one is a mistake.
  assert.ok(server !== undefined, `databaseDownAndBack needs a database server; ${t.namespace} has none (SQLite?)`);
  const key = `${t.namespace}/${NAME}`;
  const since = Date.now();
  await server.halt();
  try {
    applyConfigMap(t.cp, t.namespace, await migrationsFolder({ ...t.files, ...LATER_FILES }));
    const m = await waitForMigration(t.cp, t.namespace, NAME, (x) => failedWith('Connecting')(x) && (x.status?.failed ?? 0) >= 3);
    assertKstatus(m, 'InProgress');
    assert.match(condition(m, 'Reconciling')?.message ?? '', /Attempt \d+ failed \(Connecting\); retrying in \d+s/);
    // The status is read with a blocking kubectl, so the operator's log lines
    // for the same attempts may still wait in the pipe: give the event loop a turn.
    // The backoff starts over when the inputs change (failed = 1 again), and a
    // resync that found the database gone before the new ConfigMap was seen
    // fails once more on its own: only the run of attempts since the last
    // failed = 1 is the backoff under test.
    const failures = (): LogLine[] => t.operator.logs().filter((l) => l.msg === 'reconcile failed' && l.resource === key && l.reason === 'Connecting');
    const run = await waitForLogs(() => lastRunOfAttempts(failures()), 3);
    const gaps = run.slice(1).map((l, i) => Date.parse(l.time) - Date.parse((run[i] as LogLine).time));
    const story = t.operator
      .logs()
      .filter((l) => l.resource === key && Date.parse(l.time) >= since)
      .map((l) => `${l.time} ${l.msg} ${JSON.stringify({ trigger: l.trigger, failed: l.failed, reason: l.reason })}`)
      .join('\n');
    assert.deepEqual(run.slice(0, 3).map((l) => l.failed), [1, 2, 3], `attempts counted from 1; the operator's lines for ${key}:\n${story}`);
    assert.deepEqual(run.slice(1, 3).map((l) => l.trigger), ['retry', 'retry'], `attempts 2 and 3 are retries; the operator's lines for ${key}:\n${story}`);
    assert.ok((gaps[1] as number) > (gaps[0] as number), `delays grow: ${gaps.join(', ')} ms; the operator's lines for ${key}:\n${story}`);
  } finally {
    await server.resume();
  }
  assertKstatus(await waitReadyAt(t, '20230402000000'), 'Current');
  assert.ok((await t.tables()).includes('tags'));
}

/** The attempts since the last one that counted 1 (the backoff's current run). */
function lastRunOfAttempts(failures: readonly LogLine[]): LogLine[] {
  const first = failures.findLastIndex((l) => l.failed === 1);
  return first < 0 ? [] : failures.slice(first);
}

/** What `read` returns once it holds at least `min` lines (or whatever it holds at the deadline). */
async function waitForLogs(read: () => LogLine[], min: number, timeoutMs = 5_000): Promise<LogLine[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = read();
    if (lines.length >= min || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function pick(files: Readonly<Record<string, string>>, n: number): Record<string, string> {
  return Object.fromEntries(Object.entries(files).slice(0, n));
}

/**
 * Bad input against ONE operator process (its ServiceAccount's token, a
 * real control plane) and real PostgreSQL 15, MySQL 8 and SQLite
 * databases: every row of cases.ts in its own namespace with a fresh
 * database, run concurrently. Each case checks the Ready reason with
 * Reconciling/Stalled as kubectl shows them, the Warning event, and the
 * database (revision rows, tables). Afterwards: the operator is alive and
 * a good resource created after all of them reaches Ready, and no
 * database password appears in the operator's output, any event, any
 * status or /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError, KubeClient } from '../../operator/controller/kube/api-client';
import { directoryFromEntries } from '../../operator/migrate/directory';
import { freePort } from '../databases/free-port';
import { usePrivateTmpdir } from '../databases/private-tmpdir';
import { startTestServers, type TestDatabase, type TestServers } from '../databases/targets';
import { startOperatorCluster, type MigrationObject, type OperatorCluster } from '../operator-cluster';
import { CASES, configMapOf, V1, type BadInputCase, type CaseContext, type ConfigMapContent, type Expectation, type Files, type Fragment } from './cases';

// SQLite's lock file lives in the temporary directory: this file's (and its operator's) must be its own.
usePrivateTmpdir();

const TARGETS = ['postgres', 'mysql8', 'sqlite'] as const;
const NAME = 'app';
const GROUP = '/apis/db.atlasgo.io/v1alpha1';
/** How many cases run at once (the operator reconciles 10 at a time by default). */
const PARALLEL = 16;

let cluster: OperatorCluster;
let servers: TestServers;
let api: KubeClient;
const databases: TestDatabase[] = [];
/** Values that must appear nowhere: the servers' passwords and every case's. */
const secrets = new Set<string>();
/** Every AtlasMigration as last seen by its case, before deletion. */
const statuses: string[] = [];
let started = 0;

before(async () => {
  started = Date.now();
  [cluster, servers] = await Promise.all([
    startOperatorCluster({ install: 'apply', operatorArgs: ['--backoff-base=500ms', '--backoff-max=5s', '--resync-period=30s'] }),
    startTestServers(TARGETS),
  ]);
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.cp.adminKubeconfig);
  api = new KubeClient(kc);
  for (const t of ['postgres', 'mysql8'] as const) secrets.add(servers.server(t).password);
});

after(async () => {
  api?.close();
  for (const db of databases) await db.close().catch(() => undefined);
  await cluster?.stop();
  await servers?.stop();
  process.stderr.write(`# bad-input: ${CASES.length} cases, whole file ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
});

// ---------------------------------------------------------------- the API, asynchronously (cases run at once)

const nsPath = (ns: string, plural: string, name?: string, core = true): string => `${core ? '/api/v1' : GROUP}/namespaces/${ns}/${plural}${name === undefined ? '' : `/${name}`}`;

/** Server-side apply: creates or replaces what this test manages. */
async function applyObject(path: string, object: Record<string, unknown>): Promise<void> {
  await api.json({ method: 'PATCH', path: `${path}?fieldManager=bad-input-e2e&force=true`, contentType: 'application/apply-patch+yaml', body: object });
}

async function createNamespace(ns: string): Promise<void> {
  await api.json({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
}

async function applySecret(ns: string, data: Record<string, string>): Promise<void> {
  await applyObject(nsPath(ns, 'secrets', 'db'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: ns }, stringData: data });
}

async function applyConfigMap(ns: string, name: string, content: ConfigMapContent): Promise<void> {
  await applyObject(nsPath(ns, 'configmaps', name), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: content.data ?? {}, binaryData: content.binaryData ?? {} });
}

function resource(ns: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name, namespace: ns }, spec };
}

async function applyMigration(ns: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await applyObject(nsPath(ns, 'atlasmigrations', name, false), resource(ns, name, spec));
}

async function getMigration(ns: string, name: string): Promise<MigrationObject> {
  return api.json<MigrationObject>({ method: 'GET', path: nsPath(ns, 'atlasmigrations', name, false) });
}

interface KubeEvent {
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly involvedObject: { readonly name: string; readonly kind: string };
}

async function events(ns: string): Promise<KubeEvent[]> {
  return (await api.json<{ items: KubeEvent[] }>({ method: 'GET', path: nsPath(ns, 'events') })).items;
}

/** Polls `check` until it returns a value; fails with `what` and the last thing seen. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `; last error: ${last instanceof Error ? last.message : JSON.stringify(last)}`}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ---------------------------------------------------------------- the database, as it is

const TABLES_SQL = {
  postgres: "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
  mysql: 'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
  sqlite: "SELECT name FROM sqlite_master WHERE type = 'table'",
};

async function tables(db: TestDatabase): Promise<string[]> {
  return (await db.query<{ name: string }>(TABLES_SQL[db.dialect])).map((r) => r.name).filter((n) => n !== 'atlas_schema_revisions').sort();
}

/** `version`, or `version applied/total[ error]` for a row that is not complete; null without a revisions table. */
async function revisions(db: TestDatabase): Promise<string[] | null> {
  if (!(await tables0(db)).includes('atlas_schema_revisions')) return null;
  const rows = await db.query<{ version: string; applied: number | string; total: number | string; error: string | null }>('SELECT version, applied, total, error FROM atlas_schema_revisions ORDER BY version');
  return rows.map((r) => (Number(r.applied) === Number(r.total) && (r.error ?? '') === '' ? r.version : `${r.version} ${r.applied}/${r.total}${(r.error ?? '') === '' ? '' : ' error'}`));
}

async function tables0(db: TestDatabase): Promise<string[]> {
  return (await db.query<{ name: string }>(TABLES_SQL[db.dialect])).map((r) => r.name);
}

/** SHA-256 of no bytes: an SQLite file the operator opened (connect, lock) and wrote nothing to. */
const EMPTY_FILE = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The database's dump; an SQLite file that does not exist and one that is empty are the same database. */
async function fingerprint(db: TestDatabase): Promise<string> {
  const d = await db.dump();
  return d === EMPTY_FILE ? 'absent' : d;
}

// ---------------------------------------------------------------- one case

const DEFAULT_SPEC = { urlFrom: { secretKeyRef: { name: 'db', key: 'url' } }, dir: { configMapRef: { name: 'migrations' } } };

function specFor(k: BadInputCase, c: CaseContext): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...DEFAULT_SPEC, ...(k.spec?.(c) ?? {}) };
  return JSON.parse(JSON.stringify(merged)) as Record<string, unknown>; // drops the fields set to undefined
}

function sumOf(files: Files): string {
  return directoryFromEntries(Object.entries(files), 'x').computedSum().format();
}

function withSum(files: Files, k: Pick<BadInputCase, 'sum' | 'sumOf'>): Files {
  const computed = sumOf(k.sumOf ?? files);
  const sum = k.sum === undefined ? computed : k.sum(computed);
  return sum === undefined ? files : { ...files, 'atlas.sum': sum };
}

function matches(text: string, f: Fragment): boolean {
  return typeof f === 'string' ? text.includes(f) : f.test(text);
}

function cond(m: MigrationObject, type: string): { status: string; reason: string; message: string } | undefined {
  return m.status?.conditions?.find((x) => x.type === type);
}

/** Ready, Reconciling and Stalled as `kubectl get -o yaml` shows them: `Type=Status/Reason`. */
function triple(m: MigrationObject): string[] {
  return ['Ready', 'Reconciling', 'Stalled'].map((t) => `${t}=${cond(m, t)?.status}/${cond(m, t)?.reason}`);
}

function outcomeSeen(e: Exclude<Expectation, { rejected: Fragment }>): (m: MigrationObject) => boolean {
  return (m) => {
    const ready = cond(m, 'Ready');
    if (ready === undefined || m.status?.observedGeneration !== m.metadata.generation) return false;
    const message = ready.message;
    if (e.ready === true) return ready.status === 'True' && e.message.every((f) => matches(message, f));
    return ready.status === 'False' && ready.reason === e.reason && e.message.every((f) => matches(message, f));
  };
}

let sequence = 0;
let uniques = 0;

async function runCase(k: BadInputCase): Promise<void> {
  const ns = `bad-${++sequence}-${k.target}`;
  const db = await servers.fresh(k.target);
  databases.push(db);
  const c: CaseContext = {
    ns,
    db,
    ...(k.target === 'sqlite' ? {} : { server: servers.server(k.target) }),
    unique: (prefix) => `${prefix}_${process.pid}_${++uniques}`,
    secret: (v) => (secrets.add(v), v),
    closedPort: () => freePort(),
    vars: {},
  };
  await createNamespace(ns);
  await k.prepare?.(c);
  if (k.secret !== null) await applySecret(ns, (await k.secret?.(c)) ?? { url: db.url });

  if (k.before !== undefined) {
    const other = k.before.as === 'other';
    const cm = other ? 'first-migrations' : 'migrations';
    await applyConfigMap(ns, cm, configMapOf(withSum(k.before.files, {})));
    await applyMigration(ns, other ? 'first' : NAME, { ...DEFAULT_SPEC, dir: { configMapRef: { name: cm } } });
    const last = Object.keys(k.before.files).sort().at(-1)?.replace(/_.*|\.sql$/g, '');
    await until(`${ns}: the files before the bad input Ready at ${last}`, async () => {
      const m = await getMigration(ns, other ? 'first' : NAME);
      return cond(m, 'Ready')?.status === 'True' && m.status?.lastAppliedVersion === last && m.status?.observedGeneration === m.metadata.generation ? m : undefined;
    });
  }
  // "Untouched" is compared where nothing may have been written at all.
  const untouched = k.before === undefined && k.database.revisions === null;
  const dump = untouched ? await fingerprint(db) : '';

  if (k.configMap !== null) {
    const files = withSum(k.files ?? {}, k);
    await applyConfigMap(ns, 'migrations', k.configMap === undefined ? configMapOf(files) : k.configMap(files));
  }

  const spec = specFor(k, c);
  const e = k.expect;
  if ('rejected' in e) {
    const err = await applyMigration(ns, NAME, spec).then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.ok(err instanceof ApiError && err.status === 422, `the apiserver refuses it (422): ${String(err)}`);
    assert.ok(matches(err.message, e.rejected), err.message);
    await assert.rejects(getMigration(ns, NAME), (x: unknown) => x instanceof ApiError && x.status === 404);
  } else {
    await applyMigration(ns, NAME, spec);
    const seen = outcomeSeen(e);
    let last: MigrationObject | undefined;
    const m = await until(`${ns}: ${e.ready === true ? 'Ready' : e.reason} with ${e.message.join(' … ')}`, async () => {
      last = await getMigration(ns, NAME);
      return seen(last) ? last : undefined;
    }).catch((x: unknown) => {
      throw new Error(`${(x as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 2)}`);
    });
    statuses.push(JSON.stringify(m));
    if (e.ready === true) {
      assert.deepEqual(triple(m), ['Ready=True/Applied', 'Reconciling=False/Applied', 'Stalled=False/Applied']);
    } else {
      const r = e.reason;
      assert.deepEqual(triple(m), e.stalled ? [`Ready=False/${r}`, `Reconciling=False/${r}`, `Stalled=True/${r}`] : [`Ready=False/${r}`, 'Reconciling=True/Retrying', `Stalled=False/${r}`]);
      if (!e.stalled) assert.match(cond(m, 'Reconciling')?.message ?? '', new RegExp(`Attempt \\d+ failed \\(${r}\\); retrying in \\d+s`));
      const fragments = e.event ?? e.message;
      const event = await until(`${ns}: a Warning event ${r}`, async () =>
        (await events(ns)).find((x) => x.type === 'Warning' && x.reason === r && x.involvedObject.name === NAME && fragments.every((f) => matches(x.message, f))),
      ).catch(async (x: unknown) => {
        throw new Error(`${(x as Error).message}\nevents: ${JSON.stringify((await events(ns)).map((v) => [v.type, v.reason, v.message]), null, 1)}`);
      });
      assert.equal(event.involvedObject.kind, 'AtlasMigration');
    }
  }

  // Taken before our own queries (which create an absent SQLite file).
  const dumpAfter = untouched ? await fingerprint(db) : '';
  assert.deepEqual({ revisions: await revisions(db), tables: await tables(db) }, { revisions: k.database.revisions, tables: [...k.database.tables].sort() }, 'the database afterwards');
  assert.equal(dumpAfter, dump, 'the database is untouched');
  // Stop retries: a resource that keeps failing keeps the operator (and the 2 cores) busy.
  await api.json({ method: 'DELETE', path: `${GROUP}/namespaces/${ns}/atlasmigrations` }).catch(() => undefined);
}

// ---------------------------------------------------------------- the table

describe('bad input: every case in its own namespace and database, at once', { concurrency: PARALLEL }, () => {
  for (const k of CASES) it(`${k.target}: ${k.name}`, () => runCase(k));
});

describe('afterwards', () => {
  it('the operator is alive, healthy, and a good resource created after the bad ones reaches Ready', async () => {
    assert.equal(cluster.operator.process.child.exitCode, null, 'the operator process still runs');
    assert.equal((await cluster.operator.get('/healthz')).status, 200);
    const ns = 'good-after-bad';
    const db = await servers.fresh('postgres');
    databases.push(db);
    await createNamespace(ns);
    await applySecret(ns, { url: db.url });
    const files = { [`${V1}_users.sql`]: 'CREATE TABLE users (id int NOT NULL, PRIMARY KEY (id));\n' };
    await applyConfigMap(ns, 'migrations', configMapOf(withSum(files, {})));
    await applyMigration(ns, NAME, DEFAULT_SPEC);
    const m = await until('the good resource Ready', async () => {
      const x = await getMigration(ns, NAME);
      return cond(x, 'Ready')?.status === 'True' ? x : undefined;
    }, 60_000);
    // The event is the lasting record of the run that applied: the Ready message can already be a later
    // reconcile's (the watch may deliver the Secret after the first run, whose inputs then count as changed).
    assert.match(cond(m, 'Ready')?.message ?? '', new RegExp(`^(Applied 1 migration, now at ${V1}|The database is at version ${V1}; nothing to apply)$`));
    const applied = await until('the Applied event', async () => (await events(ns)).find((e) => e.reason === 'Applied' && e.involvedObject.name === NAME), 10_000);
    assert.equal(applied.message, `Applied 1 migration, now at ${V1}`);
    assert.deepEqual(await tables(db), ['users']);
    statuses.push(JSON.stringify(m));
  });

  it('no password anywhere: operator output, every event, every status, /metrics', async () => {
    const everything = await api.json<{ items: unknown[] }>({ method: 'GET', path: `${GROUP}/atlasmigrations` });
    const texts: Record<string, string> = {
      'operator output': cluster.operator.output(),
      events: JSON.stringify(await api.json({ method: 'GET', path: '/api/v1/events' })),
      statuses: statuses.join('\n') + JSON.stringify(everything),
      '/metrics': (await cluster.operator.get('/metrics')).body,
    };
    assert.match(texts['/metrics'] ?? '', /atlas_migrator_reconcile_errors_total\{reason="Migrating"\} \d+/, 'the metrics cover the failures');
    assert.ok(texts['operator output']?.includes('reconcile failed'), 'the logs cover the failures');
    for (const secret of secrets) {
      for (const form of new Set([secret, encodeURIComponent(secret)])) {
        for (const [where, text] of Object.entries(texts)) assert.ok(!text.includes(form), `a password (${secret.slice(0, 3)}…) in the ${where}`);
      }
    }
    // The short wrong password "pass": nowhere on its own (MySQL's "using password: YES" is not it).
    const pass = /(?<![\p{L}\p{N}_])pass(?![\p{L}\p{N}_])/u;
    for (const [where, text] of Object.entries(texts)) assert.ok(!pass.test(text), `"pass" in the ${where}: …${pass.exec(text) === null ? '' : text.slice(Math.max(0, (pass.exec(text)?.index ?? 0) - 200), (pass.exec(text)?.index ?? 0) + 50)}`);
  });
});

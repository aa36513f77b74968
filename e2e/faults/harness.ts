/**
 * Shared pieces of the fault e2e tests (e2e/faults/*.e2e.test.ts):
 *
 * - the control plane's API client (controlplane/api-client.ts);
 * - operators as processes, with a line-by-line view of their JSON logs
 *   (to start a kill timer the moment a run begins) and kill -9;
 * - "ledger" migrations: several files of several statements where every
 *   counted statement is an INSERT into a `ledger` table, slowed by a sleep,
 *   so how often each statement ran can be counted afterwards;
 * - snapshots of a database once the killed operator's session has ended,
 *   and the exactly-once / at-least-once bookkeeping over them;
 * - a seeded PRNG (mulberry32) whose seed is printed, for replays.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { directoryFromEntries } from '../../operator/migrate/directory';
import { controlPlaneApi, type Api } from '../controlplane/api-client';
import type { ControlPlane } from '../controlplane/launcher';
import type { TestDatabaseServer } from '../databases/server-process';
import { isReady, type MigrationObject } from '../operator-cluster';
import { startOperator, type LogLine, type OperatorProcess } from '../operator-process';

// ---------------------------------------------------------------- API client

/** The admin's client of `cp`'s API server. */
export function apiFor(cp: ControlPlane): Api {
  return controlPlaneApi(cp);
}

export const MIGRATIONS = (ns: string, name = ''): string => `/apis/db.atlasgo.io/v1alpha1/namespaces/${ns}/atlasmigrations${name === '' ? '' : '/' + name}`;
export const CONFIGMAPS = (ns: string, name = ''): string => `/api/v1/namespaces/${ns}/configmaps${name === '' ? '' : '/' + name}`;

export async function createNamespace(api: Api, name: string): Promise<void> {
  await api.must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

export function migrationObject(namespace: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'db.atlasgo.io/v1alpha1', kind: 'AtlasMigration', metadata: { name, namespace }, spec };
}

export async function getMigration(api: Api, namespace: string, name: string): Promise<MigrationObject | undefined> {
  const r = await api.call<MigrationObject>('GET', MIGRATIONS(namespace, name));
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET ${namespace}/${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Polls (every `everyMs`) until `accept` holds for the resource; API errors (a restarting server) are retried until the deadline. */
export async function waitForMigration(api: Api, namespace: string, name: string, accept: (m: MigrationObject) => boolean, timeoutMs: number): Promise<MigrationObject> {
  const everyMs = 100;
  const deadline = Date.now() + timeoutMs;
  let last: MigrationObject | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await getMigration(api, namespace, name);
      if (last !== undefined && accept(last)) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`${namespace}/${name} did not reach the expected state in ${timeoutMs} ms; last status:\n${JSON.stringify(last?.status, null, 2)}${lastError === undefined ? '' : `\nlast API error: ${errorText(lastError)}`}`);
    }
    await delay(everyMs);
  }
}

/** Ready=True for the current generation, at `version`. */
export function readyAt(version: string): (m: MigrationObject) => boolean {
  return (m) => isReady(m) && m.status?.lastAppliedVersion === version;
}

// ---------------------------------------------------------------- time, randomness

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : JSON.stringify(e);
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true; fails naming `what` after `timeoutMs`. Never a fixed sleep. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${lastError === undefined ? '' : ` (last error: ${errorText(lastError)})`}`);
    await delay(everyMs);
  }
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from FAULTS_SEED, else a fresh one; printed so a failing run can be replayed. */
export function seedFor(file: string): number {
  const given = process.env.FAULTS_SEED;
  const seed = given !== undefined && given !== '' ? Number(given) >>> 0 : Math.floor(Math.random() * 2 ** 32) >>> 0;
  console.log(`# ${file}: seed ${seed} (replay with FAULTS_SEED=${seed})`);
  return seed;
}

// ---------------------------------------------------------------- operators

/**
 * An operator process plus a line-by-line view of its JSON logs: waitLine()
 * resolves the moment a matching line arrives (no polling), which is when
 * a random kill delay starts.
 */
export interface Operator {
  readonly op: OperatorProcess;
  readonly pid: number;
  alive(): boolean;
  /** Resolves with the first line (already seen or to come) that matches. */
  waitLine(match: (l: LogLine) => boolean, timeoutMs: number, what?: string): Promise<LogLine>;
  lines(): readonly LogLine[];
  /** kill -9; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

function parseLine(text: string): LogLine | undefined {
  const at = text.indexOf('{');
  if (at < 0) return undefined;
  try {
    return JSON.parse(text.slice(at)) as LogLine;
  } catch {
    return undefined;
  }
}

export async function startWatchedOperator(kubeconfig: string, args: readonly string[], env?: Record<string, string>): Promise<Operator> {
  const op = await startOperator({ kubeconfig, args, ...(env === undefined ? {} : { env }) });
  const child = op.process.child;
  // Lines so far, and the start of a line not yet complete: the listener below carries on from there.
  const output = op.output();
  const cut = output.lastIndexOf('\n') + 1;
  const seen: LogLine[] = output.slice(0, cut).split('\n').flatMap((text) => parseLine(text) ?? []);
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  // (The output interleaves stderr; only a JSON line in progress is carried over.)
  let partial = output.slice(cut).startsWith('{') ? output.slice(cut) : '';
  const onData = (chunk: Buffer): void => {
    partial += chunk.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) {
      const line = parseLine(text);
      if (line === undefined) continue;
      seen.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const exited = (): Promise<void> => {
    if (!alive()) return Promise.resolve();
    child.ref();
    return new Promise((resolve) => child.once('exit', () => resolve()));
  };
  return {
    op,
    pid: child.pid as number,
    alive,
    lines: () => seen,
    waitLine: (match, timeoutMs, what = 'a matching log line') => {
      const found = seen.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`operator ${child.pid}: no ${what} within ${timeoutMs} ms; last output:\n${op.output().slice(-3000)}`));
        }, timeoutMs);
        const waiter = {
          match,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        waiters.push(waiter);
      });
    },
    kill9: async () => {
      const gone = exited();
      child.kill('SIGKILL');
      await gone;
    },
    stop: async () => {
      if (alive()) await op.stop();
    },
  };
}

export const applyingLine = (resource: string) => (l: LogLine): boolean => l.msg === 'applying' && l.resource === resource;
export const appliedLine = (resource: string) => (l: LogLine): boolean => l.msg === 'applied' && l.resource === resource;

// ---------------------------------------------------------------- ledger migrations

export type Dialect = 'postgres' | 'mysql';

/** One statement of a ledger migration. */
export interface LedgerStatement {
  readonly sql: string;
  /** Counted: an INSERT INTO ledger(file, stmt) of this file and 1-based statement number. */
  readonly counted: boolean;
}

export interface LedgerFile {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** 1-based position in the directory (the ledger's `file`). */
  readonly number: number;
  readonly statements: readonly LedgerStatement[];
  /**
   * Whether the file commits as a whole (its statements and revision
   * writes in one transaction): every file on PostgreSQL (txmode file,
   * transactional DDL), and on MySQL only a file without DDL (any DDL
   * commits the open transaction implicitly).
   */
  readonly atomic: boolean;
}

export interface LedgerMigration {
  readonly dialect: Dialect;
  readonly files: readonly LedgerFile[];
  /** The directory as a ConfigMap's data / `dir.local`: the files and their atlas.sum. */
  readonly data: Readonly<Record<string, string>>;
  /** The last version. */
  readonly target: string;
}

export interface LedgerOptions {
  readonly files: number;
  /** How long each counted INSERT sleeps. */
  readonly sleepMs: number;
  /** Counted inserts per file (besides the DDL). Default 3. */
  readonly inserts?: number;
  /** First file's number (a later directory continuing an earlier one). Default 1. */
  readonly from?: number;
  /** Version prefix (a second directory's files sort after a first's). Default '10'. */
  readonly versionPrefix?: string;
}

function insert(dialect: Dialect, file: number, stmt: number, sleepMs: number): string {
  const s = (sleepMs / 1000).toFixed(3);
  return dialect === 'postgres'
    ? `INSERT INTO ledger (file, stmt) SELECT ${file}, ${stmt} FROM pg_sleep(${s});`
    : `INSERT INTO ledger (file, stmt) SELECT ${file}, ${stmt} FROM (SELECT SLEEP(${s}) AS slept) AS s;`;
}

/**
 * The directory: file 1 creates the ledger; every file has DDL followed by
 * counted inserts. PostgreSQL's DDL is plain (`CREATE TABLE`, `ALTER TABLE
 * … ADD COLUMN`): run twice it would fail, so a second execution could not
 * go unnoticed. MySQL's DDL is idempotent (`IF NOT EXISTS`, `CREATE OR
 * REPLACE VIEW`), because on MySQL Atlas re-executes the statement that was
 * in flight when a run died (see the kill test); and MySQL's third file has
 * no DDL at all, so it is one transaction and must apply exactly once.
 */
export function ledgerMigration(dialect: Dialect, opts: LedgerOptions): LedgerMigration {
  const files: LedgerFile[] = [];
  const from = opts.from ?? 1;
  const inserts = opts.inserts ?? 3;
  for (let n = from; n < from + opts.files; n++) {
    const stmts: LedgerStatement[] = [];
    const add = (sql: string, counted = false): void => {
      stmts.push({ sql, counted });
    };
    const counted = (): void => add(insert(dialect, n, stmts.length + 1, opts.sleepMs), true);
    const dmlOnly = dialect === 'mysql' && n === 3;
    if (n === 1) {
      add(
        dialect === 'postgres'
          ? 'CREATE TABLE ledger (id serial PRIMARY KEY, file int NOT NULL, stmt int NOT NULL);'
          : 'CREATE TABLE IF NOT EXISTS ledger (id int AUTO_INCREMENT PRIMARY KEY, file int NOT NULL, stmt int NOT NULL);',
      );
    }
    for (let i = 0; i < inserts; i++) {
      if (!dmlOnly && i === 0) add(dialect === 'postgres' ? `CREATE TABLE t${n} (id int);` : `CREATE TABLE IF NOT EXISTS t${n} (id int);`);
      if (!dmlOnly && i === 1) add(dialect === 'postgres' ? `ALTER TABLE t${n} ADD COLUMN c${n} int;` : `CREATE OR REPLACE VIEW v${n} AS SELECT ${n} AS n;`);
      counted();
    }
    const version = `${opts.versionPrefix ?? '10'}${String(n).padStart(3, '0')}`;
    const description = `step${n}`;
    files.push({ name: `${version}_${description}.sql`, version, description, number: n, statements: stmts, atomic: dialect === 'postgres' || dmlOnly });
  }
  return withData(dialect, files);
}

function withData(dialect: Dialect, files: readonly LedgerFile[]): LedgerMigration {
  const entries = files.map((f) => [f.name, f.statements.map((s) => s.sql).join('\n') + '\n'] as const);
  const sum = directoryFromEntries(entries, 'faults').computedSum().format();
  return { dialect, files, data: { ...Object.fromEntries(entries), 'atlas.sum': sum }, target: files.at(-1)?.version ?? '' };
}

/** Two directories as one (a file added later): files of both, one atlas.sum. */
export function concatMigrations(a: LedgerMigration, b: LedgerMigration): LedgerMigration {
  return withData(a.dialect, [...a.files, ...b.files]);
}

// ---------------------------------------------------------------- databases

export interface FaultDatabase {
  readonly dialect: Dialect;
  readonly name: string;
  /** The URL the AtlasMigration uses (bound to the database; PostgreSQL: search_path=public). */
  readonly url: string;
  query<T = Record<string, unknown>>(sql: string, bindings?: unknown[]): Promise<T[]>;
  /** Waits until no other session is connected to the database (a killed operator's statement has ended). */
  idle(timeoutMs?: number): Promise<void>;
  drop(): Promise<void>;
}

const TEST_APP = 'faults-test';
let databases = 0;

/** A fresh, empty database on `server`, with a one-connection client of its own (told apart from the operator's). */
export async function freshDatabase(server: TestDatabaseServer, dialect: Dialect, prefix: string): Promise<FaultDatabase> {
  const name = `${prefix}_${process.pid}_${++databases}`;
  const adminConn = dialect === 'postgres' ? { client: 'pg', connection: server.url } : { client: 'mysql2', connection: server.url };
  const admin = knexFactory({ ...adminConn, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const knex: Knex =
    dialect === 'postgres'
      ? knexFactory({ client: 'pg', connection: { connectionString: server.urlFor(name), application_name: TEST_APP }, pool: { min: 0, max: 1 } })
      : knexFactory({ client: 'mysql2', connection: { host: server.host, port: server.port, user: server.user, password: server.password, database: name }, pool: { min: 0, max: 1 } });
  const query = async <T>(sql: string, bindings: unknown[] = []): Promise<T[]> => {
    const r: unknown = await knex.raw(sql, bindings as Knex.RawBinding[]);
    return dialect === 'postgres' ? (r as { rows: T[] }).rows : (r as [T[]])[0];
  };
  const others = async (): Promise<number> => {
    if (dialect === 'postgres') {
      const [row] = await query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND coalesce(application_name, '') <> ?",
        [TEST_APP],
      );
      return Number(row?.n ?? 0);
    }
    // The operator holds Atlas's server-wide lock on its one connection: free once that session has ended.
    const [row] = await query<{ n: number; free: number }>(
      "SELECT (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()) AS n, IS_FREE_LOCK('atlas_migrate_execute') AS free",
    );
    return Number(row?.n ?? 0) + (Number(row?.free ?? 1) === 1 ? 0 : 1);
  };
  return {
    dialect,
    name,
    url: dialect === 'postgres' ? server.urlFor(name, 'sslmode=disable&search_path=public') : server.urlFor(name),
    query,
    idle: (timeoutMs = 15_000) => eventually(`sessions on ${name} ended`, async () => (await others()) === 0, timeoutMs, 20),
    drop: async () => {
      await knex.destroy();
      const a = knexFactory({ ...adminConn, pool: { min: 0, max: 1 } });
      try {
        await a.raw(`DROP DATABASE IF EXISTS ${name}`);
      } finally {
        await a.destroy();
      }
    },
  };
}

// ---------------------------------------------------------------- snapshots and the bookkeeping

export interface RevisionRow {
  readonly version: string;
  readonly description: string;
  readonly type: number;
  readonly applied: number;
  readonly total: number;
  readonly error: string | null;
  readonly error_stmt: string | null;
  readonly hash: string;
  readonly partial_hashes: unknown;
}

/** What the database holds at one moment: revision rows by version and how often each counted statement ran. */
export interface Snapshot {
  readonly revisions: ReadonlyMap<string, RevisionRow>;
  /** `file:stmt` → times the INSERT ran (committed). */
  readonly counts: ReadonlyMap<string, number>;
}

const key = (file: number, stmt: number): string => `${file}:${stmt}`;

async function tableExists(db: FaultDatabase, table: string): Promise<boolean> {
  const sql =
    db.dialect === 'postgres'
      ? "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = ?"
      : 'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?';
  const [row] = await db.query<{ n: number | string }>(sql, [table]);
  return Number(row?.n ?? 0) > 0;
}

export async function snapshot(db: FaultDatabase): Promise<Snapshot> {
  const revisions = new Map<string, RevisionRow>();
  if (await tableExists(db, 'atlas_schema_revisions')) {
    const rows = await db.query<RevisionRow>('SELECT version, description, type, applied, total, error, error_stmt, hash, partial_hashes FROM atlas_schema_revisions ORDER BY version');
    for (const r of rows) {
      assert.ok(!revisions.has(r.version), `duplicate revision ${r.version}`);
      revisions.set(r.version, { ...r, type: Number(r.type), applied: Number(r.applied), total: Number(r.total) });
    }
  }
  const counts = new Map<string, number>();
  if (await tableExists(db, 'ledger')) {
    for (const r of await db.query<{ file: number; stmt: number; n: number | string }>('SELECT file, stmt, COUNT(*) AS n FROM ledger GROUP BY file, stmt')) {
      counts.set(key(Number(r.file), Number(r.stmt)), Number(r.n));
    }
  }
  return { revisions, counts };
}

/**
 * Atlas's partial_hashes of a file (atlas-compat.md §4.4), computed here
 * independently of the product: "h1:" + base64(SHA-256 of the statements'
 * texts so far), cumulative. (A ledger statement is one line: its scanned
 * text is the line.)
 */
export function partialHashes(file: LedgerFile): string[] {
  const hash = createHash('sha256');
  return file.statements.map((st) => {
    hash.update(st.sql);
    return 'h1:' + hash.copy().digest('base64');
  });
}

/**
 * partial_hashes as a row with `applied` statements must hold them: the
 * first `applied` hashes (none: null) while the file is partial; once
 * applied == total, null (the final write) or all of them (the run died
 * between the last statement's revision write and the final one; the file
 * is complete, so no run ever writes that row again, in Atlas either).
 */
function checkPartialHashes(f: LedgerFile, r: RevisionRow): void {
  const all = partialHashes(f);
  const stored = r.partial_hashes ?? null;
  if (r.applied === f.statements.length) {
    assert.ok(stored === null || JSON.stringify(stored) === JSON.stringify(all), `${f.name}: complete, partial_hashes ${JSON.stringify(stored)}`);
  } else {
    const expected = all.slice(0, r.applied);
    assert.ok((stored === null && r.applied === 0) || JSON.stringify(stored) === JSON.stringify(expected), `${f.name}: ${r.applied} applied, partial_hashes ${JSON.stringify(stored)}, expected ${JSON.stringify(expected)}`);
  }
}

/** Where a kill left a migration: files complete, and the statement the partial file resumes at. */
export interface KillPoint {
  /** Files whose revision says applied == total. */
  readonly filesDone: number;
  /** Statements recorded as applied over all files. */
  readonly statementsRecorded: number;
  readonly statementsTotal: number;
  /** Counted statements that ran (committed) but are not recorded as applied: Atlas runs them again. */
  readonly orphans: readonly string[];
}

function recordedCount(s: Snapshot, file: LedgerFile): number {
  const r = s.revisions.get(file.version);
  return r === undefined ? 0 : r.applied;
}

/**
 * Reads a snapshot taken after a kill (once the killed session ended) and
 * checks what Atlas guarantees at that point:
 * - an atomic file (PostgreSQL; a MySQL file without DDL) is all or
 *   nothing: its statements ran exactly as often as recorded (0 or all);
 * - every other statement that ran is recorded, except at most one: the
 *   statement in flight at the kill, which committed by itself (MySQL DDL
 *   ended the file's transaction) before its revision write. It is the first
 *   unrecorded statement of its file, where the next run resumes.
 * Returns the kill point, with that orphan if there is one.
 */
export function checkKillPoint(m: LedgerMigration, s: Snapshot, history: readonly Snapshot[]): KillPoint {
  const orphans: string[] = [];
  let filesDone = 0;
  let recorded = 0;
  let total = 0;
  for (const f of m.files) {
    const applied = recordedCount(s, f);
    total += f.statements.length;
    recorded += applied;
    if (applied === f.statements.length) filesDone++;
    if (f.atomic) assert.ok(applied === 0 || applied === f.statements.length, `${f.name} is one transaction, yet ${applied} of ${f.statements.length} statements are recorded`);
    const row = s.revisions.get(f.version);
    if (row !== undefined) {
      assert.equal(row.total, f.statements.length, `${f.name}: total`);
      assert.equal(row.error ?? '', '', `${f.name}: no error at a kill`);
      checkPartialHashes(f, row);
    }
    f.statements.forEach((st, i) => {
      if (!st.counted) return;
      const k = key(f.number, i + 1);
      const ran = s.counts.get(k) ?? 0;
      if (i < applied) {
        assert.ok(ran >= 1, `${f.name} statement ${i + 1} is recorded as applied but its insert never committed`);
      } else if (ran > expectedBefore(k, history)) {
        // It ran (again) since the last snapshot and is not recorded.
        orphans.push(k);
        assert.ok(!f.atomic, `${f.name} is one transaction, yet statement ${i + 1} committed without its revision (applied ${applied} of ${f.statements.length})`);
        assert.equal(i, applied, `${f.name}: only the statement where the run resumes (${applied + 1}) may have run unrecorded, not ${i + 1}`);
      }
    });
  }
  assert.ok(orphans.length <= 1, `at most one statement in flight at a kill; unrecorded but run: ${orphans.join(', ')}`);
  return { filesDone, statementsRecorded: recorded, statementsTotal: total, orphans };
}

/** Times a statement had run by the last snapshot (0 if none). */
function expectedBefore(k: string, history: readonly Snapshot[]): number {
  return history.at(-1)?.counts.get(k) ?? 0;
}

/**
 * The final check, once Ready: the revisions table is complete and right
 * (one row per file, applied == total, no error, Atlas's hash, type
 * "applied", partial_hashes cleared), and every counted statement ran
 * exactly as often as Atlas's rule allows given the kill points: once, plus
 * once per kill that left it run-but-unrecorded (MySQL only; none on an
 * atomic file). A statement recorded at a kill never runs again.
 */
export async function checkFinal(db: FaultDatabase, m: LedgerMigration, kills: readonly Snapshot[]): Promise<{ counted: number; repeats: number; leftovers: number }> {
  const s = await snapshot(db);
  const sum = directoryFromEntries(Object.entries(m.data), 'faults').computedSum();
  assert.deepEqual([...s.revisions.keys()], m.files.map((f) => f.version), 'one revision per file, no duplicates, no others');
  let leftovers = 0;
  for (const f of m.files) {
    const r = s.revisions.get(f.version) as RevisionRow;
    assert.deepEqual(
      { description: r.description, type: r.type, applied: r.applied, total: r.total, error: r.error ?? '', errorStmt: r.error_stmt ?? '' },
      { description: f.description, type: 2, applied: f.statements.length, total: f.statements.length, error: '', errorStmt: '' },
      `revision of ${f.name}`,
    );
    assert.equal(r.hash, sum.hashOf(f.name), `hash of ${f.name}`);
    checkPartialHashes(f, r);
    // Left set only by a run that died between the last statement's revision write and the final write.
    const leftover = (r.partial_hashes ?? null) !== null;
    const diedThere = kills.some((at) => at.revisions.get(f.version)?.applied === f.statements.length && (at.revisions.get(f.version)?.partial_hashes ?? null) !== null);
    if (leftover) leftovers++;
    assert.equal(leftover, diedThere, `${f.name}: partial_hashes ${leftover ? 'left' : 'cleared'}, and a kill ${diedThere ? 'did' : 'did not'} fall before the final revision write`);
  }
  let counted = 0;
  let repeats = 0;
  for (const f of m.files) {
    f.statements.forEach((st, i) => {
      if (!st.counted) return;
      counted++;
      const k = key(f.number, i + 1);
      // Each kill that left the statement run-but-unrecorded adds one run (it is where the next run resumes):
      // the count at the last such kill, plus the re-run. Once recorded at a kill, its count is final.
      let expected = 1;
      let previous = 0;
      let fixed: number | undefined;
      for (const at of kills) {
        const ran = at.counts.get(k) ?? 0;
        if (fixed !== undefined) assert.equal(ran, fixed, `${f.name} statement ${i + 1} ran again after it was recorded`);
        else if (recordedCount(at, f) > i) fixed = expected = ran;
        else if (ran > previous) expected = ran + 1;
        previous = ran;
      }
      const actual = s.counts.get(k) ?? 0;
      repeats += actual - 1;
      assert.equal(actual, expected, `${f.name} statement ${i + 1} ran ${actual} times; Atlas's rule and the kill points allow exactly ${expected}`);
      if (f.atomic) assert.equal(actual, 1, `${f.name} (one transaction) statement ${i + 1} ran exactly once`);
    });
  }
  return { counted, repeats, leftovers };
}

// ---------------------------------------------------------------- etcd

async function etcdCall<T>(cp: ControlPlane, path: string, body: unknown): Promise<T> {
  const r = await fetch(`${cp.etcdUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`etcd ${path}: ${r.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * `etcdctl compact <current revision> --physical` and `etcdctl defrag`,
 * through etcd's v3 JSON gateway (the same gRPC calls, no etcdctl binary
 * to build): every revision before the current one is gone, so a watch
 * from an older resourceVersion can only be answered with 410 Gone.
 * Returns the revision compacted at.
 */
export async function compactEtcd(cp: ControlPlane): Promise<number> {
  const range = await etcdCall<{ header: { revision: string } }>(cp, '/v3/kv/range', { key: Buffer.from('/').toString('base64'), limit: 1 });
  const revision = Number(range.header.revision);
  await etcdCall(cp, '/v3/kv/compaction', { revision: String(revision), physical: true });
  await etcdCall(cp, '/v3/maintenance/defragment', {});
  return revision;
}

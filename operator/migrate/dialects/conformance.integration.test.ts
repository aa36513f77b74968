/**
 * One scenario table, run against real MySQL 8.0, MariaDB 11.4, MariaDB
 * 10.11, PostgreSQL 15 and SQLite: the servers are started by this test
 * (free loopback ports, temporary data directories) and stopped at the end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServers, TARGET_DIALECT, TARGET_NAMES, type TargetName, type TestDatabase, type TestServers } from '../../../e2e/databases/targets';
import { apply, type ApplyOptions } from '../apply';
import { directoryFromEntries, type MigrationDirectory } from '../directory';
import {
  ChecksumMismatchError,
  HistoryChangedError,
  HistoryNonLinearError,
  NotCleanError,
  StatementExecError,
} from '../errors';
import { migrationStatus, formatStatus } from '../status';
import { openDriver } from './registry';
import type { DialectName } from './syntax';
import { RevisionType, type Revision } from './revision';

let servers: TestServers;
before(async () => {
  servers = await startTestServers();
});
after(async () => {
  await servers?.stop();
});

/** A directory with a correct atlas.sum (unless `sum` overrides it). */
function dir(files: Record<string, string>, sum?: string): MigrationDirectory {
  const entries = Object.entries(files);
  const computed = directoryFromEntries(entries, 'test').computedSum().format();
  return directoryFromEntries([...entries, ['atlas.sum', sum ?? computed]], 'test');
}

async function run(db: TestDatabase, d: MigrationDirectory, opts: Partial<ApplyOptions> = {}) {
  const driver = openDriver(db.url);
  try {
    return await apply(driver, d, { operatorVersion: 'test', lockTimeoutMs: 30_000, ...opts });
  } finally {
    await driver.close();
  }
}

async function revisions(db: TestDatabase): Promise<Revision[]> {
  const driver = openDriver(db.url);
  try {
    return await driver.readRevisions(driver.defaultRevisionsSchema());
  } finally {
    await driver.close();
  }
}

async function tables(db: TestDatabase): Promise<string[]> {
  const sql: Record<DialectName, string> = {
    postgres: "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    mysql: 'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1',
    sqlite: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1",
  };
  return (await db.query<{ name: string }>(sql[db.dialect])).map((r) => r.name);
}

async function count(db: TestDatabase, table: string): Promise<number> {
  const [row] = await db.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row?.n);
}

const BASE = {
  '1_users.sql': '-- users\nCREATE TABLE users (id int NOT NULL, name varchar(255) NOT NULL, PRIMARY KEY (id));\n',
  '2_seed.sql': "INSERT INTO users (id, name) VALUES (1, 'it''s; fine');\nINSERT INTO users (id, name) VALUES (2, 'what?');\n",
};

async function withDb(target: TargetName, fn: (db: TestDatabase) => Promise<void>): Promise<void> {
  const db = await servers.fresh(target);
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

for (const target of TARGET_NAMES) {
  const dialect = TARGET_DIALECT[target];
  describe(`${target}: apply`, () => {
    it('applies a fresh database, writing one revision per file', () =>
      withDb(target, async (db) => {
        const result = await run(db, dir(BASE));
        assert.equal(result.target, '2');
        // The URL binds a schema, so the revisions table lives next to the application's tables.
        assert.deepEqual(await tables(db), ['atlas_schema_revisions', 'users']);
        const names = await db.query<{ name: string }>('SELECT name FROM users ORDER BY id');
        assert.deepEqual(names.map((r) => r.name), ["it's; fine", 'what?']);
        const revs = await revisions(db);
        assert.deepEqual(
          revs.map((r) => [r.version, r.description, r.type, r.applied, r.total, r.error, r.partialHashes]),
          [
            ['1', 'users', RevisionType.Execute, 1, 1, '', null],
            ['2', 'seed', RevisionType.Execute, 2, 2, '', null],
          ],
        );
        const sum = dir(BASE).computedSum();
        assert.equal(revs[0]?.hash, sum.hashOf('1_users.sql'));
        assert.equal(revs[0]?.operatorVersion, 'test');
        // As Atlas (Go's json.Marshal of a nil slice): the JSON literal null, not SQL NULL.
        const stored = await db.query<{ text: string | Buffer | null }>(PARTIAL_HASHES_TEXT[dialect]);
        assert.deepEqual(stored.map((r) => (Buffer.isBuffer(r.text) ? r.text.toString('utf8') : r.text)), ['null', 'null']);
      }));

    it('re-applying is a no-op; an added file is the only one run', () =>
      withDb(target, async (db) => {
        await run(db, dir(BASE));
        const again = await run(db, dir(BASE));
        assert.equal(again.files.length, 0);
        assert.equal(await count(db, 'users'), 2);
        const more = await run(db, dir({ ...BASE, '3_more.sql': "INSERT INTO users (id, name) VALUES (3, 'c');\n" }));
        assert.deepEqual(more.files.map((f) => f.name), ['3_more.sql']);
        assert.equal(more.current, '2');
        assert.equal(await count(db, 'users'), 3);
      }));

    it('handles files added out of order per exec order', () =>
      withDb(target, async (db) => {
        const three = "INSERT INTO users (id, name) VALUES (3, 'c');\n";
        const two = "INSERT INTO users (id, name) VALUES (20, 'late');\n";
        await run(db, dir({ '1_users.sql': BASE['1_users.sql'], '3_c.sql': three }));
        const withTwo = dir({ '1_users.sql': BASE['1_users.sql'], '2_late.sql': two, '3_c.sql': three });
        await assert.rejects(run(db, withTwo), (e: unknown) => e instanceof HistoryNonLinearError && /file 2_late\.sql was added out of order/.test(e.message));
        assert.equal((await run(db, withTwo, { execOrder: 'linear-skip' })).files.length, 0);
        assert.equal(await count(db, 'users'), 1);
        const nonLinear = await run(db, withTwo, { execOrder: 'non-linear' });
        assert.deepEqual(nonLinear.files.map((f) => f.name), ['2_late.sql']);
        assert.equal(await count(db, 'users'), 2);
      }));

    it('refuses a dirty database; baseline and allow-dirty take it over', () =>
      withDb(target, async (db) => {
        await db.query('CREATE TABLE legacy (id int)');
        // SQLite counts tables (Atlas's wording); the others name the table.
        const reason = dialect === 'sqlite' ? /found multiple tables: 2/ : /found table "legacy"/;
        await assert.rejects(run(db, dir(BASE)), (e: unknown) => e instanceof NotCleanError && reason.test(e.message) && /baseline version or allow-dirty is required/.test(e.message));
        assert.deepEqual(await revisions(db), []);
        await db.query(BASE['1_users.sql'].split('\n')[1] ?? '');
        const result = await run(db, dir(BASE), { baseline: '1' });
        assert.equal(result.baseline, '1');
        assert.deepEqual(result.files.map((f) => f.name), ['2_seed.sql']);
        const revs = await revisions(db);
        assert.deepEqual(revs.map((r) => [r.version, r.type, r.applied, r.total, r.hash]), [
          ['1', RevisionType.Baseline, 0, 0, ''],
          ['2', RevisionType.Execute, 2, 2, dir(BASE).computedSum().hashOf('2_seed.sql')],
        ]);
      }));

    it('allow-dirty applies every file on a dirty database', () =>
      withDb(target, async (db) => {
        await db.query('CREATE TABLE legacy (id int)');
        const result = await run(db, dir(BASE), { allowDirty: true });
        assert.equal(result.files.length, 2);
      }));

    it('stops at a failing statement and resumes after the fix', () =>
      withDb(target, async (db) => {
        const broken = {
          ...BASE,
          '3_orders.sql': 'CREATE TABLE orders (id int);\nINSERT INTO missing_table VALUES (1);\nCREATE TABLE after_failure (id int);\n',
        };
        await assert.rejects(run(db, dir(broken)), (e: unknown) => {
          assert.ok(e instanceof StatementExecError, String(e));
          assert.equal(e.file, '3_orders.sql');
          assert.equal(e.statement, 2);
          assert.equal(e.line, 2);
          return true;
        });
        const tbls = await tables(db);
        assert.ok(!tbls.includes('after_failure'), 'nothing after the failing statement runs');
        const last = (await revisions(db)).at(-1);
        if (dialect === 'mysql') {
          // MySQL commits DDL implicitly: the first statement stays, and the row records the failure.
          assert.ok(tbls.includes('orders'));
          assert.deepEqual([last?.version, last?.applied, last?.total, last?.errorStmt], ['3', 1, 3, 'INSERT INTO missing_table VALUES (1);']);
          // go-sql-driver's wording, which Atlas stores.
          assert.equal(last?.error, `Error 1146 (42S02): Table '${db.name}.missing_table' doesn't exist`);
          assert.equal(last?.partialHashes?.length, 1);
        } else {
          // Transactional DDL: the whole file, revision row included, rolled back.
          assert.ok(!tbls.includes('orders'));
          assert.equal(last?.version, '2');
        }
        const fixed = { ...broken, '3_orders.sql': 'CREATE TABLE orders (id int);\nINSERT INTO orders VALUES (1);\nCREATE TABLE after_failure (id int);\n' };
        const resumed = await run(db, dir(fixed));
        assert.deepEqual(resumed.files.map((f) => [f.name, f.resumeAt]), [['3_orders.sql', dialect === 'mysql' ? 1 : 0]]);
        const done = (await revisions(db)).at(-1);
        assert.deepEqual([done?.applied, done?.total, done?.error, done?.errorStmt, done?.partialHashes], [3, 3, '', '', null]);
        assert.equal(await count(db, 'orders'), 1);
      }));

    it('records partial progress without a transaction and refuses an edited applied statement', () =>
      withDb(target, async (db) => {
        const broken = { ...BASE, '3_x.sql': 'CREATE TABLE x1 (id int);\nINSERT INTO nope VALUES (1);\n' };
        await assert.rejects(run(db, dir(broken), { txMode: 'none' }), StatementExecError);
        const partial = (await revisions(db)).at(-1);
        assert.deepEqual([partial?.applied, partial?.total], [1, 2]);
        const statusDriver = openDriver(db.url);
        const status = await migrationStatus(statusDriver, dir(broken)).finally(() => statusDriver.close());
        assert.match(formatStatus(status), /Current Version: 3 \(1 statements applied\)[\s\S]*Last migration attempt had errors:\n {2}-- SQL: {3}INSERT INTO nope VALUES \(1\);/);
        const edited = { ...BASE, '3_x.sql': 'CREATE TABLE x1 (id bigint);\nCREATE TABLE x2 (id int);\n' };
        await assert.rejects(
          run(db, dir(edited)),
          (e: unknown) => e instanceof HistoryChangedError && e.message === 'sql/migrate: history changed: statement 1 from file "3_x.sql" changed',
        );
      }));

    it('tx-mode all: a failure in a later file undoes the earlier ones where DDL is transactional', () =>
      withDb(target, async (db) => {
        const files = { ...BASE, '3_bad.sql': 'INSERT INTO missing VALUES (1);\n' };
        await assert.rejects(run(db, dir(files), { txMode: 'all' }), StatementExecError);
        if (dialect === 'mysql') {
          // CREATE TABLE commits implicitly on MySQL: file 1 stays.
          assert.ok((await tables(db)).includes('users'));
        } else {
          assert.deepEqual(await tables(db), ['atlas_schema_revisions']);
          assert.deepEqual(await revisions(db), []);
        }
      }));

    it('refuses a checksum mismatch before touching the database', () =>
      withDb(target, async (db) => {
        const before = await db.dump();
        const stale = dir(BASE).computedSum().format();
        const edited = dir({ ...BASE, '2_seed.sql': BASE['2_seed.sql'] + '-- edited\n' }, stale);
        await assert.rejects(run(db, edited), (e: unknown) => e instanceof ChecksumMismatchError && e.describe() === 'L3: 2_seed.sql was edited');
        assert.equal(await db.dump(), before);
      }));

    it('dry-run changes nothing at all, not even the revisions table', () =>
      withDb(target, async (db) => {
        await run(db, dir({ '1_users.sql': BASE['1_users.sql'] }));
        const before = await db.dump();
        const result = await run(db, dir(BASE), { dryRun: true });
        assert.deepEqual(result.files.map((f) => f.name), ['2_seed.sql']);
        assert.equal(await db.dump(), before);
        const fresh = await servers.fresh(target);
        try {
          await fresh.query('SELECT 1'); // an existing, empty database (SQLite: the file exists)
          const empty = await fresh.dump();
          await run(fresh, dir(BASE), { dryRun: true, baseline: '1' });
          assert.equal(await fresh.dump(), empty);
        } finally {
          await fresh.close();
        }
      }));

    it('two concurrent applies: one waits for the lock, nothing runs twice', () =>
      withDb(target, async (db) => {
        const slow: Record<DialectName, string> = {
          postgres: 'SELECT pg_sleep(1);\n',
          mysql: 'SELECT SLEEP(1);\n',
          sqlite: 'SELECT 1;\n',
        };
        const files = { ...BASE, '3_slow.sql': slow[dialect] + "INSERT INTO users (id, name) VALUES (3, 'once');\n" };
        const results = await Promise.all([run(db, dir(files)), run(db, dir(files))]);
        const ran = results.map((r) => r.files.length).sort();
        assert.deepEqual(ran, [0, 3]);
        assert.equal(await count(db, 'users'), 3);
      }));

    it('creates the revisions table with Atlas column types', () =>
      withDb(target, async (db) => {
        await run(db, dir(BASE));
        assert.deepEqual(await revisionColumns(db), EXPECTED_COLUMNS[target]);
        if (dialect === 'sqlite') {
          const [ddl] = await db.query<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'atlas_schema_revisions'");
          assert.equal(
            ddl?.sql,
            'CREATE TABLE `atlas_schema_revisions` (`version` text NOT NULL, `description` text NOT NULL, `type` integer NOT NULL DEFAULT 2, ' +
              '`applied` integer NOT NULL DEFAULT 0, `total` integer NOT NULL DEFAULT 0, `executed_at` datetime NOT NULL, `execution_time` integer NOT NULL, ' +
              '`error` text NULL, `error_stmt` text NULL, `hash` text NOT NULL, `partial_hashes` json NULL, `operator_version` text NOT NULL, PRIMARY KEY (`version`))',
          );
        }
      }));
  });

  describe(`${target}: bad input`, () => {
    it('a SQL error mid-file names file, statement and line; nothing after it runs', () =>
      withDb(target, async (db) => {
        const files = { '1_bad.sql': 'CREATE TABLE ok1 (id int);\n\nCREATE TABLE oops oops (id int);\nCREATE TABLE never (id int);\n' };
        await assert.rejects(run(db, dir(files), { txMode: 'none' }), (e: unknown) => e instanceof Error && /\(1_bad\.sql: statement 2, line 3\)$/.test(e.message));
        assert.ok(!(await tables(db)).includes('never'));
      }));
  });
}

/** `partial_hashes` as the stored text (SQLite keeps Atlas's blob). */
const PARTIAL_HASHES_TEXT: Record<DialectName, string> = {
  mysql: 'SELECT CAST(partial_hashes AS CHAR) AS text FROM atlas_schema_revisions ORDER BY version',
  postgres: 'SELECT partial_hashes::text AS text FROM atlas_schema_revisions ORDER BY version',
  sqlite: 'SELECT partial_hashes AS text FROM atlas_schema_revisions ORDER BY version',
};

const MARIADB_COLUMNS = [
  'version varchar(255) NO',
  'description varchar(255) NO',
  'type bigint(20) unsigned NO 2',
  'applied bigint(20) NO 0',
  'total bigint(20) NO 0',
  'executed_at timestamp YES NULL',
  'execution_time bigint(20) NO',
  'error longtext YES NULL',
  'error_stmt longtext YES NULL',
  'hash varchar(255) NO',
  'partial_hashes longtext YES NULL',
  'operator_version varchar(255) NO',
];

const EXPECTED_COLUMNS: Record<TargetName, string[]> = {
  // MySQL 8.0.2+: Ent's NOT NULL timestamp and a real json column; no integer display widths (8.0.19+).
  mysql8: [
    'version varchar(255) NO',
    'description varchar(255) NO',
    'type bigint unsigned NO 2',
    'applied bigint NO 0',
    'total bigint NO 0',
    'executed_at timestamp NO',
    'execution_time bigint NO',
    'error longtext YES',
    'error_stmt longtext YES',
    'hash varchar(255) NO',
    'partial_hashes json YES',
    'operator_version varchar(255) NO',
  ],
  // MariaDB: Ent declares timestamps NULL there; json is an alias of longtext.
  mariadb11: MARIADB_COLUMNS,
  mariadb10: MARIADB_COLUMNS,
  postgres: [
    'version character varying NO',
    'description character varying NO',
    'type bigint NO 2',
    'applied bigint NO 0',
    'total bigint NO 0',
    'executed_at timestamp with time zone NO',
    'execution_time bigint NO',
    'error text YES',
    'error_stmt text YES',
    'hash character varying NO',
    'partial_hashes jsonb YES',
    'operator_version character varying NO',
  ],
  // SQLite upper-cases the types it knows (TEXT, INTEGER) in table_info; the exact DDL text is checked separately.
  sqlite: [
    'version TEXT NO',
    'description TEXT NO',
    'type INTEGER NO 2',
    'applied INTEGER NO 0',
    'total INTEGER NO 0',
    'executed_at datetime NO',
    'execution_time INTEGER NO',
    'error TEXT YES',
    'error_stmt TEXT YES',
    'hash TEXT NO',
    'partial_hashes json YES',
    'operator_version TEXT NO',
  ],
};

async function revisionColumns(db: TestDatabase): Promise<string[]> {
  type Col = { name: string; type: string; nullable: string; def: string | null };
  const sql: Record<DialectName, string> = {
    mysql:
      "SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS def FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'atlas_schema_revisions' ORDER BY ORDINAL_POSITION",
    postgres:
      "SELECT column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS def FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'atlas_schema_revisions' ORDER BY ordinal_position",
    sqlite:
      "SELECT name, type, CASE \"notnull\" WHEN 1 THEN 'NO' ELSE 'YES' END AS nullable, dflt_value AS def FROM pragma_table_info('atlas_schema_revisions') ORDER BY cid",
  };
  const cols = await db.query<Col>(sql[db.dialect]);
  return cols.map((c) => [c.name, c.type, c.nullable, c.def ?? ''].join(' ').trim().replace(/'/g, ''));
}

/**
 * The walk-through's migrations (shared/seed), byte for byte, through
 * `migrate apply` on the servers it targets: MySQL 8.0 (its `DESCRIBE`
 * output exactly as the walk-through prints it) and MariaDB 11.4; MariaDB
 * 10.11 refuses its collation with a clear error. Then a history applied in
 * two sittings, and one carried from MariaDB 10.11 to 11.4 by dump and
 * restore, keep their revision rows.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServers, type TestDatabase, type TestServers } from '../../e2e/databases/targets';
import { runCaptured, type CapturedRun } from './run-captured';

const SEED = join(__dirname, '..', 'migrate', 'testdata', 'seed');
const work = mkdtempSync(join(tmpdir(), 'seed-walkthrough-'));

let servers: TestServers;
before(async () => {
  servers = await startTestServers(['mysql8', 'mariadb11', 'mariadb10']);
});
after(async () => {
  await servers?.stop();
  rmSync(work, { recursive: true, force: true });
});

const cli = (...argv: string[]): Promise<CapturedRun> => runCaptured(argv);

type Row = [field: string, type: string, nullable: string, key: string, def: string, extra: string];

/** Step 6 of the walk-through: `describe myapp.users` and `describe myapp.posts` as it prints them. */
const SEED_TABLES: Record<'users' | 'posts', Row[]> = {
  users: [
    ['id', 'int', 'NO', 'PRI', 'NULL', ''],
    ['user_name', 'varchar(255)', 'NO', '', 'NULL', ''],
    ['email', 'varchar(255)', 'NO', '', 'NULL', ''],
  ],
  posts: [
    ['id', 'int', 'NO', 'PRI', 'NULL', ''],
    ['user_id', 'int', 'NO', 'MUL', 'NULL', ''],
    ['title', 'varchar(255)', 'NO', '', 'NULL', ''],
    ['body', 'text', 'NO', '', 'NULL', ''],
  ],
};

async function describeTable(db: TestDatabase, table: string): Promise<Row[]> {
  const rows = await db.query<Record<string, string | null>>(`DESCRIBE \`${db.name}\`.\`${table}\``);
  return rows.map((r) => [r.Field, r.Type, r.Null, r.Key, r.Default ?? 'NULL', r.Extra].map((v) => v ?? '') as Row);
}

interface RevisionRow {
  version: string;
  description: string;
  type: number;
  applied: number;
  total: number;
  executed_at: Date;
  error: string;
  hash: string;
}

async function revisionRows(db: TestDatabase): Promise<RevisionRow[]> {
  return db.query<RevisionRow>('SELECT version, description, type, applied, total, executed_at, error, hash FROM atlas_schema_revisions ORDER BY version');
}

const SEED_SUM = {
  '20230316085611': 'br6W6LPEnnsejlz/7hRm9zthwStCzjN2vZkqVPxlmvo=',
  '20230316090502': 'GfeRjkSeoCt3JVRtLQNa/r50lRfpAPXS7AqTU2ZNFgY=',
};

describe('the walk-through, verbatim', () => {
  it('MySQL 8.0: applies and gives the walk-through\'s tables exactly', async () => {
    const db = await servers.fresh('mysql8');
    try {
      const r = await cli('migrate', 'apply', '--url', db.url, '--dir', `file://${SEED}`);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Migrating to version 20230316090502 \(2 migrations in total\):/);
      assert.deepEqual(await describeTable(db, 'users'), SEED_TABLES.users);
      assert.deepEqual(await describeTable(db, 'posts'), SEED_TABLES.posts);
      const revs = await revisionRows(db);
      assert.deepEqual(
        revs.map((x) => [x.version, x.description, Number(x.type), Number(x.applied), Number(x.total), x.error, x.hash]),
        Object.entries(SEED_SUM).map(([v, h]) => [v, '', 2, 1, 1, '', h]),
      );
    } finally {
      await db.close();
    }
  });

  it('MariaDB 11.4: applies; the same tables (MariaDB shows int display widths)', async () => {
    const db = await servers.fresh('mariadb11');
    try {
      const r = await cli('migrate', 'apply', '--url', db.url, '--dir', `file://${SEED}`);
      assert.equal(r.code, 0, r.err);
      for (const table of ['users', 'posts'] as const) {
        const rows = (await describeTable(db, table)).map((row) => row.map((v) => v.replace(/^int\(11\)$/, 'int')));
        assert.deepEqual(rows, SEED_TABLES[table]);
      }
    } finally {
      await db.close();
    }
  });

  it('MariaDB 10.11: the MySQL 8 collation is refused, naming file, statement and line', async () => {
    const db = await servers.fresh('mariadb10');
    try {
      const r = await cli('migrate', 'apply', '--url', db.url, '--dir', `file://${SEED}`);
      assert.equal(r.code, 1);
      assert.match(r.err, /Error 1273 \(HY000\): Unknown collation: 'utf8mb4_0900_ai_ci' \(20230316085611\.sql: statement 1, line 2\)/);
      assert.deepEqual(await db.query("SHOW TABLES LIKE 'users'"), []);
    } finally {
      await db.close();
    }
  });
});

describe('a history applied in parts', () => {
  it('MySQL 8.0: one file now, the rest later; the first row is kept as written', async () => {
    const db = await servers.fresh('mysql8');
    try {
      assert.equal((await cli('migrate', 'apply', '--url', db.url, '--dir', `file://${SEED}`, '1')).code, 0);
      const [first] = await revisionRows(db);
      const status = await cli('migrate', 'status', '--url', db.url, '--dir', `file://${SEED}`);
      assert.match(status.out, /Current Version: 20230316085611\n {2}-- Next Version: {4}20230316090502\n {2}-- Executed Files: {2}1\n {2}-- Pending Files: {3}1/);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal((await cli('migrate', 'apply', '--url', db.url, '--dir', `file://${SEED}`)).code, 0);
      const revs = await revisionRows(db);
      assert.deepEqual(revs.map((x) => x.version), Object.keys(SEED_SUM));
      assert.deepEqual(revs[0], first, 'the first row is untouched by the second run');
      assert.ok((revs[1]?.executed_at.getTime() ?? 0) > (first?.executed_at.getTime() ?? 0));
    } finally {
      await db.close();
    }
  });

  it('MariaDB 10.11 → 11.4 by dump and restore: the history carries over and the rest applies', async () => {
    const files = {
      '1_users.sql': 'CREATE TABLE users (id int NOT NULL, name varchar(64) NOT NULL, PRIMARY KEY (id));\n',
      '2_seed.sql': "INSERT INTO users VALUES (1, 'a');\nINSERT INTO users VALUES (2, 'b');\n",
      '3_index.sql': 'CREATE INDEX users_name ON users (name);\n',
    };
    const dir = join(work, 'handover');
    execFileSync('mkdir', ['-p', dir]);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    assert.equal((await cli('migrate', 'hash', '--dir', `file://${dir}`)).code, 0);
    const old = await servers.fresh('mariadb10');
    const next = await servers.fresh('mariadb11');
    try {
      assert.equal((await cli('migrate', 'apply', '--url', old.url, '--dir', `file://${dir}`, '2')).code, 0);
      const before = await revisionRows(old);
      const from = servers.server('mariadb10');
      const to = servers.server('mariadb11');
      const dump = execFileSync('mariadb-dump', ['-h', from.host, '-P', String(from.port), '-u', from.user, `-p${from.password}`, old.name]);
      execFileSync('mariadb', ['-h', to.host, '-P', String(to.port), '-u', to.user, `-p${to.password}`, next.name], { input: dump });
      assert.deepEqual(await revisionRows(next), before);
      const r = await cli('migrate', 'apply', '--url', next.url, '--dir', `file://${dir}`);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Migrating to version 3 from 2 \(1 migrations in total\)/);
      const after = await revisionRows(next);
      assert.deepEqual(after.slice(0, 2), before);
      assert.deepEqual(after.map((x) => x.version), ['1', '2', '3']);
    } finally {
      await old.close();
      await next.close();
    }
  });
});

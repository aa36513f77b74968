/**
 * `migrate lint --url` on real MySQL 8.0, MariaDB 11.4 / 10.11, PostgreSQL
 * 15 and SQLite, through the CLI entry: the live counts in text and JSON,
 * a hostile table name quoted correctly, a locked table that costs one
 * timeout instead of hanging, and proof that lint takes no lock and
 * changes nothing (it runs while another session holds Atlas's lock, and
 * the database dump is identical afterwards, with no revisions table made).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServers, type TargetName, type TestDatabase, type TestServers } from '../../../e2e/databases/targets';
import { runCaptured, type CapturedRun } from '../../cli/run-captured';
import { openDriver } from '../dialects/registry';
import type { DialectName } from '../dialects/syntax';

const TARGETS: readonly TargetName[] = ['mysql8', 'mariadb11', 'mariadb10', 'postgres', 'sqlite'];
const work = mkdtempSync(join(tmpdir(), 'lint-live-'));
let servers: TestServers;
before(async () => {
  servers = await startTestServers(TARGETS);
});
after(async () => {
  await servers?.stop();
  rmSync(work, { recursive: true, force: true });
});

const cli = (...argv: string[]): Promise<CapturedRun> => runCaptured(argv);
let dirs = 0;

/** A migration directory with a correct atlas.sum. */
async function directory(files: Record<string, string>): Promise<string> {
  const dir = join(work, `d${dirs++}`);
  mkdirSync(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  assert.equal((await cli('migrate', 'hash', '--dir', dir)).code, 0);
  return dir;
}

/** Quotes as each dialect does; the hostile name below needs it. */
function q(dialect: DialectName, name: string): string {
  return dialect === 'mysql' ? '`' + name.replaceAll('`', '``') + '`' : '"' + name.replaceAll('"', '""') + '"';
}

/** A quote of each kind, a statement break and a comment: it must reach the database as one name. */
const HOSTILE = 'we"ird`; DROP TABLE users; -- \'x';

/** 1,204 users: e-mails repeat (ids 1-204 and 1001-1204 share one), every 100th+7 has none; nick is set on 1 in 3. */
const USERS = Array.from({ length: 1204 }, (_, i) => {
  const id = i + 1;
  return { id, email: id % 100 === 7 ? null : `u${id % 1000}`, nick: id % 3 === 0 ? `n${id}` : null };
});

function expectedDuplicates(): { groups: number; rows: number } {
  const byEmail = new Map<string, number>();
  for (const u of USERS) if (u.email !== null) byEmail.set(u.email, (byEmail.get(u.email) ?? 0) + 1);
  const repeated = [...byEmail.values()].filter((c) => c > 1);
  return { groups: repeated.length, rows: repeated.reduce((a, b) => a + b, 0) };
}
const DUPLICATES = expectedDuplicates();
const NICK_NULLS = USERS.filter((u) => u.nick === null).length;
const NICKS = USERS.length - NICK_NULLS;

const BASE = (d: DialectName): string =>
  `CREATE TABLE users (id int, email varchar(50), nick varchar(50));\nCREATE TABLE ${q(d, HOSTILE)} (id int);\n`;

function makeNotNull(d: DialectName): string {
  if (d === 'mysql') return 'ALTER TABLE users MODIFY nick varchar(50) NOT NULL;';
  if (d === 'postgres') return 'ALTER TABLE users ALTER COLUMN nick SET NOT NULL;';
  return '-- SQLite cannot change a column to NOT NULL in place';
}

/** The risky file: one statement per live check. */
const RISKY = (d: DialectName): string =>
  [
    'CREATE UNIQUE INDEX users_email ON users (email);',
    'ALTER TABLE users ADD COLUMN age int NOT NULL;',
    makeNotNull(d),
    'ALTER TABLE users DROP COLUMN nick;',
    'DELETE FROM users;',
    `DROP TABLE ${q(d, HOSTILE)};`,
    'DROP TABLE ghost;',
    'CREATE TABLE fresh (id int);',
    'DROP TABLE fresh;',
  ].join('\n') + '\n';

async function seed(db: TestDatabase): Promise<void> {
  for (let i = 0; i < USERS.length; i += 400) {
    const chunk = USERS.slice(i, i + 400);
    await db.query(`INSERT INTO users (id, email, nick) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`, chunk.flatMap((u) => [u.id, u.email, u.nick]));
  }
  await db.query(`INSERT INTO ${q(db.dialect, HOSTILE)} (id) VALUES (1), (2), (3)`);
}

interface LintDoc {
  files: { name: string }[];
  findings: { code: string; line: number; live: string | null; subject: { table?: string } | null }[];
  errors: number;
  planHash: string;
}

function liveOf(doc: LintDoc, code: string, table?: string): (string | null)[] {
  return doc.findings.filter((f) => f.code === code && (table === undefined || f.subject?.table === table)).map((f) => f.live);
}

describe('migrate lint --url: live counts', () => {
  for (const target of TARGETS) {
    it(target, async (t) => {
      const db = await servers.fresh(target);
      try {
        const d = db.dialect;
        const dir = await directory({ '1_base.sql': BASE(d), '2_risky.sql': RISKY(d) });
        assert.equal((await cli('migrate', 'apply', '--url', db.url, '--dir', dir, '1')).code, 0);
        await seed(db);
        const before = await db.dump();
        const started = Date.now();
        const text = await cli('migrate', 'lint', '--url', db.url, '--dir', dir);
        const json = await cli('migrate', 'lint', '--url', db.url, '--dir', dir, '--format', 'json');
        t.diagnostic(`${target}: two lint runs in ${Date.now() - started} ms`);
        assert.equal(await db.dump(), before, 'lint changed the database');
        assert.equal(text.code, 1, text.err);
        assert.equal(json.code, 1, json.err);
        const doc = JSON.parse(json.out) as LintDoc;
        assert.deepEqual(doc.files.map((f) => f.name), ['2_risky.sql']);
        assert.deepEqual(liveOf(doc, 'MF101'), [`${DUPLICATES.groups} duplicated values (${DUPLICATES.rows} rows)`]);
        assert.deepEqual(liveOf(doc, 'MF103'), ['table holds 1,204 rows']);
        if (d !== 'sqlite') assert.deepEqual(liveOf(doc, 'MF104'), [`${NICK_NULLS} NULLs`]);
        assert.deepEqual(liveOf(doc, 'DS103'), [`holds ${NICKS} non-NULL values`]);
        assert.deepEqual(liveOf(doc, 'KM102'), ['removes 1,204 rows']);
        assert.deepEqual(liveOf(doc, 'DS102', HOSTILE), ['holds 3 rows']);
        assert.deepEqual(liveOf(doc, 'DS102', 'ghost'), ['table "ghost" does not exist']);
        assert.deepEqual(liveOf(doc, 'DS102', 'fresh'), ['table "fresh" does not exist yet (an earlier statement creates it)']);
        assert.match(text.out, /: DS102 \[error\]: .*\(holds 3 rows\)\n/);
        assert.match(text.out, /: KM102 \[error\]: .*\(removes 1,204 rows\)\n/);
        assert.match(text.out, new RegExp(`: MF101: .*\\(${DUPLICATES.groups} duplicated values \\(${DUPLICATES.rows} rows\\)\\)\\n`));
        assert.match(text.out, new RegExp(`Plan hash: ${doc.planHash}\\n$`));
        const password = db.dialect === 'sqlite' ? '' : decodeURIComponent(new URL(db.url).password);
        if (password !== '') {
          assert.ok(!(text.out + text.err + json.out + json.err).includes(password), 'the password was printed');
          assert.match(text.out, /^Linting files pending on [a-z]+:\/\/[^:]+:xxxxx@/);
        }
        // The hostile name was quoted: its DROP TABLE users never ran.
        assert.equal((await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM users'))[0]?.n.toString(), '1204');
      } finally {
        await db.close();
      }
    });
  }

  it('PostgreSQL: a fresh database gets no revisions table; every file is linted', async () => {
    const db = await servers.fresh('postgres');
    try {
      const dir = await directory({ '1_base.sql': BASE('postgres'), '2_risky.sql': RISKY('postgres') });
      const r = await cli('migrate', 'lint', '--url', db.url, '--dir', dir, '--format', 'json');
      assert.equal(r.code, 1, r.err);
      assert.deepEqual((JSON.parse(r.out) as LintDoc).files.map((f) => f.name), ['1_base.sql', '2_risky.sql']);
      assert.deepEqual(await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'atlas_schema_revisions'"), []);
    } finally {
      await db.close();
    }
  });
});

/** A holder session on its own connection: runs SQL and keeps its locks until done(). */
async function holdLock(db: TestDatabase, statements: readonly string[], undo: string): Promise<() => Promise<void>> {
  const driver = openDriver(db.url);
  const session = await driver.session('unused');
  for (const sql of statements) await session.execute(sql);
  return async () => {
    await session.execute(undo);
    await session.release();
    await driver.close();
  };
}

const LOCKS: Partial<Record<TargetName, { take: string[]; undo: string }>> = {
  postgres: { take: ['BEGIN', 'LOCK TABLE users IN ACCESS EXCLUSIVE MODE'], undo: 'ROLLBACK' },
  mysql8: { take: ['LOCK TABLES users WRITE'], undo: 'UNLOCK TABLES' },
  mariadb11: { take: ['LOCK TABLES users WRITE'], undo: 'UNLOCK TABLES' },
};

describe('migrate lint --url: bounded, lock-free', () => {
  for (const [target, lock] of Object.entries(LOCKS) as [TargetName, { take: string[]; undo: string }][]) {
    it(`${target}: a locked table costs one timeout and is reported as not counted`, async (t) => {
      const db = await servers.fresh(target);
      try {
        const d = db.dialect;
        const dir = await directory({ '1_base.sql': BASE(d), '2_risky.sql': RISKY(d) });
        assert.equal((await cli('migrate', 'apply', '--url', db.url, '--dir', dir, '1')).code, 0);
        await seed(db);
        const release = await holdLock(db, lock.take, lock.undo);
        try {
          const started = Date.now();
          const r = await cli('migrate', 'lint', '--url', db.url, '--dir', dir, '--format', 'json', '--live-timeout', '1s');
          const elapsed = Date.now() - started;
          t.diagnostic(`${target}: lint with users locked took ${elapsed} ms (timeout 1s)`);
          assert.equal(r.code, 1, r.err);
          const doc = JSON.parse(r.out) as LintDoc;
          for (const code of ['MF101', 'MF103', 'DS103', 'KM102']) assert.deepEqual(liveOf(doc, code), ['not counted (timed out after 1s)'], code);
          // Another table is still counted.
          assert.deepEqual(liveOf(doc, 'DS102', HOSTILE), ['holds 3 rows']);
          // One timeout for the locked table, however many findings are about it; the rest is quick.
          assert.ok(elapsed < 4_000, `took ${elapsed} ms`);
        } finally {
          await release();
        }
      } finally {
        await db.close();
      }
    });
  }

  for (const target of ['postgres', 'mysql8'] as const) {
    it(`${target}: lint runs while another session holds Atlas's lock (apply cannot)`, async () => {
      const db = await servers.fresh(target);
      const holder = openDriver(db.url);
      try {
        const dir = await directory({ '1_base.sql': BASE(db.dialect), '2_risky.sql': RISKY(db.dialect) });
        const unlock = await holder.lock('atlas_migrate_execute', 1000);
        try {
          const lint = await cli('migrate', 'lint', '--url', db.url, '--dir', dir, '--live-timeout', '2s');
          assert.equal(lint.code, 1, lint.err);
          assert.match(lint.out, /Plan hash: [0-9a-f]{64}\n$/);
          const apply = await cli('migrate', 'apply', '--url', db.url, '--dir', dir, '--lock-timeout', '1s');
          assert.equal(apply.code, 1);
          assert.match(apply.err, /lock is held by other session/);
        } finally {
          await unlock();
        }
        if (target === 'postgres') {
          assert.deepEqual(await db.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"), []);
        }
      } finally {
        await holder.close();
        await db.close();
      }
    });
  }
});

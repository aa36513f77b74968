/** SQLite statements and the exact findings (code, line, subject) they give. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRow, type LintRow, rowTitle, statementCount } from './lint-rows.test-kit';
import { column, named, table, unique } from './subjects.test-kit';

const ROWS: readonly LintRow[] = [
  // DROP TABLE, quoted every SQLite way
  { sql: 'DROP TABLE users;', want: [['DS102', 1, table('users')]] },
  { sql: 'DROP TABLE IF EXISTS main.users;', want: [['DS102', 1, table('users', 'main')]] },
  { sql: 'DROP TABLE "Users";', want: [['DS102', 1, table('Users')]] },
  { sql: 'DROP TABLE Users;', want: [['DS102', 1, table('Users')]] },
  { sql: 'DROP TABLE [my table];', want: [['DS102', 1, table('my table')]] },
  { sql: 'DROP TABLE `t`;', want: [['DS102', 1, table('t')]] },
  { sql: 'DROP TABLE a;\nDROP TABLE b;', want: [['DS102', 1, table('a')], ['DS102', 2, table('b')]] },
  { sql: 'SELECT 1;\n\nDROP TABLE\n  t;', want: [['DS102', 3, table('t')]] },
  // ALTER TABLE
  { sql: 'ALTER TABLE t RENAME TO u;', want: [['BC101', 1, table('t')]] },
  { sql: 'ALTER TABLE main.t RENAME TO u;', want: [['BC101', 1, table('t', 'main')]] },
  { sql: 'ALTER TABLE t RENAME COLUMN a TO b;', want: [['BC102', 1, column('t', 'a')]] },
  { sql: 'ALTER TABLE t RENAME a TO b;', want: [['BC102', 1, column('t', 'a')]] },
  { sql: 'ALTER TABLE "My Table" RENAME COLUMN [Old Name] TO "New";', want: [['BC102', 1, column('My Table', 'Old Name')]] },
  { sql: 'ALTER TABLE t DROP COLUMN c;', want: [['DS103', 1, column('t', 'c')]] },
  { sql: 'ALTER TABLE t DROP c;', want: [['DS103', 1, column('t', 'c')]] },
  { sql: 'ALTER TABLE "My Table" DROP COLUMN "My Col";', want: [['DS103', 1, column('My Table', 'My Col')]] },
  { sql: 'ALTER TABLE t\n  DROP COLUMN c;', want: [['DS103', 2, column('t', 'c')]] },
  { sql: 'ALTER TABLE t ADD COLUMN c INTEGER NOT NULL;', want: [['MF103', 1, column('t', 'c')]] },
  { sql: 'ALTER TABLE t ADD COLUMN c INTEGER NOT NULL DEFAULT 0;', want: [] },
  { sql: 'ALTER TABLE t ADD c TEXT;', want: [] },
  { sql: "ALTER TABLE t ADD COLUMN c TEXT NOT NULL DEFAULT 'none';", want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN c INTEGER NOT NULL GENERATED ALWAYS AS (a + 1) VIRTUAL;', want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN c TEXT CHECK (c IS NOT NULL);', want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN c INTEGER REFERENCES u (id);', want: [] },
  // uniqueness
  { sql: 'CREATE UNIQUE INDEX i ON t (a);', want: [['MF101', 1, unique('index', 't', { name: 'i', columns: ['a'] })]] },
  {
    sql: 'CREATE UNIQUE INDEX IF NOT EXISTS main.i ON t (a COLLATE NOCASE, b DESC) WHERE a IS NOT NULL;',
    want: [['MF101', 1, unique('index', 't', { schema: 'main', name: 'i', columns: ['a', 'b'] })]],
  },
  { sql: 'CREATE UNIQUE INDEX i ON t (lower(a));', want: [['MF101', 1, unique('index', 't', { name: 'i' })]] },
  { sql: 'CREATE UNIQUE INDEX "I" ON [T] ([A]);', want: [['MF101', 1, unique('index', 'T', { name: 'I', columns: ['A'] })]] },
  { sql: 'CREATE INDEX i ON t (a);', want: [] },
  {
    sql: 'DROP INDEX i;\nCREATE UNIQUE INDEX i ON t (a);',
    want: [['KM201', 1, named('index', 'i')], ['MF102', 2, unique('index', 't', { name: 'i', columns: ['a'] })]],
  },
  { sql: 'CREATE TABLE n (a INTEGER);\nCREATE UNIQUE INDEX i ON n (a);\nALTER TABLE n ADD COLUMN b INTEGER NOT NULL;', want: [] },
  // other drops
  { sql: 'DROP INDEX i;', want: [['KM201', 1, named('index', 'i')]] },
  { sql: 'DROP INDEX IF EXISTS main.i;', want: [['KM201', 1, named('index', 'i', { schema: 'main' })]] },
  { sql: 'DROP VIEW v;', want: [['KM202', 1, named('view', 'v')]] },
  { sql: 'DROP VIEW IF EXISTS main.v;', want: [['KM202', 1, named('view', 'v', { schema: 'main' })]] },
  { sql: 'DROP TRIGGER trg;', want: [['KM204', 1, named('trigger', 'trg')]] },
  { sql: 'DROP TRIGGER IF EXISTS main.trg;', want: [['KM204', 1, named('trigger', 'trg', { schema: 'main' })]] },
  // data
  { sql: 'DELETE FROM t;', want: [['KM102', 1, table('t')]] },
  { sql: 'DELETE FROM main.t WHERE a = 1;', want: [] },
  { sql: 'DELETE FROM t WHERE id IN (SELECT id FROM u);', want: [] },
  { sql: 'DELETE FROM t AS x;', want: [['KM102', 1, table('t')]] },
  { sql: 'UPDATE t SET a = 1;', want: [['KM103', 1, table('t')]] },
  { sql: 'UPDATE OR REPLACE t SET a = 1;', want: [['KM103', 1, table('t')]] },
  { sql: 'UPDATE t SET a = 1 WHERE b;', want: [] },
  { sql: 'UPDATE t SET a = (SELECT b FROM u WHERE u.id = t.id);', want: [['KM103', 1, table('t')]] },
  { sql: 'UPDATE t\n  SET a = 1,\n      b = (SELECT 1 WHERE 0);', want: [['KM103', 1, table('t')]] },
  { sql: 'WITH x AS (SELECT 1) UPDATE t SET a = 1;', want: [['KM103', 1, table('t')]] },
  // nothing executed at the top level
  { sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT DEFAULT 'DROP TABLE x');", want: [] },
  { sql: 'CREATE TABLE t2 (id INTEGER, -- drop table y\n  body TEXT /* DROP TABLE z */);', want: [] },
  { sql: 'CREATE TRIGGER trg AFTER INSERT ON t BEGIN DELETE FROM u; END;', want: [] },
  { sql: "SELECT 'DROP TABLE t';", want: [] },
  { sql: 'SELECT 1 /* DROP TABLE t */;', want: [] },
  { sql: 'SELECT [DROP TABLE t] FROM x;', want: [] },
  { sql: 'INSERT INTO t VALUES (1);', want: [] },
  { sql: 'CREATE VIEW v AS SELECT 1;', want: [] },
  { sql: 'REINDEX t;\nVACUUM;\nPRAGMA foreign_keys = OFF;', want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN id INTEGER PRIMARY KEY;', want: [] },
];

describe('lint: SQLite', () => {
  it('has at least 60 statements in its table', (t) => {
    const count = statementCount('sqlite', ROWS);
    t.diagnostic(`${count} statements in ${ROWS.length} rows`);
    assert.ok(count >= 60);
  });
  for (const row of ROWS) it(rowTitle(row), () => checkRow('sqlite', row));
});

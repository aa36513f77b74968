/** PostgreSQL statements and the exact findings (code, line, subject) they give. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRow, type LintRow, rowTitle, statementCount } from './lint-rows.test-kit';
import { column, named, schemaNamed, table, unique } from './subjects.test-kit';

const ROWS: readonly LintRow[] = [
  // DROP SCHEMA / TABLE
  { sql: 'DROP TABLE users;', want: [['DS102', 1, table('users')]] },
  { sql: 'DROP TABLE IF EXISTS a, b CASCADE;', want: [['DS102', 1, table('a')], ['DS102', 1, table('b')]] },
  { sql: 'DROP TABLE "Users";', want: [['DS102', 1, table('Users')]] },
  { sql: 'DROP TABLE Users;', want: [['DS102', 1, table('users')]] },
  { sql: 'DROP TABLE public."Order";', want: [['DS102', 1, table('Order', 'public')]] },
  { sql: 'DROP TABLE "we""ird";', want: [['DS102', 1, table('we"ird')]] },
  { sql: 'DROP TABLE\n  a,\n  b;', want: [['DS102', 1, table('a')], ['DS102', 3, table('b')]] },
  { sql: 'SELECT 1;\n\nDROP TABLE\n  users;', want: [['DS102', 3, table('users')]] },
  { sql: 'DROP SCHEMA IF EXISTS app CASCADE;', want: [['DS101', 1, schemaNamed('app')]] },
  { sql: 'DROP SCHEMA a, "B";', want: [['DS101', 1, schemaNamed('a')], ['DS101', 1, schemaNamed('B')]] },
  { sql: 'DROP DATABASE d;', want: [['DS101', 1, schemaNamed('d')]] },
  // ALTER TABLE … DROP
  { sql: 'ALTER TABLE users DROP COLUMN email;', want: [['DS103', 1, column('users', 'email')]] },
  { sql: 'ALTER TABLE users DROP email;', want: [['DS103', 1, column('users', 'email')]] },
  { sql: 'ALTER TABLE IF EXISTS ONLY s.users DROP COLUMN IF EXISTS "E-mail" CASCADE;', want: [['DS103', 1, column('users', 'E-mail', 's')]] },
  {
    sql: 'ALTER TABLE users\n  ADD COLUMN x int,\n  DROP COLUMN y,\n  RENAME COLUMN a TO b;',
    want: [['DS103', 3, column('users', 'y')], ['BC102', 4, column('users', 'a')]],
  },
  { sql: 'ALTER TABLE t DROP CONSTRAINT t_a_fkey;', want: [['CD101', 1, named('constraint', 't_a_fkey', { table: 't' })]] },
  { sql: 'ALTER TABLE s.t DROP CONSTRAINT IF EXISTS "Fk" CASCADE;', want: [['CD101', 1, named('constraint', 'Fk', { schema: 's', table: 't' })]] },
  { sql: 'ALTER TABLE t ALTER COLUMN c DROP DEFAULT, ALTER c DROP NOT NULL;', want: [] },
  // renames
  { sql: 'ALTER TABLE t RENAME TO u;', want: [['BC101', 1, table('t')]] },
  { sql: 'ALTER TABLE s.t RENAME COLUMN a TO b;', want: [['BC102', 1, column('t', 'a', 's')]] },
  { sql: 'ALTER TABLE t RENAME a TO b;', want: [['BC102', 1, column('t', 'a')]] },
  { sql: 'ALTER TABLE t RENAME CONSTRAINT a TO b;', want: [] },
  { sql: 'ALTER INDEX i RENAME TO j;', want: [] },
  // ADD COLUMN NOT NULL
  { sql: 'ALTER TABLE t ADD COLUMN c int NOT NULL;', want: [['MF103', 1, column('t', 'c')]] },
  { sql: 'ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;', want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN id bigserial NOT NULL;', want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN id bigint NOT NULL GENERATED ALWAYS AS IDENTITY;', want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN total numeric NOT NULL GENERATED ALWAYS AS (a + b) STORED;', want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN id int PRIMARY KEY;', want: [['MF103', 1, column('t', 'id')]] },
  { sql: 'ALTER TABLE t ADD c text CHECK (c IS NOT NULL);', want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN IF NOT EXISTS "Flag" boolean NOT NULL;', want: [['MF103', 1, column('t', 'Flag')]] },
  // ALTER COLUMN
  { sql: 'ALTER TABLE t ALTER COLUMN c SET NOT NULL;', want: [['MF104', 1, column('t', 'c')]] },
  { sql: 'ALTER TABLE users\n  ADD COLUMN a int,\n  ALTER COLUMN b SET NOT NULL;', want: [['MF104', 3, column('users', 'b')]] },
  { sql: 'ALTER TABLE t ALTER COLUMN c TYPE varchar(10);', want: [['KM104', 1, column('t', 'c')]] },
  { sql: 'ALTER TABLE t ALTER COLUMN c SET DATA TYPE bigint USING c::bigint;', want: [['KM104', 1, column('t', 'c')]] },
  { sql: 'ALTER TABLE t ALTER COLUMN c TYPE text;', want: [] },
  { sql: "ALTER TABLE t ALTER COLUMN c SET DEFAULT 'drop table x';", want: [] },
  {
    sql:
      'CREATE TABLE p (id bigint, name varchar(255), price numeric(10,2));\n' +
      'ALTER TABLE p ALTER COLUMN name TYPE varchar(50), ALTER COLUMN id TYPE int,\n' +
      '  ALTER COLUMN price TYPE numeric(8,2);\n' +
      'ALTER TABLE p ALTER COLUMN name TYPE varchar(100), ALTER COLUMN price TYPE numeric(12,2);',
    want: [['KM104', 2, column('p', 'name')], ['KM104', 2, column('p', 'id')], ['KM104', 3, column('p', 'price')]],
  },
  {
    sql: 'CREATE TABLE q (a int);\nALTER TABLE q ALTER COLUMN a TYPE bigint;\nALTER TABLE q ALTER COLUMN a SET NOT NULL;\nALTER TABLE q ADD COLUMN b int NOT NULL;\nCREATE UNIQUE INDEX qa ON q (a);',
    want: [],
  },
  // uniqueness
  { sql: 'CREATE UNIQUE INDEX users_email ON users (email);', want: [['MF101', 1, unique('index', 'users', { name: 'users_email', columns: ['email'] })]] },
  {
    sql: 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY s.t USING btree (a, "B" DESC NULLS LAST);',
    want: [['MF101', 1, unique('index', 't', { schema: 's', name: 'i', columns: ['a', 'B'] })]],
  },
  { sql: 'CREATE UNIQUE INDEX ON t ((lower(email)));', want: [['MF101', 1, unique('index', 't', {})]] },
  { sql: 'CREATE UNIQUE INDEX i ON t (lower(email));', want: [['MF101', 1, unique('index', 't', { name: 'i' })]] },
  { sql: 'CREATE INDEX i ON t (a);', want: [] },
  { sql: 'ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a);', want: [['MF101', 1, unique('constraint', 't', { name: 't_a_key', columns: ['a'] })]] },
  { sql: 'ALTER TABLE t ADD UNIQUE (a, b);', want: [['MF101', 1, unique('constraint', 't', { columns: ['a', 'b'] })]] },
  { sql: 'ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i;', want: [] },
  { sql: 'ALTER TABLE t ADD PRIMARY KEY (id);', want: [['MF101', 1, unique('constraint', 't', { columns: ['id'] })]] },
  { sql: 'ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id);', want: [] },
  {
    sql: 'DROP INDEX i;\nCREATE UNIQUE INDEX i ON t (a);',
    want: [['KM201', 1, named('index', 'i')], ['MF102', 2, unique('index', 't', { name: 'i', columns: ['a'] })]],
  },
  // other drops
  { sql: 'DROP INDEX CONCURRENTLY IF EXISTS s.i;', want: [['KM201', 1, named('index', 'i', { schema: 's' })]] },
  { sql: 'DROP VIEW v;', want: [['KM202', 1, named('view', 'v')]] },
  { sql: 'DROP MATERIALIZED VIEW IF EXISTS s.mv;', want: [['KM202', 1, named('view', 'mv', { schema: 's' })]] },
  { sql: 'DROP FUNCTION f(int), s.g(text, int);', want: [['KM203', 1, named('routine', 'f')], ['KM203', 1, named('routine', 'g', { schema: 's' })]] },
  { sql: 'DROP PROCEDURE p;', want: [['KM203', 1, named('routine', 'p')]] },
  { sql: 'DROP TRIGGER IF EXISTS trg ON s.t;', want: [['KM204', 1, named('trigger', 'trg', { schema: 's', table: 't' })]] },
  { sql: 'DROP TYPE mood;\nDROP SEQUENCE seq;\nDROP EXTENSION pgcrypto;', want: [] },
  // data
  { sql: 'TRUNCATE users;', want: [['KM101', 1, table('users')]] },
  { sql: 'TRUNCATE TABLE ONLY a, s.b RESTART IDENTITY CASCADE;', want: [['KM101', 1, table('a')], ['KM101', 1, table('b', 's')]] },
  { sql: 'DELETE FROM t;', want: [['KM102', 1, table('t')]] },
  { sql: 'DELETE FROM t WHERE id = 1;', want: [] },
  { sql: 'DELETE FROM ONLY s.t USING u;', want: [['KM102', 1, table('t', 's')]] },
  { sql: 'UPDATE t SET a = 1;', want: [['KM103', 1, table('t')]] },
  { sql: 'UPDATE t SET a = (SELECT max(b) FROM u WHERE u.id = 1);', want: [['KM103', 1, table('t')]] },
  { sql: 'UPDATE t SET a = 1 WHERE b = 2;', want: [] },
  { sql: 'UPDATE t AS x SET a = y.b FROM y WHERE x.id = y.id;', want: [] },
  { sql: 'UPDATE t\n  SET a = 1\n  WHERE b = 2;', want: [] },
  { sql: 'WITH old AS (SELECT id FROM t WHERE a) DELETE FROM t;', want: [['KM102', 1, table('t')]] },
  { sql: 'WITH old AS (SELECT id FROM t) UPDATE t SET a = 1 WHERE id IN (SELECT id FROM old);', want: [] },
  // nothing executed at the top level
  { sql: 'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  DROP TABLE users;\nEND\n$$;', want: [] },
  { sql: 'DO $body$ BEGIN DELETE FROM t; END $body$;', want: [] },
  { sql: "SELECT 'DROP TABLE users';", want: [] },
  { sql: "CREATE TABLE notes (body text DEFAULT 'drop table x' /* drop table y */, -- DROP TABLE z\n  kind text);", want: [] },
  { sql: 'SELECT 1 /* outer /* DROP TABLE a */ DROP TABLE x */;', want: [] },
  { sql: "INSERT INTO t VALUES (E'tab\\t; DROP TABLE x', 'it''s; DROP TABLE y');", want: [] },
  { sql: 'SELECT $1, $q$ DROP TABLE t $q$;', want: [] },
  { sql: 'CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\nCREATE VIEW v AS SELECT * FROM t;', want: [] },
];

describe('lint: PostgreSQL', () => {
  it('has at least 60 statements in its table', (t) => {
    const count = statementCount('postgres', ROWS);
    t.diagnostic(`${count} statements in ${ROWS.length} rows`);
    assert.ok(count >= 60);
  });
  for (const row of ROWS) it(rowTitle(row), () => checkRow('postgres', row));
});

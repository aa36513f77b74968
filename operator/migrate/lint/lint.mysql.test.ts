/** MySQL statements and the exact findings (code, line, subject) they give. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRow, type LintRow, rowTitle, statementCount } from './lint-rows.test-kit';
import { column, named, schemaNamed, table, unique } from './subjects.test-kit';

const ROWS: readonly LintRow[] = [
  // DROP DATABASE / TABLE
  { sql: 'DROP TABLE users;', want: [['DS102', 1, table('users')]] },
  { sql: 'DROP TABLE IF EXISTS `db`.`Users`, b;', want: [['DS102', 1, table('Users', 'db')], ['DS102', 1, table('b')]] },
  { sql: 'DROP TABLE Users;', want: [['DS102', 1, table('Users')]] },
  { sql: 'DROP TABLE `a``b`;', want: [['DS102', 1, table('a`b')]] },
  { sql: 'DROP TEMPORARY TABLE IF EXISTS tmp;', want: [] },
  { sql: 'DROP DATABASE app;', want: [['DS101', 1, schemaNamed('app')]] },
  { sql: 'DROP SCHEMA IF EXISTS `app`;', want: [['DS101', 1, schemaNamed('app')]] },
  { sql: 'SELECT 1;\n\nDROP TABLE\n  users;', want: [['DS102', 3, table('users')]] },
  // ALTER TABLE … DROP
  { sql: 'ALTER TABLE t DROP y;', want: [['DS103', 1, column('t', 'y')]] },
  { sql: 'ALTER TABLE db.t DROP COLUMN `Y`;', want: [['DS103', 1, column('t', 'Y', 'db')]] },
  {
    sql: 'ALTER TABLE t ADD COLUMN x int, DROP COLUMN y, DROP FOREIGN KEY fk, RENAME COLUMN a TO b;',
    want: [['DS103', 1, column('t', 'y')], ['CD101', 1, named('constraint', 'fk', { table: 't' })], ['BC102', 1, column('t', 'a')]],
  },
  { sql: 'ALTER TABLE t DROP PRIMARY KEY;', want: [] },
  { sql: 'ALTER TABLE t DROP INDEX idx;', want: [['KM201', 1, named('index', 'idx', { table: 't' })]] },
  { sql: 'ALTER TABLE t DROP KEY `idx`;', want: [['KM201', 1, named('index', 'idx', { table: 't' })]] },
  { sql: 'ALTER TABLE t DROP CHECK chk;', want: [] },
  { sql: 'ALTER TABLE t DROP CONSTRAINT c;', want: [['CD101', 1, named('constraint', 'c', { table: 't' })]] },
  { sql: 'ALTER TABLE t DROP COLUMN c, ALGORITHM=INPLACE, LOCK=NONE;', want: [['DS103', 1, column('t', 'c')]] },
  { sql: 'ALTER TABLE t\n  ADD COLUMN a INT,\n  MODIFY b INT NOT NULL,\n  DROP c;', want: [['KM104', 3, column('t', 'b')], ['MF104', 3, column('t', 'b')], ['DS103', 4, column('t', 'c')]] },
  // CHANGE / MODIFY
  { sql: 'ALTER TABLE t CHANGE a b INT;', want: [['BC102', 1, column('t', 'a')], ['KM104', 1, column('t', 'a')]] },
  { sql: 'ALTER TABLE t CHANGE COLUMN a a VARCHAR(20) NOT NULL;', want: [['KM104', 1, column('t', 'a')], ['MF104', 1, column('t', 'a')]] },
  { sql: 'ALTER TABLE t CHANGE a A LONGTEXT;', want: [] },
  { sql: 'ALTER TABLE t MODIFY c VARCHAR(10) NOT NULL;', want: [['KM104', 1, column('t', 'c')], ['MF104', 1, column('t', 'c')]] },
  { sql: 'ALTER TABLE t MODIFY COLUMN c LONGTEXT;', want: [] },
  { sql: 'ALTER TABLE t MODIFY c INT UNSIGNED NULL;', want: [['KM104', 1, column('t', 'c')]] },
  {
    sql:
      'CREATE TABLE p (id BIGINT NOT NULL AUTO_INCREMENT, name VARCHAR(255) NULL, price DECIMAL(10,2), body TEXT, n INT, PRIMARY KEY (id));\n' +
      'ALTER TABLE p MODIFY id INT NOT NULL AUTO_INCREMENT,\n' +
      '  MODIFY name VARCHAR(50),\n' +
      '  MODIFY price DECIMAL(8,2),\n' +
      '  MODIFY body VARCHAR(100);\n' +
      'ALTER TABLE p MODIFY name VARCHAR(255) NOT NULL, MODIFY n BIGINT, MODIFY price DECIMAL(12,2);',
    want: [['KM104', 2, column('p', 'id')], ['KM104', 3, column('p', 'name')], ['KM104', 4, column('p', 'price')], ['KM104', 5, column('p', 'body')]],
  },
  { sql: 'ALTER TABLE t ALTER COLUMN c SET DEFAULT 1;', want: [] },
  // renames
  { sql: 'ALTER TABLE t RENAME TO u;', want: [['BC101', 1, table('t')]] },
  { sql: 'ALTER TABLE t RENAME AS db.u;', want: [['BC101', 1, table('t')]] },
  { sql: 'ALTER TABLE db.t RENAME u;', want: [['BC101', 1, table('t', 'db')]] },
  { sql: 'RENAME TABLE a TO b,\n  c TO d;', want: [['BC101', 1, table('a')], ['BC101', 2, table('c')]] },
  { sql: 'ALTER TABLE t RENAME INDEX a TO b;', want: [] },
  // ADD COLUMN NOT NULL
  { sql: 'ALTER TABLE t ADD COLUMN c INT NOT NULL;', want: [['MF103', 1, column('t', 'c')]] },
  { sql: 'ALTER TABLE t ADD c INT NOT NULL DEFAULT 0;', want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN id INT NOT NULL AUTO_INCREMENT PRIMARY KEY;', want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN full_name VARCHAR(200) AS (CONCAT(a, b)) NOT NULL;', want: [] },
  { sql: 'ALTER TABLE t ADD COLUMN (a INT NOT NULL, b INT NULL);', want: [['MF103', 1, column('t', 'a')]] },
  { sql: "ALTER TABLE t ADD COLUMN c VARCHAR(10) NOT NULL COMMENT 'no default';", want: [['MF103', 1, column('t', 'c')]] },
  // uniqueness
  { sql: 'ALTER TABLE t ADD UNIQUE INDEX uq (a, b(10));', want: [['MF101', 1, unique('index', 't', { name: 'uq', columns: ['a', 'b'] })]] },
  { sql: 'ALTER TABLE t ADD UNIQUE KEY (a);', want: [['MF101', 1, unique('index', 't', { columns: ['a'] })]] },
  { sql: 'ALTER TABLE t ADD CONSTRAINT uq UNIQUE (a);', want: [['MF101', 1, unique('constraint', 't', { name: 'uq', columns: ['a'] })]] },
  { sql: 'ALTER TABLE t ADD UNIQUE uq (a);', want: [['MF101', 1, unique('index', 't', { name: 'uq', columns: ['a'] })]] },
  { sql: 'ALTER TABLE t ADD PRIMARY KEY (id);', want: [['MF101', 1, unique('constraint', 't', { columns: ['id'] })]] },
  { sql: 'ALTER TABLE t ADD INDEX i (a), ADD FULLTEXT INDEX f (b);', want: [] },
  {
    sql: 'ALTER TABLE t DROP INDEX i, ADD UNIQUE INDEX i (a);',
    want: [['KM201', 1, named('index', 'i', { table: 't' })], ['MF102', 1, unique('index', 't', { name: 'i', columns: ['a'] })]],
  },
  { sql: 'CREATE UNIQUE INDEX i USING BTREE ON db.t (a);', want: [['MF101', 1, unique('index', 't', { schema: 'db', name: 'i', columns: ['a'] })]] },
  { sql: 'CREATE UNIQUE INDEX i ON t ((lower(a)));', want: [['MF101', 1, unique('index', 't', { name: 'i' })]] },
  { sql: 'CREATE TABLE n (a INT);\nCREATE UNIQUE INDEX i ON n (a);\nALTER TABLE n ADD COLUMN b INT NOT NULL;', want: [] },
  // other drops
  { sql: 'DROP INDEX i ON t;', want: [['KM201', 1, named('index', 'i', { table: 't' })]] },
  { sql: 'DROP INDEX `PRIMARY` ON db.t;', want: [['KM201', 1, named('index', 'PRIMARY', { schema: 'db', table: 't' })]] },
  { sql: 'DROP VIEW v1, v2;', want: [['KM202', 1, named('view', 'v1')], ['KM202', 1, named('view', 'v2')]] },
  { sql: 'DROP FUNCTION IF EXISTS f;', want: [['KM203', 1, named('routine', 'f')]] },
  { sql: 'DROP PROCEDURE db.p;', want: [['KM203', 1, named('routine', 'p', { schema: 'db' })]] },
  { sql: 'DROP TRIGGER IF EXISTS db.trg;', want: [['KM204', 1, named('trigger', 'trg', { schema: 'db' })]] },
  { sql: 'DROP USER bob;\nDROP EVENT e;', want: [] },
  // data
  { sql: 'TRUNCATE TABLE t;', want: [['KM101', 1, table('t')]] },
  { sql: 'TRUNCATE db.t;', want: [['KM101', 1, table('t', 'db')]] },
  { sql: 'DELETE FROM t;', want: [['KM102', 1, table('t')]] },
  { sql: 'DELETE LOW_PRIORITY QUICK IGNORE FROM t;', want: [['KM102', 1, table('t')]] },
  { sql: 'DELETE FROM t WHERE a = 1;', want: [] },
  { sql: 'DELETE t1, t2 FROM t1 INNER JOIN t2 ON t1.id = t2.id;', want: [['KM102', 1, table('t1')], ['KM102', 1, table('t2')]] },
  { sql: 'DELETE a FROM users AS a JOIN x ON a.id = x.id;', want: [['KM102', 1, table('users')]] },
  { sql: 'DELETE FROM t1, t2 USING t1 JOIN t2 ON t1.id = t2.id WHERE t1.x = 1;', want: [] },
  { sql: 'DELETE FROM t ORDER BY id LIMIT 10;', want: [['KM102', 1, table('t')]] },
  { sql: 'UPDATE t SET a = 1;', want: [['KM103', 1, table('t')]] },
  { sql: 'UPDATE t SET a = (SELECT b FROM u WHERE u.id = 1);', want: [['KM103', 1, table('t')]] },
  { sql: 'UPDATE t SET a = 1 WHERE id = 2;', want: [] },
  { sql: 'UPDATE t1, t2 SET t1.a = t2.b;', want: [['KM103', 1, table('t1')], ['KM103', 1, table('t2')]] },
  { sql: 'UPDATE t1 JOIN t2 ON t1.id = t2.id SET t1.a = 1 WHERE t2.b;', want: [] },
  { sql: 'WITH x AS (SELECT 1 AS a) INSERT INTO t SELECT a FROM x ON DUPLICATE KEY UPDATE a = 2;', want: [] },
  { sql: 'INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2;', want: [] },
  { sql: 'UPDATE LOW_PRIORITY IGNORE `db`.`t` SET a = 1;', want: [['KM103', 1, table('t', 'db')]] },
  // nothing executed at the top level
  { sql: 'INSERT INTO t VALUES (\'it\\\'s; DROP TABLE x\', "drop table y");', want: [] },
  { sql: 'SELECT 1 # DROP TABLE x\n;', want: [] },
  { sql: "CREATE TABLE notes (body VARCHAR(100) DEFAULT 'drop table x' COMMENT 'DROP TABLE y');", want: [] },
  { sql: 'DELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  DELETE FROM t;\n  DROP TABLE u;\nEND //\nDELIMITER ;\nDROP TABLE v;', want: [['DS102', 8, table('v')]] },
  { sql: 'CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW BEGIN UPDATE u SET a = 1; END;', want: [] },
  { sql: 'SELECT 1 /* DROP TABLE a */, 2;', want: [] },
  { sql: 'SELECT 2--1;', want: [] },
];

describe('lint: MySQL', () => {
  it('has at least 60 statements in its table', (t) => {
    const count = statementCount('mysql', ROWS);
    t.diagnostic(`${count} statements in ${ROWS.length} rows`);
    assert.ok(count >= 60);
  });
  for (const row of ROWS) it(rowTitle(row), () => checkRow('mysql', row));
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SQL_SYNTAX } from '../dialects/syntax';
import { MigrationFile } from '../migration-file';
import { fileStatements } from '../statements';
import { lintFiles, lintStatements } from './lint';
import { lintSql } from './lint-rows.test-kit';

function migration(name: string, sql: string, dialect: 'mysql' | 'postgres' | 'sqlite') {
  const file = new MigrationFile(name, Buffer.from(sql));
  return { file, statements: fileStatements(file, SQL_SYNTAX[dialect]) };
}

describe('lint findings', () => {
  it('name the file, the 1-based statement and the clause line', () => {
    const { statements } = migration('2_drop.sql', 'SELECT 1;\n-- about\nALTER TABLE users\n  DROP COLUMN email;', 'postgres');
    assert.deepEqual(lintStatements('2_drop.sql', statements, 'postgres'), [
      {
        code: 'DS103',
        file: '2_drop.sql',
        line: 4,
        statement: 2,
        message: 'Dropping column "email" of table "users"',
        subject: { kind: 'column', table: 'users', columns: ['email'] },
      },
    ]);
  });

  it('say what they are about in short messages, names unquoted', () => {
    const messages = (dialect: 'mysql' | 'postgres' | 'sqlite', sql: string) => lintSql(dialect, sql).map((f) => f.message);
    assert.deepEqual(messages('postgres', 'DROP TABLE "Users", s.t; DROP SCHEMA app;'), [
      'Dropping table "Users"',
      'Dropping table "s"."t"',
      'Dropping schema "app"',
    ]);
    assert.deepEqual(messages('mysql', 'DROP SCHEMA app; ALTER TABLE `t` DROP FOREIGN KEY `fk`, CHANGE a b INT NOT NULL;'), [
      'Dropping database "app"',
      'Dropping foreign key "fk" of table "t"',
      'Renaming column "a" of table "t" to "b"',
      'Changing the type of column "a" of table "t" to int: it may narrow (the current type is not in the linted files)',
      'Making column "a" of table "t" NOT NULL',
    ]);
    assert.deepEqual(messages('postgres', 'ALTER TABLE t DROP CONSTRAINT c, ADD COLUMN x int NOT NULL, RENAME TO u;'), [
      'Dropping constraint "c" of table "t" (it may be a foreign key)',
      'Adding non-nullable column "x" without a default value to table "t"',
      'Renaming table "t" to "u"',
    ]);
    assert.deepEqual(messages('sqlite', 'CREATE UNIQUE INDEX i ON t (a, b); DELETE FROM t; UPDATE t SET a = 1; DROP TRIGGER g;'), [
      'Adding unique index "i" on columns "a", "b" of existing table "t"',
      'Deleting every row of table "t" (no WHERE clause)',
      'Updating every row of table "t" (no WHERE clause)',
      'Dropping trigger "g"',
    ]);
    assert.deepEqual(messages('mysql', 'TRUNCATE t; DROP INDEX i ON t; DROP PROCEDURE p; DROP VIEW v;'), [
      'Truncating table "t"',
      'Dropping index "i" of table "t"',
      'Dropping procedure "p"',
      'Dropping view "v"',
    ]);
  });

  it('judge a type change against the type the linted statements gave the column', () => {
    const sql =
      'CREATE TABLE t (a varchar(255), b int, c text, d decimal(10,2), e datetime(6));\n' +
      'ALTER TABLE t MODIFY a varchar(50), MODIFY b bigint, MODIFY c int, MODIFY d decimal(12,2), MODIFY e datetime;';
    assert.deepEqual(
      lintSql('mysql', sql).map((f) => f.message),
      [
        'Narrowing column "a" of table "t" from varchar(255) to varchar(50)',
        'Changing column "c" of table "t" from text to int: values may not convert',
        'Narrowing column "e" of table "t" from datetime(6) to datetime',
      ],
    );
  });

  it('follow renames when remembering column types', () => {
    const sql = 'CREATE TABLE t (a varchar(20));\nALTER TABLE t RENAME COLUMN a TO b;\nALTER TABLE t RENAME TO u;\nALTER TABLE u ALTER COLUMN b TYPE varchar(10);';
    const narrowing = lintSql('postgres', sql).filter((f) => f.code === 'KM104');
    assert.deepEqual(narrowing.map((f) => f.message), ['Narrowing column "b" of table "u" from varchar(20) to varchar(10)']);
  });

  it('across files: types from earlier files are known, "created in this file" is not carried over', () => {
    const files = [
      migration('1_init.sql', 'CREATE TABLE t (a varchar(255) NOT NULL, b int);', 'mysql'),
      migration('2_change.sql', 'ALTER TABLE t MODIFY a varchar(300) NOT NULL, MODIFY b int NOT NULL;\nCREATE UNIQUE INDEX i ON t (a);', 'mysql'),
      migration('3_more.sql', 'ALTER TABLE t MODIFY a varchar(100) NOT NULL;\nDROP TABLE t;', 'mysql'),
    ];
    assert.deepEqual(
      lintFiles(files, 'mysql').map((f) => [f.file, f.code, f.line, f.statement]),
      [
        ['2_change.sql', 'MF104', 1, 1],
        ['2_change.sql', 'MF101', 2, 2],
        ['3_more.sql', 'KM104', 1, 1],
        ['3_more.sql', 'DS102', 2, 2],
      ],
    );
    // Alone, the second file cannot know b's type: the NOT NULL is still reported, the type change is "may narrow" for a.
    const alone = lintStatements('2_change.sql', files[1]?.statements ?? [], 'mysql');
    assert.deepEqual(alone.map((f) => f.code), ['KM104', 'MF104', 'KM104', 'MF104', 'MF101']);
  });

  it('read every statement of a text a custom delimiter left together, but not the body of a routine', () => {
    const sql =
      '-- atlas:delimiter -- end\n\nDELETE FROM a; UPDATE b SET x = 1;\n-- end\n' +
      'CREATE PROCEDURE p() BEGIN DELETE FROM c; END; \n-- end\n' +
      'CREATE TABLE d (id int); DROP TABLE e;\n-- end\n';
    assert.deepEqual(lintSql('mysql', sql).map((f) => [f.code, f.subject?.table]), [
      ['KM102', 'a'],
      ['KM103', 'b'],
      ['DS102', 'e'],
    ]);
  });
});

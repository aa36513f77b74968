import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SQL_SYNTAX } from './dialects/syntax';
import { StatementScanError } from './errors';
import { MigrationFile } from './migration-file';
import { cumulativeStatementHashes, fileStatements } from './statements';

describe('file statements', () => {
  it('carry file, index and the line they start on', () => {
    const f = new MigrationFile('3_x.sql', Buffer.from('-- header\n\nCREATE TABLE a (c int);\n\n-- about b\nCREATE TABLE b (\n  c int\n);\nSELECT 1;'));
    const got = fileStatements(f, SQL_SYNTAX.postgres).map((s) => [s.file, s.index, s.line, s.text]);
    assert.deepEqual(got, [
      ['3_x.sql', 0, 3, 'CREATE TABLE a (c int);'],
      ['3_x.sql', 1, 6, 'CREATE TABLE b (\n  c int\n);'],
      ['3_x.sql', 2, 9, 'SELECT 1;'],
    ]);
  });

  it('decode UTF-8 for execution but keep the bytes for hashing', () => {
    const f = new MigrationFile('1.sql', Buffer.from("INSERT INTO t VALUES ('héllo');"));
    const [s] = fileStatements(f, SQL_SYNTAX.mysql);
    assert.equal(s?.text, "INSERT INTO t VALUES ('héllo');");
    assert.equal(s?.raw.length, Buffer.byteLength("INSERT INTO t VALUES ('héllo');"));
  });

  it('name the file in scan errors, with line and column', () => {
    const f = new MigrationFile('2_bad.sql', Buffer.from("SELECT 1;\nSELECT 'open;\n"));
    assert.throws(
      () => fileStatements(f, SQL_SYNTAX.postgres),
      (e: unknown) =>
        e instanceof StatementScanError &&
        e.file === '2_bad.sql' &&
        e.line === 2 &&
        e.column === 8 &&
        e.message === `sql/migrate: scanning statements from "2_bad.sql": 2:8: unclosed quote '\\''`,
    );
  });

  it('an empty or comment-only file has no statements', () => {
    assert.deepEqual(fileStatements(new MigrationFile('1.sql', Buffer.alloc(0)), SQL_SYNTAX.sqlite), []);
    assert.deepEqual(fileStatements(new MigrationFile('1.sql', Buffer.from('-- nothing\n')), SQL_SYNTAX.sqlite), []);
  });
});

describe('partial hashes', () => {
  it('match the Atlas vector', () => {
    const f = new MigrationFile('1.sql', Buffer.from('ALTER TABLE t_sub ADD c3 int;\nALTER TABLE t_sub ADD c4 int;\n'));
    assert.deepEqual(cumulativeStatementHashes(fileStatements(f, SQL_SYNTAX.mysql)), [
      'h1:2Do8q/ZenzSSAzQyl7gyfkfPmyoiXAWng/sUVY8DnD4=',
      'h1:4HlJxg1g2FheKl7xuNSde2TFWw6QIxX0Mj+PmnIrOLo=',
    ]);
  });
});

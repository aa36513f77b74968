/**
 * Test support for the lint table tests: runs SQL through the real splitter
 * and the linter, and compares each row's findings as [code, line, subject].
 */
import assert from 'node:assert/strict';
import { SQL_SYNTAX, type DialectName } from '../dialects/syntax';
import { MigrationFile } from '../migration-file';
import { fileStatements } from '../statements';
import type { Finding, FindingSubject } from './finding';
import { lintStatements } from './lint';

export type Expected = readonly [code: string, line: number, subject: FindingSubject];

export interface LintRow {
  readonly sql: string;
  readonly want: readonly Expected[];
}

export function lintSql(dialect: DialectName, sql: string, name = '1_test.sql'): Finding[] {
  const statements = fileStatements(new MigrationFile(name, Buffer.from(sql)), SQL_SYNTAX[dialect]);
  return lintStatements(name, statements, dialect);
}

export function statementCount(dialect: DialectName, rows: readonly LintRow[]): number {
  return rows.reduce((n, row) => n + fileStatements(new MigrationFile('1.sql', Buffer.from(row.sql)), SQL_SYNTAX[dialect]).length, 0);
}

/** A short test title for a row. */
export function rowTitle(row: LintRow): string {
  return row.sql.replace(/\s+/g, ' ').slice(0, 110);
}

/** The row's findings are exactly its expected [code, line, subject] list, in order. */
export function checkRow(dialect: DialectName, row: LintRow): void {
  const got = lintSql(dialect, row.sql).map((f) => [f.code, f.line, f.subject]);
  assert.deepEqual(got, row.want);
}

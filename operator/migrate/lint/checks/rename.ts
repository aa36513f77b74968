/**
 * Renames that break code using the old name: tables (BC101) through
 * MySQL's RENAME TABLE a TO b, c TO d or ALTER TABLE … RENAME [TO|AS] b, and
 * columns (BC102) through ALTER TABLE … RENAME [COLUMN] a TO b.
 */
import { splitTopLevel, TokenCursor } from '../cursor';
import { displayName, type QualifiedName, readIdentifier, readQualifiedName } from '../names';
import { columnSubject, type LintScope, tableSubject } from '../scope';
import type { Token } from '../tokens';
import type { TableClause } from './table-clause';

function reportTableRename(scope: LintScope, start: Token, from: QualifiedName, to: QualifiedName): void {
  scope.report('BC101', start, `Renaming table ${displayName(from)} to ${displayName(to)}`, tableSubject(from));
  scope.state.memory.renameTable(from, to);
}

/** MySQL's RENAME TABLE a TO b, c TO d (`start` is RENAME). */
export function lintRenameTable(c: TokenCursor, scope: LintScope, start: Token): void {
  if (c.acceptWord('TABLE', 'TABLES') === undefined) return;
  for (const [i, pair] of splitTopLevel(c.rest(), ',').entries()) {
    const p = new TokenCursor(pair);
    const from = readQualifiedName(p, scope.dialect);
    if (p.acceptWord('TO') === undefined) continue;
    const to = readQualifiedName(p, scope.dialect);
    if (from !== undefined && to !== undefined) reportTableRename(scope, i === 0 ? start : from.token, from, to);
  }
}

function renameColumn(c: TokenCursor, clause: TableClause, from: string): void {
  if (c.acceptWord('TO') === undefined) return;
  const to = readIdentifier(c, clause.scope.dialect);
  if (to === undefined) return;
  const { table, scope } = clause;
  scope.report('BC102', clause.start, `Renaming column "${from}" of table ${displayName(table)} to "${to}"`, columnSubject(table, [from]));
  scope.state.memory.renameColumn(table, from, to);
}

/** Reads what follows RENAME inside ALTER TABLE. */
export function lintRenameClause(c: TokenCursor, clause: TableClause): void {
  const { scope, table } = clause;
  if (c.isWord('INDEX', 'KEY', 'CONSTRAINT')) return;
  if (c.acceptWord('TO', 'AS') !== undefined) {
    const to = readQualifiedName(c, scope.dialect);
    if (to !== undefined) reportTableRename(scope, clause.start, table, to);
    return;
  }
  const columnKeyword = c.acceptWord('COLUMN') !== undefined;
  const name = readQualifiedName(c, scope.dialect);
  if (name === undefined) return;
  // Without COLUMN, `RENAME a TO b` renames a column (PostgreSQL, SQLite); a bare `RENAME b` the table (MySQL).
  if (columnKeyword || c.isWord('TO')) return renameColumn(c, clause, name.name);
  reportTableRename(scope, clause.start, table, name);
}

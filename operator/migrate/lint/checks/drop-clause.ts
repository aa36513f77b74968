/**
 * ALTER TABLE … DROP …: columns (DS103), foreign keys and constraints that
 * may be foreign keys (CD101), indexes (KM201). DROP PRIMARY KEY, CHECK,
 * PARTITION, DEFAULT… are not reported: no check covers them.
 */
import type { TokenCursor } from '../cursor';
import { displayName, readIdentifier } from '../names';
import { columnSubject, namedSubject } from '../scope';
import type { TableClause } from './table-clause';

const NOT_REPORTED = ['PRIMARY', 'CHECK', 'PARTITION', 'PERIOD', 'SYSTEM', 'DEFAULT', 'EXPRESSION', 'IDENTITY'];

function readDroppedName(c: TokenCursor, clause: TableClause): string | undefined {
  c.acceptSequence('IF', 'EXISTS');
  return readIdentifier(c, clause.scope.dialect);
}

function dropConstraint(c: TokenCursor, clause: TableClause, foreignKey: boolean): void {
  const name = readDroppedName(c, clause);
  if (name === undefined) return;
  const { table, scope } = clause;
  // PostgreSQL's DROP CONSTRAINT does not say what kind it drops: a foreign key is assumed rather than missed.
  const message = foreignKey
    ? `Dropping foreign key "${name}" of table ${displayName(table)}`
    : `Dropping constraint "${name}" of table ${displayName(table)} (it may be a foreign key)`;
  scope.report('CD101', clause.start, message, namedSubject('constraint', { name }, table));
}

function dropIndex(c: TokenCursor, clause: TableClause): void {
  const name = readDroppedName(c, clause);
  if (name === undefined) return;
  const { table, scope } = clause;
  scope.report('KM201', clause.start, `Dropping index "${name}" of table ${displayName(table)}`, namedSubject('index', { name }, table));
  scope.state.markIndexDropped(name, table);
}

function dropColumn(c: TokenCursor, clause: TableClause): void {
  const name = readDroppedName(c, clause);
  if (name === undefined) return;
  const { table, scope } = clause;
  // Whether the column is virtual is not in the statement: every dropped column is reported.
  scope.report('DS103', clause.start, `Dropping column "${name}" of table ${displayName(table)}`, columnSubject(table, [name]));
  scope.state.memory.dropColumn(table, name);
}

/** Reads what follows DROP inside ALTER TABLE. */
export function lintDropClause(c: TokenCursor, clause: TableClause): void {
  if (c.isWord(...NOT_REPORTED)) return;
  if (c.acceptWord('FOREIGN') !== undefined) {
    c.acceptWord('KEY');
    return dropConstraint(c, clause, true);
  }
  if (c.acceptWord('CONSTRAINT') !== undefined) return dropConstraint(c, clause, false);
  if (c.acceptWord('INDEX', 'KEY') !== undefined) return dropIndex(c, clause);
  // The COLUMN keyword is optional in all three dialects.
  c.acceptWord('COLUMN');
  dropColumn(c, clause);
}

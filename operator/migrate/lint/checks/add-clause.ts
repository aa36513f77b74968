/**
 * ALTER TABLE … ADD …: a NOT NULL column existing rows get no value for
 * (MF103), or uniqueness on existing columns (MF101/MF102, in unique.ts).
 */
import { parseColumnDefinition, type ColumnDefinition } from '../column-definition';
import { splitTopLevel, type TokenCursor } from '../cursor';
import { displayName, readIdentifier } from '../names';
import { columnSubject } from '../scope';
import type { TableClause } from './table-clause';
import { lintAddUnique } from './unique';

const CONSTRAINT_KINDS = ['UNIQUE', 'PRIMARY', 'FOREIGN', 'CHECK', 'EXCLUDE'];
/** ADD forms that are not columns and that no check covers. */
const OTHER_ADDITIONS = ['INDEX', 'KEY', 'FULLTEXT', 'SPATIAL', 'FOREIGN', 'CHECK', 'EXCLUDE', 'PARTITION', 'PERIOD', 'SYSTEM'];

function addColumn(definition: ColumnDefinition, clause: TableClause): void {
  const { table, scope } = clause;
  scope.state.memory.setColumn(table, definition.name, { ...(definition.type === undefined ? {} : { type: definition.type }), notNull: definition.notNull });
  const existingRowsGetNoValue = definition.notNull && !definition.hasDefault && !definition.filled;
  if (!existingRowsGetNoValue || scope.state.wasCreated(table)) return;
  scope.report(
    'MF103',
    clause.start,
    `Adding non-nullable column "${definition.name}" without a default value to table ${displayName(table)}`,
    columnSubject(table, [definition.name]),
  );
}

function addColumns(c: TokenCursor, clause: TableClause): void {
  c.acceptSequence('IF', 'NOT', 'EXISTS');
  // MySQL: ADD [COLUMN] (a int, b int).
  const parts = c.isPunct('(') ? splitTopLevel(c.readParenthesized() ?? [], ',') : [c.rest()];
  for (const part of parts) {
    const definition = parseColumnDefinition(part, clause.scope.dialect);
    if (definition !== undefined) addColumn(definition, clause);
  }
}

/** Reads what follows ADD inside ALTER TABLE. */
export function lintAddClause(c: TokenCursor, clause: TableClause): void {
  if (c.acceptWord('COLUMN') !== undefined) return addColumns(c, clause);
  let constraint: string | undefined;
  const namedConstraint = c.acceptWord('CONSTRAINT') !== undefined;
  if (namedConstraint && !c.isWord(...CONSTRAINT_KINDS)) constraint = readIdentifier(c, clause.scope.dialect);
  if (c.isWord('UNIQUE', 'PRIMARY')) return lintAddUnique(c, clause, constraint);
  if (namedConstraint || c.isWord(...OTHER_ADDITIONS)) return;
  addColumns(c, clause);
}

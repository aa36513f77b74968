/**
 * Changes to an existing column's definition: MySQL MODIFY / CHANGE and
 * PostgreSQL ALTER COLUMN … TYPE / SET NOT NULL. A type that may not hold
 * every current value is KM104; NOT NULL on a column that may hold NULLs is
 * MF104; CHANGE to another name is also BC102.
 */
import { type ColumnType, readColumnType } from '../column-type';
import { parseColumnDefinition } from '../column-definition';
import type { TokenCursor } from '../cursor';
import { displayName, identifierValue, nameKey, readIdentifier } from '../names';
import { columnSubject } from '../scope';
import type { ColumnFacts } from '../schema-memory';
import { compareColumnTypes, holdsAnyValue } from '../type-change';
import type { Token } from '../tokens';
import type { TableClause } from './table-clause';

function typeChangeMessage(clause: TableClause, column: string, to: ColumnType, from: ColumnType | undefined): string | undefined {
  const { table, scope } = clause;
  const of = `column "${column}" of table ${displayName(table)}`;
  if (from === undefined) {
    if (holdsAnyValue(to, scope.dialect)) return undefined;
    return `Changing the type of ${of} to ${to.text}: it may narrow (the current type is not in the linted files)`;
  }
  const change = compareColumnTypes(from, to, scope.dialect);
  if (change === 'narrower') return `Narrowing ${of} from ${from.text} to ${to.text}`;
  if (change === 'converted') return `Changing ${of} from ${from.text} to ${to.text}: values may not convert`;
  return undefined;
}

function checkTypeChange(clause: TableClause, column: string, to: ColumnType, before: ColumnFacts | undefined): void {
  const message = typeChangeMessage(clause, column, to, before?.type);
  if (message !== undefined) clause.scope.report('KM104', clause.start, message, columnSubject(clause.table, [column]));
}

function checkNotNull(clause: TableClause, column: string, before: ColumnFacts | undefined): void {
  const { table, scope } = clause;
  if (before?.notNull === true || scope.state.wasCreated(table)) return;
  scope.report('MF104', clause.start, `Making column "${column}" of table ${displayName(table)} NOT NULL`, columnSubject(table, [column]));
}

/** MODIFY or CHANGE: the whole definition is restated; `column` is the column's name before the clause. */
function redefine(clause: TableClause, column: string, definitionTokens: readonly Token[]): void {
  const { table, scope } = clause;
  const definition = parseColumnDefinition(definitionTokens, scope.dialect);
  if (definition === undefined) return;
  const before = scope.state.memory.column(table, column);
  if (nameKey(definition.name, scope.dialect) !== nameKey(column, scope.dialect)) {
    scope.report('BC102', clause.start, `Renaming column "${column}" of table ${displayName(table)} to "${definition.name}"`, columnSubject(table, [column]));
    scope.state.memory.renameColumn(table, column, definition.name);
  }
  // Subjects name the column as the live database knows it before the migration: the old name.
  if (definition.type !== undefined) checkTypeChange(clause, column, definition.type, before);
  if (definition.notNull) checkNotNull(clause, column, before);
  scope.state.memory.setColumn(table, definition.name, { ...(definition.type === undefined ? {} : { type: definition.type }), notNull: definition.notNull });
}

/** After MODIFY: `[COLUMN] c definition`. */
export function lintModifyClause(c: TokenCursor, clause: TableClause): void {
  c.acceptWord('COLUMN');
  // The definition starts with the column's own name.
  const column = identifierValue(c.peek(), clause.scope.dialect);
  if (column !== undefined) redefine(clause, column, c.rest());
}

/** After CHANGE: `[COLUMN] old new definition`. */
export function lintChangeClause(c: TokenCursor, clause: TableClause): void {
  c.acceptWord('COLUMN');
  const column = readIdentifier(c, clause.scope.dialect);
  if (column !== undefined) redefine(clause, column, c.rest());
}

function setType(c: TokenCursor, clause: TableClause, column: string): void {
  const to = readColumnType(c);
  if (to === undefined) return;
  const { table, scope } = clause;
  const before = scope.state.memory.column(table, column);
  checkTypeChange(clause, column, to, before);
  scope.state.memory.setColumn(table, column, { type: to, notNull: before?.notNull ?? false });
}

function setNotNull(clause: TableClause, column: string): void {
  const { table, scope } = clause;
  const before = scope.state.memory.column(table, column);
  checkNotNull(clause, column, before);
  scope.state.memory.setColumn(table, column, { ...before, notNull: true });
}

/** After ALTER inside ALTER TABLE: `[COLUMN] c TYPE t`, `SET DATA TYPE t`, `SET NOT NULL`; other forms change no data. */
export function lintAlterColumnClause(c: TokenCursor, clause: TableClause): void {
  c.acceptWord('COLUMN');
  const column = readIdentifier(c, clause.scope.dialect);
  if (column === undefined) return;
  if (c.acceptWord('TYPE') !== undefined || c.acceptSequence('SET', 'DATA', 'TYPE')) return setType(c, clause, column);
  if (c.acceptSequence('SET', 'NOT', 'NULL')) setNotNull(clause, column);
}

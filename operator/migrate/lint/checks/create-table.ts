/**
 * CREATE TABLE gives no finding, but later checks need what it says: the
 * table is new in this file (the MF checks skip it) and its column types
 * are known (a later type change is judged against them).
 */
import { parseColumnDefinition } from '../column-definition';
import { splitTopLevel, type TokenCursor } from '../cursor';
import { readQualifiedName } from '../names';
import type { LintScope } from '../scope';

/** Table elements that are not columns. */
const NOT_COLUMNS = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK', 'INDEX', 'KEY', 'FULLTEXT', 'SPATIAL', 'EXCLUDE', 'LIKE', 'PERIOD']);

/** Reads what follows CREATE … TABLE. */
export function recordCreateTable(c: TokenCursor, scope: LintScope): void {
  c.acceptSequence('IF', 'NOT', 'EXISTS');
  const table = readQualifiedName(c, scope.dialect);
  if (table === undefined) return;
  const { state } = scope;
  state.markCreated(table);
  state.memory.resetTable(table);
  for (const element of splitTopLevel(c.readParenthesized() ?? [], ',')) {
    if (NOT_COLUMNS.has(element[0]?.keyword ?? '')) continue;
    const definition = parseColumnDefinition(element, scope.dialect);
    if (definition === undefined) continue;
    state.memory.setColumn(table, definition.name, { ...(definition.type === undefined ? {} : { type: definition.type }), notNull: definition.notNull });
  }
}

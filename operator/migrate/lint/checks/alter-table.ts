/**
 * ALTER TABLE: the table name, then each comma-separated clause checked on
 * its own, so `ADD x int, DROP y, RENAME COLUMN a TO b` gives one finding
 * per clause, each on its clause's line.
 */
import { splitTopLevel, TokenCursor } from '../cursor';
import { readQualifiedName } from '../names';
import type { LintScope } from '../scope';
import { lintAddClause } from './add-clause';
import { lintAlterColumnClause, lintChangeClause, lintModifyClause } from './alter-column';
import { lintDropClause } from './drop-clause';
import { lintRenameClause } from './rename';
import type { TableClause } from './table-clause';

type ClauseCheck = (c: TokenCursor, clause: TableClause) => void;

const CLAUSES: Readonly<Record<string, ClauseCheck>> = {
  ADD: lintAddClause,
  DROP: lintDropClause,
  RENAME: lintRenameClause,
  MODIFY: lintModifyClause,
  CHANGE: lintChangeClause,
  ALTER: lintAlterColumnClause,
};

/** Reads what follows ALTER. */
export function lintAlterTable(c: TokenCursor, scope: LintScope): void {
  // MySQL's ALTER [ONLINE | IGNORE] TABLE.
  c.acceptWord('ONLINE', 'OFFLINE', 'IGNORE');
  if (c.acceptWord('TABLE') === undefined) return;
  c.acceptSequence('IF', 'EXISTS');
  c.acceptWord('ONLY');
  const table = readQualifiedName(c, scope.dialect);
  if (table === undefined) return;
  c.acceptPunct('*');
  for (const tokens of splitTopLevel(c.rest(), ',')) {
    const clause = new TokenCursor(tokens);
    const start = clause.next();
    const check = start?.kind === 'word' ? CLAUSES[start.keyword] : undefined;
    if (start !== undefined && check !== undefined) check(clause, { table, scope, start });
  }
}

/**
 * Sends one statement's tokens to the check for its leading keyword. Only
 * the top level is read: a DROP inside a function body, a trigger or a
 * string is not executed by the migration and gives no finding.
 */
import { lintAlterTable } from './checks/alter-table';
import { recordCreateTable } from './checks/create-table';
import { lintDelete, lintTruncate, lintUpdate } from './checks/data';
import { lintDrop } from './checks/drop';
import { lintRenameTable } from './checks/rename';
import { lintCreateUniqueIndex } from './checks/unique';
import { depthAfter, TokenCursor } from './cursor';
import type { LintScope } from './scope';
import type { Token } from './tokens';

type StatementCheck = (c: TokenCursor, scope: LintScope, start: Token) => void;

/** Words between CREATE and TABLE. */
const TABLE_PREFIXES = ['OR', 'REPLACE', 'GLOBAL', 'LOCAL', 'TEMPORARY', 'TEMP', 'UNLOGGED'];

function lintCreate(c: TokenCursor, scope: LintScope, start: Token): void {
  while (c.acceptWord(...TABLE_PREFIXES) !== undefined);
  if (c.acceptWord('TABLE') !== undefined) return recordCreateTable(c, scope);
  if (c.acceptWord('UNIQUE') !== undefined) lintCreateUniqueIndex(c, scope, start);
}

/** Words that start the statement after `WITH` CTEs and that no check reads. */
const OTHER_MAIN_STATEMENTS = ['INSERT', 'SELECT', 'MERGE', 'VALUES', 'REPLACE', 'TABLE'];

/** `WITH cte AS (…) DELETE …` / `UPDATE …`: the statement after the CTEs. */
function lintWith(c: TokenCursor, scope: LintScope): void {
  let depth = 0;
  while (!c.atEnd()) {
    // An INSERT's `ON DUPLICATE KEY UPDATE` is not an UPDATE statement: stop at the main statement's first word.
    if (depth === 0 && c.isWord(...OTHER_MAIN_STATEMENTS)) return;
    if (depth === 0 && c.isWord('DELETE', 'UPDATE')) {
      const start = c.next();
      if (start !== undefined) STATEMENTS[start.keyword]?.(c, scope, start);
      return;
    }
    const t = c.next();
    if (t !== undefined) depth = depthAfter(t, depth);
  }
}

const STATEMENTS: Readonly<Record<string, StatementCheck>> = {
  DROP: lintDrop,
  ALTER: (c, scope) => lintAlterTable(c, scope),
  RENAME: lintRenameTable,
  CREATE: lintCreate,
  TRUNCATE: lintTruncate,
  DELETE: lintDelete,
  UPDATE: lintUpdate,
  WITH: (c, scope) => lintWith(c, scope),
};

/** Objects whose CREATE statement may hold a body with `;` of its own. */
const OBJECTS_WITH_BODY = new Set(['FUNCTION', 'PROCEDURE', 'TRIGGER', 'EVENT', 'RULE', 'AGGREGATE']);

/** A routine, trigger, event or rule definition, or a DO block: its body's `;` do not end it. */
function mayHaveBody(statement: readonly Token[]): boolean {
  const first = statement[0]?.keyword;
  if (first === 'DO') return true;
  // The object word comes within the first few words: CREATE [OR REPLACE] [DEFINER = u@h] [CONSTRAINT] TRIGGER.
  return first === 'CREATE' && statement.slice(1, 10).some((t) => OBJECTS_WITH_BODY.has(t.keyword));
}

/**
 * Statements in one scanned text. Usually one, but a custom delimiter may
 * put several `;`-separated statements in one text. A statement that may
 * have a body keeps the rest of the text: where its body ends is not known
 * without parsing it, and reading the body as statements would report
 * what the migration does not execute.
 */
function splitStatements(tokens: readonly Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === ';' && depth === 0 && !mayHaveBody(current)) {
      if (current.length > 0) statements.push(current);
      current = [];
      continue;
    }
    depth = depthAfter(t, depth);
    current.push(t);
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

export function lintTokens(tokens: readonly Token[], scope: LintScope): void {
  for (const statement of splitStatements(tokens)) {
    const c = new TokenCursor(statement);
    const start = c.next();
    if (start?.kind === 'word') STATEMENTS[start.keyword]?.(c, scope, start);
  }
}

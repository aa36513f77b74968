/**
 * Statements that remove or overwrite rows of a whole table: TRUNCATE
 * (KM101), DELETE without WHERE (KM102), UPDATE without WHERE (KM103). Only
 * a WHERE outside parentheses counts: one inside a subquery filters that
 * subquery, not the rows changed.
 */
import type { DialectName } from '../../dialects/syntax';
import { hasTopLevelWord, TokenCursor, topLevelTokens } from '../cursor';
import { displayName, identifierValue, nameKey, type QualifiedName, readQualifiedName } from '../names';
import { type LintScope, tableSubject } from '../scope';
import type { Token } from '../tokens';

/** Words that may follow a table reference and are not an alias. */
const NOT_ALIAS = new Set([
  'ON', 'USING', 'WHERE', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'CROSS', 'NATURAL', 'STRAIGHT_JOIN', 'SET', 'FROM',
  'ORDER', 'LIMIT', 'RETURNING', 'OUTER', 'PARTITION', 'FORCE', 'USE', 'IGNORE', 'INDEXED', 'NOT',
]);

function skipAlias(c: TokenCursor, dialect: DialectName): string | undefined {
  if (c.acceptWord('AS') !== undefined) return identifierValue(c.next(), dialect);
  const t = c.peek();
  if (t?.kind === 'word' && NOT_ALIAS.has(t.keyword)) return undefined;
  const alias = identifierValue(t, dialect);
  if (alias !== undefined) c.next();
  return alias;
}

/** `a [AS x], b.c [*], …`: the tables of a comma-separated list, with their aliases. */
function readTableList(c: TokenCursor, dialect: DialectName): { table: QualifiedName; alias?: string }[] {
  const tables: { table: QualifiedName; alias?: string }[] = [];
  do {
    c.acceptWord('ONLY');
    const table = readQualifiedName(c, dialect);
    if (table === undefined) break;
    // MySQL's multi-table DELETE may name `t.*`; PostgreSQL's `t *` means with descendants.
    if (c.acceptPunct('.')) c.acceptPunct('*');
    c.acceptPunct('*');
    const alias = skipAlias(c, dialect);
    tables.push(alias === undefined ? { table } : { table, alias });
  } while (c.acceptPunct(','));
  return tables;
}

/** Aliases declared after FROM, USING or JOIN in the rest of the statement. */
function aliasesIn(tokens: readonly Token[], dialect: DialectName): Map<string, QualifiedName> {
  const aliases = new Map<string, QualifiedName>();
  const top = topLevelTokens(tokens);
  for (const [i, t] of top.entries()) {
    if (!['FROM', 'USING', 'JOIN'].includes(t.keyword) && t.text !== ',') continue;
    const c = new TokenCursor(top.slice(i + 1));
    const table = readQualifiedName(c, dialect);
    const alias = table === undefined ? undefined : skipAlias(c, dialect);
    if (table !== undefined && alias !== undefined) aliases.set(nameKey(alias, dialect), table);
  }
  return aliases;
}

function reportWholeTable(scope: LintScope, targets: readonly { table: QualifiedName; start: Token }[], code: string, verb: string): void {
  for (const { table, start } of targets) {
    scope.report(code, start, `${verb} every row of table ${displayName(table)} (no WHERE clause)`, tableSubject(table));
  }
}

/** After TRUNCATE: `[TABLE] [ONLY] a [*], b [RESTART IDENTITY] [CASCADE]`. */
export function lintTruncate(c: TokenCursor, scope: LintScope, start: Token): void {
  c.acceptWord('TABLE');
  for (const [i, { table }] of readTableList(c, scope.dialect).entries()) {
    scope.report('KM101', i === 0 ? start : table.token, `Truncating table ${displayName(table)}`, tableSubject(table));
  }
}

/**
 * After DELETE. `DELETE FROM a [USING …]` deletes from a; MySQL's
 * `DELETE a, b FROM …` and `DELETE FROM a, b USING …` from each target,
 * whose aliases are resolved against the tables the statement names.
 */
export function lintDelete(c: TokenCursor, scope: LintScope, start: Token): void {
  const rest = c.rest();
  if (hasTopLevelWord(rest, 'WHERE')) return;
  while (c.acceptWord('LOW_PRIORITY', 'QUICK', 'IGNORE') !== undefined);
  c.acceptWord('FROM');
  const targets = readTableList(c, scope.dialect);
  const aliases = aliasesIn(rest, scope.dialect);
  const tables = targets.map(({ table }, i) => ({
    table: table.schema === undefined ? (aliases.get(nameKey(table.name, scope.dialect)) ?? table) : table,
    start: i === 0 ? start : table.token,
  }));
  reportWholeTable(scope, tables, 'KM102', 'Deleting');
}

/** After UPDATE: the tables before SET (MySQL may list several) are overwritten. */
export function lintUpdate(c: TokenCursor, scope: LintScope, start: Token): void {
  if (hasTopLevelWord(c.rest(), 'WHERE')) return;
  while (c.acceptWord('LOW_PRIORITY', 'IGNORE') !== undefined);
  // SQLite's UPDATE OR REPLACE t …
  if (c.acceptWord('OR') !== undefined) c.next();
  const tables = readTableList(c, scope.dialect).map(({ table }, i) => ({ table, start: i === 0 ? start : table.token }));
  reportWholeTable(scope, tables, 'KM103', 'Updating');
}

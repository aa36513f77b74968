/**
 * Uniqueness added to existing rows: CREATE UNIQUE INDEX and ALTER TABLE
 * ADD UNIQUE / ADD CONSTRAINT … UNIQUE / ADD PRIMARY KEY (MF101), or an
 * index dropped earlier in the file and recreated as unique (MF102). A
 * table created in the same file is skipped: it has no earlier rows.
 */
import type { DialectName } from '../../dialects/syntax';
import type { TokenCursor } from '../cursor';
import { splitTopLevel } from '../cursor';
import type { FindingSubject } from '../finding';
import { displayName, identifierValue, type QualifiedName, readIdentifier, readQualifiedName } from '../names';
import type { LintScope } from '../scope';
import type { Token } from '../tokens';

interface UniqueIndex {
  readonly scope: LintScope;
  readonly start: Token;
  readonly table: QualifiedName;
  /** What is added, for the message: `unique index`, `unique constraint`, `primary key`. */
  readonly noun: string;
  readonly kind: 'index' | 'constraint';
  readonly name: string | undefined;
  /** Undefined when a key part is an expression. */
  readonly columns: readonly string[] | undefined;
}

function isNumberInParentheses(part: readonly Token[], at: number): boolean {
  return part[at]?.text === '(' && part[at + 1]?.kind === 'number' && part[at + 2]?.text === ')';
}

/** `c`, `c(10)`, `c DESC`, `c COLLATE "C" text_pattern_ops`: a plain column; anything else is an expression. */
function keyPartColumn(part: readonly Token[], dialect: DialectName): string | undefined {
  const name = identifierValue(part[0], dialect);
  if (name === undefined) return undefined;
  const rest = part.slice(isNumberInParentheses(part, 1) ? 4 : 1);
  return rest.every((t) => t.kind === 'word' || t.kind === 'quoted') ? name : undefined;
}

/** The columns of a key part list `(a, b(10) DESC)`; undefined if any part is an expression. */
export function keyColumns(inner: readonly Token[] | undefined, dialect: DialectName): string[] | undefined {
  if (inner === undefined) return undefined;
  const columns: string[] = [];
  for (const part of splitTopLevel(inner, ',')) {
    const column = keyPartColumn(part, dialect);
    if (column === undefined) return undefined;
    columns.push(column);
  }
  return columns.length === 0 ? undefined : columns;
}

function subjectOf(u: UniqueIndex): FindingSubject {
  return {
    kind: u.kind,
    ...(u.table.schema === undefined ? {} : { schema: u.table.schema }),
    table: u.table.name,
    ...(u.name === undefined ? {} : { name: u.name }),
    ...(u.columns === undefined ? {} : { columns: u.columns }),
  };
}

function reportUnique(u: UniqueIndex): void {
  const { scope, table } = u;
  if (scope.state.wasCreated(table)) return;
  const named = u.name === undefined ? u.noun : `${u.noun} "${u.name}"`;
  if (u.name !== undefined && scope.state.wasIndexDropped(u.name, table)) {
    scope.report('MF102', u.start, `Recreating index "${u.name}" of table ${displayName(table)} as unique`, subjectOf(u));
    return;
  }
  const on = u.columns === undefined ? 'an expression' : `column${u.columns.length > 1 ? 's' : ''} ${u.columns.map((c) => `"${c}"`).join(', ')}`;
  scope.report('MF101', u.start, `Adding ${named} on ${on} of existing table ${displayName(table)}`, subjectOf(u));
}

/** After CREATE UNIQUE (`start` is CREATE). */
export function lintCreateUniqueIndex(c: TokenCursor, scope: LintScope, start: Token): void {
  if (c.acceptWord('INDEX') === undefined) return;
  c.acceptWord('CONCURRENTLY');
  c.acceptSequence('IF', 'NOT', 'EXISTS');
  const index = c.isWord('ON') ? undefined : readQualifiedName(c, scope.dialect);
  if (c.acceptWord('USING') !== undefined) c.next();
  if (c.acceptWord('ON') === undefined) return;
  c.acceptWord('ONLY');
  const named = readQualifiedName(c, scope.dialect);
  if (named === undefined) return;
  // SQLite qualifies the index name, and the table lives in the same schema.
  const schema = named.schema ?? index?.schema;
  const table = schema === undefined ? named : { ...named, schema };
  if (c.acceptWord('USING') !== undefined) c.next();
  const columns = keyColumns(c.readParenthesized(), scope.dialect);
  reportUnique({ scope, start, table, noun: 'unique index', kind: 'index', name: index?.name, columns });
}

/**
 * At UNIQUE or PRIMARY inside ALTER TABLE … ADD [CONSTRAINT name]. A primary
 * key is reported as MF101 too: it fails on repeated values (and on NULLs).
 */
export function lintAddUnique(c: TokenCursor, at: { scope: LintScope; start: Token; table: QualifiedName }, constraint: string | undefined): void {
  const primary = c.acceptWord('PRIMARY') !== undefined;
  if (primary) c.acceptWord('KEY');
  else c.acceptWord('UNIQUE');
  const keyword = primary ? undefined : c.acceptWord('INDEX', 'KEY');
  // PostgreSQL's UNIQUE USING INDEX i adopts an index that is unique already.
  if (c.isSequence('USING', 'INDEX')) return;
  c.acceptSequence('NULLS', 'NOT', 'DISTINCT');
  c.acceptSequence('NULLS', 'DISTINCT');
  const indexName = c.isPunct('(') || c.isWord('USING') ? undefined : readIdentifier(c, at.scope.dialect);
  if (c.acceptWord('USING') !== undefined) c.next();
  const columns = keyColumns(c.readParenthesized(), at.scope.dialect);
  reportUnique({ ...at, ...uniqueKind(primary, keyword !== undefined || (indexName !== undefined && constraint === undefined)), name: constraint ?? indexName, columns });
}

/** MySQL's ADD UNIQUE INDEX/KEY i, or ADD UNIQUE i, names an index; the other forms a constraint. */
function uniqueKind(primary: boolean, asIndex: boolean): Pick<UniqueIndex, 'noun' | 'kind'> {
  if (primary) return { noun: 'primary key', kind: 'constraint' };
  return asIndex ? { noun: 'unique index', kind: 'index' } : { noun: 'unique constraint', kind: 'constraint' };
}

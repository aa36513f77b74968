/**
 * Top-level DROP statements: schemas/databases (DS101), tables (DS102),
 * indexes (KM201), views (KM202), routines (KM203), triggers (KM204).
 */
import type { DialectName } from '../../dialects/syntax';
import type { TokenCursor } from '../cursor';
import { displayName, type QualifiedName, readQualifiedName } from '../names';
import { type LintScope, namedSubject, tableSubject } from '../scope';
import type { Token } from '../tokens';

/** Reads `a, b.c, d(int, text)`: names separated by commas; `(…)` argument lists are skipped. */
function readNameList(c: TokenCursor, dialect: DialectName): QualifiedName[] {
  const names: QualifiedName[] = [];
  for (;;) {
    const name = readQualifiedName(c, dialect);
    if (name === undefined) return names;
    names.push(name);
    c.readParenthesized();
    if (!c.acceptPunct(',')) return names;
  }
}

/** The first finding stands at the statement's keyword, the others at their own name. */
function lineToken(i: number, start: Token, name: QualifiedName): Token {
  return i === 0 ? start : name.token;
}

function dropTables(c: TokenCursor, scope: LintScope, start: Token): void {
  c.acceptSequence('IF', 'EXISTS');
  for (const [i, table] of readNameList(c, scope.dialect).entries()) {
    scope.report('DS102', lineToken(i, start, table), `Dropping table ${displayName(table)}`, tableSubject(table));
    scope.state.memory.dropTable(table);
  }
}

function dropSchemas(c: TokenCursor, scope: LintScope, start: Token, noun: string): void {
  c.acceptSequence('IF', 'EXISTS');
  for (const [i, schema] of readNameList(c, scope.dialect).entries()) {
    scope.report('DS101', lineToken(i, start, schema), `Dropping ${noun} ${displayName(schema)}`, { kind: 'schema', name: schema.name });
  }
}

function dropIndexes(c: TokenCursor, scope: LintScope, start: Token): void {
  c.acceptWord('CONCURRENTLY');
  c.acceptSequence('IF', 'EXISTS');
  const indexes = readNameList(c, scope.dialect);
  // MySQL: DROP INDEX i ON t.
  const table = c.acceptWord('ON') === undefined ? undefined : readQualifiedName(c, scope.dialect);
  const of = table === undefined ? '' : ` of table ${displayName(table)}`;
  for (const [i, index] of indexes.entries()) {
    scope.report('KM201', lineToken(i, start, index), `Dropping index ${displayName(index)}${of}`, namedSubject('index', index, table));
    scope.state.markIndexDropped(index.name, table);
  }
}

function dropNamed(c: TokenCursor, scope: LintScope, start: Token, what: { readonly code: string; readonly noun: string; readonly kind: 'view' | 'routine' }): void {
  c.acceptSequence('IF', 'EXISTS');
  for (const [i, name] of readNameList(c, scope.dialect).entries()) {
    scope.report(what.code, lineToken(i, start, name), `Dropping ${what.noun} ${displayName(name)}`, namedSubject(what.kind, name));
  }
}

function dropTrigger(c: TokenCursor, scope: LintScope, start: Token): void {
  c.acceptSequence('IF', 'EXISTS');
  const trigger = readQualifiedName(c, scope.dialect);
  if (trigger === undefined) return;
  // PostgreSQL: DROP TRIGGER t ON tbl.
  const table = c.acceptWord('ON') === undefined ? undefined : readQualifiedName(c, scope.dialect);
  const on = table === undefined ? '' : ` on table ${displayName(table)}`;
  scope.report('KM204', start, `Dropping trigger ${displayName(trigger)}${on}`, namedSubject('trigger', trigger, table));
}

type DropCheck = (c: TokenCursor, scope: LintScope, start: Token) => void;

const VIEW = { code: 'KM202', noun: 'view', kind: 'view' } as const;
const MATERIALIZED_VIEW = { code: 'KM202', noun: 'materialized view', kind: 'view' } as const;
const routine = (noun: string) => ({ code: 'KM203', noun, kind: 'routine' }) as const;

const DROPS: Readonly<Record<string, DropCheck>> = {
  TABLE: dropTables,
  // MySQL's DROP SCHEMA is DROP DATABASE.
  SCHEMA: (c, scope, start) => dropSchemas(c, scope, start, scope.dialect === 'postgres' ? 'schema' : 'database'),
  DATABASE: (c, scope, start) => dropSchemas(c, scope, start, 'database'),
  INDEX: dropIndexes,
  VIEW: (c, scope, start) => dropNamed(c, scope, start, VIEW),
  MATERIALIZED: (c, scope, start) => {
    if (c.acceptWord('VIEW') !== undefined) dropNamed(c, scope, start, MATERIALIZED_VIEW);
  },
  FUNCTION: (c, scope, start) => dropNamed(c, scope, start, routine('function')),
  PROCEDURE: (c, scope, start) => dropNamed(c, scope, start, routine('procedure')),
  ROUTINE: (c, scope, start) => dropNamed(c, scope, start, routine('routine')),
  TRIGGER: dropTrigger,
};

/** Reads what follows DROP (`start` is the DROP token). */
export function lintDrop(c: TokenCursor, scope: LintScope, start: Token): void {
  // MySQL's DROP TEMPORARY TABLE only ever drops a session's temporary table, never stored data.
  if (c.isWord('TEMPORARY')) return;
  const kind = c.next();
  const check = kind?.kind === 'word' ? DROPS[kind.keyword] : undefined;
  check?.(c, scope, start);
}

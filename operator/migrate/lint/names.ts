/**
 * Object names as a statement writes them, turned into the names a database
 * stores: quotes removed, PostgreSQL's unquoted names folded to lower case,
 * MySQL's and SQLite's kept as written.
 */
import type { DialectName } from '../dialects/syntax';
import type { TokenCursor } from './cursor';
import type { Token } from './tokens';

export interface QualifiedName {
  /** Schema (PostgreSQL, SQLite attached database) or database (MySQL) qualifier. */
  readonly schema?: string;
  readonly name: string;
  /** The name's first token, for the finding's line. */
  readonly token: Token;
}

/** The stored name for an identifier token, or undefined when the token is not one. */
export function identifierValue(t: Token | undefined, dialect: DialectName): string | undefined {
  if (t === undefined) return undefined;
  if (t.kind === 'quoted') return t.value;
  if (t.kind !== 'word') return undefined;
  return dialect === 'postgres' ? t.text.toLowerCase() : t.text;
}

/** Reads `name`, `schema.name` or `db.schema.name` (the last two parts are kept). */
export function readQualifiedName(c: TokenCursor, dialect: DialectName): QualifiedName | undefined {
  const token = c.peek();
  const first = identifierValue(token, dialect);
  if (token === undefined || first === undefined) return undefined;
  c.next();
  const parts = [first];
  while (c.isPunct('.')) {
    const part = identifierValue(c.peek(1), dialect);
    if (part === undefined) break;
    c.next();
    c.next();
    parts.push(part);
  }
  const name = parts[parts.length - 1] ?? first;
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  return schema === undefined ? { name, token } : { schema, name, token };
}

/** Reads one identifier (no qualifier). */
export function readIdentifier(c: TokenCursor, dialect: DialectName): string | undefined {
  const value = identifierValue(c.peek(), dialect);
  if (value !== undefined) c.next();
  return value;
}

/** `"schema"."name"` or `"name"`, for messages. */
export function displayName(q: { readonly schema?: string | undefined; readonly name: string }): string {
  return q.schema === undefined ? `"${q.name}"` : `"${q.schema}"."${q.name}"`;
}

/** A key under which two spellings of the same name meet (MySQL and SQLite compare names case-insensitively). */
export function nameKey(name: string, dialect: DialectName): string {
  return dialect === 'postgres' ? name : name.toLowerCase();
}

export function tableKey(q: { readonly schema?: string | undefined; readonly name: string }, dialect: DialectName): string {
  return `${nameKey(q.schema ?? '', dialect)}\u0000${nameKey(q.name, dialect)}`;
}

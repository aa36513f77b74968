/**
 * One column definition (`email varchar(255) NOT NULL DEFAULT ''`) as the
 * checks need it: name, type, and whether existing rows get a value.
 */
import type { DialectName } from '../dialects/syntax';
import { type ColumnType, readColumnType } from './column-type';
import { TokenCursor, topLevelTokens } from './cursor';
import { identifierValue } from './names';
import type { Token } from './tokens';

export interface ColumnDefinition {
  readonly name: string;
  readonly nameToken: Token;
  readonly type?: ColumnType;
  /** NOT NULL, or a PRIMARY KEY (which implies it outside SQLite). */
  readonly notNull: boolean;
  readonly hasDefault: boolean;
  /** The database fills existing rows itself: generated, identity, auto-increment, serial, SQLite rowid. */
  readonly filled: boolean;
}

const FILLING_WORDS = new Set(['GENERATED', 'AS', 'AUTO_INCREMENT', 'AUTOINCREMENT', 'IDENTITY']);
const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

interface Attributes {
  notNull: boolean;
  primaryKey: boolean;
  hasDefault: boolean;
  filled: boolean;
}

function readAttributes(tokens: readonly Token[]): Attributes {
  const found: Attributes = { notNull: false, primaryKey: false, hasDefault: false, filled: false };
  // Expressions in parentheses (CHECK, DEFAULT (…), AS (…)) are skipped: their words are not attributes.
  const words = topLevelTokens(tokens).map((t) => t.keyword);
  for (const [i, word] of words.entries()) {
    if (word === 'NOT' && words[i + 1] === 'NULL') found.notNull = true;
    if (word === 'PRIMARY' && words[i + 1] === 'KEY') found.primaryKey = true;
    if (word === 'DEFAULT') found.hasDefault = true;
    if (FILLING_WORDS.has(word)) found.filled = true;
  }
  return found;
}

/** Parses `name type attributes…`; undefined when it does not start with a name. */
export function parseColumnDefinition(tokens: readonly Token[], dialect: DialectName): ColumnDefinition | undefined {
  const c = new TokenCursor(tokens);
  const nameToken = c.next();
  const name = identifierValue(nameToken, dialect);
  if (nameToken === undefined || name === undefined) return undefined;
  const type = readColumnType(c);
  const found = readAttributes(c.rest());
  const serial = type !== undefined && SERIAL_TYPES.has(type.base);
  // A PRIMARY KEY implies NOT NULL, except in SQLite (a legacy of its own).
  const notNull = found.notNull || (found.primaryKey && dialect !== 'sqlite') || serial;
  const definition = { name, nameToken, notNull, hasDefault: found.hasDefault, filled: found.filled || serial || isRowid(type, found, dialect) };
  return type === undefined ? definition : { ...definition, type };
}

/** In SQLite an INTEGER PRIMARY KEY is the rowid, numbered by the database. */
function isRowid(type: ColumnType | undefined, found: Attributes, dialect: DialectName): boolean {
  return dialect === 'sqlite' && type?.base === 'integer' && found.primaryKey;
}

/**
 * How each dialect's SQL is split into statements, as data. These are the
 * flags each Atlas driver sets on its shared scanner; the engine's scanner
 * reads them and never asks which dialect it is working for.
 */

export interface SqlSyntax {
  /** `BEGIN … END` compound blocks (triggers, procedures) form one statement. */
  readonly matchBegin: boolean;
  /** SQL-standard `BEGIN ATOMIC … END` bodies form one statement. */
  readonly matchBeginAtomic: boolean;
  /** PostgreSQL dollar-quoted strings (`$$…$$`, `$tag$…$tag$`). */
  readonly matchDollarQuote: boolean;
  /** A backslash escapes the next character inside any quote (MySQL default SQL mode). */
  readonly backslashEscapes: boolean;
  /**
   * PostgreSQL `E'…'` strings. Atlas sets it, but its check looks at the
   * quote itself rather than the character before it, so it never fires;
   * the flag is kept so the behaviour stays identical.
   */
  readonly escapedStringExt: boolean;
  /** MySQL `#` line comments. */
  readonly hashComments: boolean;
}

export const DIALECT_NAMES = ['mysql', 'postgres', 'sqlite'] as const;
export type DialectName = (typeof DIALECT_NAMES)[number];

export const SQL_SYNTAX: Readonly<Record<DialectName, SqlSyntax>> = Object.freeze({
  mysql: {
    matchBegin: true,
    matchBeginAtomic: false,
    matchDollarQuote: false,
    backslashEscapes: true,
    escapedStringExt: false,
    hashComments: true,
  },
  postgres: {
    matchBegin: true,
    matchBeginAtomic: true,
    matchDollarQuote: true,
    backslashEscapes: false,
    escapedStringExt: true,
    hashComments: false,
  },
  sqlite: {
    matchBegin: true,
    matchBeginAtomic: false,
    matchDollarQuote: false,
    backslashEscapes: false,
    escapedStringExt: false,
    hashComments: false,
  },
});

export function isDialectName(name: string): name is DialectName {
  return (DIALECT_NAMES as readonly string[]).includes(name);
}

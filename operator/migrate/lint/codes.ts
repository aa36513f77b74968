/**
 * The lint code catalogue. Codes Atlas defines keep Atlas's meaning, so a
 * team's `--destructive`/`--error` lists mean the same with either tool; the
 * `KM` family is ours, in the same shape.
 */

export interface LintCode {
  readonly code: string;
  readonly title: string;
  /** In the default destructive set (what a plan refuses without approval). */
  readonly destructive: boolean;
  /** Reported as an error by default: `migrate lint` exits 1. */
  readonly error: boolean;
  readonly description: string;
}

function entry(code: string, title: string, flags: 'destructive+error' | 'destructive' | 'warn', description: string): LintCode {
  return { code, title, destructive: flags !== 'warn', error: flags === 'destructive+error', description };
}

export const LINT_CODES: readonly LintCode[] = Object.freeze([
  entry('DS101', 'Schema dropped', 'destructive+error', 'A schema (PostgreSQL) or database (MySQL) is dropped with every table in it.'),
  entry('DS102', 'Table dropped', 'destructive+error', 'A table is dropped with all its rows.'),
  entry('DS103', 'Non-virtual column dropped', 'destructive+error', 'A stored column is dropped with its values.'),
  entry('CD101', 'Foreign key dropped', 'destructive', 'A foreign key (or a constraint that may be one) is dropped: rows may stop referring to existing rows.'),
  entry('BC101', 'Table renamed', 'destructive', 'A table is renamed: applications still using the old name break.'),
  entry('BC102', 'Column renamed', 'destructive', 'A column is renamed: applications still using the old name break.'),
  entry('MF101', 'Unique index on existing columns', 'warn', 'A unique index, unique constraint or primary key is added on existing columns: it fails when their values repeat.'),
  entry('MF102', 'Index made unique', 'warn', 'An existing index is recreated as unique: it fails when the indexed values repeat.'),
  entry('MF103', 'Non-nullable column without default', 'warn', 'A NOT NULL column without a default is added to an existing table: it fails when the table has rows.'),
  entry('MF104', 'Column made non-nullable', 'warn', 'A column is changed to NOT NULL: it fails when it holds NULLs.'),
  entry('KM101', 'Table truncated', 'destructive+error', 'TRUNCATE removes every row of a table.'),
  entry('KM102', 'DELETE without WHERE', 'destructive+error', 'A DELETE with no WHERE clause removes every row of its table.'),
  entry('KM103', 'UPDATE without WHERE', 'destructive+error', 'An UPDATE with no WHERE clause overwrites every row of its table.'),
  entry('KM104', 'Column type narrowed', 'destructive', 'A column type changes to one that may not hold every current value (shorter, smaller or another kind).'),
  entry('KM201', 'Index dropped', 'warn', 'An index is dropped: queries using it slow down.'),
  entry('KM202', 'View dropped', 'warn', 'A view or materialized view is dropped.'),
  entry('KM203', 'Routine dropped', 'warn', 'A function or procedure is dropped.'),
  entry('KM204', 'Trigger dropped', 'warn', 'A trigger is dropped: what it did on writes stops happening.'),
]);

const BY_CODE: ReadonlyMap<string, LintCode> = new Map(LINT_CODES.map((c) => [c.code, c]));

export function lintCode(code: string): LintCode | undefined {
  return BY_CODE.get(code);
}

/** Codes reported as destructive unless the user says otherwise. */
export const DEFAULT_DESTRUCTIVE: readonly string[] = Object.freeze(LINT_CODES.filter((c) => c.destructive).map((c) => c.code));

/** Codes that make `migrate lint` fail unless the user says otherwise. */
export const DEFAULT_ERROR_CODES: readonly string[] = Object.freeze(LINT_CODES.filter((c) => c.error).map((c) => c.code));

/** True when `code` is one of `patterns`: a full code (`DS102`), a prefix ending in `*` (`DS*`) or `*`. */
export function matchesCodes(code: string, patterns: readonly string[]): boolean {
  const wanted = code.toUpperCase();
  return patterns.some((p) => {
    const pattern = p.toUpperCase();
    return pattern.endsWith('*') ? wanted.startsWith(pattern.slice(0, -1)) : wanted === pattern;
  });
}

export class UnknownLintCodeError extends Error {
  constructor(readonly pattern: string) {
    super(`unknown lint code "${pattern}": known codes are ${LINT_CODES.map((c) => c.code).join(', ')} (a prefix may end with "*", e.g. "DS*")`);
    this.name = 'UnknownLintCodeError';
  }
}

/**
 * Checks a user-given list of patterns and returns them upper-cased. A
 * pattern naming no known code is refused: a typo would otherwise silently
 * switch a check off.
 */
export function validateCodePatterns(patterns: readonly string[]): string[] {
  return patterns.map((raw) => {
    const pattern = raw.trim().toUpperCase();
    if (pattern === '' || !LINT_CODES.some((c) => matchesCodes(c.code, [pattern]))) throw new UnknownLintCodeError(raw);
    return pattern;
  });
}

/** `"DS*, KM101"` (commas and/or spaces) → validated patterns; '' → []. */
export function parseCodePatterns(list: string): string[] {
  return validateCodePatterns(list.split(/[\s,]+/).filter((p) => p !== ''));
}

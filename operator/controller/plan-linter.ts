/**
 * What the approval gate needs from `migrate lint`: findings for a file's
 * statements, and which codes a pattern list selects. A seam, so the
 * reconciler is tested with a stand-in and wired to the real linter once.
 */
import { DEFAULT_DESTRUCTIVE, matchesCodes } from '../migrate/lint/codes';
import type { Finding } from '../migrate/lint/finding';
import { lintStatements } from '../migrate/lint/lint';
import type { DialectName } from '../migrate/dialects/syntax';
import type { Statement } from '../migrate/statements';

export interface PlanLinter {
  lint(file: string, statements: readonly Statement[], dialect: DialectName): Finding[];
  /** Whether `code` is selected by `patterns` (codes, or prefixes ending in `*`). */
  matches(code: string, patterns: readonly string[]): boolean;
  /** The destructive set when `spec.approval.destructiveCodes` is absent. */
  readonly defaultDestructive: readonly string[];
}

export const migrateLint: PlanLinter = {
  lint: (file, statements, dialect) => lintStatements(file, statements, dialect),
  matches: (code, patterns) => matchesCodes(code, patterns),
  defaultDestructive: DEFAULT_DESTRUCTIVE,
};

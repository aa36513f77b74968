/**
 * Static lint of migration statements: no database, only the SQL text.
 * Findings come in file order, then statement order, then clause order.
 */
import type { DialectName } from '../dialects/syntax';
import type { MigrationFile } from '../migration-file';
import type { Statement } from '../statements';
import { lintTokens } from './dispatch';
import type { Finding } from './finding';
import { SchemaMemory } from './schema-memory';
import { FileState, type LintScope } from './scope';
import { tokenize } from './tokens';

function lintWithMemory(file: string, statements: readonly Statement[], dialect: DialectName, memory: SchemaMemory): Finding[] {
  const findings: Finding[] = [];
  const state = new FileState(memory);
  for (const statement of statements) {
    const scope: LintScope = {
      dialect,
      state,
      report: (code, at, message, subject) => {
        findings.push({ code, file, line: statement.line + at.line, statement: statement.index + 1, message, subject });
      },
    };
    lintTokens(tokenize(statement.text, dialect), scope);
  }
  return findings;
}

/** Findings of one file's statements. Column types are known only from this file's own statements. */
export function lintStatements(file: string, statements: readonly Statement[], dialect: DialectName): Finding[] {
  return lintWithMemory(file, statements, dialect, new SchemaMemory(dialect));
}

/**
 * Findings of several files in order. Column types defined in an earlier
 * file are known to later ones, so a type change there is judged against
 * the real previous type rather than reported as "may narrow".
 */
export function lintFiles(files: readonly { file: MigrationFile; statements: readonly Statement[] }[], dialect: DialectName): Finding[] {
  const memory = new SchemaMemory(dialect);
  return files.flatMap(({ file, statements }) => lintWithMemory(file.name, statements, dialect, memory));
}

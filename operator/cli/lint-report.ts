/**
 * `migrate lint`'s output: a text report (file by file, one line per
 * finding, then a summary and the plan hash) or one JSON document whose
 * shape is documented in the README and kept stable.
 */
import type { DialectName } from '../migrate/dialects/syntax';
import { lintCode } from '../migrate/lint/codes';
import type { Finding } from '../migrate/lint/finding';
import type { MigrationFile } from '../migrate/migration-file';
import type { Statement } from '../migrate/statements';
import type { LintSelection } from './lint-selection';

export interface LintedFile {
  readonly file: MigrationFile;
  /** The statements linted (a resumed file's applied ones left out). */
  readonly statements: readonly Statement[];
  readonly findings: readonly Finding[];
}

export interface LintOutcome {
  readonly dialect: DialectName;
  readonly selection: LintSelection;
  readonly files: readonly LintedFile[];
  /** Whether a database was asked (`--url`), so findings may carry live information. */
  readonly live: boolean;
  readonly isError: (finding: Finding) => boolean;
  readonly planHash: string;
  readonly warnings: readonly string[];
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

export function allFindings(outcome: LintOutcome): Finding[] {
  return outcome.files.flatMap((f) => f.findings);
}

export function errorCount(outcome: LintOutcome): number {
  return allFindings(outcome).filter(outcome.isError).length;
}

/** `  L12: DS102 [error]: Dropping table "users" (holds 1,204 rows)` */
function findingLine(f: Finding, error: boolean): string {
  const live = f.live === undefined ? '' : ` (${f.live})`;
  return `  L${f.line}: ${f.code}${error ? ' [error]' : ''}: ${f.message}${live}`;
}

function fileBlock(linted: LintedFile, outcome: LintOutcome): string {
  const lines = [linted.file.name];
  if (linted.findings.length === 0) lines.push('  no findings');
  for (const f of linted.findings) lines.push(findingLine(f, outcome.isError(f)));
  return lines.join('\n') + '\n';
}

export function lintText(outcome: LintOutcome): string {
  const { selection } = outcome;
  let out = `Linting ${selection.description} (${plural(selection.files.length, 'file')}, dialect ${outcome.dialect})\n`;
  for (const w of outcome.warnings) out += `warning: ${w}\n`;
  for (const linted of outcome.files) out += '\n' + fileBlock(linted, outcome);
  const findings = allFindings(outcome).length;
  out += `\n${plural(outcome.files.length, 'file')}, ${plural(findings, 'finding')}, ${plural(errorCount(outcome), 'error')}\n`;
  return out + `Plan hash: ${outcome.planHash}\n`;
}

function findingJson(f: Finding, error: boolean): object {
  return {
    code: f.code,
    title: lintCode(f.code)?.title ?? null,
    file: f.file,
    line: f.line,
    statement: f.statement,
    message: f.message,
    subject: f.subject ?? null,
    live: f.live ?? null,
    error,
  };
}

export function lintJson(outcome: LintOutcome): object {
  const json = (f: Finding): object => findingJson(f, outcome.isError(f));
  return {
    dialect: outcome.dialect,
    selection: { kind: outcome.selection.kind, description: outcome.selection.description },
    live: outcome.live,
    warnings: outcome.warnings,
    files: outcome.files.map((f) => ({
      name: f.file.name,
      version: f.file.version,
      statements: f.statements.length,
      findings: f.findings.map(json),
    })),
    findings: allFindings(outcome).map(json),
    errors: errorCount(outcome),
    planHash: outcome.planHash,
  };
}

import { SQL_SYNTAX, DIALECT_NAMES, type DialectName } from '../migrate/dialects/syntax';
import { ChecksumMismatchError } from '../migrate/errors';
import { inspectDirectory, reportErrors, type DirectoryReport, type FileReport } from '../migrate/inspect';
import { binaryToUtf8 } from '../migrate/binary-text';
import { cumulativeStatementHashes } from '../migrate/statements';
import { type CliIo, ExitCode } from './io';
import { loadDirectory } from './load-directory';
import { parseFlags, requireOneOf } from './parse-flags';

export const migrateInspectHelp = `Usage: migrate inspect --dialect mysql|postgres|sqlite [--dir file://migrations] [--json]

Prints every file's version, description, directives, atlas.sum hash and
its statements exactly as they will be executed. --json prints the
documented JSON shape (see README). Exits 1 if the directory has errors;
the report is printed either way.
`;

function fileJson(f: FileReport): object {
  const statements = f.statements;
  const hashes = statements === undefined ? [] : cumulativeStatementHashes(statements);
  return {
    name: f.file.name,
    version: f.file.version,
    description: f.file.description,
    hash: f.hash ?? null,
    sumIgnored: f.file.sumIgnored,
    checkpoint: f.file.isCheckpoint,
    checkpointTag: f.checkpointTag ?? null,
    txMode: f.txMode ?? null,
    statements:
      statements?.map((s, i) => ({
        index: s.index,
        line: s.line,
        text: s.text,
        comments: s.comments.map(binaryToUtf8),
        partialHash: hashes[i],
      })) ?? null,
    errors: f.errors.map((e) => e.message),
  };
}

export function inspectJson(report: DirectoryReport, dialect: DialectName): object {
  const sumError = report.sumError;
  return {
    dir: report.directory.source,
    dialect,
    sum: {
      total: report.sumTotal,
      valid: sumError === undefined,
      error: sumError?.message ?? null,
      detail: sumError instanceof ChecksumMismatchError ? (sumError.describe() ?? null) : null,
    },
    duplicates: report.directory.duplicateVersions(),
    files: report.files.map(fileJson),
  };
}

function indentContinuation(text: string, width: number): string {
  return text.replaceAll('\n', '\n' + ' '.repeat(width));
}

function fileText(f: FileReport): string {
  const lines = [
    f.file.name,
    `  version:     ${f.file.version}`,
    `  description: ${f.file.description}`,
    `  hash:        ${f.hash ?? '(none: atlas:sum ignore)'}`,
    `  txmode:      ${f.txMode ?? '(the run’s mode)'}`,
  ];
  if (f.file.isCheckpoint) lines.push(`  checkpoint:  ${f.checkpointTag === '' ? 'yes' : (f.checkpointTag ?? 'yes')}`);
  if (f.statements !== undefined) {
    lines.push(`  statements:  ${f.statements.length}`);
    for (const s of f.statements) {
      const head = `    ${String(s.index + 1).padStart(3)}  L${s.line}  `;
      lines.push(head + indentContinuation(s.text, head.length));
    }
  }
  for (const e of f.errors) lines.push(`  error: ${e.message}`);
  return lines.join('\n') + '\n';
}

export function inspectText(report: DirectoryReport, dialect: DialectName): string {
  const dir = report.directory;
  const sumError = report.sumError;
  let sumLine = `atlas.sum: OK (${report.sumTotal})`;
  if (sumError !== undefined) {
    const detail = sumError instanceof ChecksumMismatchError ? sumError.describe() : undefined;
    sumLine = `atlas.sum: ${sumError.message}${detail === undefined ? '' : ` (${detail})`}`;
  }
  let out = `Directory: ${dir.source} (${dir.files.length} files, dialect ${dialect})\n${sumLine}\n`;
  for (const d of dir.duplicateVersions()) out += `warning: version ${d.version} is used by ${d.files.join(', ')}\n`;
  for (const f of report.files) out += '\n' + fileText(f);
  return out;
}

export function migrateInspect(args: readonly string[], io: CliIo): number {
  const { values } = parseFlags('migrate inspect', args, {
    dir: { type: 'string' },
    dialect: { type: 'string' },
    json: { type: 'boolean' },
  });
  const dialect = requireOneOf('dialect', values.dialect, DIALECT_NAMES);
  const report = inspectDirectory(loadDirectory(values.dir), SQL_SYNTAX[dialect]);
  io.out(values.json === true ? JSON.stringify(inspectJson(report, dialect), null, 2) + '\n' : inspectText(report, dialect));
  return reportErrors(report).length === 0 ? ExitCode.Ok : ExitCode.Failed;
}

import { SQL_SYNTAX, DIALECT_NAMES } from '../migrate/dialects/syntax';
import { inspectDirectory } from '../migrate/inspect';
import { type CliIo, ExitCode } from './io';
import { loadDirectory } from './load-directory';
import { parseFlags, requireOneOf } from './parse-flags';
import { reportError } from './report-error';
import { reportDuplicates } from './report-duplicates';

export const migrateValidateHelp = `Usage: migrate validate [--dir file://migrations] [--dialect mysql|postgres|sqlite]

Checks atlas.sum against the files and every file's directives. With
--dialect, also splits every file into statements as that database's
driver would, reporting errors as file and line:column.
`;

export function migrateValidate(args: readonly string[], io: CliIo): number {
  const { values } = parseFlags('migrate validate', args, { dir: { type: 'string' }, dialect: { type: 'string' } });
  const dialect = values.dialect === undefined ? undefined : requireOneOf('dialect', values.dialect, DIALECT_NAMES);
  const directory = loadDirectory(values.dir);
  const report = inspectDirectory(directory, dialect === undefined ? undefined : SQL_SYNTAX[dialect]);
  reportDuplicates(io, directory);
  const fileErrors = report.files.flatMap((f) => f.errors);
  for (const e of fileErrors) io.err(`Error: ${e.message}\n`);
  // The checksum banner comes last so that, as with Atlas, its "Error:" line ends the output.
  if (report.sumError !== undefined) reportError(io, report.sumError);
  return report.sumError === undefined && fileErrors.length === 0 ? ExitCode.Ok : ExitCode.Failed;
}

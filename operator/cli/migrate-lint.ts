import { openDriver } from '../migrate/dialects/registry';
import { DEFAULT_LIVE_TIMEOUT_MS } from '../migrate/dialects/lint-probe';
import { DIALECT_NAMES, type DialectName } from '../migrate/dialects/syntax';
import { matchesCodes } from '../migrate/lint/codes';
import { durationFlag, outputFormat } from './database-flags';
import { errorCodesFlag } from './error-codes-flag';
import { type CliIo, ExitCode, UsageError } from './io';
import { errorCount, lintJson, lintText } from './lint-report';
import { runLint, type LintRequest } from './lint-run';
import { loadDirectory } from './load-directory';
import { parseFlags, requireOneOf } from './parse-flags';

export const migrateLintHelp = `Usage: migrate lint [--dir file://migrations] [--dialect mysql|postgres|sqlite] [--url URL] [flags]

Checks migration files for destructive or risky changes and prints each
finding with its file and line, a summary, and the plan hash a reviewer
approves (the same value the operator shows in status.plan.hash for the
same pending files). With --url, each finding is also looked at on the
live data (rows a dropped table holds, duplicates a new unique index
meets, NULLs a NOT NULL change meets) with read-only, time-bounded
queries; no lock is taken and nothing is changed.

Which files: --latest N, else --current-version V, else (with --url) the
files pending on the database, else every file.

Flags:
      --dir DIR                migration directory (default file://migrations)
      --dialect DIALECT        mysql | postgres | sqlite (implied by --url)
  -u, --url URL                database for the pending files and the live checks
      --latest N               lint the last N files of the directory
      --current-version V      lint the files after version V (as a linear apply would run them)
      --revisions-schema S     schema of atlas_schema_revisions (with --url)
      --error-codes CODES      codes that fail the command, e.g. DS*,MF103 ('none': never fail;
                               default: DS*,KM101,KM102,KM103)
      --live-timeout DUR       bound for each live query (default 5s)
      --format json            one JSON document instead of the text report

Exits 0 without error-level findings, 1 with one (or when the directory or
the database refuses), 2 on a usage error.
`;

const OPTIONS = {
  dir: { type: 'string' },
  dialect: { type: 'string' },
  url: { type: 'string', short: 'u' },
  latest: { type: 'string' },
  'current-version': { type: 'string' },
  'revisions-schema': { type: 'string' },
  'error-codes': { type: 'string' },
  'live-timeout': { type: 'string' },
  format: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];

function latestFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--latest ${JSON.stringify(value)}: must be a positive integer`);
  return Number(value);
}

/** --dialect, or the URL's; both given must agree. */
function dialectFor(flag: string | undefined, urlDialect: DialectName | undefined): DialectName {
  if (flag === undefined && urlDialect !== undefined) return urlDialect;
  const dialect = requireOneOf('dialect', flag, DIALECT_NAMES);
  if (urlDialect !== undefined && urlDialect !== dialect) {
    throw new UsageError(`--dialect ${dialect} does not match the --url database (${urlDialect})`);
  }
  return dialect;
}

function lintRequest(values: Values, urlDialect: DialectName | undefined): LintRequest {
  if (values.latest !== undefined && values['current-version'] !== undefined) {
    throw new UsageError('--latest and --current-version cannot be used together');
  }
  const liveTimeoutMs = durationFlag('live-timeout', values['live-timeout'], DEFAULT_LIVE_TIMEOUT_MS);
  if (liveTimeoutMs <= 0) throw new UsageError(`--live-timeout ${JSON.stringify(values['live-timeout'])}: must be more than 0`);
  const errorCodes = errorCodesFlag(values['error-codes']);
  return {
    dialect: dialectFor(values.dialect, urlDialect),
    latest: latestFlag(values.latest),
    currentVersion: values['current-version'],
    revisionsSchema: values['revisions-schema'],
    isError: (f) => matchesCodes(f.code, errorCodes),
    liveTimeoutMs,
  };
}

export async function migrateLint(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags('migrate lint', args, OPTIONS);
  if (values.url === '') throw new UsageError('--url: empty database URL');
  // The driver connects lazily: opening it here only parses the URL (an invalid one exits 1, as in the other commands).
  const driver = values.url === undefined ? undefined : openDriver(values.url);
  try {
    const request = lintRequest(values, driver?.dialect);
    const format = outputFormat(values.format);
    const outcome = await runLint(loadDirectory(values.dir), request, driver);
    io.out(format === 'json' ? JSON.stringify(lintJson(outcome), null, 2) + '\n' : lintText(outcome));
    const errors = errorCount(outcome);
    if (errors === 0) return ExitCode.Ok;
    io.err(`Error: ${errors} error-level finding${errors === 1 ? '' : 's'} (see --error-codes)\n`);
    return ExitCode.Failed;
  } finally {
    await driver?.close();
  }
}

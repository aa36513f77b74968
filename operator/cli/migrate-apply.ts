import { apply, DEFAULT_LOCK_TIMEOUT_MS } from '../migrate/apply';
import { CancelledError } from '../migrate/errors';
import { openDriver } from '../migrate/dialects/registry';
import { EXEC_ORDERS } from '../migrate/planner';
import { TX_MODES } from '../migrate/txmode';
import { PROGRAM_NAME, PROGRAM_VERSION } from '../version';
import { ApplyReport } from './apply-report';
import { durationFlag, outputFormat, requireUrl } from './database-flags';
import { type CliIo, ExitCode, UsageError } from './io';
import { loadDirectory } from './load-directory';
import { parseFlags, requireOneOf } from './parse-flags';
import { reportError } from './report-error';

export const migrateApplyHelp = `Usage: migrate apply --url URL [--dir file://migrations] [flags] [amount]

Applies pending migration files to the database, as 'atlas migrate apply'.

Flags:
  -u, --url URL              database URL (mysql://, maria://, postgres://, sqlite://…)
      --dir DIR              migration directory (default file://migrations)
      --revisions-schema S   schema of atlas_schema_revisions
      --dry-run              print what would run; change nothing, not even the revisions table
      --allow-dirty          allow a first run on a database that already has tables
      --baseline VERSION     on a first run, record VERSION as applied and run only later files
      --exec-order ORDER     linear (default) | linear-skip | non-linear
      --tx-mode MODE         file (default) | all | none
      --to-version VERSION   stop after this version
      --lock-timeout DUR     how long to wait for the database lock (default 10s)
      --format json          one JSON document instead of the text report
  amount                     apply at most this many files
`;

const OPTIONS = {
  url: { type: 'string', short: 'u' },
  dir: { type: 'string' },
  'revisions-schema': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'allow-dirty': { type: 'boolean' },
  baseline: { type: 'string' },
  'exec-order': { type: 'string' },
  'tx-mode': { type: 'string' },
  'to-version': { type: 'string' },
  'lock-timeout': { type: 'string' },
  format: { type: 'string' },
} as const;

function amountArg(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) {
    throw new UsageError(`invalid amount argument ${JSON.stringify(text)}. Omit the argument or pass a valid integer instead`);
  }
  return Number(text);
}

export async function migrateApply(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags('migrate apply', args, OPTIONS, 1);
  const url = requireUrl(values.url);
  const format = outputFormat(values.format);
  const directory = loadDirectory(values.dir);
  const driver = openDriver(url);
  const report = new ApplyReport(io, format, { driver: driver.dialect, url: driver.url.redacted, dir: values.dir ?? 'file://migrations' });
  // Ctrl-C stops between statements, leaving the revisions table consistent; a second one exits at once.
  const controller = new AbortController();
  const onInterrupt = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new CancelledError('interrupted'));
  };
  process.on('SIGINT', onInterrupt);
  const signal = controller.signal;
  try {
    await apply(driver, directory, {
      revisionsSchema: values['revisions-schema'],
      dryRun: values['dry-run'] === true,
      allowDirty: values['allow-dirty'] === true,
      baseline: values.baseline,
      execOrder: values['exec-order'] === undefined ? 'linear' : requireOneOf('exec-order', values['exec-order'], EXEC_ORDERS),
      txMode: values['tx-mode'] === undefined ? 'file' : requireOneOf('tx-mode', values['tx-mode'], TX_MODES),
      toVersion: values['to-version'],
      amount: amountArg(positionals[0]),
      lockTimeoutMs: durationFlag('lock-timeout', values['lock-timeout'], DEFAULT_LOCK_TIMEOUT_MS),
      operatorVersion: `${PROGRAM_NAME} v${PROGRAM_VERSION}`,
      onEvent: report.onEvent,
      signal,
    });
    report.finish();
    return ExitCode.Ok;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    report.finish(e as Error);
    reportError(io, e);
    return ExitCode.Failed;
  } finally {
    process.off('SIGINT', onInterrupt);
    await driver.close();
  }
}

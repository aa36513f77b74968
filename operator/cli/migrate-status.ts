import { openDriver } from '../migrate/dialects/registry';
import { formatStatus, migrationStatus, type MigrationStatus } from '../migrate/status';
import { outputFormat, requireUrl } from './database-flags';
import { type CliIo, ExitCode } from './io';
import { loadDirectory } from './load-directory';
import { parseFlags } from './parse-flags';

export const migrateStatusHelp = `Usage: migrate status --url URL [--dir file://migrations] [--revisions-schema S] [--format json]

Reports the database's current version, the next one, how many files are
pending, and a partial or failed last attempt with its statement and error.
Takes no lock and changes nothing.
`;

function statusJson(s: MigrationStatus, env: { driver: string; url: string; dir: string }): object {
  const file = (f: { name: string; version: string; description: string }): object => ({ Name: f.name, Version: f.version, Description: f.description });
  return {
    Env: { Driver: env.driver, URL: env.url, Dir: env.dir },
    Available: s.available.map(file),
    OutOfOrder: s.outOfOrder.map(file),
    Pending: s.pending.map(file),
    Applied: s.applied.map((r) => ({
      Version: r.version,
      Description: r.description,
      Type: r.type,
      Applied: r.applied,
      Total: r.total,
      ExecutedAt: r.executedAt.toISOString(),
      ExecutionTime: r.executionTime,
      Error: r.error,
      ErrorStmt: r.errorStmt,
      OperatorVersion: r.operatorVersion,
    })),
    Current: s.current,
    Next: s.next,
    Count: s.count,
    Total: s.total,
    Status: s.status,
    Error: s.error,
    SQL: s.sql,
  };
}

export async function migrateStatus(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags('migrate status', args, {
    url: { type: 'string', short: 'u' },
    dir: { type: 'string' },
    'revisions-schema': { type: 'string' },
    format: { type: 'string' },
  });
  const url = requireUrl(values.url);
  const format = outputFormat(values.format);
  const directory = loadDirectory(values.dir);
  const driver = openDriver(url);
  try {
    const status = await migrationStatus(driver, directory, { ...(values['revisions-schema'] === undefined ? {} : { revisionsSchema: values['revisions-schema'] }) });
    const env = { driver: driver.dialect, url: driver.url.redacted, dir: values.dir ?? 'file://migrations' };
    io.out(format === 'json' ? JSON.stringify(statusJson(status, env)) + '\n' : formatStatus(status));
    return ExitCode.Ok;
  } finally {
    await driver.close();
  }
}

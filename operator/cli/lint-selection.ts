/**
 * Which files `migrate lint` looks at: the latest N, the files after a
 * version (as the planner would run them, linear), the files pending on a
 * database (read as `migrate status` reads them: no lock, nothing created),
 * or every file.
 */
import type { Driver } from '../migrate/dialects/driver';
import { makeRevision } from '../migrate/dialects/revision';
import type { MigrationDirectory } from '../migrate/directory';
import type { MigrationFile } from '../migrate/migration-file';
import { plan } from '../migrate/planner';
import { migrationStatus } from '../migrate/status';

export type SelectionKind = 'all' | 'latest' | 'after-version' | 'pending';

export interface LintSelection {
  readonly kind: SelectionKind;
  /** For people: `all files`, `the latest 2 files`, `files pending on mysql://…` (URL redacted). */
  readonly description: string;
  /** In apply order. */
  readonly files: readonly MigrationFile[];
  /** Statements of the first file already applied (a partial file resumes after them); 0 otherwise. */
  readonly resumeAt: number;
  readonly warnings: readonly string[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function selectAll(directory: MigrationDirectory): LintSelection {
  return { kind: 'all', description: 'all files', files: directory.files, resumeAt: 0, warnings: [] };
}

export function selectLatest(directory: MigrationDirectory, count: number): LintSelection {
  const files = directory.files.slice(Math.max(0, directory.files.length - count));
  return { kind: 'latest', description: `the latest ${plural(count, 'file')}`, files, resumeAt: 0, warnings: [] };
}

/** The files a database at `version` would run next: the planner's linear rule on a one-revision history. */
export function selectAfterVersion(directory: MigrationDirectory, version: string): LintSelection {
  const p = plan(directory, { revisions: [makeRevision({ version })] });
  return { kind: 'after-version', description: `files after version ${version}`, files: p.pending, resumeAt: 0, warnings: [] };
}

/**
 * The files pending on the database, as `migrate status` computes them.
 * Files older than the database's version that never ran are linted first
 * (where `--exec-order non-linear` would run them), with a warning: a
 * linear apply refuses them.
 */
export async function selectPending(driver: Driver, directory: MigrationDirectory, revisionsSchema: string | undefined): Promise<LintSelection> {
  const status = await migrationStatus(driver, directory, revisionsSchema === undefined ? {} : { revisionsSchema });
  const warnings =
    status.outOfOrder.length === 0
      ? []
      : [
          `${plural(status.outOfOrder.length, 'file')} older than the database's version never ran (${status.outOfOrder.map((f) => f.name).join(', ')}): ` +
            'a linear apply refuses them; they are linted first, where --exec-order non-linear runs them',
        ];
  // A partially applied last file resumes: only its remaining statements will run (status counts them).
  const resumeAt = status.outOfOrder.length === 0 && status.total > 0 ? status.count : 0;
  return {
    kind: 'pending',
    description: `files pending on ${driver.url.redacted}`,
    files: [...status.outOfOrder, ...status.pending],
    resumeAt,
    warnings,
  };
}

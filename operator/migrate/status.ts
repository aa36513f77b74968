/**
 * `migrate status`: where a database stands against a directory, with
 * Atlas's semantics and wording. It takes no lock and changes nothing.
 *
 * One deliberate difference: with an empty revisions table Atlas runs its
 * dirty check and fails on a non-empty database (ariga/atlas#3795), which
 * leaves resources wedged; status here only reports, so it skips that check.
 */
import type { Driver } from './dialects/driver';
import { RevisionType, type Revision } from './dialects/revision';
import type { MigrationDirectory } from './directory';
import { HistoryNonLinearError, MissingMigrationError } from './errors';
import type { MigrationFile } from './migration-file';
import { plan, type ExecOrder } from './planner';
import { fileStatements } from './statements';

export interface StatusOptions {
  readonly revisionsSchema?: string;
  readonly execOrder?: ExecOrder;
}

/** Atlas's MigrateStatus, field for field. */
export interface MigrationStatus {
  /** `OK` when nothing is pending, else `PENDING`. */
  readonly status: 'OK' | 'PENDING';
  /** The last applied version, or `No migration applied yet`. */
  readonly current: string;
  /** Version of the next file, `Already at latest version`, or '' when unknown (out-of-order history). */
  readonly next: string;
  readonly available: readonly MigrationFile[];
  /** Files to run in order (out-of-order files are listed separately). */
  readonly pending: readonly MigrationFile[];
  readonly outOfOrder: readonly MigrationFile[];
  readonly applied: readonly Revision[];
  /** Statements applied of a partially applied last file (0 when none). */
  readonly count: number;
  /** Statements in that file now (0 when no file is partial). */
  readonly total: number;
  /** The failed statement and its error (newlines flattened), or the out-of-order error. */
  readonly sql: string;
  readonly error: string;
}

const NOTHING_APPLIED = 'No migration applied yet';
const UP_TO_DATE = 'Already at latest version';

export async function migrationStatus(driver: Driver, directory: MigrationDirectory, opts: StatusOptions = {}): Promise<MigrationStatus> {
  directory.validate();
  const schema = opts.revisionsSchema ?? driver.defaultRevisionsSchema();
  const applied = (await driver.revisionsTableExists(schema)) ? await driver.readRevisions(schema) : [];
  const base = { applied, count: 0, total: 0, sql: '', error: '' };
  if (applied.length === 0) {
    const pending = directory.filesFromLastCheckpoint();
    return withCurrent({ ...base, available: pending, pending, outOfOrder: [] });
  }
  try {
    const p = plan(directory, { revisions: applied }, opts.execOrder === undefined ? {} : { execOrder: opts.execOrder });
    return withPartial(withCurrent({ ...base, available: directory.files, pending: p.pending, outOfOrder: [] }), directory, driver);
  } catch (e) {
    if (!(e instanceof HistoryNonLinearError)) throw e;
    const byName = new Map(directory.files.map((f) => [f.name, f]));
    const files = (names: readonly string[]): MigrationFile[] => names.map((n) => byName.get(n)).filter((f) => f !== undefined);
    // As Atlas: the current version is the last revision and the next one is unknown.
    return {
      ...base,
      status: 'PENDING',
      current: (applied.at(-1) as Revision).version,
      next: '',
      available: directory.files,
      pending: files(e.pending),
      outOfOrder: files(e.outOfOrder),
      error: e.message,
    };
  }
}

type Partial = Omit<MigrationStatus, 'status' | 'current' | 'next'>;

function withCurrent(s: Partial): MigrationStatus {
  const last = s.applied.at(-1);
  return {
    ...s,
    status: s.pending.length === 0 ? 'OK' : 'PENDING',
    current: s.pending.length === s.available.length || last === undefined ? NOTHING_APPLIED : last.version,
    next: s.pending[0]?.version ?? UP_TO_DATE,
  };
}

/** A last revision stopped part way (and not resolved by hand): report where and why. */
function withPartial(s: MigrationStatus, directory: MigrationDirectory, driver: Driver): MigrationStatus {
  const last = s.applied.at(-1);
  if (last === undefined || (last.type & RevisionType.Resolved) !== 0 || last.applied >= last.total) return s;
  const file = directory.files.findLast((f) => f.version === last.version);
  if (file === undefined) throw new MissingMigrationError(last.version, last.description);
  return {
    ...s,
    count: last.applied,
    total: fileStatements(file, driver.syntax).length,
    sql: last.errorStmt.replaceAll('\n', ' '),
    error: last.error.replaceAll('\n', ' '),
  };
}

/** True when a fresh database starts from a checkpoint (the first pending file). */
function fromCheckpoint(s: MigrationStatus): boolean {
  const first = s.pending[0];
  return s.applied.length === 0 && first !== undefined && first.version === s.next && first.isCheckpoint;
}

/** Atlas's text report (its default template, without colours). */
export function formatStatus(s: MigrationStatus): string {
  const partial = s.total > 0;
  let next = s.next === '' ? 'UNKNOWN' : s.next + (fromCheckpoint(s) ? ' (checkpoint)' : '');
  if (partial) next += ` (${s.total - s.count} statements left)`;
  let pendingCount = String(s.pending.length + s.outOfOrder.length);
  if (s.outOfOrder.length > 0) pendingCount += ` (${s.pending.length > 0 ? `${s.outOfOrder.length} ` : ''}out of order)`;
  let out =
    `Migration Status: ${s.status}\n` +
    `  -- Current Version: ${s.current}${partial ? ` (${s.count} statements applied)` : ''}\n` +
    `  -- Next Version:    ${next}\n` +
    `  -- Executed Files:  ${s.applied.length}${partial ? ' (last one partially)' : ''}\n` +
    `  -- Pending Files:   ${pendingCount}`;
  if (partial) out += `\n\nLast migration attempt had errors:\n  -- SQL:   ${s.sql}\n  -- ERROR: ${s.error}`;
  else if (s.outOfOrder.length > 0 && s.error !== '') out += `\n\n  ERROR: ${s.error}`;
  return out + '\n';
}

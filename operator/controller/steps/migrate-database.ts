/**
 * Steps 4 and 5: connect, then lock, plan and apply through the engine,
 * in-process (no dev database, no pod, no child process). Errors are
 * sorted into the step that failed and whether retrying can help.
 */
import { Reason, type FailureKind, type ReasonName } from '../../api/reasons';
import { apply, type ApplyOptions, type ApplyResult } from '../../migrate/apply';
import type { Driver } from '../../migrate/dialects/driver';
import { DriverError, type DriverErrorCode } from '../../migrate/dialects/errors';
import { MigrateError, type MigrateErrorCode } from '../../migrate/errors';
import type { MigrationDirectory } from '../../migrate/directory';
import { ApprovalHeldError } from './approval-held';
import type { MigrationOptions } from './read-spec';
import { StepError } from './step-error';

const DRIVER_ERRORS: Readonly<Record<DriverErrorCode, [ReasonName, FailureKind]>> = {
  InvalidUrl: [Reason.ResolvingTarget, 'permanent'],
  UnsupportedScheme: [Reason.ResolvingTarget, 'permanent'],
  Connect: [Reason.Connecting, 'transient'],
  LockTimeout: [Reason.Migrating, 'transient'],
  Lock: [Reason.Migrating, 'transient'],
  // The table exists in another shape, or the account may not create it: a person has to act.
  RevisionsTable: [Reason.Migrating, 'permanent'],
  Query: [Reason.Migrating, 'transient'],
  // A stuck server or a lock held by another session: worth another attempt.
  QueryTimeout: [Reason.Migrating, 'transient'],
};

/** Engine errors that another attempt can get past; the rest need a new directory, spec or database. */
const TRANSIENT_MIGRATE_ERRORS: ReadonlySet<MigrateErrorCode> = new Set(['StatementExec', 'Cancelled']);

export function classify(e: unknown): StepError {
  if (e instanceof StepError) return e;
  if (e instanceof DriverError) {
    const [reason, kind] = DRIVER_ERRORS[e.code];
    return new StepError(reason, kind, e.message, { cause: e });
  }
  if (e instanceof MigrateError) {
    return new StepError(Reason.Migrating, TRANSIENT_MIGRATE_ERRORS.has(e.code) ? 'transient' : 'permanent', e.message, { cause: e });
  }
  return new StepError(Reason.Migrating, 'transient', e instanceof Error ? e.message : String(e), { cause: e });
}

export interface MigrateRequest {
  readonly driver: Driver;
  readonly directory: MigrationDirectory;
  readonly options: MigrationOptions;
  readonly operatorVersion: string;
  readonly onEvent: NonNullable<ApplyOptions['onEvent']>;
  readonly beforeExecute: NonNullable<ApplyOptions['beforeExecute']>;
  readonly signal: AbortSignal;
}

/** atlas-operator's message, word for word (its e2e test waits for exactly this text). */
export const MIGRATE_DOWN_REFUSED = 'migrate down is not allowed, set `migrateDown.allow` to true to allow downgrade';

/**
 * atlas-operator's test for a database ahead of its directory (applyChanges,
 * v0.7.37): nothing pending, something applied, and fewer files than
 * applied revisions (`Pending == 0 && Applied > 0 && len(Available) <
 * len(Applied)`), as after a Git revert removed an applied file.
 */
export function databaseAhead(result: ApplyResult, directory: MigrationDirectory): boolean {
  return result.files.length === 0 && result.appliedBefore > 0 && directory.files.length < result.appliedBefore;
}

export async function migrateDatabase(r: MigrateRequest): Promise<ApplyResult> {
  const o = r.options;
  let result: ApplyResult;
  try {
    result = await apply(r.driver, r.directory, {
      revisionsSchema: o.revisionsSchema,
      baseline: o.baseline,
      execOrder: o.execOrder,
      txMode: o.txMode,
      lockTimeoutMs: o.lockTimeoutMs,
      dryRun: o.dryRun,
      operatorVersion: r.operatorVersion,
      onEvent: r.onEvent,
      beforeExecute: r.beforeExecute,
      signal: r.signal,
    });
  } catch (e) {
    // Waiting for approval is not a failure of this step: the reconciler reports it as it is.
    throw e instanceof ApprovalHeldError ? e : classify(e);
  }
  // Going down is atlas-operator's protected flow; this operator has no down migrations at all
  // (`protectedFlows.migrateDown.allow: true` is refused as UnsupportedField before any connection).
  // Nothing ran: with nothing pending, the run above only read the history. Atlas's own
  // `migrate apply` (our CLI's) says "no migration files to execute" here instead.
  if (databaseAhead(result, r.directory)) throw new StepError(Reason.ProtectedFlowError, 'permanent', MIGRATE_DOWN_REFUSED);
  return result;
}

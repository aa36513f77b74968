/**
 * Errors raised by the database drivers. Like the engine's errors they carry
 * a stable `code`; messages never contain a password (URLs are redacted and
 * driver messages scrubbed before they are wrapped).
 */

import { CodedError } from './coded-error';

export type DriverErrorCode =
  | 'InvalidUrl'
  | 'UnsupportedScheme'
  | 'Connect'
  | 'LockTimeout'
  | 'Lock'
  | 'RevisionsTable'
  | 'Query'
  | 'QueryTimeout';

export abstract class DriverError extends CodedError<DriverErrorCode> {}

export class InvalidUrlError extends DriverError {
  readonly code = 'InvalidUrl';
}

export class UnsupportedSchemeError extends DriverError {
  readonly code = 'UnsupportedScheme';
  constructor(
    readonly scheme: string,
    supported: readonly string[],
  ) {
    super(`unsupported database URL scheme ${JSON.stringify(scheme)} (supported: ${supported.join(', ')})`);
  }
}

/** The database could not be reached or refused the login. */
export class ConnectError extends DriverError {
  readonly code = 'Connect';
}

/** Another migration holds the lock past the lock timeout. Atlas's wording. */
export class LockTimeoutError extends DriverError {
  readonly code = 'LockTimeout';
  constructor(
    readonly lockName: string,
    readonly timeoutMs: number,
  ) {
    super(`acquiring database lock: sql/schema: lock is held by other session (waited ${timeoutMs} ms for ${JSON.stringify(lockName)})`);
  }
}

export class LockError extends DriverError {
  readonly code = 'Lock';
}

/** The revisions table exists but is not in Atlas's shape, or cannot be created. */
export class RevisionsTableError extends DriverError {
  readonly code = 'RevisionsTable';
}

/** A statement failed; `message` is the database's own text (scrubbed). */
export class QueryError extends DriverError {
  readonly code = 'Query';
}

function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * One of the engine's own queries (the revisions table, the lock's query,
 * the dirty check) got no answer within the query timeout: the server is
 * stuck, or another session holds a lock the query needs. Worth retrying.
 */
export class QueryTimeoutError extends DriverError {
  readonly code = 'QueryTimeout';
  constructor(
    readonly kind: string,
    readonly timeoutMs: number,
  ) {
    super(`${kind}: no answer within the query timeout (${duration(timeoutMs)}): the database server is stuck, or another session holds a lock this query needs`);
  }
}

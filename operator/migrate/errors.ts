import { CodedError } from './dialects/coded-error';
import { goQuote } from './go-quote';

/**
 * Typed errors of the migration engine. Each carries a stable `code` that
 * callers switch on (never the message) and the context needed to point a
 * person at the problem. Messages follow Atlas's wording so that output and
 * status conditions read the same as with the Atlas CLI.
 */

export type MigrateErrorCode =
  | 'DirectoryRead'
  | 'InvalidFileName'
  | 'ChecksumNotFound'
  | 'ChecksumFormat'
  | 'ChecksumMismatch'
  | 'StatementScan'
  | 'InvalidDirective'
  | 'BaselineNotFound'
  | 'VersionNotFound'
  | 'HistoryNonLinear'
  | 'MissingMigration'
  | 'NotClean'
  | 'InvalidOption'
  | 'StatementExec'
  | 'HistoryChanged'
  | 'ChecksumEntryMissing'
  | 'AmbiguousRevisionTable'
  | 'Cancelled';

export abstract class MigrateError extends CodedError<MigrateErrorCode> {}

export class DirectoryReadError extends MigrateError {
  readonly code = 'DirectoryRead';
  constructor(
    readonly file: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`sql/migrate: read file ${goQuote(file)}: ${detail}`, options);
  }
}

export class InvalidFileNameError extends MigrateError {
  readonly code = 'InvalidFileName';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`invalid migration file name ${goQuote(file)}: ${detail}`);
  }
}

export class ChecksumNotFoundError extends MigrateError {
  readonly code = 'ChecksumNotFound';
  constructor() {
    super('checksum file not found');
  }
}

export class ChecksumFormatError extends MigrateError {
  readonly code = 'ChecksumFormat';
  constructor(readonly line: number) {
    super('checksum file format invalid');
  }
}

export type ChecksumMismatchReason = 'added' | 'edited' | 'removed';

/**
 * The directory and its `atlas.sum` disagree. `line`, `file` and `reason`
 * are set when the recorded entries could be compared with the computed
 * ones; a sum file whose own total is wrong has none (Atlas's bare error).
 */
export class ChecksumMismatchError extends MigrateError {
  readonly code = 'ChecksumMismatch';
  constructor(readonly detail?: { line: number; file: string; reason: ChecksumMismatchReason }) {
    super('checksum mismatch');
  }
  /** `L3: 2_b.sql was edited`, as Atlas prints it under its checksum banner. */
  describe(): string | undefined {
    if (this.detail === undefined) return undefined;
    return `L${this.detail.line}: ${this.detail.file} was ${this.detail.reason}`;
  }
}

/** A statement could not be split out of a file: `<line>:<col>: <reason>`. */
export class StatementScanError extends MigrateError {
  readonly code = 'StatementScan';
  file: string | undefined;
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    // Atlas reports a few errors (an empty delimiter) without a position; line 0 marks them.
    super(line > 0 ? `${line}:${column}: ${reason}` : reason);
  }
  /** Names the file, as Atlas's executor does. */
  inFile(file: string): this {
    this.file = file;
    this.message = `sql/migrate: scanning statements from ${goQuote(file)}: ${line(this)}`;
    return this;
  }
}

function line(e: StatementScanError): string {
  return e.line > 0 ? `${e.line}:${e.column}: ${e.reason}` : e.reason;
}

export class InvalidDirectiveError extends MigrateError {
  readonly code = 'InvalidDirective';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

export class BaselineNotFoundError extends MigrateError {
  readonly code = 'BaselineNotFound';
  constructor(readonly version: string) {
    super(`baseline version ${goQuote(version)} not found`);
  }
}

export class VersionNotFoundError extends MigrateError {
  readonly code = 'VersionNotFound';
  constructor(
    readonly version: string,
    readonly suggestion?: string,
  ) {
    super(
      `sql/migrate: migration with version ${goQuote(version)} not found` +
        (suggestion === undefined ? '' : `. Did you mean ${goQuote(suggestion)}?`),
    );
  }
}

export class HistoryNonLinearError extends MigrateError {
  readonly code = 'HistoryNonLinear';
  constructor(
    readonly outOfOrder: readonly string[],
    readonly pending: readonly string[],
  ) {
    const what =
      outOfOrder.length === 1
        ? `file ${outOfOrder[0] ?? ''} was`
        : `files ${outOfOrder.join(', ')} were`;
    super(`migration ${what} added out of order. See: https://atlasgo.io/versioned/apply#non-linear-error`);
  }
}

export class MissingMigrationError extends MigrateError {
  readonly code = 'MissingMigration';
  constructor(
    readonly version: string,
    readonly description: string,
  ) {
    // Atlas always joins with "_", even for a file that had no description.
    super(
      `sql/migrate: missing migration: revision ${goQuote(`${version}_${description}.sql`)} is partially applied but migration file was not found`,
    );
  }
}

/** The database has objects but no revisions; `--baseline` or `--allow-dirty` decides what to do. */
export class NotCleanError extends MigrateError {
  readonly code = 'NotClean';
  constructor(
    readonly reason: string,
    readonly flagRequired = false,
  ) {
    super(
      `sql/migrate: connected database is not clean: ${reason}` +
        (flagRequired ? '. baseline version or allow-dirty is required' : ''),
    );
  }
  /** The same finding, as the reason a first run refuses to start. */
  requiringFlag(): NotCleanError {
    return new NotCleanError(this.reason, true);
  }
}

export class InvalidOptionError extends MigrateError {
  readonly code = 'InvalidOption';
}


/** A statement failed on the database. Atlas's message, plus where the statement is. */
export class StatementExecError extends MigrateError {
  readonly code = 'StatementExec';
  readonly file: string;
  readonly version: string;
  /** 1-based statement number in the file. */
  readonly statement: number;
  readonly line: number;
  readonly sql: string;
  readonly databaseError: string;
  constructor(at: { file: string; version: string; statement: number; line: number; sql: string; databaseError: string }) {
    super(
      `sql/migrate: executing statement ${goQuote(at.sql)} from version ${goQuote(at.version)}: ${at.databaseError} ` +
        `(${at.file}: statement ${at.statement}, line ${at.line})`,
    );
    this.file = at.file;
    this.version = at.version;
    this.statement = at.statement;
    this.line = at.line;
    this.sql = at.sql;
    this.databaseError = at.databaseError;
  }
}

/** A statement that already ran was edited since (checked through `partial_hashes`). */
export class HistoryChangedError extends MigrateError {
  readonly code = 'HistoryChanged';
  constructor(
    readonly file: string,
    /** 1-based statement number. */
    readonly statement: number,
  ) {
    super(`sql/migrate: history changed: statement ${statement} from file ${goQuote(file)} changed`);
  }
}

/** The file has no `atlas.sum` entry (`atlas:sum ignore`), so it can never be applied. */
export class ChecksumEntryMissingError extends MigrateError {
  readonly code = 'ChecksumEntryMissing';
  constructor(readonly file: string) {
    super(`sql/migrate: scanning checksum from ${goQuote(file)}: checksum not found`);
  }
}

export class AmbiguousRevisionTableError extends MigrateError {
  readonly code = 'AmbiguousRevisionTable';
  constructor(
    readonly connectedSchema: string,
    readonly otherSchema: string,
  ) {
    super(
      `ambiguous revision table: schema ${goQuote(connectedSchema)} has no atlas_schema_revisions table, but schema ` +
        `${goQuote(otherSchema)} has one; set the revisions schema explicitly (--revisions-schema or spec.revisionsSchema)`,
    );
  }
}

/** The run was cancelled between statements; what ran is recorded. */
export class CancelledError extends MigrateError {
  readonly code = 'Cancelled';
}

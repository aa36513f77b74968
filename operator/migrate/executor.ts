/**
 * Executes one migration file the way Atlas's `Executor.Execute` does, so a
 * database can move between Atlas and us mid-history: the revision row is
 * written when the file starts and after every statement (with the
 * cumulative `partial_hashes`), a partial file resumes after its last
 * applied statement, and an edited applied statement is refused.
 */
import { type Session } from './dialects/driver';
import { QueryError } from './dialects/errors';
import { makeRevision, type Revision } from './dialects/revision';
import { CancelledError, HistoryChangedError, StatementExecError } from './errors';
import type { MigrateEventListener, PlannedFile } from './events';
import type { MigrationFile } from './migration-file';
import { cumulativeStatementHashes, type Statement } from './statements';

export interface FileRun {
  readonly session: Session;
  readonly file: MigrationFile;
  readonly statements: readonly Statement[];
  /** The file's `atlas.sum` entry, without `h1:`. */
  readonly hash: string;
  readonly operatorVersion: string;
  /** Executes and writes nothing; reads are real. */
  readonly dryRun: boolean;
  readonly onEvent: MigrateEventListener;
  readonly signal: AbortSignal | undefined;
  /** The file's stored revision, as read under the lock before planning. */
  readonly stored: Revision | undefined;
  /**
   * The file runs inside a transaction on a database with transactional DDL:
   * intermediate revision writes could never be seen (and vanish on
   * rollback), so only the final row is written. The committed result is
   * the same as writing after every statement.
   */
  readonly onlyFinalWrite: boolean;
}

type MutableRevision = { -readonly [K in keyof Revision]: Revision[K] };

function newRevision(run: FileRun): MutableRevision {
  return makeRevision({
    version: run.file.version,
    description: run.file.description,
    total: run.statements.length,
    hash: run.hash,
    operatorVersion: run.operatorVersion,
  });
}

export function plannedFile(file: MigrationFile, statements: readonly Statement[], stored: Revision | undefined): PlannedFile {
  return {
    name: file.name,
    version: file.version,
    description: file.description,
    statements: statements.length,
    resumeAt: stored === undefined || stored.applied === stored.total ? 0 : stored.applied,
  };
}

/** Checks the applied prefix of a resumed file against the hashes stored when it ran. */
function verifyHistory(file: MigrationFile, row: Revision, hashes: readonly string[]): void {
  for (let i = 0; i < row.applied; i++) {
    if (row.partialHashes?.[i] !== hashes[i]) throw new HistoryChangedError(file.name, i + 1);
  }
}

class RevisionWriter {
  private readonly started = process.hrtime.bigint();
  constructor(
    private readonly run: FileRun,
    readonly row: MutableRevision,
  ) {}

  async write(final = false): Promise<void> {
    // As Atlas: every write stamps the writer's version, also on a row another tool started.
    this.row.operatorVersion = this.run.operatorVersion;
    this.row.executionTime = Number(process.hrtime.bigint() - this.started);
    if (this.run.dryRun || (this.run.onlyFinalWrite && !final)) return;
    await this.run.session.writeRevision(this.row);
  }
}

async function executeStatement(run: FileRun, statement: Statement): Promise<void> {
  if (run.dryRun) return;
  await run.session.execute(statement.text);
}

/** Runs the file's pending statements; throws StatementExecError (recorded in the row) on the first failure. */
export async function executeFile(run: FileRun): Promise<void> {
  const hashes = cumulativeStatementHashes(run.statements);
  const stored = run.stored;
  const writer = new RevisionWriter(run, stored === undefined ? newRevision(run) : { ...stored });
  const row = writer.row;
  await writer.write();
  if (row.applied > 0) verifyHistory(run.file, row, hashes);
  for (let i = row.applied; i < run.statements.length; i++) {
    if (run.signal?.aborted === true) {
      throw new CancelledError(`migration cancelled before statement ${i + 1} of ${run.file.name}; ${i} of ${run.statements.length} applied`);
    }
    const statement = run.statements[i] as Statement;
    const started = performance.now();
    run.onEvent({ type: 'statement-start', file: run.file.name, index: i, total: run.statements.length, line: statement.line, sql: statement.text });
    try {
      await executeStatement(run, statement);
    } catch (e) {
      if (!(e instanceof QueryError)) throw e;
      row.errorStmt = statement.text;
      row.error = e.message;
      // Inside a failed Postgres transaction this write fails too (and is rolled back anyway): the statement's error is what matters.
      await writer.write(true).catch(() => undefined);
      throw new StatementExecError({
        file: run.file.name,
        version: run.file.version,
        statement: i + 1,
        line: statement.line,
        sql: statement.text,
        databaseError: e.message,
      });
    }
    row.partialHashes = [...(row.partialHashes ?? []), hashes[i] as string];
    row.applied = i + 1;
    // A retry that gets past the statement that failed clears the old error.
    row.error = '';
    row.errorStmt = '';
    await writer.write();
    run.onEvent({ type: 'statement-done', file: run.file.name, index: i, durationMs: performance.now() - started });
  }
  row.partialHashes = null;
  await writer.write(true);
}

/**
 * A whole `migrate apply` run, in Atlas's order: validate the directory,
 * take the lock, make sure the revisions table exists, plan from the
 * database's history, then execute each pending file in its transaction
 * mode. Everything a run will execute is split and checked before the first
 * statement runs, so bad input never leaves a database half-migrated.
 */
import type { Driver, Session } from './dialects/driver';
import { makeRevision, RevisionType, type Revision } from './dialects/revision';
import { DEFAULT_REVISIONS_SCHEMA } from './dialects/revisions-table';
import type { MigrationDirectory } from './directory';
import { runeWidthAt } from './binary-text';
import { AmbiguousRevisionTableError, CancelledError, ChecksumEntryMissingError, NotCleanError, StatementScanError } from './errors';
import { ignoreEvents, type MigrateEventListener, type PlannedFile } from './events';
import { executeFile, plannedFile } from './executor';
import type { MigrationFile } from './migration-file';
import { plan, type PlanOptions } from './planner';
import { fileStatements, type Statement } from './statements';
import { effectiveTxMode, type TxMode } from './txmode';

export const LOCK_NAME = 'atlas_migrate_execute';
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/** A pending file as split for execution: what a reviewer's tools (lint, the plan hash) read, split once. */
export interface PendingFile {
  readonly planned: PlannedFile;
  /** The file's `atlas.sum` hash, without `h1:`. */
  readonly hash: string;
  /** Every statement of the file; the first `planned.resumeAt` were applied by an interrupted run. */
  readonly statements: readonly Statement[];
}

/** The plan as `beforeExecute` sees it, under the lock. */
export interface ExecutionPlan {
  readonly current: string | undefined;
  readonly files: readonly PlannedFile[];
  /** The same files, in the same order, with their statements and atlas.sum hashes. */
  readonly pending: readonly PendingFile[];
}

export interface ApplyOptions extends PlanOptions {
  /** Schema of `atlas_schema_revisions`; default: the URL's schema, else `atlas_schema_revisions`. */
  readonly revisionsSchema?: string;
  /** Default `file`. */
  readonly txMode?: TxMode;
  readonly lockTimeoutMs?: number;
  /** Report what would run; change nothing at all, not even the revisions table. */
  readonly dryRun?: boolean;
  /** Written to `operator_version`. */
  readonly operatorVersion: string;
  readonly onEvent?: MigrateEventListener;
  /**
   * Awaited once the plan is known (under the lock) and before the first
   * statement runs, when files are pending: a caller can publish the plan
   * (the operator writes it to status) before anything changes, or hold
   * the run by throwing: the lock and the connection are then released and
   * nothing was written (no session is opened before it returns).
   */
  readonly beforeExecute?: (plan: ExecutionPlan) => Promise<void>;
  /** Stops the run between statements. */
  readonly signal?: AbortSignal;
}

export interface ApplyResult {
  /** Version before the run (the last revision), if any. */
  readonly current: string | undefined;
  /** Last version the run was to reach; undefined when nothing was pending. */
  readonly target: string | undefined;
  readonly files: readonly PlannedFile[];
  readonly baseline: string | undefined;
  readonly dryRun: boolean;
  /** The last revision before the run (its `executedAt` dates the database's current version when nothing ran). */
  readonly lastRevision: Revision | undefined;
  /** Revisions the database held before the run (Atlas's `Applied` of `migrate status`). */
  readonly appliedBefore: number;
}

interface PreparedFile {
  readonly file: MigrationFile;
  readonly statements: readonly Statement[];
  readonly hash: string;
  readonly txMode: TxMode;
}

/**
 * A statement must be valid UTF-8: the drivers send text, so an invalid byte
 * would silently become U+FFFD in the database (found by e2e/bad-input: a
 * Latin-1 'café' was stored as 'caf\uFFFD' and the run reported success),
 * where Atlas sends the bytes and PostgreSQL refuses them. Refused before
 * anything runs, naming the file, line and column (in bytes).
 */
function checkUtf8(file: MigrationFile, statements: readonly Statement[]): void {
  for (const s of statements) {
    const raw = s.raw;
    if (!/[\x80-\xff]/.test(raw)) continue;
    for (let i = 0; i < raw.length; i += runeWidthAt(raw, i)) {
      const byte = raw.charCodeAt(i);
      if (byte < 0x80 || runeWidthAt(raw, i) > 1) continue;
      const before = raw.slice(0, i);
      const newlines = before.split('\n').length - 1;
      const column = i - before.lastIndexOf('\n');
      const reason = `statement ${s.index + 1} is not valid UTF-8 (byte 0x${byte.toString(16).toUpperCase()}); save the file as UTF-8`;
      throw new StatementScanError(s.line + newlines, column, reason).inFile(file.name);
    }
  }
}

/** Splits and checks every pending file before anything runs. */
function prepare(directory: MigrationDirectory, files: readonly MigrationFile[], driver: Driver, txMode: TxMode): PreparedFile[] {
  const sum = directory.computedSum();
  return files.map((file) => {
    const hash = sum.hashOf(file.name);
    if (hash === undefined) throw new ChecksumEntryMissingError(file.name);
    const statements = fileStatements(file, driver.syntax);
    checkUtf8(file, statements);
    return { file, hash, statements, txMode: effectiveTxMode(file, txMode) };
  });
}

/** Where the revisions table is, and whether it exists when that was already asked (a schema-bound URL's guard). */
async function revisionsSchemaFor(driver: Driver, opts: ApplyOptions): Promise<{ schema: string; exists?: boolean }> {
  if (opts.revisionsSchema !== undefined && opts.revisionsSchema !== '') return { schema: opts.revisionsSchema };
  const bound = driver.boundSchema;
  const fallback = driver.defaultRevisionsSchema();
  // Atlas's guard: a schema-bound URL whose schema lacks the table while the shared schema has one is ambiguous.
  const guarded = bound !== undefined && driver.dialect !== 'sqlite' && bound !== DEFAULT_REVISIONS_SCHEMA;
  if (!guarded) return { schema: fallback };
  const exists = await driver.revisionsTableExists(bound);
  if (!exists && (await driver.revisionsTableExists(DEFAULT_REVISIONS_SCHEMA))) throw new AmbiguousRevisionTableError(bound, DEFAULT_REVISIONS_SCHEMA);
  return bound === fallback ? { schema: fallback, exists } : { schema: fallback };
}

async function writeBaseline(session: Session, file: { version: string; description: string }, operatorVersion: string): Promise<void> {
  await session.writeRevision(
    makeRevision({ version: file.version, description: file.description, type: RevisionType.Baseline, operatorVersion }),
  );
}

/** Executes the prepared files on one session, honouring each file's transaction mode. */
async function runFiles(session: Session, files: readonly PreparedFile[], planned: readonly PlannedFile[], ctx: RunContext): Promise<void> {
  const all = ctx.txMode === 'all' && !ctx.opts.dryRun;
  if (all) await session.begin();
  try {
    for (const [index, p] of files.entries()) {
      await runFile(session, p, { index, count: files.length, planned: planned[index] as PlannedFile }, ctx, all);
    }
    if (all) await session.commit();
  } catch (e) {
    if (all) await rollbackQuietly(session);
    throw e;
  }
}

interface RunContext {
  readonly opts: ApplyOptions;
  readonly transactionalDdl: boolean;
  /** Revisions read before planning, by version. */
  readonly history: ReadonlyMap<string, Revision>;
  readonly txMode: TxMode;
  readonly onEvent: MigrateEventListener;
}

async function rollbackQuietly(session: Session): Promise<void> {
  // The original error matters more than a failed rollback; the connection is released either way.
  await session.rollback().catch(() => undefined);
}

async function runFile(session: Session, p: PreparedFile, at: { index: number; count: number; planned: PlannedFile }, ctx: RunContext, inAll: boolean): Promise<void> {
  const ownTx = !inAll && p.txMode === 'file' && ctx.opts.dryRun !== true;
  const started = performance.now();
  ctx.onEvent({ type: 'file-start', file: at.planned, index: at.index, count: at.count });
  if (ownTx) await session.begin();
  try {
    await executeFile({
      session,
      file: p.file,
      statements: p.statements,
      hash: p.hash,
      operatorVersion: ctx.opts.operatorVersion,
      dryRun: ctx.opts.dryRun === true,
      onEvent: ctx.onEvent,
      signal: ctx.opts.signal,
      // Read under the lock before planning; only this run changes the table until the lock is released.
      stored: ctx.history.get(p.file.version),
      onlyFinalWrite: (ownTx || inAll) && ctx.transactionalDdl,
    });
    if (ownTx) await session.commit();
  } catch (e) {
    if (ownTx) await rollbackQuietly(session);
    ctx.onEvent({ type: 'file-failed', file: p.file.name, version: p.file.version, error: e as Error, durationMs: performance.now() - started });
    throw e;
  }
  ctx.onEvent({ type: 'file-done', file: p.file.name, version: p.file.version, durationMs: performance.now() - started });
}

/**
 * The history. As Atlas does, the revisions table is created (not in a dry
 * run) before planning, so the dirty check sees it exactly as Atlas's does
 * (SQLite's "found multiple tables: N" counts it): a run held by
 * `beforeExecute` leaves at most that empty table behind.
 */
async function readHistory(driver: Driver, where: { schema: string; exists?: boolean }, opts: ApplyOptions): Promise<Revision[]> {
  const { schema } = where;
  const exists = where.exists ?? (await driver.revisionsTableExists(schema));
  if (!exists && opts.dryRun === true) return [];
  // Asked a moment ago in the same planning unit, under the lock: not asked again.
  if (opts.dryRun !== true) await driver.ensureRevisionsTable(schema, exists);
  return driver.readRevisions(schema);
}

interface PlannedRun {
  readonly schema: string;
  readonly current: string | undefined;
  readonly baseline: { version: string; description: string } | undefined;
  readonly prepared: readonly PreparedFile[];
  readonly planned: readonly PlannedFile[];
  readonly target: string | undefined;
  readonly history: ReadonlyMap<string, Revision>;
}

/** Reads the history, checks cleanliness on a fresh database, plans and prepares every pending file. */
async function planRun(driver: Driver, directory: MigrationDirectory, opts: ApplyOptions, txMode: TxMode): Promise<PlannedRun> {
  const { schema, revisions, dirty } = await driver.planning(async () => {
    const where = await revisionsSchemaFor(driver, opts);
    const { schema } = where;
    const revisions = await readHistory(driver, where, opts);
    const needsCleanCheck = revisions.length === 0 && opts.allowDirty !== true && opts.baseline === undefined;
    return { schema, revisions, dirty: needsCleanCheck ? await driver.checkClean(schema) : undefined };
  });
  const p = plan(directory, { revisions, ...(dirty === undefined ? {} : { notClean: new NotCleanError(dirty) }) }, opts);
  const prepared = prepare(directory, p.pending, driver, txMode);
  const byVersion = new Map(revisions.map((r) => [r.version, r]));
  const planned = prepared.map((f) => plannedFile(f.file, f.statements, byVersion.get(f.file.version)));
  return { schema, current: p.current, baseline: p.baseline, prepared, planned, target: prepared.at(-1)?.file.version, history: byVersion };
}

function pendingFiles(run: PlannedRun): PendingFile[] {
  return run.prepared.map((p, i) => ({ planned: run.planned[i] as PlannedFile, hash: p.hash, statements: p.statements }));
}

async function executeRun(driver: Driver, run: PlannedRun, ctx: RunContext): Promise<void> {
  const session = await driver.session(run.schema);
  // Through settle(), not `finally`: a failed release must not replace a statement's error.
  await settle(async () => {
    if (run.baseline !== undefined) {
      if (ctx.opts.dryRun !== true) await writeBaseline(session, run.baseline, ctx.opts.operatorVersion);
      ctx.onEvent({ type: 'baseline', version: run.baseline.version });
    }
    await runFiles(session, run.prepared, run.planned, ctx);
  }, () => session.release());
}

/** Runs `migrate apply`. The directory is validated first; the lock is held for the whole run. */
export async function apply(driver: Driver, directory: MigrationDirectory, opts: ApplyOptions): Promise<ApplyResult> {
  const ctx = { opts, txMode: opts.txMode ?? 'file', onEvent: opts.onEvent ?? ignoreEvents, transactionalDdl: driver.transactionalDdl } as const;
  directory.validate();
  if (opts.signal?.aborted === true) throw new CancelledError('migration cancelled before it started');
  // One login, one connection for the whole run (connecting is where an unreachable database fails).
  const release = await driver.hold();
  return settle(() => lockedRun(driver, directory, opts, ctx), release);
}

/**
 * Runs `work`, then `cleanup` (an unlock, a release). A cleanup failure is
 * reported only when the work succeeded: after a failed statement the
 * connection may be broken, and the statement's error is the one to show.
 */
async function settle<T>(work: () => Promise<T>, cleanup: () => Promise<void>): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
  await cleanup();
  return result;
}

async function lockedRun(driver: Driver, directory: MigrationDirectory, opts: ApplyOptions, ctx: Omit<RunContext, 'history'>): Promise<ApplyResult> {
  const waitStarted = Date.now();
  const unlock = await driver.lock(LOCK_NAME, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, opts.signal);
  return settle(async () => {
    ctx.onEvent({ type: 'lock-acquired', name: LOCK_NAME, waitedMs: Date.now() - waitStarted });
    const run = await planRun(driver, directory, opts, ctx.txMode);
    ctx.onEvent({ type: 'plan', current: run.current, target: run.target, files: run.planned });
    if (run.planned.length > 0) await opts.beforeExecute?.({ current: run.current, files: run.planned, pending: pendingFiles(run) });
    await executeRun(driver, run, { ...ctx, history: run.history });
    const lastRevision = [...run.history.values()].at(-1);
    return { current: run.current, target: run.target, files: run.planned, baseline: run.baseline?.version, dryRun: opts.dryRun === true, lastRevision, appliedBefore: run.history.size };
  }, unlock);
}

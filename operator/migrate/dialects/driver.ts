/**
 * The contract every database driver implements. The engine depends on this
 * file only; dialect differences stay inside the drivers, mostly as data.
 */
import type { DatabaseUrl } from './database-url';
import type { LintProbe } from './lint-probe';
import type { Revision } from './revision';
import type { DialectName, SqlSyntax } from './syntax';

/**
 * Default bound of each query the engine makes itself (revisions table,
 * the lock's query, the dirty check); a migration's statements are never
 * bounded. Here, not in knex-driver.ts, so the CLI reads it without loading knex.
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

/** Releases a lock; safe to call more than once. */
export type Unlock = () => Promise<void>;

/**
 * One dedicated connection, used for a run's statements and, inside a
 * transaction, for its revision writes too (so they commit or roll back
 * together, as Atlas binds its revision store to the transaction).
 */
export interface Session {
  /** Executes one statement exactly as scanned (no placeholder rewriting). */
  execute(sql: string): Promise<void>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  writeRevision(revision: Revision): Promise<void>;
  release(): Promise<void>;
}

export interface Driver {
  readonly dialect: DialectName;
  readonly syntax: SqlSyntax;
  readonly url: DatabaseUrl;
  /**
   * DDL is transactional (PostgreSQL, SQLite): inside a transaction nothing
   * a file does, revision writes included, is visible before the commit.
   * MySQL commits DDL implicitly, so its progress must be written as it goes.
   */
  readonly transactionalDdl: boolean;
  /** The schema the URL binds to (MySQL database, Postgres `search_path`, SQLite `main`), if any. */
  readonly boundSchema: string | undefined;
  /** Where the revisions table lives unless a schema is given explicitly. */
  defaultRevisionsSchema(): string;
  /** Checks the connection (bounded by the connect timeout). */
  ping(): Promise<void>;
  /**
   * Logs in once and runs every later query, lock and session on that one
   * connection until the returned function is called.
   */
  hold(): Promise<() => Promise<void>>;
  /** Atlas's lock: waits up to `timeoutMs`, polling where the database cannot wait itself. */
  lock(name: string, timeoutMs: number, signal?: AbortSignal): Promise<Unlock>;
  /**
   * Runs the engine's planning queries in `run` (revisions-table checks,
   * history, clean check) as one bounded unit on one connection; a query
   * that times out inside is still named in the error.
   */
  planning<T>(run: () => Promise<T>): Promise<T>;
  revisionsTableExists(schema: string): Promise<boolean>;
  /**
   * Creates the schema and table when missing; checks an existing table has
   * Atlas's columns. `exists`: whether the table exists, when the caller
   * asked in the same unit of planning queries (not asked again).
   */
  ensureRevisionsTable(schema: string, exists?: boolean): Promise<void>;
  /** Revisions in the database's `ORDER BY version` order, without Atlas Cloud's marker row. */
  readRevisions(schema: string): Promise<Revision[]>;
  /**
   * The last revision in that order, or undefined when there is none (or no
   * table): one cheap query, for checking whether a database moved.
   */
  readLastRevision(schema: string): Promise<Revision | undefined>;
  /** Why the database is not clean (Atlas's reason text), or undefined when it is. */
  checkClean(revisionsSchema: string): Promise<string | undefined>;
  /** A dedicated connection whose revision reads and writes go to `schema`. */
  session(schema: string): Promise<Session>;
  /**
   * Read-only live checks for `migrate lint` on a connection of their own,
   * each query bounded by `timeoutMs`. Optional: a driver without it gets
   * no live information.
   */
  lintProbe?(timeoutMs: number): Promise<LintProbe>;
  close(): Promise<void>;
}
